"""Night-patrol reports (störningsjouren): the import from a file, the API or the drop folder. Every
report is checked first, all or nothing; a report already imported (its external id) is skipped; each
new one is recorded on the apartment's open case as an incident verified by `jour` (the landlord's own
verification, RH 2018:23) when the importer may act on that case, or else placed in the intake queue
(`services.intake`) for an officer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from storning import access
from storning.access import Principal, principal_of
from storning.app import App
from storning.errors import ClockError, InvalidInput, PermissionDenied, StorningError, file_reason
from storning.intake import jour, queue
from storning.services.common import _actor, _finish, _locked_case, refuse, scope_of, unit
from storning.services.intake import record_incident
from storning.store.models import Case, User


def import_jour_file(
    app: App, actor: str, now: datetime, path: Path, *, dry_run: bool = False
) -> dict[str, Any]:
    """Import a file of night-patrol reports (CSV or JSON, by content); see `import_jour`."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidInput(f"Kan inte läsa filen {path} ({file_reason(error)}).") from None
    records = jour.parse_file(data, str(path))
    return import_jour(app, actor, now, records, source=f"fil:{path.name}", dry_run=dry_run)


def import_jour(
    app: App,
    actor: str,
    now: datetime,
    records: Sequence[dict[str, Any]],
    *,
    source: str,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Import night-patrol reports, all or nothing, in one transaction: every report is checked
    first; a report whose external id already arrived is skipped; each new one is recorded as an
    incident verified by `jour` on the apartment's open case (one the actor may act on, whose journal
    is not later than `now`), or else placed in the intake queue. Dry run: nothing is written."""
    reports = jour.checked(records, app.zone, now)
    with unit(app) as session:
        user = _actor(app, session, actor)
        principal = principal_of(user)
        if not access.may_act_at_all(principal):
            raise refuse(
                PermissionDenied(f"Användaren {user.username} får inte importera jourrapporter."),
                user.username,
                None,
                "jour_import",
            )
        known = queue.known_external_ids(session, "jour", [r.external_id for r in reports])
        fresh = [r for r in reports if r.external_id not in known]
        cases = jour.open_cases(session, fresh)
        by_case: dict[int, list[jour.JourReport]] = {}
        unmatched: list[jour.JourReport] = []
        for report in fresh:
            case_id = cases.match(report)
            if case_id is None:
                unmatched.append(report)
            else:
                by_case.setdefault(case_id, []).append(report)
        rows: list[dict[str, Any]] = []
        matched: list[dict[str, Any]] = []
        for case_id, group in by_case.items():
            case = _locked_case(session, case_id)
            if dry_run or not _accepts(app, principal, case, now):
                if not dry_run:
                    rows += [_row(app, r, now, source, case=case) for r in group]
                else:
                    matched += [{"external_id": r.external_id, "case": case.ref} for r in group]
                continue
            for report in group:
                incident_id = record_incident(
                    app, session, case, user, now, "jour", report.payload(app.zone), now
                )
                rows.append(
                    _row(app, report, now, source, case=case, by=user, incident_id=incident_id)
                )
                matched.append({"external_id": report.external_id, "case": case.ref})
            _finish(session, case)
        rows += [_row(app, r, now, source) for r in unmatched]
        if not dry_run:
            queue.insert_many(session, rows)
        queued = sum(1 for r in rows if r["status"] == "open") if not dry_run else len(unmatched)
        result = {
            "source": source,
            "dry_run": dry_run,
            "reports": len(reports),
            "already_imported": len(reports) - len(fresh),
            "matched": len(matched),
            "queued": queued,
            "cases": sorted({m["case"] for m in matched}),
        }
    app.db.after_bulk_load(len(rows), "intake_items", "incidents")
    return result


def _accepts(app: App, principal: Principal, case: Case, now: datetime) -> bool:
    if not access.can_act(principal, scope_of(case)):
        return False
    try:
        app.engine.check_clock(case, now)
    except ClockError:
        return False
    return True


def _row(
    app: App,
    report: jour.JourReport,
    now: datetime,
    source: str,
    *,
    case: Case | None = None,
    by: User | None = None,
    incident_id: int | None = None,
) -> dict[str, Any]:
    return queue.item_values(
        "jour",
        report.payload(app.zone),
        external_id=report.external_id,
        received_at=now,
        source=source,
        case_id=case.id if case is not None else None,
        team=case.team if case is not None else None,
        address=report.address,
        apartment=report.apartment,
        contract=report.contract,
        observed_at=report.start,
        status="attached" if incident_id is not None else "open",
        resolved_by=by.username if by is not None else None,
        incident_id=incident_id,
    )


def process_drop_folder(app: App, now: datetime, directory: Path, actor: str) -> int:
    """Import every `*.csv` and `*.json` in `directory` (the scheduled jour import): a processed
    file moves to `done/`, a refused one to `failed/` beside a `.fel.txt` with the sentence saying
    why. Returns how many files were processed."""
    done, failed = directory / "done", directory / "failed"
    count = 0
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.suffix.lower() not in (".csv", ".json"):
            continue
        try:
            import_jour_file(app, actor, now, path)
        except StorningError as error:
            failed.mkdir(exist_ok=True)
            target = _free_name(failed, path.name)
            path.replace(target)
            target.with_name(target.name + ".fel.txt").write_text(
                error.for_cli() + "\n", encoding="utf-8"
            )
        else:
            done.mkdir(exist_ok=True)
            path.replace(_free_name(done, path.name))
        count += 1
    return count


def _free_name(directory: Path, name: str) -> Path:
    target = directory / name
    counter = 1
    while target.exists():
        target = directory / f"{Path(name).stem}-{counter}{Path(name).suffix}"
        counter += 1
    return target
