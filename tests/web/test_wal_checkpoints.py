"""SQLite's write-ahead log is copied into the database file in the background by the processes that
run for long (the web, the worker), not by the commit of whichever officer's request finds it full:
that checkpoint, with its fsync, made one view in a hundred wait up to half a second at 100,000
cases (`bench/web.py`). A connection checkpoints by itself only past WAL_AUTOCHECKPOINT_PAGES."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient
from sqlalchemy import insert
from tests.conftest import at

from storning.store import db as store_db
from storning.store.db import WAL_AUTOCHECKPOINT_PAGES, Database, WalCheckpointer
from storning.store.models import AccessLog
from storning.web.app import create_app


def _write(database: Database, rows: int) -> None:
    with database.write() as session:
        session.execute(
            insert(AccessLog),
            [{"at": at(0), "actor": "alice", "action": "case_list", "detail": "x" * 500}] * rows,
        )


def test_a_checkpoint_copies_the_whole_log_and_postgresql_has_none(app):
    _write(app.db, 200)
    copied = app.db.checkpoint()
    if not app.db.is_sqlite:
        assert copied is None
        return
    assert copied is not None
    pages, done = copied
    assert pages > 0 and done == pages  # no reader held it back: everything copied
    with app.db.engine.connect() as connection:
        limit = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
    assert limit == WAL_AUTOCHECKPOINT_PAGES


def test_the_checkpointer_runs_until_stopped_and_only_on_sqlite(app, monkeypatch):
    calls: list[float] = []
    monkeypatch.setattr(Database, "checkpoint", lambda self: calls.append(time.monotonic()))
    checkpointer = WalCheckpointer(app.db, every=0.01).start()
    deadline = time.monotonic() + 10
    while len(calls) < 3 and time.monotonic() < deadline and app.db.is_sqlite:
        time.sleep(0.01)
    checkpointer.stop()
    seen = len(calls)
    time.sleep(0.05)
    assert len(calls) == seen  # stopped
    assert (seen >= 3) if app.db.is_sqlite else (seen == 0)


def test_a_failed_checkpoint_is_tried_again(sqlite_app, monkeypatch):
    calls: list[int] = []

    def failing(self: Database) -> None:
        calls.append(1)
        raise store_db.DatabaseUnavailable("busy")

    monkeypatch.setattr(Database, "checkpoint", failing)
    checkpointer = WalCheckpointer(sqlite_app.db, every=0.01).start()
    deadline = time.monotonic() + 10
    while len(calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    checkpointer.stop()
    assert len(calls) >= 2


def test_the_web_process_checkpoints_while_it_serves(sqlite_app):
    def running() -> bool:
        return any(t.name == "storning-wal-checkpoint" for t in threading.enumerate())

    assert not running()
    with TestClient(create_app(sqlite_app), base_url="https://testserver") as client:
        assert client.get("/login").status_code == 200
        assert running()
    assert not running()


def test_the_log_file_is_cut_back_when_it_starts_over(sqlite_app):
    """Under a busy day's writes the log grows past the limit between checkpoints; once it has been
    copied and starts over, its file is cut back to WAL_SIZE_LIMIT_BYTES, not kept at its peak."""
    from pathlib import Path

    from storning.store.db import WAL_SIZE_LIMIT_BYTES

    database = sqlite_app.db
    wal = Path(str(database.engine.url.database) + "-wal")
    _write(database, 30_000)  # about 20 MB of log
    assert wal.stat().st_size > WAL_SIZE_LIMIT_BYTES
    database.checkpoint()
    _write(database, 1)  # the next write starts the log over
    assert wal.stat().st_size <= WAL_SIZE_LIMIT_BYTES
