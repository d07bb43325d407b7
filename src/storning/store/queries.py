"""The read queries of one case, inside a session that already holds the case: its incidents, letters,
complainants and timers. Every module that shows or decides on one case reads them here and nowhere
else: the case document (`presenters`), the engine's event context (`context`, for guards and effects),
the letters' data (`letters.context`) and the compiled report (`reports`).

This is the session-level half of the read model; the lists of many cases for a principal (worklist,
due items, search, people) are the other half, in `storning.readmodel` and `storning.due`. The Core
statements are built once at import and take the case id as a bound parameter.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from storning.store.models import (
    Complainant,
    DiaryLink,
    EvidenceFile,
    Incident,
    JournalEntry,
    Letter,
    Timer,
    table,
)
from storning.store.prepared import Prepared

_INCIDENT = table(Incident)

# Oldest first; the id orders two incidents at the same minute as they were recorded.
_INCIDENTS = Prepared(
    select(_INCIDENT)
    .where(_INCIDENT.c.case_id == bindparam("case_id"))
    .order_by(_INCIDENT.c.at, _INCIDENT.c.id)
)
_LETTERS = select(Letter).where(Letter.case_id == bindparam("case_id")).order_by(Letter.id)
_COMPLAINANTS = (
    select(Complainant).where(Complainant.case_id == bindparam("case_id")).order_by(Complainant.id)
)
_TIMERS = (
    select(Timer).where(Timer.case_id == bindparam("case_id")).order_by(Timer.due_at, Timer.id)
)
_PARENTS = select(JournalEntry.id, JournalEntry.caused_by).where(
    JournalEntry.case_id == bindparam("case_id")
)

# The same lists as read-only rows for the case document (`presenters`), which only reads them: no
# ORM objects to build and track per request, and a letter's PDF is not read to show its status.
_COMPLAINANT, _TIMER, _LETTER = table(Complainant), table(Timer), table(Letter)
_COMPLAINANT_ROWS = Prepared(
    select(_COMPLAINANT)
    .where(_COMPLAINANT.c.case_id == bindparam("case_id"))
    .order_by(_COMPLAINANT.c.id)
)
_TIMER_ROWS = Prepared(
    select(_TIMER)
    .where(_TIMER.c.case_id == bindparam("case_id"))
    .order_by(_TIMER.c.due_at, _TIMER.c.id)
)
_LETTER_ROWS = Prepared(
    select(*(column for column in _LETTER.c if column.key != "pdf"))
    .where(_LETTER.c.case_id == bindparam("case_id"))
    .order_by(_LETTER.c.id)
)

# Read-only rows of the case page's other lists (a Core read costs a fifth of an ORM one: no objects to
# build and track per request): the evidence files' metadata (never their bytes) and the complainants'
# diary links (the journal's: `journal.journal_rows`).
_EVIDENCE, _DIARY_LINK = table(EvidenceFile), table(DiaryLink)
_EVIDENCE_ROWS = Prepared(
    select(*(column for column in _EVIDENCE.c if column.key != "data"))
    .where(_EVIDENCE.c.case_id == bindparam("case_id"))
    .order_by(_EVIDENCE.c.id)
)
_DIARY_LINK_ROWS = Prepared(
    select(_DIARY_LINK)
    .where(_DIARY_LINK.c.case_id == bindparam("case_id"))
    .order_by(_DIARY_LINK.c.id.desc())
)

# An incident as read: a read-only row (a named tuple, `Prepared.named_rows`) with the columns of
# `incidents` as attributes (id, at, ends_at, time_known, kind, text, place, verified_by, reporter, …).
IncidentRow = Any


def incidents_of(session: Session, case_id: int) -> list[IncidentRow]:
    """The case's incidents, oldest first (then in the order they were recorded)."""
    return _INCIDENTS.named_rows(session, {"case_id": case_id})


def letters_of(session: Session, case_id: int, template: str | None = None) -> list[Letter]:
    """The case's letters in the order they were made, optionally only those of one template."""
    query = _LETTERS if template is None else _LETTERS.where(Letter.template == template)
    return list(session.scalars(query, {"case_id": case_id}))


def complainants_of(session: Session, case_id: int) -> list[Complainant]:
    """The case's complainants in the order they were added."""
    return list(session.scalars(_COMPLAINANTS, {"case_id": case_id}))


def timers_of(session: Session, case_id: int) -> list[Timer]:
    """Every timer of the case (pending, fired, cancelled), earliest due first."""
    return list(session.scalars(_TIMERS, {"case_id": case_id}))


def complainant_rows(session: Session, case_id: int) -> list[Any]:
    """`complainants_of` as read-only rows (the columns of `complainants` as attributes)."""
    return _rows(session, _COMPLAINANT_ROWS, case_id)


def timer_rows(session: Session, case_id: int) -> list[Any]:
    """`timers_of` as read-only rows (the columns of `timers` as attributes)."""
    return _rows(session, _TIMER_ROWS, case_id)


def letter_rows(session: Session, case_id: int) -> list[Any]:
    """`letters_of` as read-only rows: every column of `letters` but the PDF."""
    return _rows(session, _LETTER_ROWS, case_id)


def evidence_rows(session: Session, case_id: int) -> list[Any]:
    """The case's evidence files, oldest first: every column but the file's bytes."""
    return _rows(session, _EVIDENCE_ROWS, case_id)


def diary_link_rows(session: Session, case_id: int) -> list[Any]:
    """The case's diary links, newest first, as read-only rows."""
    return _rows(session, _DIARY_LINK_ROWS, case_id)


def _rows(session: Session, statement: Prepared, case_id: int) -> list[Any]:
    # Core reads skip the ORM's autoflush: flush first, so rows added in this transaction (an event's
    # letters and timers, before the document is returned) are read as the ORM would read them.
    session.flush()
    return statement.named_rows(session, {"case_id": case_id})


def journal_parents(session: Session, case_id: int) -> dict[int, int | None]:
    """Each of the case's journal entries and the entry that set it off (`caused_by`)."""
    return {entry: cause for entry, cause in session.execute(_PARENTS, {"case_id": case_id})}


__all__ = [
    "IncidentRow",
    "complainant_rows",
    "complainants_of",
    "diary_link_rows",
    "evidence_rows",
    "incidents_of",
    "journal_parents",
    "letter_rows",
    "letters_of",
    "timer_rows",
    "timers_of",
]
