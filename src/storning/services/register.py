"""Use cases on the tenancy register (hyresregistret): import a CSV export, upsert contracts from an
API client, look a contract up to fill a new case, and read the register's log.

Who may do what: changing the register is master data, for a chef or an admin (an integration's
account is usually an admin); looking a contract up is for everyone who may open cases. A register
entry is not a case: it carries no complainants, and a personnummer is shown masked except in the
case it fills.

An import is one transaction: the whole file is checked first, and a file with any problem writes
nothing (the error names the file and the line). A move-out date recorded in the register offers to
close the tenant's open cases: the result lists them (`moved_out`), and nothing is closed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storning import access, validation
from storning.access import Principal, principal_of
from storning.app import App
from storning.clock import iso, local_day
from storning.errors import InvalidInput, NotFound, PermissionDenied, StorningError, file_reason
from storning.intake import register
from storning.intake.mapping import DEFAULT, load_mapping
from storning.intake.register import ImportProblems, Progress, RegisterRow
from storning.services.common import _actor, refuse, scope_of, unit
from storning.store.models import Case, RegisterContract, RegisterLogEntry

MAX_API_CONTRACTS = 10_000


def _writer(app: App, session: Session, actor: str, action: str) -> Principal:
    principal = principal_of(_actor(app, session, actor))
    if not (principal.is_admin or principal.is_chef):
        raise refuse(
            PermissionDenied("Endast chef eller administratör får ändra hyresregistret."),
            principal.username,
            None,
            action,
        )
    return principal


def import_register_file(
    app: App,
    actor: str,
    now: datetime,
    path: Path,
    *,
    mapping_path: Path | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Import a register CSV (columns named by the mapping file; without one, the field names
    themselves). Dry run: check and compare, write nothing. Returns the counts and the open cases of
    tenants whose move-out the import records."""
    mapping = load_mapping(mapping_path) if mapping_path is not None else DEFAULT
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidInput(f"Kan inte läsa filen {path} ({file_reason(error)}).") from None
    with unit(app, write=False) as session:
        _writer(app, session, actor, "register_import")
    rows = register.read_csv(data, str(path), mapping, local_day(now, app.zone), progress)
    return _import(app, actor, now, rows, f"fil:{path.name}", dry_run=dry_run)


def upsert_contracts(
    app: App,
    actor: str,
    now: datetime,
    records: Sequence[dict[str, Any]],
    *,
    client: str,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Upsert contracts given as field maps (the API's `PUT` of one and `POST` of many), all or
    nothing; each problem names the record's position (`post 3`)."""
    if not records:
        raise InvalidInput("Ange minst ett kontrakt.")
    if len(records) > MAX_API_CONTRACTS:
        raise InvalidInput(
            f"Högst {MAX_API_CONTRACTS} kontrakt per anrop; dela upp dem i flera anrop."
        )
    today = local_day(now, app.zone)
    rows: list[RegisterRow] = []
    problems: list[str] = []
    for position, record in enumerate(records, start=1):
        try:
            rows.append(register.checked_row(dict(record), today, position))
        except StorningError as error:
            problems.append(f"Post {position}: {str(error).rstrip('.')}")
    problems.extend(register.duplicates(rows, lambda r: f"Post {r.line}"))
    if problems:
        raise ImportProblems(problems[: register.MAX_PROBLEMS])
    return _import(app, actor, now, rows, f"api:{client}", dry_run=dry_run)


def _import(
    app: App,
    actor: str,
    now: datetime,
    rows: Sequence[RegisterRow],
    source: str,
    *,
    dry_run: bool,
) -> dict[str, Any]:
    with unit(app) as session:
        principal = _writer(app, session, actor, "register_import")
        plan = register.plan(session, rows)
        if not dry_run:
            register.apply(session, plan, now=now, actor=principal.username, source=source)
        offers = _move_out_offers(app, session, principal, plan.moved_out)
        result = {
            "source": source,
            "dry_run": dry_run,
            "rows": len(rows),
            "created": len(plan.created),
            "updated": len(plan.updated),
            "unchanged": plan.unchanged,
            "changes": [
                {"contract": row.contract, "changes": diff} for row, diff in plan.updated[:100]
            ],
            "moved_out": offers,
        }
    if not dry_run:
        written = len(plan.created) + len(plan.updated)
        app.db.after_bulk_load(written, "register_apartments", "register_contracts", "register_log")
    return result


def _move_out_offers(
    app: App, session: Session, principal: Principal, rows: Sequence[RegisterRow]
) -> list[dict[str, Any]]:
    """For each contract whose move-out is recorded: the tenant's open cases the principal may see
    (an offer to close them with `tenant_moved`; nothing is closed here)."""
    by_contract = {row.contract: row for row in rows}
    cases = register.open_cases_of(session, list(by_contract))
    offers = []
    for contract, found in cases.items():
        visible = [c for c in found if access.can_read(principal, scope_of(c))]
        if visible:
            move_out = by_contract[contract].move_out
            offers.append(
                {
                    "contract": contract,
                    "move_out": move_out.isoformat() if move_out else None,
                    "cases": [{"ref": c.ref, "tenant": c.tenant_name} for c in visible],
                }
            )
    return offers


# --- looking up ----------------------------------------------------------------------------------------

# case field: Swedish label — what a case is filled with from the register, in the form's order
FILLED = {
    "tenant": "hyresgästens namn",
    "co_tenants": "medhyresgäster",
    "address": "adress",
    "postal_code": "postnummer",
    "city": "ort",
    "municipality": "kommun",
    "apartment": "lägenhetsnummer",
    "personnummer": "personnummer",
}


# a tenancy without co-tenants is the common case: not "missing"
OPTIONAL = frozenset({"co_tenants"})


def lookup_in_session(
    session: Session,
    now: datetime,
    *,
    contract: str | None = None,
    address: str | None = None,
    apartment: str | None = None,
) -> dict[str, Any] | None:
    """The new-case values the register holds for a contract (or an apartment), which are missing,
    and the move-out date; None when the register does not know it."""
    found = register.find_contract(session, contract=contract, address=address, apartment=apartment)
    if found is None:
        return None
    values = {
        "contract": found["contract"],
        "tenant": found["tenant_name"],
        "co_tenants": list(found["co_tenants"] or []),
        "address": found["address"],
        "postal_code": found["postal_code"],
        "city": found["city"],
        "municipality": found["municipality"],
        "apartment": found["number"],
        "personnummer": found["personnummer"],
    }
    move_out = found["move_out"]
    return {
        "values": values,
        "missing": [
            label for name, label in FILLED.items() if name not in OPTIONAL and not values.get(name)
        ],
        "property": found["property"],
        "move_in": found["move_in"].isoformat() if found["move_in"] else None,
        "move_out": move_out.isoformat() if move_out else None,
        "moved_out": bool(move_out and move_out <= now.date()),  # UTC day: good enough for a hint
    }


def lookup_contract(app: App, actor: str, now: datetime, contract: str) -> dict[str, Any]:
    """What the register knows of a contract, to fill a new case (for those who may open cases);
    the personnummer is returned for the form to fill, never written to a log."""
    number = validation.text("contract", contract, required=True)
    with unit(app, write=False) as session:
        principal = principal_of(_actor(app, session, actor))
        if not access.may_act_at_all(principal):
            raise PermissionDenied(f"Användaren {principal.username} får bara läsa ärenden.")
        found = lookup_in_session(session, now, contract=number)
        if found is None:
            raise NotFound(
                f"Kontraktet {number} finns inte i hyresregistret; fyll i uppgifterna för hand "
                "eller importera registret."
            )
        cases = register.open_cases_of(session, [found["values"]["contract"]])
        found["open_cases"] = [
            c.ref
            for c in cases.get(found["values"]["contract"], [])
            if access.can_read(principal, scope_of(c))
        ]
        return found


def case_details(found: dict[str, Any], today: date) -> dict[str, Any]:
    """A lookup's values as `services.cases.NewCase` keyword arguments (co-tenants as typed)."""
    values = found["values"]
    return {
        "tenant": values["tenant"] or "",
        "address": values["address"] or "",
        "apartment": values["apartment"] or "",
        "postal_code": values["postal_code"],
        "city": values["city"],
        "municipality": values["municipality"],
        "contract": values["contract"],
        "personnummer": values["personnummer"],
        "co_tenants": household_lines(values["co_tenants"]),
    }


def filled_case(app: App, actor: str, now: datetime, new: Any) -> tuple[Any, dict[str, Any]]:
    """`new` (a `services.cases.NewCase` with `contract`) with what was not given filled from the
    register, and a note saying what was filled and what the register lacks. A required value that
    neither the officer nor the register gives is refused, naming it."""
    from dataclasses import replace

    try:
        found = lookup_contract(app, actor, now, new.contract or "")
    except NotFound:
        if new.tenant and new.address and new.apartment:  # typed by hand: the register may lag
            return new, {"contract": new.contract, "filled": [], "missing": [], "found": False}
        raise
    values = case_details(found, local_day(now, app.zone))
    given = {
        "tenant": new.tenant,
        "address": new.address,
        "apartment": new.apartment,
        "postal_code": new.postal_code,
        "city": new.city,
        "municipality": new.municipality,
        "personnummer": new.personnummer,
        "co_tenants": new.co_tenants,
    }
    changes = {k: values[k] for k, v in given.items() if not v and values.get(k)}
    changes["contract"] = values["contract"]
    filled = replace(new, **changes)
    missing_required = [
        FILLED[k] for k in ("tenant", "address", "apartment") if not getattr(filled, k)
    ]
    if missing_required:
        raise InvalidInput(
            f"Hyresregistret saknar {', '.join(missing_required)} för kontraktet "
            f"{values['contract']}; ange det själv."
        )
    note = {
        "found": True,
        "contract": values["contract"],
        "filled": [FILLED[k] for k in changes if k in FILLED],
        "missing": [FILLED[k] for k in FILLED if k not in OPTIONAL and not getattr(filled, k)],
        "move_out": found["move_out"],
        "open_cases": found["open_cases"],
    }
    return filled, note


def household_lines(co_tenants: Sequence[Any]) -> list[str]:
    return [str(c) for c in co_tenants if c]


def register_log(
    app: App, actor: str, now: datetime, *, contract: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """The register's log, newest first (for a chef or an admin)."""
    with unit(app, write=False) as session:
        _writer(app, session, actor, "register_log")
        statement = select(RegisterLogEntry).order_by(RegisterLogEntry.id.desc()).limit(limit)
        if contract:
            statement = statement.where(RegisterLogEntry.contract == contract.strip())
        return [
            {
                "at": iso(entry.at, app.zone),
                "actor": entry.actor,
                "source": entry.source,
                "contract": entry.contract,
                "action": entry.action,
                "changes": entry.changes,
            }
            for entry in session.scalars(statement)
        ]


def count_contracts(app: App) -> int:
    with unit(app, write=False) as session:
        return int(session.scalar(select(func.count()).select_from(RegisterContract)) or 0)


def moved_out_cases(app: App, actor: str, now: datetime) -> list[dict[str, Any]]:
    """Open cases the actor may see whose contract has a move-out date recorded in the register
    (on or before today): an offer to close them (the intake page lists them)."""
    with unit(app, write=False) as session:
        principal = principal_of(_actor(app, session, actor))
        statement = (
            select(Case, RegisterContract.move_out)
            .join(RegisterContract, RegisterContract.contract == Case.contract)
            .where(
                Case.status == "open",
                RegisterContract.move_out.is_not(None),
                RegisterContract.move_out <= local_day(now, app.zone),
            )
            .order_by(Case.ref)
            .limit(200)
        )
        return [
            {
                "ref": case.ref,
                "tenant": case.tenant_name,
                "contract": case.contract,
                "move_out": move_out.isoformat() if move_out else None,
            }
            for case, move_out in session.execute(statement)
            if access.can_read(principal, scope_of(case))
        ]


__all__ = [
    "case_details",
    "import_register_file",
    "lookup_contract",
    "lookup_in_session",
    "moved_out_cases",
    "register_log",
    "upsert_contracts",
]
