"""Use cases on incidents: record one, correct one.

What a person types is given its meaning by `clock.fact_instant`: a bare date is a day whose time is
unknown ("tid okänd", counted from 00:00, so it is never "after" a letter sent that day). An incident
may have an end time. A correction changes the incident's values and is journaled with the values
before and after, who made it and why; letters already sent keep their text, and the compiled report
lists every correction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from storning import validation
from storning.app import App
from storning.clock import fact_instant, is_bare_date, iso
from storning.errors import InvalidInput, NotFound
from storning.services.common import _change, _record
from storning.store.models import Case, Incident, User, table
from storning.store.prepared import Prepared
from storning.vocabulary import INCIDENT_FIELDS, INCIDENT_KINDS, VERIFICATION

_INSERT_INCIDENT = Prepared(
    insert(table(Incident)).returning(table(Incident).c.id),
    (
        "case_id",
        "at",
        "ends_at",
        "time_known",
        "kind",
        "text",
        "place",
        "verified_by",
        "reporter",
        "recorded_at",
        "recorded_by",
    ),
)
CORRECTABLE = INCIDENT_FIELDS


@dataclass(frozen=True)
class IncidentTimes:
    at: datetime
    ends_at: datetime | None
    time_known: bool


def incident_times(
    app: App, now: datetime, at: str | datetime, ends_at: str | datetime | None
) -> IncidentTimes:
    """When it happened (never in the future), whether the time of day is known, and when it ended
    (after it began, never in the future, a time of day and not a bare date)."""
    moment = fact_instant(at, app.zone, now, "observation")
    validation.not_in_future(moment, now, app.zone, what="Tidpunkten för störningen")
    known = not is_bare_date(at)
    end = None
    if ends_at not in (None, ""):
        assert ends_at is not None
        if is_bare_date(ends_at):
            raise InvalidInput(
                "Ange sluttiden med klockslag, till exempel 2026-03-02T02:30, eller lämna den tom."
            )
        end = fact_instant(ends_at, app.zone, now, "observation")
        validation.not_in_future(end, now, app.zone, what="Sluttiden för störningen")
        if end < moment:
            raise InvalidInput(
                f"Sluttiden ({end:%Y-%m-%d %H:%M}) ligger före starttiden "
                f"({moment.astimezone(app.zone):%Y-%m-%d %H:%M}); rätta tiderna."
            )
    return IncidentTimes(moment, end, known)


def _checked_kind(kind: str) -> str:
    if kind not in INCIDENT_KINDS:
        raise InvalidInput(f"Okänd händelsetyp '{kind}'; välj en av {', '.join(INCIDENT_KINDS)}.")
    return kind


def _checked_verification(verified_by: str | None) -> str | None:
    if verified_by is not None and verified_by not in VERIFICATION:
        raise InvalidInput(
            f"Okänd verifiering '{verified_by}'; välj en av {', '.join(VERIFICATION)}."
        )
    return verified_by


def add_incident(
    app: App,
    actor: str,
    now: datetime,
    ref: str,
    *,
    at: str | datetime,
    kind: str,
    text: str,
    verified_by: str | None = None,
    reporter: str | None = None,
    place: str | None = None,
    ends_at: str | datetime | None = None,
    expected_version: int | None = None,
    document: bool = True,
) -> dict[str, Any]:
    """Record an incident on the case and offer `incident_recorded` to every track."""
    times = incident_times(app, now, at, ends_at)
    checked_text = validation.text("text", text, required=True)
    place = validation.text("place", place)
    reporter = validation.text("reporter", reporter)
    _checked_kind(kind)
    _checked_verification(verified_by)

    def record(session: Session, case: Case, user: User) -> None:
        values = {
            "case_id": case.id,
            "at": times.at,
            "ends_at": times.ends_at,
            "time_known": times.time_known,
            "kind": kind,
            "text": checked_text,
            "place": place,
            "verified_by": verified_by,
            "reporter": reporter,
            "recorded_at": now,
            "recorded_by": user.username,
        }
        # A prepared Core insert (incidents arrive in bulk from the störningsjour); the guards see a
        # transient copy of the row.
        incident = Incident(id=_INSERT_INCIDENT.scalar(session, values), **values)
        entry = _record(
            session,
            case,
            user,
            now,
            "incident_added",
            {"incident_id": incident.id, "kind": kind, "at": times.at.isoformat()},
        )
        _recorded(app, session, case, user, now, incident, entry)

    return _change(
        app, actor, now, ref, expected_version, record, document=document, action="incident_add"
    )


def _recorded(
    app: App,
    session: Session,
    case: Case,
    user: User,
    now: datetime,
    incident: Incident,
    entry: int,
) -> None:
    """Tell the tracks about an incident (the guards see it): new, or moved after the uppmaning."""
    app.engine.dispatch(
        session,
        case,
        "incident_recorded",
        actor=user,
        now=now,
        params={"incident_id": incident.id},
        incident=incident,
        caused_by=entry,
    )


def correct_incident(
    app: App,
    actor: str,
    now: datetime,
    ref: str,
    incident_id: int,
    *,
    reason: str,
    changes: dict[str, Any],
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Correct an incident (a wrong time, kind or text): `changes` maps names of CORRECTABLE to new
    values (`at` and `ends_at` as typed). The journal keeps the values before and after and why.
    The tracks are not moved: if the correction changes what grounds a termination, the officer
    decides (for example `withdraw`); the guards read the corrected incidents from now on."""
    why = validation.text("reason", reason, required=True)
    unknown = sorted(set(changes) - set(CORRECTABLE))
    if unknown:
        raise InvalidInput(
            f"Kan inte rätta {', '.join(unknown)}; det som kan rättas: {', '.join(CORRECTABLE)}."
        )
    if not changes:
        raise InvalidInput(
            "Ange vad som ska rättas, till exempel en ny tidpunkt eller beskrivning."
        )

    def correct(session: Session, case: Case, user: User) -> None:
        incident = session.scalar(
            select(Incident).where(Incident.id == incident_id, Incident.case_id == case.id)
        )
        if incident is None:
            raise NotFound(f"Ärendet {case.ref} har ingen störning med id {incident_id}.")
        before, reporter_before = _values(incident, app), incident.reporter
        if "at" in changes or "ends_at" in changes:
            times = incident_times(
                app,
                now,
                changes.get("at", incident.at),
                changes.get("ends_at", incident.ends_at),
            )
            incident.at, incident.ends_at = times.at, times.ends_at
            if "at" in changes:
                incident.time_known = times.time_known
        if "kind" in changes:
            incident.kind = _checked_kind(str(changes["kind"]))
        if "text" in changes:
            incident.text = validation.text("text", changes["text"], required=True) or ""
        if "place" in changes:
            incident.place = validation.text("place", changes["place"])
        if "reporter" in changes:
            incident.reporter = validation.text("reporter", changes["reporter"])
        if "verified_by" in changes:
            incident.verified_by = _checked_verification(changes["verified_by"] or None)
        after = _values(incident, app)
        reporter_changed = incident.reporter != reporter_before
        if after == before and not reporter_changed:
            raise InvalidInput("Rättelsen ändrar ingenting; ange ett nytt värde.")
        incident.corrected_at, incident.corrected_by = now, user.username
        session.flush()
        entry = _record(
            session,
            case,
            user,
            now,
            "incident_corrected",
            {
                "incident_id": incident.id,
                "before": {k: v for k, v in before.items() if after[k] != v},
                "after": {k: v for k, v in after.items() if before[k] != v},
                # who reported is never written into the journal (it may be a protected person)
                "reporter_changed": reporter_changed,
                "reason": why,
            },
        )
        if before["at"] != after["at"]:
            _regrade(app, session, case, user, now, incident, entry)

    return _change(app, actor, now, ref, expected_version, correct, action="incident_correct")


def _regrade(
    app: App,
    session: Session,
    case: Case,
    user: User,
    now: datetime,
    incident: Incident,
    entry: int,
) -> None:
    """A corrected time may move an incident across the uppmaning (12:42 1 st 9 p: only what happened
    after it is a ground): one that now lies after it is recorded again, so the tracks react as to a
    new one; one that no longer does is taken out of the grounds (and `terminate` requires a ground)."""
    given = case.facts.get("uppmaning_given_at")
    if not given:
        return
    after_uppmaning = incident.at > datetime.fromisoformat(given)
    grounds = list(case.facts.get("ground_incidents") or [])
    if not after_uppmaning and incident.id in grounds:
        grounds.remove(incident.id)
        case.facts = {**case.facts, "ground_incidents": grounds}
    elif after_uppmaning and incident.id not in grounds:
        _recorded(app, session, case, user, now, incident, entry)


def _values(incident: Incident, app: App) -> dict[str, Any]:
    return {
        "at": iso(incident.at, app.zone)
        if incident.time_known
        else incident.at.astimezone(app.zone).date().isoformat(),
        "ends_at": iso(incident.ends_at, app.zone),
        "kind": incident.kind,
        "text": incident.text,
        "place": incident.place,
        "verified_by": incident.verified_by,
    }
