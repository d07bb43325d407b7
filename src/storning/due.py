"""What is due: the one definition of an open item, a case's next deadline, "overdue" and "this week"
(see `storning.readmodel` for how every list uses them). Plain expressions over the timer rows, with
no application object, so the worker's digest and the read model share them.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select

from storning.store.models import Case, CaseTrack, Timer

DUE_KINDS = ("reminds", "fires", "before")  # pending timers that are something to do

__all__ = ["DUE_KINDS", "next_due", "next_due_value", "open_item", "week_end", "when"]


def week_end(today: date) -> date:
    """The last day of "this week": the coming Sunday (today on a Sunday)."""
    return today + timedelta(days=6 - today.weekday())


def when(due: date, today: date) -> str:
    """Which part of the worklist an item or a case belongs to: overdue, today, this week or later."""
    if due < today:
        return "overdue"
    if due == today:
        return "today"
    return "week" if due <= week_end(today) else "later"


def open_item() -> ColumnElement[bool]:
    """The timer rows that are something to do: pending deadlines and reminders, and reminders
    already sent whose task is still open (the track is still in the state that started them)."""
    still_open = (
        select(CaseTrack.case_id)
        .where(
            CaseTrack.case_id == Timer.case_id,
            CaseTrack.track == Timer.track,
            CaseTrack.state == Timer.scope_state,
        )
        .exists()
    )
    return or_(
        and_(Timer.status == "pending", Timer.kind.in_(DUE_KINDS)),
        and_(Timer.status == "fired", Timer.kind == "reminds", Timer.scope == "state", still_open),
    )


def next_due_value() -> Any:
    """A case's next deadline: the earliest day of its open items (a subquery correlated to the
    case). Stored in `cases.next_due` by `store.cases.refresh_next_due`."""
    return (
        select(func.min(Timer.due_on))
        .where(Timer.case_id == Case.id, open_item())
        .correlate(Case)
        .scalar_subquery()
    )


def next_due() -> Any:
    """The same, computed, as a column labelled `next_due` (the invariant test compares the two)."""
    return next_due_value().label("next_due")
