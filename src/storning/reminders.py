"""Firing reminder timers in bulk: a reminder changes no track state, so a whole claimed batch is
delivered with a handful of statements (journal rows, outbox rows, timer updates) in the batch's
transaction. The journal row's unique `timer_id` still guarantees that no reminder is delivered twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from storning.calendar import parse_period
from storning.clock import at_local
from storning.journal import append_journal_rows
from storning.notifications import choose_recipients, may_read, outbox_rows
from storning.runtime import Runtime
from storning.store.cases import refresh_next_due
from storning.store.models import Case, CaseTrack, Outbox, Timer, User, table

REMINDER_TIME = time(7, 0)
PREFIX = {"before": "Påminnelse", "reminds": "Att göra", "escalate": "Frist passerad"}
_CASES, _TRACKS, _USERS = table(Case), table(CaseTrack), table(User)
_TIMERS, _OUTBOX = table(Timer), table(Outbox)
_SET_TIMER = (
    update(_TIMERS)
    .where(_TIMERS.c.id == bindparam("b_id"))
    .values(status=bindparam("status"), fired_at=bindparam("fired_at"))
)
_TOUCH_CASE = (
    update(_CASES)
    .where(_CASES.c.id == bindparam("b_id"), _CASES.c.last_event_at < bindparam("now"))
    .values(last_event_at=bindparam("now"))
)


@dataclass(frozen=True)
class _Person:
    id: int
    email: str | None
    supervisor_id: int | None
    username: str
    roles: str
    team: str | None
    name: str

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)


def fire_reminders(
    app: Runtime, session: Session, timers: list[Any], now: datetime
) -> tuple[int, int, list[int]]:
    """Deliver every reminder in `timers` (already claimed); returns (fired, obsolete, deferred ids).

    A reminder whose case has a journal entry later than `now` is left pending (deferred): the journal
    is ordered, so it is delivered by a run whose time has caught up with the case."""
    if not timers:
        return 0, 0, []
    case_ids = {t.case_id for t in timers}
    conn = session.connection()
    cases = {
        r.id: r
        for r in conn.execute(
            select(
                _CASES.c.id,
                _CASES.c.status,
                _CASES.c.ref,
                _CASES.c.tenant_name,
                _CASES.c.address,
                _CASES.c.apartment,
                _CASES.c.owner_id,
                _CASES.c.team,
                _CASES.c.last_event_at,
            ).where(_CASES.c.id.in_(case_ids))
        )
    }
    states = {
        (r.case_id, r.track): r.state
        for r in conn.execute(
            select(_TRACKS.c.case_id, _TRACKS.c.track, _TRACKS.c.state).where(
                _TRACKS.c.case_id.in_(case_ids)
            )
        )
    }
    people = _people(session, {c.owner_id for c in cases.values()})
    journal, outbox, statuses, follow_ups = [], [], [], []
    deferred: list[int] = []
    for timer in timers:
        case = cases[timer.case_id]
        if case.last_event_at > now:
            deferred.append(timer.id)
            continue
        if case.status == "closed" or (
            timer.scope == "state" and states.get((timer.case_id, timer.track)) != timer.scope_state
        ):
            statuses.append({"b_id": timer.id, "status": "obsolete", "fired_at": None})
            continue
        subject = f"{PREFIX.get(timer.kind, 'Att göra')}: {timer.label} – {case.ref} (senast {timer.due_on.isoformat()})"
        body = (
            f"{subject}\n\nÄrende {case.ref}, {case.tenant_name}, {case.address} lgh {case.apartment}.\n"
            f"{app.settings.base_url}/arenden/{case.ref}\n"
        )
        owner = people[case.owner_id]
        boss = people.get(owner.supervisor_id) if owner.supervisor_id else None
        if boss is not None and not may_read(boss, owner.username, case.team):
            boss = (
                None  # a chef of another team gets nothing of the case: the owner is told instead
            )
        for person in choose_recipients(owner, boss, timer.recipients):
            outbox += outbox_rows(person, case.id, subject, body, now, f"timer:{timer.id}")
        journal.append(
            {
                "case_id": case.id,
                "at": now,
                "actor": "system",
                "track": None,
                "event": f"timer_{timer.kind}",
                "from_state": None,
                "to_state": None,
                "reason": None,
                "override": None,
                "overridden": None,
                "caused_by": None,
                "timer_id": timer.id,
                "params": {"timer": timer.name, "due_on": timer.due_on.isoformat()},
            }
        )
        statuses.append({"b_id": timer.id, "status": "fired", "fired_at": now})
        if timer.every:
            follow_ups.append(_next(app, timer, now))
    append_journal_rows(session, journal)
    if outbox:
        conn.execute(insert(_OUTBOX), outbox)
    if statuses:
        conn.execute(_SET_TIMER, statuses)
    if follow_ups:
        conn.execute(insert(_TIMERS), follow_ups)
    touched = sorted({j["case_id"] for j in journal})
    if touched:
        conn.execute(_TOUCH_CASE, [{"b_id": case_id, "now": now} for case_id in touched])
    # a sent (or obsolete) reminder may no longer be an open item, a follow-up may be the next one
    refresh_next_due(session, sorted({t.case_id for t in timers}))
    fired = sum(1 for s in statuses if s["status"] == "fired")
    return fired, len(statuses) - fired, deferred


_PERSON_COLUMNS = (
    _USERS.c.id,
    _USERS.c.email,
    _USERS.c.supervisor_id,
    _USERS.c.username,
    _USERS.c.roles,
    _USERS.c.team,
    _USERS.c.name,
)


def _people(session: Session, owner_ids: set[int]) -> dict[int, _Person]:
    query = select(*_PERSON_COLUMNS)
    rows = list(session.connection().execute(query.where(_USERS.c.id.in_(owner_ids))))
    people = {r.id: _Person(*r) for r in rows}
    bosses = {
        p.supervisor_id
        for p in people.values()
        if p.supervisor_id and p.supervisor_id not in people
    }
    if bosses:
        for r in session.connection().execute(query.where(_USERS.c.id.in_(bosses))):
            people[r.id] = _Person(*r)
    return people


def _next(app: Runtime, timer: Any, now: datetime) -> dict[str, Any]:
    due_on = app.engine.calendar.due(timer.due_on, parse_period(timer.every or ""), "working_days")
    return {
        "case_id": timer.case_id,
        "track": timer.track,
        "name": timer.name,
        "label": timer.label,
        "kind": timer.kind,
        "fires": timer.fires,
        "recipients": list(timer.recipients),
        "scope": timer.scope,
        "scope_state": timer.scope_state,
        "due_on": due_on,
        "due_at": at_local(due_on, REMINDER_TIME, app.zone),
        "every": timer.every,
        "status": "pending",
        "created_at": now,
        "fired_at": None,
        "owner_id": timer.owner_id,
    }
