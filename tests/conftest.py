"""A small named world, on SQLite and on PostgreSQL.

Every test that takes `app` runs twice: on a fresh SQLite file and on a fresh schema in the PostgreSQL
named by STORNING_TEST_PG (default postgresql+psycopg://postgres@127.0.0.1:5432/test). Without a
reachable PostgreSQL the PostgreSQL half is skipped with the reason printed, except under CI (CI=true),
where that is a failure.

The people: alice and bob are officers (handläggare) in team norr and team syd; carl is team norr's chef
and alice's supervisor; lisa only reads. Time is fixed: T0 is Monday 2 March 2026, 09:00 in Stockholm.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text

from storning import services
from storning.app import App
from storning.config import Settings
from storning.store.db import Database, DatabaseUnavailable
from storning.store.models import Base

ROOT = Path(__file__).resolve().parents[1]
ZONE = ZoneInfo("Europe/Stockholm")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZONE)
PG_URL = os.environ.get("STORNING_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def at(days: float = 0, hours: float = 0) -> datetime:
    """T0 plus a number of days and hours."""
    return T0 + timedelta(days=days, hours=hours)


def base_settings(db_url: str) -> Settings:
    return replace(
        Settings.from_env({}),
        db_url=db_url,
        workflows_dir=ROOT / "workflows",
        letters_dir=ROOT / "letters",
        # the dashboard always computes its measures while the viewer waits here: on a loaded test
        # machine a small computation may take longer than the 200 ms after which a real office is
        # shown the last one (tests/test_outcomes_recent.py sets 0 to test that rule)
        stats_wait_ms=600_000,
    )


def populate(app: App) -> None:
    services.init_database(app, T0 - timedelta(days=1))
    services.add_user(app, "carl", "Carl Chef", ["chef"], team="norr", email="carl@example.se")
    services.add_user(
        app,
        "alice",
        "Alice Handläggare",
        ["handlaggare"],
        team="norr",
        supervisor="carl",
        email="alice@example.se",
    )
    services.add_user(app, "bob", "Bob Handläggare", ["handlaggare"], team="syd")
    services.add_user(app, "lisa", "Lisa Läsare", ["lasare"], team="norr")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One initialised SQLite file per test session; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    app = App.create(base_settings(f"sqlite:///{path}"))
    populate(app)
    app.db.engine.dispose()
    return path


@contextmanager
def private_pg_schema(prefix: str) -> Iterator[str]:
    """A new schema in the test PostgreSQL (its URL), dropped at the end. Skips with the reason when
    PostgreSQL is unreachable; under CI=true that is a failure, never a skip."""
    try:
        probe = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with probe.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as error:
        message = f"PostgreSQL not reachable at {PG_URL}: {error.__class__.__name__}"
        if IN_CI:
            pytest.fail(message + " (CI=true: PostgreSQL is required)")
        pytest.skip(message)
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with probe.begin() as conn:
        conn.execute(text(f"create schema {schema}"))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with probe.begin() as conn:
            conn.execute(text(f"drop schema {schema} cascade"))
        probe.dispose()


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    """A private schema in the test PostgreSQL, migrated once, dropped at the end."""
    with private_pg_schema("storning_test") as url:
        app = App.create(base_settings(url))
        from storning.store.schema import upgrade

        upgrade(app.db.engine)
        app.db.engine.dispose()
        yield url


def _truncate(database: Database) -> None:
    """Empty every table for the next test. A connection an earlier test dropped inside a
    transaction, without closing it, holds its locks until Python's cycle collector frees it (it
    may be kept alive only by a reference cycle), and TRUNCATE would wait for them until the
    statement timeout: after a short wait the collector is run and the TRUNCATE tried again; if a
    lock is still held the test fails naming what the holder last ran (its leak to find)."""
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    for attempt in (1, 2):
        try:
            with database.engine.begin() as conn:
                conn.execute(text(f"set local lock_timeout = '{LOCK_WAIT}'"))
                conn.execute(text(f"truncate {tables} restart identity cascade"))
            return
        except DatabaseUnavailable:
            holders = _lock_holders(database)
            if attempt == 2:
                pytest.fail(f"the test schema's tables are still locked by {holders}")
            logging.getLogger("tests").warning("a dropped connection held locks: %s", holders)
            gc.collect()


LOCK_WAIT = "3s"
_HOLDERS = text(
    "select distinct a.pid, a.state, a.xact_start, left(a.query, 300) from pg_locks l"
    " join pg_class c on c.oid = l.relation join pg_namespace n on n.oid = c.relnamespace"
    " join pg_stat_activity a on a.pid = l.pid"
    " where n.nspname = current_schema() and l.granted and a.pid <> pg_backend_pid()"
)


def _lock_holders(database: Database) -> list[tuple[object, ...]]:
    with database.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(_HOLDERS)]


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        path = tmp_path / "storning.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = str(request.getfixturevalue("pg_schema"))
    fresh = App.create(base_settings(url))
    _truncate(fresh.db)
    populate(fresh)
    fresh.db.dispose()
    return url


@pytest.fixture
def app(db_url: str) -> Iterator[App]:
    application = App.create(base_settings(db_url))
    yield application
    application.db.dispose()


@pytest.fixture
def sqlite_app(tmp_path: Path, sqlite_template: Path) -> Iterator[App]:
    """SQLite only, for tests about the embedded default itself."""
    path = tmp_path / "storning.db"
    shutil.copy(sqlite_template, path)
    application = App.create(base_settings(f"sqlite:///{path}"))
    yield application
    application.db.dispose()


@pytest.fixture
def smtp() -> Iterator[tuple[int, list[object]]]:
    """A real SMTP server on loopback (aiosmtpd); yields its port and the envelopes it received."""
    import socket

    from aiosmtpd.controller import Controller

    received: list[object] = []

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            received.append(envelope)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, received
    controller.stop()
