"""Timers are rows (invariant 5): started and cancelled by the engine in the event's transaction.

A timer declared in the workflow becomes one or more rows:
- the deadline itself: `fires` an event at 00:00 the day after its last day (the period has run out), or
  `reminds` people at 07:00 on the day it is due;
- `before`: reminders N working days before the deadline, at 07:00;
- `escalate`: a notice to the supervisor at 00:00 after the last day if the timer is still pending then.
Scope `state` rows die when the track leaves the state that started them; scope `case` rows live until the
case closes. A recurring timer (`every`) schedules its next row when it fires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from storning.calendar import Period, SwedishCalendar, parse_period
from storning.clock import at_local, start_of_next_day
from storning.context import EventContext
from storning.definitions.schema import TimerDef
from storning.errors import InvalidInput
from storning.reminders import fire_reminders
from storning.runtime import Runtime
from storning.store.cases import load_case_by_id, save_case
from storning.store.models import Case, Timer, User, table
from storning.store.prepared import Prepared

REMINDER_TIME = time(7, 0)

# Prepared statements (`store.prepared`): timers are written on most events, and running a statement
# through the ordinary execute costs more than the database's work.
_TIMERS = table(Timer)
_TIMER_COLUMNS = (
    "case_id",
    "track",
    "name",
    "label",
    "kind",
    "fires",
    "recipients",
    "scope",
    "scope_state",
    "due_on",
    "due_at",
    "every",
    "status",
    "created_at",
    "fired_at",
    "owner_id",
)
_INSERT_TIMER = Prepared(insert(_TIMERS), _TIMER_COLUMNS)
_PENDING_OF_TRACK = (
    (_TIMERS.c.case_id == bindparam("b_case"))
    & (_TIMERS.c.track == bindparam("b_track"))
    & (_TIMERS.c.status == "pending")
)
_SET_STATUS = (
    update(_TIMERS)
    .where(_TIMERS.c.id == bindparam("b_id"))
    .values(status=bindparam("status"), fired_at=bindparam("fired_at"))
)
_CANCEL_TRACK = Prepared(update(_TIMERS).where(_PENDING_OF_TRACK).values(status="cancelled"))
_CANCEL_NAMED = Prepared(
    update(_TIMERS)
    .where(_PENDING_OF_TRACK, _TIMERS.c.name == bindparam("b_name"))
    .values(status="cancelled")
)
_CANCEL_STATE = Prepared(
    update(_TIMERS)
    .where(
        _PENDING_OF_TRACK, _TIMERS.c.scope == "state", _TIMERS.c.scope_state == bindparam("b_state")
    )
    .values(status="cancelled")
)


# A timer's period as written in the workflow ("15 working days"), read once: starting a timer is part
# of a hot step, and the texts are a handful per workflow.
_period = lru_cache(maxsize=256)(parse_period)


class TimerBook:
    """Starting and cancelling timer rows in the event's transaction; `run_due` (below) fires them."""

    def __init__(self, zone: ZoneInfo, calendar: SwedishCalendar) -> None:
        self.zone = zone
        self.calendar = calendar

    def start_state_timers(self, ctx: EventContext, state: str) -> None:
        """Every timer of the state, in one insert."""
        rows = [
            row for name in ctx.track.states[state].timers for row in self._start_rows(ctx, name)
        ]
        if rows:
            _INSERT_TIMER.run_each(ctx.session, rows)

    def start(self, ctx: EventContext, name: str) -> None:
        rows = self._start_rows(ctx, name)
        if rows:
            _INSERT_TIMER.run_each(ctx.session, rows)

    def _start_rows(self, ctx: EventContext, name: str) -> list[dict[str, object]]:
        """The rows of timer `name` started now (its deadline fact is set on the case)."""
        definition = ctx.track.timers[name]
        start = self._start_day(ctx, name, definition)
        due_on = self.calendar.due(start, _period(definition.after), definition.calendar)
        if definition.deadline_fact:
            ctx.set_fact(definition.deadline_fact, due_on)
        state = ctx.case.track_state(ctx.track.name).state
        return [
            self._row(
                ctx,
                name,
                definition.label,
                kind,
                day,
                due_at,
                recipients,
                fires=definition.fires if kind == "fires" else None,
                scope=definition.scope,
                scope_state=state if definition.scope == "state" else None,
                every=definition.every if kind != "before" else None,
            )
            for kind, day, due_at, recipients in self._rows(definition, due_on)
            if not (day < ctx.today and kind == "before")  # a warning for a past day is only noise
        ]

    @staticmethod
    def _row(
        ctx: EventContext,
        name: str,
        label: str,
        kind: str,
        day: date,
        due_at: datetime,
        recipients: list[str],
        *,
        fires: str | None,
        scope: str,
        scope_state: str | None,
        every: str | None,
    ) -> dict[str, object]:
        return {
            "case_id": ctx.case.id,
            "track": ctx.track.name,
            "name": name,
            "label": label,
            "kind": kind,
            "fires": fires,
            "recipients": recipients,
            "scope": scope,
            "scope_state": scope_state,
            "due_on": day,
            "due_at": due_at,
            "every": every,
            "status": "pending",
            "created_at": ctx.now,
            "fired_at": None,
            "owner_id": ctx.case.owner_id,
        }

    def start_reminder(self, ctx: EventContext, name: str, label: str, due_on: date) -> None:
        """A one-off, case-scoped reminder to the owner at 07:00 on `due_on` (e.g. an instalment)."""
        row = self._row(
            ctx,
            name,
            label,
            "reminds",
            due_on,
            at_local(due_on, REMINDER_TIME, self.zone),
            ["owner"],
            fires=None,
            scope="case",
            scope_state=None,
            every=None,
        )
        _INSERT_TIMER.run(ctx.session, row)

    def _start_day(self, ctx: EventContext, name: str, definition: TimerDef) -> date:
        if definition.start == "now":
            return ctx.today
        start = ctx.fact_date(definition.start)
        if start is None:
            raise InvalidInput(
                f"Timern '{name}' räknas från '{definition.start}', som inte är registrerat i ärendet."
            )
        return start

    def _rows(
        self, definition: TimerDef, due_on: date
    ) -> list[tuple[str, date, datetime, list[str]]]:
        rows: list[tuple[str, date, datetime, list[str]]] = []
        if definition.fires:
            rows.append(("fires", due_on, start_of_next_day(due_on, self.zone), []))
        if definition.reminds:
            rows.append(
                (
                    "reminds",
                    due_on,
                    at_local(due_on, REMINDER_TIME, self.zone),
                    list(definition.reminds),
                )
            )
        for text in definition.before:
            day = self.days_before(due_on, _period(text))
            rows.append(
                ("before", day, at_local(day, REMINDER_TIME, self.zone), list(definition.reminds))
            )
        if definition.escalate:
            rows.append(
                (
                    "escalate",
                    due_on,
                    start_of_next_day(due_on, self.zone),
                    list(definition.escalate),
                )
            )
        return rows

    def days_before(self, due_on: date, period: Period) -> date:
        """The day `period` before `due_on`; working days count back over working days only."""
        if period.unit != "working_days":
            return due_on - timedelta(days=period.count * (7 if period.unit == "weeks" else 1))
        day, left = due_on, period.count
        while left:
            day -= timedelta(days=1)
            if self.calendar.is_working_day(day):
                left -= 1
        return day

    def cancel(self, ctx: EventContext, name: str | None) -> None:
        if name is None:
            _CANCEL_TRACK.run(ctx.session, {"b_case": ctx.case.id, "b_track": ctx.track.name})
        else:
            _CANCEL_NAMED.run(
                ctx.session, {"b_case": ctx.case.id, "b_track": ctx.track.name, "b_name": name}
            )

    def cancel_state_timers(self, ctx: EventContext, state: str) -> None:
        if state not in ctx.track.states_with_scoped_timers:
            return
        _CANCEL_STATE.run(
            ctx.session, {"b_case": ctx.case.id, "b_track": ctx.track.name, "b_state": state}
        )

    def cancel_all(self, session: Session, case: Case) -> None:
        session.execute(
            update(Timer)
            .where(Timer.case_id == case.id, Timer.status == "pending")
            .values(status="cancelled")
        )


# --- firing ------------------------------------------------------------------------------------------

CLAIM_BATCH = 200


@dataclass
class RunResult:
    """What one `run_due` call did."""

    fired: int = 0
    obsolete: int = 0
    deferred: int = 0
    batches: int = 0

    def __iadd__(self, other: RunResult) -> RunResult:
        self.fired += other.fired
        self.obsolete += other.obsolete
        self.deferred += other.deferred
        self.batches += other.batches
        return self


def run_due(
    app: Runtime, now: datetime, *, batch_size: int = CLAIM_BATCH, max_batches: int | None = None
) -> RunResult:
    """Fire every timer due at `now`, a batch per transaction, until none is left (or `max_batches`).

    Several workers may run this at once: on PostgreSQL each claims its batch with
    `FOR UPDATE SKIP LOCKED`; on SQLite the write transaction (BEGIN IMMEDIATE) serialises them. Each
    timer fires inside a savepoint of the batch's transaction together with the event or reminder it
    causes, and its journal row carries `timer_id` (unique), so a timer can never fire twice.
    """
    total = RunResult()
    deferred: set[int] = set()  # left for a later run (their case has events after `now`)
    while max_batches is None or total.batches < max_batches:
        result = run_one_batch(app, now, batch_size, skip=deferred)
        total += result
        if result.batches == 0:
            break
    return total


def run_one_batch(
    app: Runtime, now: datetime, batch_size: int = CLAIM_BATCH, *, skip: set[int] | None = None
) -> RunResult:
    """Claim and fire one batch; `batches == 0` in the result means nothing was due. Ids of timers
    that had to be deferred are added to `skip`, so the next batch does not claim them again."""
    result = RunResult()
    skip = set() if skip is None else skip
    with app.db.write() as session:
        timers = _claim(session, now, batch_size, skip_locked=not app.db.is_sqlite, skip=skip)
        if not timers:
            return result
        result.batches = 1
        events = [t for t in timers if t.kind == "fires"]
        result.fired, result.obsolete, later = fire_reminders(
            app, session, [t for t in timers if t.kind != "fires"], now
        )
        result.deferred += len(later)
        skip.update(later)
        system = _system_user(session) if events else None
        for timer in sorted(events, key=lambda t: (t.case_id, t.due_at, t.id)):
            outcome = _fire_one(app, session, timer, system, now)  # type: ignore[arg-type]
            setattr(result, outcome, getattr(result, outcome) + 1)
            if outcome == "deferred":
                skip.add(timer.id)
    return result


def _claim(
    session: Session, now: datetime, limit: int, *, skip_locked: bool, skip: set[int]
) -> list[Any]:
    """Due pending timers as plain rows (read-only; their status is written with Core updates)."""
    query = (
        select(_TIMERS)
        .where(_TIMERS.c.status == "pending", _TIMERS.c.due_at <= now)
        .order_by(_TIMERS.c.due_at, _TIMERS.c.id)
        .limit(limit)
    )
    if skip:
        query = query.where(_TIMERS.c.id.not_in(skip))
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    return list(session.connection().execute(query))


def _fire_one(app: Runtime, session: Session, timer: Any, system: User, now: datetime) -> str:
    """Fire one claimed event timer in a savepoint with its event; 'fired', 'obsolete' or 'deferred'."""
    from storning.errors import ClockError, StorningError

    case = load_case_by_id(session, timer.case_id)
    assert case is not None
    if case.status == "closed" or (
        timer.scope == "state" and case.track_state(timer.track).state != timer.scope_state
    ):
        _set_status(session, timer.id, "obsolete", None)
        return "obsolete"
    try:
        with session.begin_nested():
            app.engine.fire(
                session,
                case,
                timer.track,
                timer.fires or "",
                actor=system,
                now=now,
                timer_id=timer.id,
            )
            _set_status(session, timer.id, "fired", now)
            save_case(session, case)
    except ClockError:
        return "deferred"  # the case has events later than this run's clock; a later run fires it
    except StorningError:
        _set_status(session, timer.id, "obsolete", None)  # e.g. a guard no longer holds: moved on
        return "obsolete"
    return "fired"


def _set_status(session: Session, timer_id: int, status: str, fired_at: datetime | None) -> None:
    session.connection().execute(
        _SET_STATUS, {"b_id": timer_id, "status": status, "fired_at": fired_at}
    )


def _system_user(session: Session) -> User:
    user = session.scalar(select(User).where(User.username == "system"))
    if user is None:
        raise RuntimeError("the system user is missing; run 'storning init'")
    return user
