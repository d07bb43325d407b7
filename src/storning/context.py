"""What a guard or an effect sees while an event is being fired: the case, the event, the clock.

Built by the engine; guards only read it, effects act through the `operations` the engine supplies, so
guards and effects stay small functions with no knowledge of transactions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from storning.store.models import Case, Complainant, Incident, Letter, User
from storning.store.queries import IncidentRow, complainants_of, incidents_of, letters_of

if TYPE_CHECKING:
    from storning.calendar import SwedishCalendar
    from storning.definitions.model import Track, Transition, Workflow


class Operations(Protocol):
    """What effects may ask the engine to do, inside the event's transaction."""

    def emit(self, ctx: EventContext, track: str, event: str) -> None: ...
    def start_timer(self, ctx: EventContext, name: str) -> None: ...
    def cancel_timers(self, ctx: EventContext, name: str | None) -> None: ...
    def create_letter(self, ctx: EventContext, template: str) -> None: ...
    def notify(self, ctx: EventContext, recipients: list[str], subject: str) -> None: ...
    def start_reminder(self, ctx: EventContext, name: str, label: str, due_on: date) -> None: ...


@dataclass
class EventContext:
    session: Session
    case: Case
    workflow: Workflow
    track: Track
    event: str
    actor: User
    now: datetime
    zone: ZoneInfo
    calendar: SwedishCalendar
    severe_kinds: frozenset[str]
    operations: Operations
    params: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    override: str | None = None
    transition: Transition | None = None
    journal_id: int | None = None
    incident: Incident | None = None

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    @property
    def facts(self) -> dict[str, Any]:
        return self.case.facts

    def fact_date(self, name: str) -> date | None:
        value = self.case.facts.get(name)
        return date.fromisoformat(value[:10]) if value else None

    def fact_instant(self, name: str) -> datetime | None:
        value = self.case.facts.get(name)
        if not value:
            return None
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=self.zone)

    def set_fact(self, name: str, value: Any) -> None:
        """Facts are JSON: dates as YYYY-MM-DD, instants as ISO 8601 with offset."""
        if isinstance(value, datetime):
            value = value.astimezone(self.zone).isoformat(timespec="seconds")
        elif isinstance(value, date):
            value = value.isoformat()
        facts = dict(self.case.facts)
        if value is None:
            facts.pop(name, None)
        else:
            facts[name] = value
        self.case.facts = facts

    def state_of(self, track: str) -> str:
        return self.case.track_state(track).state

    @cached_property
    def incidents(self) -> list[IncidentRow]:
        """The case's incidents, oldest first, as read-only rows (kind, at, verified_by, …)."""
        return incidents_of(self.session, self.case.id)

    @cached_property
    def complainants(self) -> list[Complainant]:
        return complainants_of(self.session, self.case.id)

    def letters(self, template: str | None = None) -> list[Letter]:
        return letters_of(self.session, self.case.id, template)
