"""The engine's prepared statements (`storning.store.prepared`, issue 13) behave as SQLAlchemy's own
execution does, on SQLite and PostgreSQL: values converted both ways (aware UTC times, JSON), a broken
constraint raised as SQLAlchemy's IntegrityError, a case loaded exactly as the ORM loads it, and the
case row written once with its next deadline. They run on private parts of SQLAlchemy
(`Connection._cursor_execute`, `SQLCompiler._result_columns`): these tests are what an upgrade of
SQLAlchemy must pass."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, inspect, select
from sqlalchemy.exc import IntegrityError

from storning import services
from storning.due import next_due
from storning.journal import append_journal
from storning.store.cases import load_case
from storning.store.models import Case, JournalEntry, Letter, Timer
from tests.conftest import at
from tests.helpers import open_storning


def test_a_prepared_insert_converts_times_and_json_and_reads_back_as_the_orm_does(app):
    ref = open_storning(app)["ref"]
    moment = at(1, hours=3)
    with app.db.write() as session:
        case_id = session.scalar(select(Case.id).where(Case.ref == ref))
        entry = append_journal(
            session, case_id, moment, "alice", "note", params={"å": [1, "ö"], "n": None}
        )
    with app.db.read() as session:
        row = session.get(JournalEntry, entry)
        assert row is not None
        assert row.at == moment.astimezone(UTC)  # stored as UTC, read back aware
        assert row.params == {"å": [1, "ö"], "n": None}


def test_a_broken_constraint_in_a_prepared_insert_is_sqlalchemys_integrity_error(app):
    ref = open_storning(app)["ref"]
    with app.db.read() as session:
        case_id = session.scalar(select(Case.id).where(Case.ref == ref))
        timer_id = session.scalar(select(Timer.id).where(Timer.case_id == case_id).limit(1))
    assert timer_id is not None
    with pytest.raises(IntegrityError), app.db.write() as session:
        # journal.timer_id is unique: one journal row per fired timer
        append_journal(session, case_id, at(1), "system", "fired", timer_id=timer_id)
        append_journal(session, case_id, at(1), "system", "fired", timer_id=timer_id)
    with app.db.read() as session:  # the transaction was rolled back as a whole
        fired = select(JournalEntry.id).where(JournalEntry.timer_id == timer_id)
        assert session.scalars(fired).all() == []


def test_a_case_is_loaded_with_the_values_the_orm_loads(app):
    ref = open_storning(app)["ref"]
    services.fire_event(app, "alice", at(1), ref, "record_contact", params={"channel": "phone"})
    with app.db.read() as session:
        loaded = load_case(session, ref)
        assert loaded is not None
        orm = session.scalars(select(Case).where(Case.ref == ref)).one()
        for column in inspect(Case).columns:
            assert getattr(loaded, column.key) == getattr(orm, column.key), column.key
        assert isinstance(loaded.opened_at, datetime) and loaded.opened_at.tzinfo is not None
        assert loaded.owner.username == orm.owner.username == "alice"
        tracks = {t.track: (t.state, t.since) for t in loaded.tracks}
        assert tracks == {t.track: (t.state, t.since) for t in orm.tracks}


def test_each_step_stores_the_next_deadline_computed_from_the_cases_timers(app):
    ref = open_storning(app)["ref"]
    services.fire_event(app, "alice", at(1), ref, "record_contact", params={"channel": "phone"})
    with app.db.read() as session:
        stored, computed = session.execute(
            select(Case.next_due, next_due()).where(Case.ref == ref)
        ).one()
    assert stored is not None and stored == computed


def test_a_sqlite_writer_begins_immediately_where_cursor_listeners_see_it(sqlite_app):
    """The writer's BEGIN IMMEDIATE runs on the cursor (no execution context) yet through
    SQLAlchemy's cursor path: a listener that watches every statement (the web's off-the-loop check)
    sees it, and the transaction holds the write lock from its start."""
    seen: list[str] = []

    def watch(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(sqlite_app.db.engine, "before_cursor_execute", watch)
    try:
        with sqlite_app.db.write() as session:
            session.connection()
            raw = session.connection().connection.dbapi_connection
            assert raw.in_transaction  # the lock is taken before any statement of ours
    finally:
        event.remove(sqlite_app.db.engine, "before_cursor_execute", watch)
    assert seen == ["BEGIN IMMEDIATE"]


def test_a_step_drafting_letters_to_several_complainants_gives_each_its_own(app):
    ref = open_storning(app, complainants=[("Anna Ek", False), ("Bo Lind", False)])["ref"]
    with app.db.read() as session:
        case_id = session.scalar(select(Case.id).where(Case.ref == ref))
        drafts = session.execute(
            select(Letter.template, Letter.data).where(Letter.case_id == case_id)
        ).all()
    confirmations = [data for template, data in drafts if template == "bekraftelse"]
    assert len(confirmations) == 2
    assert len({data["complainant_id"] for data in confirmations}) == 2


def test_a_utc_time_is_stored_on_sqlite_as_sqlalchemys_datetime_text_and_read_back_aware():
    """The UTC column's own conversion on SQLite (one function each way) writes exactly the text
    SQLAlchemy's DATETIME writes for the same moment in UTC, so stored values compare and sort as
    before; it refuses a naive time and reads the old text forms back as aware UTC."""
    from datetime import timedelta, timezone

    from sqlalchemy.dialects import sqlite
    from sqlalchemy.dialects.sqlite.base import DATETIME

    from storning.store.types import UTCDateTime

    dialect = sqlite.dialect()
    to_text = UTCDateTime().bind_processor(dialect)
    from_text = UTCDateTime().result_processor(dialect, None)
    sqlalchemys = DATETIME().bind_processor(dialect)
    stockholm_winter = timezone(timedelta(hours=1))
    for moment in (
        datetime(2026, 3, 2, 9, 0, tzinfo=stockholm_winter),  # 08:00 UTC
        datetime(2026, 7, 1, 0, 0, 0, 123, tzinfo=UTC),
        datetime(999, 1, 1, tzinfo=UTC),  # a year below 1000 keeps four digits
    ):
        text = to_text(moment)
        assert text == sqlalchemys(moment.astimezone(UTC).replace(tzinfo=None))
        assert from_text(text) == moment and from_text(text).tzinfo is UTC
    assert to_text(None) is None and from_text(None) is None
    assert from_text("2026-03-02 08:00:00") == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="naive"):
        to_text(datetime(2026, 3, 2, 9, 0))


def test_prepared_statements_use_the_connection_of_the_sessions_current_transaction(app):
    """The connection a session's statements ran on is remembered for its transaction only: after a
    commit or a rollback the next statement begins a new transaction, as `Session.execute` does."""
    ref = open_storning(app)["ref"]
    session = app.db._writer()
    try:
        case = load_case(session, ref)
        assert case is not None
        first = session.connection()
        session.rollback()
        assert load_case(session, ref) is not None
        second = session.connection()
        assert second is not first and not first.in_transaction()
        assert second.in_transaction()
        session.commit()
        assert session.get_transaction() is None
        assert load_case(session, ref) is not None  # begins again
        assert session.get_transaction() is not None
    finally:
        session.close()


def test_a_cases_lists_are_read_as_named_rows_with_the_columns_the_orm_reads(app):
    """The case page's read-only rows (store.queries, run prepared) carry every selected column
    under its name, converted as SQLAlchemy converts it (aware UTC times, booleans, JSON)."""
    from storning.store.queries import complainant_rows, incidents_of, timer_rows

    ref = open_storning(app)["ref"]
    services.add_incident(
        app, "alice", at(1), ref, at=at(0, hours=22), kind="noise", text="Fest", verified_by="jour"
    )
    with app.db.read() as session:
        case_id = session.scalar(select(Case.id).where(Case.ref == ref))
        (incident,) = incidents_of(session, case_id)
        assert (incident.kind, incident.text, incident.verified_by) == ("noise", "Fest", "jour")
        assert incident.at == at(0, hours=22) and incident.at.tzinfo is UTC
        (complainant,) = complainant_rows(session, case_id)
        assert complainant.name == "Greta Granne" and complainant.protected is True
        orm_timers = session.scalars(
            select(Timer).where(Timer.case_id == case_id).order_by(Timer.due_at, Timer.id)
        ).all()
        rows = timer_rows(session, case_id)
        assert [(t.id, t.due_at, t.due_on, t.recipients) for t in rows] == [
            (t.id, t.due_at, t.due_on, t.recipients) for t in orm_timers
        ]
