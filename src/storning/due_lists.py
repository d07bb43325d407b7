"""What is due, for one officer: the open items (`due.open_item`) of the cases they own, overdue
first, up to the coming Sunday. The worklist's "Att göra" (`due_overview_in`, its three parts with
how many each has) and `storning timers due` (`due_items`) read them here; `due` defines the words and
`readmodel` the other lists."""

from __future__ import annotations

import heapq
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from storning.access import Principal
from storning.app import App
from storning.clock import local_day
from storning.due import open_item, week_end, when
from storning.readmodel import user_id_now
from storning.store.models import Case, Timer
from storning.store.prepared import Prepared

DUE_LIMIT = 200
# The statuses of a timer that is an open item (`open_item`): pending, or a reminder already sent.
OPEN_ITEM_STATUSES = ("pending", "fired")

# What is due for one owner, in one statement per timer status an open item may have (`me`, `last`
# and `status` bound): with the status fixed, the owner's index (owner, status, day) yields the rows
# in order and the statement stops at the limit. One statement with both statuses reads and sorts
# every item up to Sunday, thousands for a busy officer, to show the first 200.
_DUE_WHERE = (
    Timer.owner_id == bindparam("me"),  # a timer's owner is its case's: the index finds them
    Case.owner_id == bindparam("me"),
    Case.status == "open",
    Timer.due_on <= bindparam("last"),
    open_item(),
)
# The worklist runs these on every view (up to nine a view): prepared (store.prepared), each costs
# the driver call, not SQLAlchemy's statement machinery around it.
_DUE_ITEMS = Prepared(
    select(Timer.id, Timer.label, Timer.kind, Timer.track, Timer.due_on, Case.ref, Case.tenant_name)
    .join(Case, Case.id == Timer.case_id)
    .where(*_DUE_WHERE, Timer.status == bindparam("status"), Timer.due_on >= bindparam("first"))
    .order_by(Timer.due_on, Timer.id)
    .limit(bindparam("limit"))
)


class _DueRow(NamedTuple):
    """A row of `_DUE_ITEMS`."""

    id: int
    label: str
    kind: str
    track: str
    due_on: date
    ref: str
    tenant_name: str


# how many items a part has, counted up to DUE_COUNT_MOST, as many as `storning timers due` lists (a
# busy officer's thousands are read no further: counting 1,000 cost 4 ms of a worklist at 100,000
# cases), and only for a part whose first items fill the list
DUE_COUNT_MOST = DUE_LIMIT
_DUE_COUNT = Prepared(
    select(func.count()).select_from(
        select(Timer.id)
        .join(Case, Case.id == Timer.case_id)
        .where(
            *_DUE_WHERE, Timer.status.in_(OPEN_ITEM_STATUSES), Timer.due_on >= bindparam("first")
        )
        .limit(bindparam("most"))
        .subquery()
    )
)
DUE_PARTS = ("overdue", "today", "week")
_EARLIEST = date(1900, 1, 1)


def due_items(app: App, principal: Principal, now: datetime) -> list[dict[str, Any]]:
    """What the principal has to do on their own open cases up to `week_end`, overdue first, at most
    `DUE_LIMIT`: the open items (`open_item`) of the cases they own, the same cases and days as the
    worklist's "mine" with its next deadline and overdue filter."""
    today = local_day(now, app.zone)
    with app.db.read() as session:
        me = user_id_now(session, principal.username)
        rows = _due_rows(session, me, _EARLIEST, week_end(today), DUE_LIMIT)
    return [_due_item(row, today) for row in rows]


def due_overview_in(
    session: Session,
    app: App,
    principal: Principal,
    now: datetime,
    shown: int,
    *,
    me: int | None = None,
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, int]]:
    """The first `shown` items of each part of `due_items` (`DUE_PARTS`: overdue, today, the rest
    of the week), and how many each part has, up to DUE_COUNT_MOST, in the caller's transaction.
    `me`: the principal's id (`user_id_now`), when the caller has it."""
    today = local_day(now, app.zone)
    bounds = {
        "overdue": (_EARLIEST, today - timedelta(days=1)),
        "today": (today, today),
        "week": (today + timedelta(days=1), week_end(today)),
    }
    if me is None:
        me = user_id_now(session, principal.username)
    parts, counts = {}, {}
    for part, (first, end) in bounds.items():
        rows = _due_rows(session, me, first, end, shown)
        parts[part] = [_due_item(row, today) for row in rows]
        counts[part] = len(rows)
        if len(rows) == shown:  # the list is full: there may be more
            bound = {"me": me, "first": first, "last": end, "most": DUE_COUNT_MOST}
            counts[part] = _DUE_COUNT.scalar(session, bound)
    return parts, counts


def _due_rows(session: Session, me: int, first: date, last: date, limit: int) -> list[Any]:
    """The open items due from `first` to `last`, the nearest `limit` (one statement per status, so
    that each is read in the index's order and stops at the limit)."""
    if first > last:
        return []
    parts = [
        [
            _DueRow(*row)
            for row in _DUE_ITEMS.rows(
                session,
                {"me": me, "first": first, "last": last, "status": status, "limit": limit},
            )
        ]
        for status in OPEN_ITEM_STATUSES
    ]
    return list(heapq.merge(*parts, key=lambda row: (row.due_on, row.id)))[:limit]


def _due_item(row: Any, today: date) -> dict[str, Any]:
    return {
        "id": row.id,
        "ref": row.ref,
        "tenant": row.tenant_name,
        "label": row.label,
        "kind": row.kind,
        "track": row.track,
        "due_on": row.due_on.isoformat(),
        "when": when(row.due_on, today),
    }
