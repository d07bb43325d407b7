"""The journal: append-only, in commit order per case, complete enough to replay (invariant 3).

This is the only module that inserts journal rows (invariant 10; a test scans the code). Every writer
dates its rows no earlier than the case's latest entry: the services and the engine refuse a `now` before
it (`Engine.check_clock`), and the timers leave a case's reminders pending until their run's time has
caught up with it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.orm import Session

from storning.definitions.model import Workflow
from storning.store.models import JournalEntry, table
from storning.store.prepared import Prepared

_JOURNAL_COLUMNS = (
    "case_id",
    "at",
    "actor",
    "track",
    "event",
    "from_state",
    "to_state",
    "reason",
    "override",
    "overridden",
    "params",
    "caused_by",
    "timer_id",
)
_INSERT_JOURNAL = Prepared(
    insert(table(JournalEntry)).returning(table(JournalEntry).c.id), _JOURNAL_COLUMNS
)


def append_journal(
    session: Session,
    case_id: int,
    at: datetime,
    actor: str,
    event: str,
    *,
    track: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    override: str | None = None,
    overridden: list[str] | None = None,
    params: dict[str, Any] | None = None,
    caused_by: int | None = None,
    timer_id: int | None = None,
) -> int:
    """Append one journal row and return its id: a prepared insert (`store.prepared`), not the unit of
    work (the row is append-only, its id is needed at once, and an event's statements cost more in
    Python than in the database)."""
    row = {
        "case_id": case_id,
        "at": at,
        "actor": actor,
        "track": track,
        "event": event,
        "from_state": from_state,
        "to_state": to_state,
        "reason": reason,
        "override": override,
        "overridden": overridden,
        "params": params,
        "caused_by": caused_by,
        "timer_id": timer_id,
    }
    return int(_INSERT_JOURNAL.scalar(session, row))


def append_journal_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append many journal rows at once (reminders fired in bulk); each row has every column of
    `append_journal` and is dated no earlier than its case's latest entry (the caller checks)."""
    if rows:
        session.connection().execute(insert(table(JournalEntry)), rows)


def erase_personal_fields(
    session: Session, case_id: int, tombstone: str, scrub: Callable[[Any], Any]
) -> int:
    """Gallring (issue 15), the one rewrite of journal rows there is: a case's rows keep their event,
    states, times and actor, while the free text of a reason or an override becomes `tombstone` and
    the params pass through `scrub`. Returns the number of rows changed."""
    journal = table(JournalEntry)
    rows = session.execute(
        select(journal.c.id, journal.c.reason, journal.c.override, journal.c.params).where(
            journal.c.case_id == case_id
        )
    ).all()
    changed = 0
    for row in rows:
        values = {
            "reason": None if row.reason is None else tombstone,
            "override": None if row.override is None else tombstone,
            "params": None if row.params is None else scrub(row.params),
        }
        if values != {"reason": row.reason, "override": row.override, "params": row.params}:
            session.execute(update(journal).where(journal.c.id == row.id).values(**values))
            changed += 1
    return changed


def replay_states(
    workflow: Workflow, entries: list[JournalEntry] | list[Row[Any]]
) -> dict[str, str]:
    """Rebuild every track's state from the journal alone; raise ValueError on any inconsistency."""
    states = {name: track.initial for name, track in workflow.tracks.items()}
    for entry in entries:
        if entry.track is None:
            continue
        track = workflow.tracks[entry.track]
        if entry.from_state != states[entry.track]:
            raise ValueError(
                f"journal {entry.id}: {entry.track} was {states[entry.track]}, not {entry.from_state}"
            )
        valid = any(
            (t.dest or entry.from_state) == entry.to_state
            for t in track.candidates(entry.event, entry.from_state)
        )
        if not valid:
            raise ValueError(
                f"journal {entry.id}: no transition {entry.event} {entry.from_state}->{entry.to_state}"
            )
        states[entry.track] = entry.to_state or entry.from_state
    return states


_JOURNAL = table(JournalEntry)
_JOURNAL_ROWS = Prepared(
    select(_JOURNAL).where(_JOURNAL.c.case_id == bindparam("case_id")).order_by(_JOURNAL.c.id)
)


def journal_rows(session: Session, case_id: int) -> list[Any]:
    """The case's journal entries in the order they were written, as read-only rows (named tuples:
    the case document, the compiled report). Flushed first: a Core read skips the ORM's autoflush."""
    session.flush()
    return _JOURNAL_ROWS.named_rows(session, {"case_id": case_id})
