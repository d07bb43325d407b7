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

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from storning.store.models import Complainant, Incident, JournalEntry, Letter, Timer, table

_INCIDENT = table(Incident)

# Oldest first; the id orders two incidents at the same minute as they were recorded.
_INCIDENTS = (
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

# An incident as read: a read-only row with the columns of `incidents` as attributes
# (id, at, ends_at, time_known, kind, text, place, verified_by, reporter, corrected_at, …).
IncidentRow = Row[Any]


def incidents_of(session: Session, case_id: int) -> list[IncidentRow]:
    """The case's incidents, oldest first (then in the order they were recorded)."""
    return list(session.connection().execute(_INCIDENTS, {"case_id": case_id}))


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


def journal_parents(session: Session, case_id: int) -> dict[int, int | None]:
    """Each of the case's journal entries and the entry that set it off (`caused_by`)."""
    return {entry: cause for entry, cause in session.execute(_PARENTS, {"case_id": case_id})}


__all__ = [
    "IncidentRow",
    "complainants_of",
    "incidents_of",
    "journal_parents",
    "letters_of",
    "timers_of",
]
