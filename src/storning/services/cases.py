"""Use cases on cases: open, show, list, fire an event, record an incident."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from storning.app import App
from storning.clock import local_day
from storning.errors import InvalidInput, NotFound
from storning.presenters import case_document
from storning.services.common import (
    _case,
    _change,
    _record,
    _require_acting,
    _user,
    _user_or_none,
)
from storning.store.models import (
    Case,
    CaseCounter,
    CaseTrack,
    Complainant,
    Incident,
    JournalEntry,
    Timer,
    User,
    table,
)
from storning.vocabulary import INCIDENT_KINDS, VERIFICATION

_INSERT_INCIDENT = insert(table(Incident)).returning(table(Incident).c.id)


@dataclass
class NewCase:
    case_type: str
    tenant: str
    address: str
    apartment: str
    municipality: str | None = None
    contract: str | None = None
    postal_code: str | None = None
    city: str | None = None
    co_tenants: list[str] = field(default_factory=list)
    # (name, protected) or (name, protected, postal address with one line per row)
    complainants: list[tuple[str, bool] | tuple[str, bool, str | None]] = field(
        default_factory=list
    )
    facts: dict[str, Any] = field(default_factory=dict)
    owner: str | None = None


# --- set-up ------------------------------------------------------------------------------------------


def open_case(app: App, actor: str, now: datetime, new: NewCase) -> dict[str, Any]:
    """Register a complaint: a case with three tracks in their initial states, its timers and letters."""
    with app.db.write() as session:
        user = _user(session, actor)
        _require_acting(user)
        workflow = app.registry.latest(session, new.case_type)
        owner = _user(session, new.owner) if new.owner else user
        for label, value in (
            ("hyresgäst", new.tenant),
            ("adress", new.address),
            ("lägenhet", new.apartment),
        ):
            if not (value or "").strip():
                raise InvalidInput(f"Ange {label} för ärendet.")
        case = Case(
            ref=_next_ref(session, workflow.ref_prefix, local_day(now, app.zone).year),
            case_type=workflow.id,
            workflow_version=workflow.version,
            status="open",
            owner_id=owner.id,
            team=owner.team,
            tenant_name=new.tenant.strip(),
            co_tenants=new.co_tenants,
            address=new.address.strip(),
            postal_code=new.postal_code,
            city=new.city,
            apartment=new.apartment.strip(),
            municipality=new.municipality,
            contract=new.contract,
            facts=_json_facts(new.facts),
            opened_at=now,
            updated_at=now,
            last_event_at=now,
            version=1,
        )
        session.add(case)
        session.flush()
        for name, track in workflow.tracks.items():
            session.add(CaseTrack(case_id=case.id, track=name, state=track.initial, since=now))
        for name, protected, *rest in new.complainants:
            address = rest[0] if rest else None
            session.add(
                Complainant(case_id=case.id, name=name, protected=protected, address=address)
            )
        session.add(
            JournalEntry(
                case_id=case.id,
                at=now,
                actor=user.username,
                event="case_opened",
                params={"type": workflow.id, "version": workflow.version},
            )
        )
        session.flush()
        session.refresh(case, ["tracks"])
        app.engine.start_case(session, case, workflow, user, now)
        session.flush()
        return case_document(session, app.engine, case, user, now)


def show_case(app: App, actor: str, now: datetime, ref: str) -> dict[str, Any]:
    with app.db.read() as session:
        user = _user(session, actor)
        return case_document(session, app.engine, _case(session, ref), user, now)


def list_cases(
    app: App,
    actor: str,
    now: datetime,
    *,
    open_only: bool = False,
    mine: bool = False,
    overdue: bool = False,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """A worklist row per case: reference, tenant, states and the next pending deadline."""
    from storning.worklist import worklist

    with app.db.read() as session:
        user = _user(session, actor)
        return worklist(
            session,
            app.engine,
            user,
            now,
            open_only=open_only,
            mine=mine,
            overdue=overdue,
            limit=limit,
        )


def fire_event(
    app: App,
    actor: str,
    now: datetime,
    ref: str,
    event: str,
    *,
    track: str | None = None,
    params: dict[str, Any] | None = None,
    reason: str | None = None,
    override: str | None = None,
    expected_version: int | None = None,
    document: bool = True,
) -> dict[str, Any]:
    """Fire an officer's event; `expected_version` (from a form) refuses a stale edit.

    Returns the case document, or `{}` with `document=False` (scripts and benchmarks that don't read it).
    """
    return _change(
        app,
        actor,
        now,
        ref,
        expected_version,
        lambda s, case, user: app.engine.fire(
            s,
            case,
            _resolve_track(app, s, case, event, track),
            event,
            actor=user,
            now=now,
            params=params,
            reason=reason,
            override=override,
        ),
        document=document,
    )


def add_incident(
    app: App,
    actor: str,
    now: datetime,
    ref: str,
    *,
    at: datetime,
    kind: str,
    text: str,
    verified_by: str | None = None,
    reporter: str | None = None,
    place: str | None = None,
    expected_version: int | None = None,
    document: bool = True,
) -> dict[str, Any]:
    """Record an incident on the case and offer `incident_recorded` to every track."""
    if kind not in INCIDENT_KINDS:
        raise InvalidInput(f"Okänd händelsetyp '{kind}'; välj en av {', '.join(INCIDENT_KINDS)}.")
    if verified_by is not None and verified_by not in VERIFICATION:
        raise InvalidInput(
            f"Okänd verifiering '{verified_by}'; välj en av {', '.join(VERIFICATION)}."
        )
    if not text.strip():
        raise InvalidInput("Beskriv händelsen (--text).")

    def record(session: Session, case: Case, user: User) -> None:
        values = {
            "case_id": case.id,
            "at": at,
            "kind": kind,
            "text": text.strip(),
            "place": place,
            "verified_by": verified_by,
            "reporter": reporter,
            "recorded_at": now,
            "recorded_by": user.username,
        }
        # A prepared Core insert (incidents arrive in bulk from the störningsjour); the guards see a
        # transient copy of the row.
        incident = Incident(
            id=session.connection().execute(_INSERT_INCIDENT, values).scalar_one(), **values
        )
        entry = _record(
            session,
            case,
            user,
            now,
            "incident_added",
            {"incident_id": incident.id, "kind": kind, "at": at.isoformat()},
        )
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

    return _change(app, actor, now, ref, expected_version, record, document=document)


# --- letters -----------------------------------------------------------------------------------------


def _resolve_track(app: App, session: Session, case: Case, event: str, track: str | None) -> str:
    if track is not None:
        return track
    workflow = app.engine.workflow_of(session, case)
    having = [
        name
        for name, t in workflow.tracks.items()
        if any(x.event == event and not x.system for x in t.transitions)
    ]
    if not having:
        raise NotFound(f"Ärendetypen {case.case_type} har ingen händelse '{event}'.")
    if len(having) == 1:
        return having[0]
    ready = [
        n
        for n in having
        if any(t.event == event for t in workflow.tracks[n].events_from(case.track_state(n).state))
    ]
    if len(ready) == 1:
        return ready[0]
    raise InvalidInput(
        f"Händelsen '{event}' finns i flera spår ({', '.join(having)}); ange --track."
    )


def _next_ref(session: Session, prefix: str, year: int) -> str:
    counter = session.get(CaseCounter, (prefix, year), with_for_update=True)
    if counter is None:
        counter = CaseCounter(prefix=prefix, year=year, last=0)
        session.add(counter)
    counter.last += 1
    return f"{prefix}-{year}-{counter.last:04d}"


def _json_facts(facts: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (
            v.isoformat()
            if isinstance(v, date | datetime)
            else str(v)
            if not isinstance(v, bool | int | str | list)
            else v
        )
        for k, v in facts.items()
        if v is not None
    }


def count_cases(session: Session) -> int:
    return session.scalar(select(func.count(Case.id))) or 0


def reassign_case(
    app: App,
    actor: str,
    now: datetime,
    ref: str,
    new_owner: str,
    *,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Give the case to another officer: the team follows the owner, pending reminders go to the new
    owner, and the journal records who moved it from whom. Who may do this is the caller's rule."""

    def move(session: Session, case: Case, user: User) -> None:
        target = _user_or_none(session, new_owner)
        if target is None or not target.active:
            raise NotFound(f"Okänd handläggare '{new_owner}'.")
        before = case.owner.username
        case.owner, case.owner_id, case.team = target, target.id, target.team
        session.execute(
            update(Timer)
            .where(Timer.case_id == case.id, Timer.status == "pending")
            .values(owner_id=target.id)
        )
        _record(
            session, case, user, now, "case_reassigned", {"from": before, "to": target.username}
        )

    return _change(app, actor, now, ref, expected_version, move)


EDITABLE_FIELDS = (
    "tenant_name",
    "address",
    "postal_code",
    "city",
    "apartment",
    "municipality",
    "contract",
)


def update_case(
    app: App,
    actor: str,
    now: datetime,
    ref: str,
    changes: dict[str, str],
    *,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Correct or complete the case's tenant and flat details (letters need postal code, city and the
    municipality); the journal records old and new values. Letters already issued keep their data."""
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidInput(
            f"Kan inte ändra {', '.join(unknown)}; ändringsbara: {', '.join(EDITABLE_FIELDS)}."
        )

    def edit(session: Session, case: Case, user: User) -> None:
        before = {name: getattr(case, name) for name in changes}
        for name, value in changes.items():
            if name in {"tenant_name", "address", "apartment"} and not value.strip():
                raise InvalidInput(f"Fältet {name} får inte vara tomt.")
            setattr(case, name, value.strip() or None)
        _record(session, case, user, now, "case_updated", {"before": before, "after": changes})

    return _change(app, actor, now, ref, expected_version, edit)
