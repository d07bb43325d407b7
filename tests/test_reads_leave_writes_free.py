"""What only reads does not keep officers' changes waiting: on SQLite a transaction that writes holds
the database's one write lock from its start, so the worklist and the case page (every door) read in
a transaction that only reads and write their access-log line after, in a short one of their own.
Here an officer opens a case in the middle of each read; the read is still in the access log. And a
transaction that only reads is declared so to the database: a write slipped into one fails at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError

from storning import services, worklist_page
from storning.errors import StorningError
from storning.readmodel import WorklistFilter
from storning.services import common
from storning.store.db import Database, DatabaseRefusedValue, DatabaseUnavailable
from storning.store.models import AccessLog
from tests.conftest import at
from tests.helpers import open_storning


def _meanwhile(app: Any, opened: list[str], read: Callable[..., Any]) -> Callable[..., Any]:
    """`read`, with an officer opening a case after it has read (its transaction has begun)."""

    def reading_while_an_officer_works(*args: Any, **kwargs: Any) -> Any:
        result = read(*args, **kwargs)
        worker = threading.Thread(
            target=lambda: opened.append(open_storning(app, "bob", at(0, hours=1))["ref"])
        )
        worker.start()
        worker.join(timeout=60)
        return result

    return reading_while_an_officer_works


def _logged(app: Any, action: str) -> int:
    with app.db.read() as session:
        found = session.scalars(
            select(AccessLog.id).where(AccessLog.actor == "alice", AccessLog.action == action)
        ).all()
    return len(found)


def test_officers_can_change_cases_while_someone_reads_the_worklist(app, monkeypatch):
    open_storning(app, "alice", at(0))
    opened: list[str] = []
    monkeypatch.setattr(
        worklist_page, "worklist_in", _meanwhile(app, opened, worklist_page.worklist_in)
    )
    for view in (
        lambda: services.worklist(app, "alice", at(0, hours=2), WorklistFilter(scope="team")),
        lambda: services.worklist_view(app, "alice", at(0, hours=2), WorklistFilter(), 20),
    ):
        before = len(opened)
        view()
        assert len(opened) == before + 1  # the officer's change went through meanwhile
    assert _logged(app, "case_list") == 2  # each view is still in the access log


def test_officers_can_change_cases_while_someone_reads_a_case(app, monkeypatch):
    ref = open_storning(app, "alice", at(0))["ref"]
    opened: list[str] = []
    monkeypatch.setattr(common, "document_for", _meanwhile(app, opened, common.document_for))
    for view in (
        lambda: services.show_case(app, "alice", at(0, hours=2), ref),  # the CLI's and the API's
        lambda: services.case_page(app, "alice", at(0, hours=2), ref),  # the web's
    ):
        before = len(opened)
        view()
        assert len(opened) == before + 1
    assert _logged(app, "case_view") == 2


def test_a_transaction_that_reads_cannot_write(app):
    row = {"at": at(0), "actor": "alice", "action": "case_list", "detail": ""}
    before = _logged(app, "case_list")
    # SQLite: query_only; PostgreSQL: READ ONLY
    with pytest.raises(DBAPIError) as refused, app.db.read() as session:
        session.execute(insert(AccessLog).values(row))
    # a bug to see, not "the database is unavailable" (SQLite words it as for a read-only file)
    assert not isinstance(refused.value, StorningError)
    with app.db.write() as session:  # the same pooled connection writes again afterwards
        session.execute(insert(AccessLog).values(row))
    with app.db.engine.begin() as connection:  # and so does a plain transaction
        connection.execute(insert(AccessLog).values(row))
    assert _logged(app, "case_list") == before + 2


def test_a_connection_that_read_goes_back_able_to_write(db_url):
    """One pooled connection: after a read (and after a read that failed) it writes again, in a
    unit of work, a plain transaction and raw (gallring empties SQLite's log through one)."""
    database = Database.connect(db_url, pool_size=1, max_overflow=0)
    row = {"at": at(0), "actor": "alice", "action": "case_list", "detail": "en"}
    try:
        with database.read() as session:
            session.execute(select(AccessLog.id).limit(1))
        with pytest.raises(DBAPIError), database.read() as session:
            session.execute(insert(AccessLog).values(row))
        raw = database.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(
                "insert into access_log (at, actor, action, detail) values (?, ?, ?, ?)"
                if database.is_sqlite
                else "insert into access_log (at, actor, action, detail) values (%s, %s, %s, %s)",
                (at(0).replace(tzinfo=None), "alice", "case_list", "raw"),
            )
            raw.commit()
        finally:
            raw.close()
        with database.write() as session:
            session.execute(insert(AccessLog).values(row))
    finally:
        database.dispose()


def test_a_read_still_says_what_is_wrong_with_a_value_or_the_database(app):
    """Errors inside a read are translated as anywhere else: a number no column holds is refused in
    Swedish, a missing table is 'the database is unavailable' (a 503 on the web), not a raw 500."""
    with pytest.raises(DatabaseRefusedValue), app.db.read() as session:
        session.execute(select(AccessLog.id).where(AccessLog.id == 2**70))
    with pytest.raises(DatabaseUnavailable), app.db.read() as session:
        session.execute(text("select * from no_such_table"))


def test_a_write_on_a_connection_left_read_only_makes_it_able_to_write(sqlite_app):
    """If making a connection writable again failed after a read (it stays marked read-only), the
    next write on it does it first instead of failing on every later write."""
    database = Database.connect(str(sqlite_app.db.engine.url), pool_size=1, max_overflow=0)
    try:
        raw = database.engine.raw_connection()
        try:
            raw.cursor().execute("PRAGMA query_only=1")  # as a read leaves it when its reset fails
            raw.info["query_only"] = True
        finally:
            raw.close()
        with database.write() as session:
            session.execute(
                insert(AccessLog).values(at=at(0), actor="alice", action="case_list", detail="")
            )
    finally:
        database.dispose()
