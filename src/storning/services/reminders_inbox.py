"""The person's own reminders (Påminnelser): the in-app rows of the outbox, grouped by task.

A reminder written by a timer names its timer in its `dedupe_key` (`timer:<id>:<user>:<channel>`); all
reminders of one task of one case (the reminders before a deadline, the deadline itself, its
escalation, every repeat of a recurring reminder) form one group, shown once with how many there are
and the task's deadline. Other notices are grouped by case and subject. Marking a group read marks every
reminder in it; "mark all read" marks what the person has seen (up to the newest id on the page), so
a reminder that arrives meanwhile stays unread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from storning.access import CaseScope, Principal, can_read
from storning.app import App
from storning.clock import iso, local_day
from storning.errors import NotFound
from storning.services.common import log_access, unit
from storning.services.lists import principal
from storning.store.models import Case, Outbox, Timer, User
from storning.store.prepared import Prepared

LIMIT = 500
_TIMER_KEY = re.compile(r"timer:(\d+):")
_DEADLINE_KINDS = ("reminds", "fires")


@dataclass(frozen=True)
class _Row:
    id: int
    case_id: int | None
    subject: str
    created_at: datetime
    read: bool
    timer_id: int | None


def _user_id(session: Session, who: Principal) -> int:
    found = session.scalar(select(User.id).where(User.username == who.username))
    if found is None:
        raise NotFound(f"Okänd användare '{who.username}'.")
    return found


def _mine(user_id: Any) -> Any:
    """The user's in-app reminders (`user_id`: the id, or a bind parameter for it)."""
    return (Outbox.user_id == user_id) & (Outbox.channel == "inapp")


def unread_count(app: App, actor: str) -> int:
    """How many tasks (groups) have unread reminders, for the menu; 0 for an unknown user."""
    who = principal(app, actor)
    with app.db.read() as session:
        user_id = session.scalar(select(User.id).where(User.username == who.username))
        return 0 if user_id is None else unread_in(session, user_id)


def unread_in(session: Session, user_id: int) -> int:
    """`unread_count` of a user, in the caller's transaction."""
    rows = _rows(session, user_id, include_read=False)
    timers = _timers(session, {r.timer_id for r in rows if r.timer_id is not None})
    return len({_key(row, timers) for row in rows})


def inbox(
    app: App, actor: str, now: datetime, *, include_read: bool = False
) -> list[dict[str, Any]]:
    """The actor's reminders grouped by task: unread groups first, the nearest deadline first.

    Each group: `id` (its newest reminder, to mark the group read), `ids`, `count`, `unread`,
    `subject`, `label` (the newest reminder's kind and the task), `ref` (None for a notice about no case), `may_open` (whether the actor may
    still read the case), `tenant` (only then), `deadline` (ISO day or None), `overdue`, `latest`
    (the newest reminder's time). Logged as `reminder_list`."""
    who = principal(app, actor)
    today = local_day(now, app.zone)
    with unit(app) as session:
        user_id = _user_id(session, who)
        rows = _rows(session, user_id, include_read=include_read)
        timers = _timers(session, {r.timer_id for r in rows if r.timer_id is not None})
        groups: dict[tuple[Any, ...], list[_Row]] = {}
        for row in rows:
            groups.setdefault(_key(row, timers), []).append(row)
        cases = _cases(session, {r.case_id for r in rows if r.case_id is not None})
        deadlines = _deadlines(session, [t for t in timers.values()])
        result = [
            _group(who, members, timers, cases, deadlines, today, app)
            for members in groups.values()
        ]
        log_access(session, who.username, now, None, "reminder_list", f"{len(rows)} påminnelser")
    result.sort(key=lambda g: (g["unread"] == 0, g["deadline"] or "9999", -g["id"]))
    return result


def _rows_query(*, include_read: bool) -> Any:
    query = select(
        Outbox.id,
        Outbox.case_id,
        Outbox.subject,
        Outbox.created_at,
        Outbox.status,
        Outbox.dedupe_key,
    ).where(_mine(bindparam("user_id")))
    if not include_read:
        query = query.where(Outbox.status == "pending")
    return query.order_by(Outbox.id.desc()).limit(LIMIT)


# the menu asks for the unread ones on every page: prepared (store.prepared), as is the whole list
_ROWS = {flag: Prepared(_rows_query(include_read=flag)) for flag in (False, True)}


def _rows(session: Session, user_id: int, *, include_read: bool) -> list[_Row]:
    found = _ROWS[include_read].rows(session, {"user_id": user_id})
    return [
        _Row(rid, case_id, subject, created_at, status == "read", _timer_of(dedupe_key))
        for rid, case_id, subject, created_at, status, dedupe_key in found
    ]


def _timer_of(dedupe_key: str | None) -> int | None:
    found = _TIMER_KEY.match(dedupe_key or "")
    return int(found.group(1)) if found else None


def _timers(session: Session, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    query = select(Timer.id, Timer.case_id, Timer.track, Timer.name, Timer.label, Timer.due_on)
    return {t.id: t for t in session.execute(query.where(Timer.id.in_(ids)))}


def _key(row: _Row, timers: dict[int, Any]) -> tuple[Any, ...]:
    """The task a reminder belongs to: its timer's case, track and name, else its case and subject
    (without the kind of reminder and the day, should the timer be gone)."""
    timer = timers.get(row.timer_id) if row.timer_id is not None else None
    if timer is not None:
        return ("timer", timer.case_id, timer.track, timer.name)
    if row.timer_id is not None:
        return ("subject", row.case_id, _task_words(row.subject))
    return ("subject", row.case_id, row.subject)


def _task_words(subject: str) -> str:
    """ "Att göra: Ta första kontakt … – S-2026-0001 (senast 2026-03-09)" without the kind of
    reminder and the day, so that the repeats of one task count once."""
    text = subject.split(": ", 1)[-1]
    return re.sub(r"\s*\(senast [0-9-]+\)$", "", text)


def _cases(session: Session, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    query = (
        select(Case.id, Case.ref, Case.tenant_name, Case.team, User.username)
        .join(User, User.id == Case.owner_id)
        .where(Case.id.in_(ids))
    )
    return {c.id: c for c in session.execute(query)}


def _deadlines(session: Session, timers: list[Any]) -> dict[tuple[int, str, str], date]:
    """Each task's deadline: its pending deadline (the next one of a recurring task), else the
    latest one (the reminders before a deadline are due earlier than the deadline itself)."""
    if not timers:
        return {}
    wanted = {(t.case_id, t.track, t.name) for t in timers}
    query = select(Timer.case_id, Timer.track, Timer.name, Timer.status, Timer.due_on).where(
        Timer.case_id.in_({t.case_id for t in timers}), Timer.kind.in_(_DEADLINE_KINDS)
    )
    pending: dict[tuple[int, str, str], date] = {}
    latest: dict[tuple[int, str, str], date] = {}
    for case_id, track, name, status, due_on in session.execute(query):
        key = (case_id, track, name)
        if key not in wanted:
            continue
        latest[key] = max(latest.get(key, due_on), due_on)
        if status == "pending":
            pending[key] = min(pending.get(key, due_on), due_on)
    return {**latest, **pending}


def _group(
    who: Principal,
    members: list[_Row],
    timers: dict[int, Any],
    cases: dict[int, Any],
    deadlines: dict[tuple[int, str, str], date],
    today: date,
    app: App,
) -> dict[str, Any]:
    newest = members[0]  # rows come newest first
    timer = timers.get(newest.timer_id) if newest.timer_id is not None else None
    case = cases.get(newest.case_id) if newest.case_id is not None else None
    may_open = case is not None and can_read(who, CaseScope(case.username, case.team))
    deadline = deadlines.get((timer.case_id, timer.track, timer.name)) if timer else None
    unread = sum(1 for m in members if not m.read)
    return {
        "id": newest.id,
        "ids": [m.id for m in members],
        "count": len(members),
        "unread": unread,
        "read": unread == 0,
        "subject": newest.subject,
        "label": _title(newest.subject, timer.label) if timer is not None else newest.subject,
        "ref": case.ref if case is not None else None,
        "may_open": may_open,
        "tenant": case.tenant_name if case is not None and may_open else None,
        "deadline": deadline.isoformat() if deadline else None,
        "overdue": bool(deadline and deadline < today and unread),
        "latest": iso(newest.created_at, app.zone),
    }


def _title(subject: str, label: str) -> str:
    """ "Att göra: Ta första kontakt …": the newest reminder's kind (Påminnelse, Att göra, Frist
    passerad) with the task, without the case and the day the link and the deadline show."""
    kind, sep, _ = subject.partition(": ")
    return f"{kind}: {label}" if sep and len(kind) <= 30 else label


def mark_read(app: App, actor: str, now: datetime, reminder_id: int) -> int:
    """Mark the reminder and the other unread reminders of the same task read; returns how many."""
    who = principal(app, actor)
    with unit(app) as session:
        user_id = _user_id(session, who)
        rows = _rows(session, user_id, include_read=True)
        chosen = next((r for r in rows if r.id == reminder_id), None)
        if chosen is None:
            found = session.scalar(
                select(Outbox.id).where(_mine(user_id), Outbox.id == reminder_id)
            )
            if found is None:
                raise NotFound(f"Det finns ingen påminnelse {reminder_id} för dig.")
            ids = [reminder_id]  # older than the inbox shows: that one alone
        else:
            timers = _timers(session, {r.timer_id for r in rows if r.timer_id is not None})
            key = _key(chosen, timers)
            ids = [r.id for r in rows if not r.read and _key(r, timers) == key] or [chosen.id]
        return _set_read(session, user_id, ids)


def mark_all_read(app: App, actor: str, now: datetime, up_to: int | None = None) -> int:
    """Mark every unread reminder of the actor read (with `up_to`: those up to that id, the newest
    the person has seen); returns how many."""
    who = principal(app, actor)
    with unit(app) as session:
        user_id = _user_id(session, who)
        query = update(Outbox).where(_mine(user_id), Outbox.status == "pending")
        if up_to is not None:
            query = query.where(Outbox.id <= up_to)
        done = session.connection().execute(query.values(status="read")).rowcount
        return int(done or 0)


def _set_read(session: Session, user_id: int, ids: list[int]) -> int:
    if not ids:
        return 0
    done = (
        session.connection()
        .execute(
            update(Outbox)
            .where(_mine(user_id), Outbox.id.in_(ids), Outbox.status == "pending")
            .values(status="read")
        )
        .rowcount
    )
    return int(done or 0)


def newest_id(groups: list[dict[str, Any]]) -> int:
    """The newest reminder id among `groups` (0 when there is none): what "mark all" may mark."""
    return max((max(g["ids"]) for g in groups), default=0)
