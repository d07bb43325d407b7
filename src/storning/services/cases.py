"""Use cases on cases: open, show, list, fire an event, record an incident."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from storning import access, household, validation
from storning.access import principal_of
from storning.app import App
from storning.clock import local_day, parse_day
from storning.definitions.model import Workflow
from storning.errors import GuardBlocked, InvalidInput, NotFound, PermissionDenied, cli
from storning.journal import append_journal
from storning.services import case_outcome
from storning.services.common import (
    Need,
    _actor,
    _change,
    _record,
    _user_or_none,
    document_for,
    refuse,
    scope_of,
    unit,
    viewing_case,
)
from storning.services.complainants import ComplainantDetails, as_details
from storning.services.complainants import checked as checked_complainant
from storning.services.rounds import refresh_rounds
from storning.store.cases import refresh_next_due
from storning.store.conflicts import insert_if_new
from storning.store.models import (
    Case,
    CaseCounter,
    CaseTrack,
    Complainant,
    Incident,
    Timer,
    User,
    table,
)

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
    # each ComplainantDetails, or (name, protected[, postal address with one line per row])
    complainants: Sequence[ComplainantDetails | tuple[str, bool] | tuple[str, bool, str | None]] = (
        field(default_factory=list)
    )
    facts: dict[str, Any] = field(default_factory=dict)
    owner: str | None = None
    # the tenant's, for the application to Kronofogden (checked, stored as ÅÅÅÅMMDD-NNNN, shown masked)
    personnummer: str | None = None
    # issue 14: where the complaint came from (vocabulary.COMPLAINT_SOURCES) and the number of
    # children in the household (a count, never names; None: unknown)
    source: str | None = None
    children: int | str | None = None
    # issue 16: what is not given is filled from the tenancy register by `contract`
    fill_from_register: bool = False


# --- set-up ------------------------------------------------------------------------------------------


def open_case(
    app: App,
    actor: str,
    now: datetime,
    new: NewCase,
    *,
    then: Callable[[Session, Case, User], None] | None = None,
) -> dict[str, Any]:
    """Register a complaint: a case with three tracks in their initial states, its timers and letters.
    The actor opens it for themself, or (a chef for the team, an admin for anyone) for `new.owner`.
    `then` does more to the new case in the same transaction (an intake item attached to it): if it
    refuses, no case is opened."""
    today = local_day(now, app.zone)
    register_note = None
    if new.fill_from_register:  # issue 16
        from storning.services.register import filled_case

        new, register_note = filled_case(app, actor, now, new)
    facts = _checked_facts(new, today)
    details = _checked_details(new, today)
    details["personnummer"] = validation.personnummer(new.personnummer, today)
    details["source"] = case_outcome.checked_source(new.source)
    details["children"] = case_outcome.checked_children(new.children)
    complainants = [checked_complainant(as_details(c)) for c in new.complainants]
    with unit(app) as session:
        user = _actor(app, session, actor)
        principal = principal_of(user)
        owner = user
        if new.owner and new.owner != user.username:
            found = _user_or_none(session, new.owner)
            if found is None or not found.active:
                raise NotFound(f"Okänd handläggare '{new.owner}'.")
            owner = found
        if not access.can_open_for(principal, principal_of(owner)):
            message = (
                f"Användaren {user.username} får bara läsa ärenden."
                if owner is user
                else f"Du får inte öppna ärenden med {owner.username} som handläggare."
            )
            raise refuse(PermissionDenied(message), user.username, None, "case_open")
        workflow = app.registry.latest(session, new.case_type)
        case = Case(
            ref=_next_ref(session, workflow.ref_prefix, local_day(now, app.zone).year),
            case_type=workflow.id,
            workflow_version=workflow.version,
            status="open",
            owner_id=owner.id,
            team=owner.team,
            co_tenants=details.pop("co_tenants"),
            facts=facts,
            opened_at=now,
            updated_at=now,
            last_event_at=now,
            version=1,
            **details,
        )
        session.add(case)
        session.flush()
        for name, track in workflow.tracks.items():
            session.add(CaseTrack(case_id=case.id, track=name, state=track.initial, since=now))
        for complainant in complainants:
            session.add(Complainant(case_id=case.id, **complainant.__dict__))
        append_journal(
            session,
            case.id,
            now,
            user.username,
            "case_opened",
            params={
                "type": workflow.id,
                "version": workflow.version,
                # a code and a count, never names (issue 14); only when given
                **{k: details[k] for k in ("source", "children") if details[k] is not None},
            },
        )
        session.flush()
        session.refresh(case, ["tracks", "owner"])
        app.engine.start_case(session, case, workflow, user, now)
        session.flush()
        if then is not None:
            then(session, case, user)
            session.flush()
            refresh_next_due(session, [case.id])
        document = document_for(app, session, case, user, principal, now)
        if register_note is not None:
            document["register"] = register_note
        return document


# Facts a case type cannot be opened without (the forfeiture timer counts from the due date).
REQUIRED_FACTS = {"hyresskuld": {"due_date": "förfallodag", "amount": "obetalt belopp"}}


def _checked_details(new: NewCase, today: date) -> dict[str, Any]:
    """The case's tenant and flat columns, checked by the one set of field rules."""
    return {
        "tenant_name": validation.text("tenant", new.tenant, required=True),
        "address": validation.text("address", new.address, required=True),
        "apartment": validation.text("apartment", new.apartment, required=True),
        "postal_code": validation.postal_code(new.postal_code),
        "city": validation.text("city", new.city),
        "municipality": validation.text("municipality", new.municipality),
        "contract": validation.text("contract", new.contract),
        # each a contract holder: "Namn" or "Namn, ÅÅÅÅMMDD-NNNN" (household.parse_co_tenants)
        "co_tenants": household.parse_co_tenants(new.co_tenants, today, tenant=new.tenant),
    }


def _checked_facts(new: NewCase, today: date) -> dict[str, Any]:
    """The facts a case type is opened with (a rent debt: due date and amount), checked."""
    facts = {k: v for k, v in new.facts.items() if v not in (None, "")}
    missing = [
        label for name, label in REQUIRED_FACTS.get(new.case_type, {}).items() if name not in facts
    ]
    if missing:
        raise InvalidInput(
            f"Ett {new.case_type}särende kräver {' och '.join(missing)}; fyll i "
            f"{' och '.join(missing)}."
        )
    if "amount" in facts:
        facts["amount"] = str(validation.amount(facts["amount"]))
    if "due_date" in facts:
        due = parse_day(str(facts["due_date"]))
        if due > today:
            raise InvalidInput(
                f"Förfallodagen {due} ligger i framtiden; en hyresskuld gäller hyra som redan "
                "skulle ha betalats."
            )
        facts["due_date"] = due.isoformat()
    return _json_facts(facts)


def show_case(app: App, actor: str, now: datetime, ref: str) -> dict[str, Any]:
    """The case document as the actor may see it; the read is written to the access log."""
    with viewing_case(app, actor, now, ref) as viewed:
        document = viewed.document
    return document


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
    work, need = fire_change(
        app, now, event, track=track, params=params, reason=reason, override=override
    )
    return _change(
        app, actor, now, ref, expected_version, work, document=document, need=need, action="fire"
    )


def fire_change(
    app: App,
    now: datetime,
    event: str,
    *,
    track: str | None,
    params: dict[str, Any] | None,
    reason: str | None,
    override: str | None,
) -> tuple[Callable[[Session, Case, User], None], Need]:
    """An officer's event as a change for `_change`, with its texts checked, and what the actor
    needs to make it (to act, or to override). `fire_event` commits it; `services.preview` makes
    it and rolls it back."""
    reason = validation.text("reason", reason)
    override = validation.text("override", override)
    if params:
        params = {
            name: validation.text("param", value) if isinstance(value, str) else value
            for name, value in params.items()
        }

    def work(session: Session, case: Case, user: User) -> None:
        _fire_checked(app, session, case, user, now, event, track, params, reason, override)

    return work, "override" if override else "act"


def _fire_checked(
    app: App,
    session: Session,
    case: Case,
    user: User,
    now: datetime,
    event: str,
    track: str | None,
    params: dict[str, Any] | None,
    reason: str | None,
    override: str | None,
) -> None:
    """Fire the officer's event, refusing first one whose letters lack a detail of the case (a letter
    must always be producible: the refusal names what to complete)."""
    from storning.services.gaps import gap_for_event

    name = _resolve_track(app, session, case, event, track)
    # issue 14: closing the case records its outcome (a service rule, not a workflow param: it holds
    # for cases of every workflow version)
    params, outcome = case_outcome.take_outcome(event, name, params)
    workflow = app.engine.workflow_of(session, case)
    gap = gap_for_event(workflow, case, name, event, app.settings.letters_dir)
    try:
        app.engine.fire(
            session,
            case,
            name,
            event,
            actor=user,
            now=now,
            params=params,
            reason=reason,
            override=override,
        )
    except GuardBlocked as blocked:
        if gap is None:
            raise
        raise GuardBlocked(event, [*blocked.reasons, gap], blocked.label) from None
    if gap is not None:  # the whole change rolls back: no letter is drafted that cannot be produced
        raise GuardBlocked(event, [gap], workflow.tracks[name].event_label(event))
    case_outcome.set_outcome(session, case, user, now, event, outcome)


# --- letters -----------------------------------------------------------------------------------------


def _resolve_track(app: App, session: Session, case: Case, event: str, track: str | None) -> str:
    if track is not None:
        return track
    workflow = app.engine.workflow_of(session, case)
    having = _tracks_with(workflow, event)
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
        f"Händelsen '{event}' finns i flera spår ({', '.join(having)}); ange spåret{cli(' med --track')}."
    )


# (workflow id, event) -> (the workflow, its tracks where an officer may fire the event): every step
# asks, and a workflow's definition never changes once loaded (the workflow is kept to rule out a
# reused id).
_TRACKS_WITH: dict[tuple[int, str], tuple[Workflow, tuple[str, ...]]] = {}


def _tracks_with(workflow: Workflow, event: str) -> tuple[str, ...]:
    known = _TRACKS_WITH.get((id(workflow), event))
    if known is not None and known[0] is workflow:
        return known[1]
    having = tuple(
        name
        for name, t in workflow.tracks.items()
        if any(x.event == event and not x.system for x in t.transitions)
    )
    if len(_TRACKS_WITH) >= 1024:  # workflows reloaded many times over (tests): start again
        _TRACKS_WITH.clear()
    _TRACKS_WITH[(id(workflow), event)] = (workflow, having)
    return having


def _next_ref(session: Session, prefix: str, year: int) -> str:
    counter = session.get(CaseCounter, (prefix, year), with_for_update=True)
    if counter is None:
        # The year's first case. Two officers may open one at once (on PostgreSQL; SQLite's writer
        # holds the only write lock): the row is made once, and the second waits for the first's
        # transaction, then counts on from it, as for every later case.
        dialect = session.get_bind().dialect.name
        session.execute(
            insert_if_new(CaseCounter, dialect).values(prefix=prefix, year=year, last=0)
        )
        counter = session.get(
            CaseCounter, (prefix, year), with_for_update=True, populate_existing=True
        )
        assert counter is not None
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
    owner, and the journal records who moved it from whom: a chef within the team, an admin to any
    acting officer (`access.can_reassign`)."""

    def move(session: Session, case: Case, user: User) -> None:
        target = _user_or_none(session, new_owner)
        if target is None or not target.active:
            raise NotFound(f"Okänd handläggare '{new_owner}'.")
        if not access.can_reassign(principal_of(user), scope_of(case), principal_of(target)):
            raise refuse(
                PermissionDenied(
                    "Du får bara flytta ärenden inom ditt team, och bara om du är chef."
                ),
                user.username,
                case.id,
                "reassign",
            )
        before = case.owner.username
        case.owner, case.owner_id, case.team = target, target.id, target.team
        # the timers that are (or may still be) something to do follow the case: a sent reminder
        # whose task is open lists for its case's owner (`due.open_item`, `worklist`)
        session.execute(
            update(Timer)
            .where(Timer.case_id == case.id, Timer.status.in_(("pending", "fired")))
            .values(owner_id=target.id)
        )
        _record(
            session, case, user, now, "case_reassigned", {"from": before, "to": target.username}
        )

    return _change(app, actor, now, ref, expected_version, move, action="reassign")


_FIELD_RULE = {"tenant_name": "tenant"}


def _loggable(name: str, value: Any) -> Any:
    """A changed detail as the journal keeps it: every personnummer masked."""
    if name == "personnummer":
        return validation.masked_personnummer(value)
    if name == "co_tenants":
        return [
            {"name": n, "personnummer": validation.masked_personnummer(p)}
            for n, p in map(household.co_tenant, value or [])
        ]
    return value


EDITABLE_FIELDS = (
    "tenant_name",
    "address",
    "postal_code",
    "city",
    "apartment",
    "municipality",
    "contract",
    "personnummer",
    "co_tenants",
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
    municipality); the journal records old and new values. Letters already issued keep their data.
    A personnummer given back in its masked form (ÅÅÅÅMMDD-****, as a form shows it) is left as it is."""
    if not changes:
        raise InvalidInput("Ange minst en uppgift att ändra.")
    if validation.is_masked_personnummer(changes.get("personnummer")):
        changes = {k: v for k, v in changes.items() if k != "personnummer"}
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidInput(
            f"Kan inte ändra {', '.join(unknown)}; ändringsbara: {', '.join(EDITABLE_FIELDS)}."
        )

    checked: dict[str, Any] = {
        name: validation.text(
            _FIELD_RULE.get(name, name),
            value,
            required=name in {"tenant_name", "address", "apartment"},
        )
        for name, value in changes.items()
        if name not in ("personnummer", "co_tenants")
    }
    if "postal_code" in checked:
        checked["postal_code"] = validation.postal_code(checked["postal_code"])
    if "personnummer" in changes:
        checked["personnummer"] = validation.personnummer(
            changes["personnummer"], local_day(now, app.zone)
        )

    def edit(session: Session, case: Case, user: User) -> None:
        if "co_tenants" in changes or "tenant_name" in checked:
            # one a line, "Namn" or "Namn, ÅÅÅÅMMDD-NNNN"; a masked number keeps the stored one;
            # every holder's name is their own (checked again when the tenant's name changes)
            lines = (
                str(changes["co_tenants"] or "").splitlines()
                if "co_tenants" in changes
                else household.co_tenant_lines(case)
            )
            parsed = household.parse_co_tenants(
                lines,
                local_day(now, app.zone),
                case.co_tenants,
                tenant=checked.get("tenant_name", case.tenant_name),
            )
            if "co_tenants" in changes:
                checked["co_tenants"] = parsed
        before = {name: getattr(case, name) for name in checked}
        for name, value in checked.items():
            setattr(case, name, value)
        if "co_tenants" in checked or "tenant_name" in checked:
            refresh_rounds(app, session, case)  # who still lacks their letter, by the new list
        # the journal is listed and exported: it keeps personnummer masked, never in full
        logged = {
            side: {n: _loggable(n, v) for n, v in values.items()}
            for side, values in (("before", before), ("after", checked))
        }
        _record(session, case, user, now, "case_updated", logged)

    return _change(app, actor, now, ref, expected_version, edit, action="case_update")
