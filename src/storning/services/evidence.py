"""Use cases on evidence files (issue 16): attach a photo, a recording or a document to a case or one of
its incidents, list a case's files, download one.

Access follows the case: attaching is acting on it, listing and downloading is reading it, and every
download is written to the access log. Access is decided before a byte of the upload is read; the
upload is then checked (`storning.intake.evidence`: type by content, size while streaming) outside any
transaction, and stored with its row in one change, so a refused or failed upload leaves nothing.
The journal records the file's number, type and hash, never its name (names of files often name
people).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from storning import validation
from storning.access import principal_of
from storning.app import App
from storning.errors import EventNotAvailable, NotFound
from storning.intake import evidence as files
from storning.records.gallring import TOMBSTONE
from storning.services.common import _actor, _case, _change, _record, authorize, log_access, unit
from storning.store.models import Case, EvidenceFile, Incident
from storning.store.queries import evidence_rows


def add_evidence(
    app: App,
    actor: str,
    now: datetime,
    ref: str,
    filename: str,
    chunks: Iterable[bytes],
    *,
    declared_size: int | None = None,
    incident_id: int | None = None,
    note: str | None = None,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Attach an uploaded file to the case `ref` (and to its incident `incident_id`)."""
    settings = app.settings
    note = validation.text("text", note)
    check_attach(app, actor, now, ref, incident_id)  # refuse before reading the upload
    files.check_declared(settings, declared_size)
    received = files.receive(settings, filename, chunks, declared_size)
    created = False
    made: dict[str, Any] = {}

    def attach(session: Session, case: Case, user: Any) -> None:
        nonlocal created
        if case.status != "open":
            raise EventNotAvailable(f"Ärendet {case.ref} är avslutat; bevis kan inte läggas till.")
        if incident_id is not None:
            _incident(session, case, incident_id)
        in_db = settings.evidence_storage == "db"
        row = EvidenceFile(
            case_id=case.id,
            incident_id=incident_id,
            filename=received.filename,
            content_type=received.content_type,
            extension=received.extension,
            size=received.size,
            sha256=received.sha256,
            storage="db" if in_db else "file",
            data=received.path.read_bytes() if in_db else None,
            note=note,
            uploaded_at=now,
            uploaded_by=user.username,
        )
        session.add(row)
        session.flush()
        _record(
            session,
            case,
            user,
            now,
            "evidence_added",
            {
                "evidence": row.id,
                "incident": incident_id,
                "type": received.extension,
                "sha256": received.sha256,
            },
        )
        if not in_db:
            created = files.keep(settings, received)
        made.update(_view(app, row))

    try:
        _change(
            app, actor, now, ref, expected_version, attach, document=False, action="evidence_add"
        )
    except BaseException:
        if created:  # the row did not commit: take away the file this upload put in place
            files.stored_path(settings, received.sha256).unlink(missing_ok=True)
        raise
    finally:
        received.path.unlink(missing_ok=True)
    return made


def check_attach(app: App, actor: str, now: datetime, ref: str, incident_id: int | None) -> None:
    """Raise unless `actor` may attach evidence to the case (and its incident): checked before an
    upload is read, so a refused one costs nothing."""
    with unit(app, write=False) as session:
        user = _actor(app, session, actor)
        case = _case(session, ref)
        authorize(principal_of(user), case, "act", "evidence_add")
        if case.status != "open":
            raise EventNotAvailable(f"Ärendet {case.ref} är avslutat; bevis kan inte läggas till.")
        if incident_id is not None:
            _incident(session, case, incident_id)


def list_evidence(app: App, actor: str, now: datetime, ref: str) -> list[dict[str, Any]]:
    """The case's evidence files, oldest first (metadata only)."""
    with unit(app, write=False) as session:
        user = _actor(app, session, actor)
        case = _case(session, ref)
        authorize(principal_of(user), case, "read", "evidence_list")
        return evidence_of(app, session, case)


def evidence_of(app: App, session: Session, case: Case) -> list[dict[str, Any]]:
    """The evidence files of a case the caller has authorized reading, oldest first (metadata)."""
    return [_view(app, row) for row in evidence_rows(session, case.id)]


def get_evidence(
    app: App, actor: str, now: datetime, evidence_id: int
) -> tuple[dict[str, Any], bytes]:
    """One file's metadata and bytes, for a principal who may read its case; logged."""
    unknown = f"Det finns ingen bevisfil med nummer {evidence_id} som du har tillgång till."
    with unit(app) as session:
        user = _actor(app, session, actor)
        row = session.get(EvidenceFile, evidence_id)
        if row is None:
            raise NotFound(unknown)
        case = session.get(Case, row.case_id)
        assert case is not None
        authorize(principal_of(user), case, "read", "evidence_download", unknown=unknown)
        if row.filename == TOMBSTONE:  # erased with the case's personal data (gallring)
            raise NotFound(
                f"Bevisfil {row.id} är gallrad: innehållet raderades när ärendets personuppgifter "
                "gallrades."
            )
        log_access(session, user.username, now, case.id, "evidence_download", f"bevis {row.id}")
        data = row.data if row.storage == "db" else files.read_stored(app.settings, row.sha256)
        assert data is not None
        return _view(app, row), data


def _incident(session: Session, case: Case, incident_id: int) -> Incident:
    found = session.scalar(
        select(Incident).where(Incident.id == incident_id, Incident.case_id == case.id)
    )
    if found is None:
        raise NotFound(f"Ärendet {case.ref} har ingen händelse med nummer {incident_id}.")
    return found


def _view(app: App, row: EvidenceFile | Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "filename": row.filename,
        "content_type": row.content_type,
        "type": row.extension,
        "label": files.ALLOWED.get(row.extension, ("", row.extension, None))[1],
        "size": row.size,
        "sha256": row.sha256,
        "incident": row.incident_id,
        "note": row.note,
        "uploaded_at": row.uploaded_at.astimezone(app.zone).isoformat(timespec="seconds"),
        "uploaded_by": row.uploaded_by,
        "erased": row.filename == TOMBSTONE,
    }
