"""The application object: settings, database, workflow registry and engine, built once per process.

This is the top of the composition: `App.create` builds the parts, and the modules they are built from
(engine, timers, reminders, notifications, jobs) receive the result typed as a `storning.runtime.Runtime`
and never import this module (an import-linter contract in pyproject.toml keeps it so)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from storning.calendar import SwedishCalendar
from storning.config import Settings
from storning.definitions.registry import WorkflowRegistry
from storning.engine import Engine
from storning.store.db import Database
from storning.store.models import User

ACTOR_CACHE_SECONDS = 30.0


@dataclass
class App:
    settings: Settings
    db: Database
    registry: WorkflowRegistry
    engine: Engine
    _actors: dict[str, tuple[User, float]] = field(default_factory=dict, repr=False)

    @classmethod
    def create(cls, settings: Settings, db: Database | None = None) -> App:
        registry = WorkflowRegistry(settings.letters_dir)
        calendar = SwedishCalendar()
        engine = Engine(
            registry,
            settings.zone,
            calendar,
            settings.severe_kinds,
            clock_tolerance=timedelta(seconds=settings.clock_tolerance),
        )
        return cls(settings, db or Database.from_settings(settings), registry, engine)

    @property
    def zone(self) -> ZoneInfo:
        return self.settings.zone

    def actor(self, session: Session, username: str) -> User | None:
        """The acting user, detached, cached for a few seconds: every action looks its actor up, and
        a role change or deactivation takes effect within ACTOR_CACHE_SECONDS in every process."""
        if "\x00" in username or len(username) > 80:
            return None  # no such user can exist (and PostgreSQL refuses NUL in a query)
        cached = self._actors.get(username)
        if cached is not None and time.monotonic() - cached[1] < ACTOR_CACHE_SECONDS:
            return cached[0]
        user = session.scalar(select(User).where(User.username == username))
        if user is not None:
            session.expunge(user)
            self._actors[username] = (user, time.monotonic())
        return user

    def forget_actor(self, username: str) -> None:
        self._actors.pop(username, None)
