"""The application object: settings, database, workflow registry and engine, built once per process."""

from __future__ import annotations

from dataclasses import dataclass

from storning.calendar import SwedishCalendar
from storning.config import Settings
from storning.definitions.registry import WorkflowRegistry
from storning.engine import Engine
from storning.store.db import Database


@dataclass
class App:
    settings: Settings
    db: Database
    registry: WorkflowRegistry
    engine: Engine

    @classmethod
    def create(cls, settings: Settings, db: Database | None = None) -> App:
        registry = WorkflowRegistry(settings.letters_dir)
        calendar = SwedishCalendar()
        engine = Engine(registry, settings.zone, calendar, settings.severe_kinds)
        return cls(settings, db or Database.connect(settings.db_url), registry, engine)

    @property
    def zone(self):
        return self.settings.zone
