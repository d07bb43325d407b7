"""What the lower modules need of the running application, as typing protocols.

`storning.app.App` composes the settings, the database, the workflow registry and the engine at the top;
the modules it is built from (timers, reminders, notifications, letters, jobs) receive it typed as a
`Runtime` and never import `storning.app`, so there is no import circle through the application object.
Only the attributes those modules actually use are declared here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from storning.calendar import SwedishCalendar
from storning.config import Settings
from storning.store.db import Database
from storning.store.models import Case, User


class EventFiring(Protocol):
    """The part of `storning.engine.Engine` that timers use: fire an event, count on the calendar."""

    @property
    def calendar(self) -> SwedishCalendar: ...

    def fire(
        self,
        session: Session,
        case: Case,
        track: str,
        event: str,
        *,
        actor: User,
        now: datetime,
        params: dict[str, Any] | None = None,
        reason: str | None = None,
        override: str | None = None,
        timer_id: int | None = None,
    ) -> list[int]: ...


class Runtime(Protocol):
    """The application as the lower modules see it (`storning.app.App` satisfies it)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def db(self) -> Database: ...

    @property
    def engine(self) -> EventFiring: ...

    @property
    def zone(self) -> ZoneInfo: ...
