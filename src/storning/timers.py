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

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.orm import Session

from storning.calendar import Period, SwedishCalendar, parse_period
from storning.clock import at_local, start_of_next_day
from storning.context import EventContext
from storning.definitions.schema import TimerDef
from storning.errors import InvalidInput
from storning.store.models import Case, Timer

REMINDER_TIME = time(7, 0)


class TimerBook:
    """Starting and cancelling timer rows; firing them is `run_due` in storning.worklist/timers runner."""

    def __init__(self, zone: ZoneInfo, calendar: SwedishCalendar) -> None:
        self.zone = zone
        self.calendar = calendar

    def start_state_timers(self, ctx: EventContext, state: str) -> None:
        for name in ctx.track.states[state].timers:
            self.start(ctx, name)

    def start(self, ctx: EventContext, name: str) -> None:
        definition = ctx.track.timers[name]
        start = self._start_day(ctx, name, definition)
        due_on = self.calendar.due(start, parse_period(definition.after), definition.calendar)
        if definition.deadline_fact:
            ctx.set_fact(definition.deadline_fact, due_on)
        state = ctx.case.track_state(ctx.track.name).state
        for kind, day, due_at, recipients in self._rows(definition, due_on):
            if day < ctx.today and kind == "before":
                continue  # a warning for a day already past would only be noise
            ctx.session.add(
                Timer(
                    case_id=ctx.case.id,
                    track=ctx.track.name,
                    name=name,
                    label=definition.label,
                    kind=kind,
                    fires=definition.fires if kind == "fires" else None,
                    recipients=recipients,
                    scope=definition.scope,
                    scope_state=state if definition.scope == "state" else None,
                    due_on=day,
                    due_at=due_at,
                    every=definition.every if kind != "before" else None,
                    status="pending",
                    created_at=ctx.now,
                    owner_id=ctx.case.owner_id,
                )
            )

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
            day = self.days_before(due_on, parse_period(text))
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
        query = update(Timer).where(
            Timer.case_id == ctx.case.id, Timer.track == ctx.track.name, Timer.status == "pending"
        )
        if name is not None:
            query = query.where(Timer.name == name)
        ctx.session.execute(query.values(status="cancelled"))

    def cancel_state_timers(self, ctx: EventContext, state: str) -> None:
        ctx.session.execute(
            update(Timer)
            .where(
                Timer.case_id == ctx.case.id,
                Timer.track == ctx.track.name,
                Timer.scope == "state",
                Timer.scope_state == state,
                Timer.status == "pending",
            )
            .values(status="cancelled")
        )

    def cancel_all(self, session: Session, case: Case) -> None:
        session.execute(
            update(Timer)
            .where(Timer.case_id == case.id, Timer.status == "pending")
            .values(status="cancelled")
        )
