"""Engines and sessions. SQLite: WAL, synchronous=NORMAL, foreign keys on, and writers take the write
lock up front (BEGIN IMMEDIATE) so two writers queue instead of failing halfway. PostgreSQL: psycopg.

Nothing waits for the database without a bound (`Timeouts`, from the `STORNING_DB_*` settings): a new
PostgreSQL connection, a statement, SQLite's write lock and a free connection in the pool. A database
that is down, slow or busy raises `DatabaseUnavailable`, one sentence that every door shows as it is
(HTTP 503 with Retry-After, exit 1 in the CLI). After a failed connection attempt the database counts as
unavailable for a short pause (`Availability`), so a dead database is reported at once instead of every
request waiting for its own timeout; one attempt is let through when the pause is over.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DataError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from storning.errors import InvalidInput, StorningError, cli

if TYPE_CHECKING:
    from sqlalchemy.engine import ExceptionContext

    from storning.config import Settings

log = logging.getLogger("storning.db")

WRITE = "IMMEDIATE"
# `Database.read`'s transactions are declared read-only to the database (SQLite `PRAGMA query_only`,
# PostgreSQL `BEGIN READ ONLY` through psycopg): a write slipped into a read fails at once, in every
# test, instead of taking SQLite's write lock back from the officers who change cases.
READ_ONLY = "storning_read_only"
DRIVERS = ("sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg")


@dataclass(frozen=True)
class Timeouts:
    """How long to wait for the database before saying it is unavailable, in seconds."""

    connect: int = 5  # a new PostgreSQL connection (psycopg waits at least 2 s)
    statement: int = 15  # one PostgreSQL statement; 0 = no limit
    busy: int = 10  # SQLite: another process holding the write lock
    pool: int = 5  # a free connection in this process's pool

    @classmethod
    def of(cls, settings: Settings) -> Timeouts:
        return cls(
            connect=settings.db_connect_timeout,
            statement=settings.db_statement_timeout,
            busy=settings.db_busy_timeout,
            pool=settings.db_pool_timeout,
        )


# What went wrong, in the words every door shows (the CLI adds nothing, the web answers 503).
INIT = "kör 'storning init' för att "
UNAVAILABLE = {
    "down": "Databasen går inte att nå just nu; försök igen om en stund, och kvarstår felet, "
    f"kontrollera att databasen är igång och att databasadressen ({cli('--db eller ')}STORNING_DB) "
    "stämmer.",
    "timeout": "Databasen svarade inte i tid; försök igen om en stund.",
    "busy": "Databasen är upptagen av andra ändringar just nu; försök igen om en stund.",
    "pool": "Servern har för många samtidiga förfrågningar mot databasen; försök igen om en stund.",
    "schema": "Databasen saknar tabellerna som den här versionen behöver; "
    f"{cli(INIT)}skapa eller uppgradera dem.",
    "missing": "Databasen finns inte; skapa den, eller rätta databasadressen "
    f"({cli('--db eller ')}STORNING_DB).",
    "not_a_database": "Filen är ingen SQLite-databas; rätta databasadressen "
    f"({cli('--db eller ')}STORNING_DB).",
}


class DatabaseUnavailable(StorningError):
    """The database cannot answer now (down, slow, busy, or without its schema)."""

    code = "unavailable"

    def __init__(self, reason: str, retry_after: int = 5) -> None:
        self.reason = reason
        self.retry_after = max(1, retry_after)  # seconds, for HTTP's Retry-After
        super().__init__(UNAVAILABLE[reason])


class DatabaseRefusedValue(InvalidInput):
    """A value the database could not store (too long, out of range): the field rules in
    `storning.validation` should have refused it first, so this is logged."""


@dataclass
class Availability:
    """Whether the database is known to be down: after a failed connection attempt, new connections
    are refused for `pause` seconds; then one attempt is let through (the others are still refused)
    and its outcome decides."""

    pause: float
    clock: Callable[[], float] = time.monotonic
    _down_until: float = 0.0
    _reason: str = "down"
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def check(self) -> None:
        """Before a new connection: refuse it at once while the database is known to be down."""
        with self._lock:
            if not self._down_until:
                return
            now = self.clock()
            if now < self._down_until:
                raise DatabaseUnavailable(self._reason, math.ceil(self._down_until - now))
            self._down_until = now + self.pause  # this attempt probes; the rest are refused

    def failed(self, reason: str = "down") -> None:
        with self._lock:
            self._down_until, self._reason = self.clock() + self.pause, reason

    def succeeded(self) -> None:
        with self._lock:
            self._down_until = 0.0

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.pause))


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, timeouts: Timeouts | None = None, **kwargs: Any) -> Engine:
    """Create the engine for `url` (SQLite or PostgreSQL) with `timeouts`; SQLite files get the
    embedded-database settings."""
    timeouts = timeouts or Timeouts()
    parsed = parse_url(url)
    pooled = "poolclass" not in kwargs and not _in_memory(parsed)
    if pooled:
        kwargs.setdefault("pool_timeout", timeouts.pool)
    if parsed.drivername.startswith("sqlite"):
        _create_private(parsed.database)
        connect_args = {"timeout": timeouts.busy, **kwargs.pop("connect_args", {})}
        engine = create_engine(parsed, connect_args=connect_args, **kwargs)
        _configure_sqlite(engine, timeouts.busy)
    else:
        connect_args = {**_postgres_args(parsed, timeouts), **kwargs.pop("connect_args", {})}
        engine = create_engine(parsed, pool_pre_ping=True, connect_args=connect_args, **kwargs)
    _watch(engine, Availability(pause=max(1, timeouts.connect)))
    return engine


def parse_url(url: str) -> URL:
    """The database URL, refused with one sentence unless it names SQLite or PostgreSQL (psycopg)."""
    try:
        parsed = make_url(url)
    except Exception:
        raise InvalidInput(
            f"Ogiltig databas-URL '{url[:200]}'; ange till exempel sqlite:///storning.db eller "
            "postgresql+psycopg://användare@värd/databas."
        ) from None
    if parsed.drivername not in DRIVERS:
        shown = parsed.render_as_string(hide_password=True)[:200]
        raise InvalidInput(
            f"Databas-URL:en '{shown}' stöds inte; ange en SQLite-fil (sqlite:///storning.db) eller "
            "PostgreSQL (postgresql+psycopg://användare@värd/databas)."
        )
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _in_memory(url: URL) -> bool:
    return url.drivername.startswith("sqlite") and url.database in (None, "", ":memory:")


def _postgres_args(url: URL, timeouts: Timeouts) -> dict[str, Any]:
    """psycopg's connect timeout and the server's statement timeout; what the URL itself says about
    either wins (`?connect_timeout=…`, `?options=-c statement_timeout=…`)."""
    args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        args["connect_timeout"] = timeouts.connect
    options = url.query.get("options", "")
    options = " ".join(options) if isinstance(options, tuple) else options
    if timeouts.statement and "statement_timeout" not in options:
        options = f"{options} -c statement_timeout={timeouts.statement * 1000}".strip()
    if options:
        args["options"] = options
    return args


def _create_private(database: str | None) -> None:
    """Create a new SQLite file readable by its owner only (0600): it holds offence data and protected
    identities. SQLite gives its -wal and -shm files the same permissions. An existing file is left
    as its owner set it."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.exists() or not path.parent.is_dir():
        return
    with suppress(FileExistsError):  # another process may have created it first
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def _configure_sqlite(engine: Engine, busy_seconds: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # A commit that finds the log past this size copies it into the database file itself (a
        # checkpoint, with an fsync): the web and the worker do it in the background instead
        # (`WalCheckpointer`), so no officer's request pays for it; this only bounds the log when
        # neither runs.
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        # The log starts over from its beginning once all of it is copied; the file is then cut
        # back to this size (it would otherwise keep the largest size it ever had).
        cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT_BYTES}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds) * 1000}")
        cursor.close()
        # SQLite's own lower() and upper() fold only ASCII: "Åsa" would not equal "åsa" as it does
        # on PostgreSQL. No index is built on them, so replacing them per connection is safe.
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
        dbapi_connection.create_function("upper", 1, _upper, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        mode = options.get("sqlite_begin", "")
        read_only = bool(options.get(READ_ONLY))
        # On the DBAPI cursor, through SQLAlchemy's cursor path: the cursor events see it and a busy
        # database is translated (`_watch`) as for any statement, without the ~25 µs of an
        # execution context that `exec_driver_sql` builds (every write pays it).
        cursor = conn.connection.cursor()
        try:
            # a read: until the transaction ends (`_end_read`); a write on a connection still
            # marked read-only (its reset failed): made able to write first
            if read_only or conn.info.get("query_only", False):
                conn._cursor_execute(cursor, f"PRAGMA query_only={int(read_only)}", ())
                conn.info["query_only"] = read_only
            conn._cursor_execute(cursor, f"BEGIN {mode}".strip(), ())
        finally:
            cursor.close()

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _end_read(conn: Any) -> None:
        # The connection goes back to the pool able to write: the next user may be a writer, or
        # take it raw (`engine.raw_connection()`), which no `begin` event sees.
        if conn.info.get("query_only", False):
            cursor = conn.connection.cursor()
            try:
                conn._cursor_execute(cursor, "PRAGMA query_only=0", ())
                conn.info["query_only"] = False  # (only once it is done: see `_on_begin`)
            finally:
                cursor.close()


def _watch(engine: Engine, availability: Availability) -> None:
    """Turn the driver's errors about the database itself into `DatabaseUnavailable` (and values it
    cannot store into `DatabaseRefusedValue`), for every use of the engine; remember failed
    connection attempts."""

    @event.listens_for(engine, "do_connect")
    def _before_connect(*_args: Any) -> None:
        availability.check()

    @event.listens_for(engine, "connect")
    def _connected(*_args: Any) -> None:
        availability.succeeded()

    @event.listens_for(engine, "handle_error")
    def _translate(context: ExceptionContext) -> BaseException | None:
        if context.is_pre_ping:
            return None  # the pool reconnects on its own
        if (
            context.connection is not None
            and context.connection.info.get("query_only")
            and "readonly database" in str(context.original_exception)
        ):
            return None  # a write in a read (`READ_ONLY`): a bug to see, not an unusable file
        connecting = context.connection is None
        reason = unavailable_reason(
            context.original_exception, connecting=connecting, lost=context.is_disconnect
        )
        if reason is not None:
            if connecting:
                availability.failed(reason)
            return DatabaseUnavailable(reason, availability.retry_after)
        # a value too long or too large for its column (SQLite: a number past 64 bits)
        if isinstance(context.sqlalchemy_exception, DataError) or isinstance(
            context.original_exception, OverflowError
        ):
            log.info("the database refused a value: %s", context.original_exception)
            return DatabaseRefusedValue(
                "Ett värde är för långt eller utanför det som kan lagras; korta eller rätta det."
            )
        return None


def unavailable_reason(
    error: BaseException, *, connecting: bool = False, lost: bool = False
) -> str | None:
    """Which `UNAVAILABLE` sentence fits a driver error, or None when the error is not about the
    database being unavailable (a constraint, a bug: those stay what they are)."""
    state = str(getattr(error, "sqlstate", None) or "")
    text = str(error).lower()
    if "no such table" in text or state == "42P01":
        return "schema"
    if state == "3D000" or ("database" in text and "does not exist" in text):
        return "missing"
    if "file is not a database" in text:
        return "not_a_database"
    if state == "57014" or "statement timeout" in text:
        return "timeout"
    if "database is locked" in text or state in ("55P03", "40001", "40P01"):
        return "busy"
    if (
        connecting
        or lost
        or state[:2] in ("08", "53", "57")
        or any(s in text for s in _SQLITE_DOWN)
    ):
        return "down"
    return None


# SQLite's words for a file it cannot use at all.
_SQLITE_DOWN = ("unable to open database", "disk i/o error", "readonly database", "disk is full")


BULK_ROWS = 1000  # a load this large refreshes PostgreSQL's statistics (`after_bulk_load`)
WAL_AUTOCHECKPOINT_PAGES = 10_000  # 40 MB of log (SQLite's own default: 1,000 pages)
WAL_SIZE_LIMIT_BYTES = 8 * 1024 * 1024  # what the log's file is cut back to when it starts over
CHECKPOINT_SECONDS = 1.0  # how often `WalCheckpointer` copies the log into the database file


@dataclass
class Database:
    """One engine plus the two kinds of unit of work the services use."""

    engine: Engine

    def __post_init__(self) -> None:
        writer: Engine = self.engine
        if is_sqlite(self.engine):
            writer = self.engine.execution_options(sqlite_begin=WRITE)
            reader = self.engine.execution_options(**{READ_ONLY: True})
        else:
            reader = self.engine.execution_options(postgresql_readonly=True)
        self._reader = sessionmaker(reader, expire_on_commit=False)
        self._writer = sessionmaker(writer, expire_on_commit=False)

    @classmethod
    def connect(cls, url: str, timeouts: Timeouts | None = None, **kwargs: Any) -> Database:
        return cls(make_engine(url, timeouts, **kwargs))

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        """The database of `settings.db_url` with the `STORNING_DB_*` timeouts."""
        return cls.connect(settings.db_url, Timeouts.of(settings))

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.engine)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction that writes: commits on success, rolls back everything on any error."""
        # What `with maker() as session, session.begin()` does, without its two context managers
        # (every step pays for them): closing a session whose transaction did not commit rolls it
        # back.
        session = self._writer()
        try:
            with _pool_bounded():
                yield session
                session.commit()
        finally:
            session.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """One transaction that only reads (`READ_ONLY`): a write in it fails. On SQLite it takes
        no write lock, so a long read never makes an officer's change wait."""
        with _pool_bounded(), self._reader() as session, session.begin():
            yield session

    def after_bulk_load(self, rows: int, *tables: str) -> None:
        """`refresh_statistics` of `tables` when a load wrote at least `BULK_ROWS` rows."""
        if rows >= BULK_ROWS:
            self.refresh_statistics(*tables)

    def refresh_statistics(self, *tables: str) -> None:
        """After a bulk load, refresh PostgreSQL's planner statistics of `tables` (ANALYZE, after
        the load committed): until autovacuum does it, the planner still believes a table that grew
        from nothing to thousands of rows is empty and, for instance, filters 500 external ids
        against every row instead of looking them up in the index (a second import 10× slower).
        Nothing on SQLite, which plans without statistics."""
        if self.is_sqlite or not tables:
            return
        with _pool_bounded(), self.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            for name in tables:
                conn.exec_driver_sql(f'ANALYZE "{name}"')

    def checkpoint(
        self, mode: Literal["PASSIVE", "TRUNCATE"] = "PASSIVE"
    ) -> tuple[int, int] | None:
        """SQLite: copy what the write-ahead log holds into the database file: without waiting for
        readers or writers (PASSIVE), or waiting for them and then emptying the log's file
        (TRUNCATE: gallring, so that erased values do not linger in it). (Pages in the log, pages
        copied); None on PostgreSQL."""
        if not self.is_sqlite:
            return None
        with _pool_bounded():
            raw = self.engine.raw_connection()  # outside a transaction: no `begin` event
        try:
            cursor = raw.cursor()
            _busy, log_pages, copied = cursor.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
            cursor.close()
        finally:
            raw.close()
        return int(log_pages), int(copied)

    def dispose(self) -> None:
        self.engine.dispose()


class WalCheckpointer:
    """SQLite: `Database.checkpoint` in a background thread every `every` seconds, for a process
    that serves or works for long (the web, the worker). Without it the commit that finds the log
    past its limit does the checkpoint and its fsync itself: at 100,000 cases that made one view in
    a hundred wait up to half a second (`bench/web.py`, 20 officers). Nothing on PostgreSQL."""

    def __init__(self, database: Database, every: float = CHECKPOINT_SECONDS) -> None:
        self._database, self._every = database, every
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="storning-wal-checkpoint", daemon=True
        )

    def start(self) -> WalCheckpointer:
        if self._database.is_sqlite:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stopped.wait(self._every):
            try:
                self._database.checkpoint()
            except Exception:  # the next round tries again; the log's own limit still holds
                log.warning("checkpointing SQLite's write-ahead log failed", exc_info=True)


@contextmanager
def _pool_bounded() -> Iterator[None]:
    """No free connection within the pool timeout: the database counts as unavailable (busy)."""
    try:
        yield
    except PoolTimeout:
        raise DatabaseUnavailable("pool") from None


__all__ = [
    "Availability",
    "Database",
    "DatabaseRefusedValue",
    "DatabaseUnavailable",
    "Timeouts",
    "WalCheckpointer",
    "make_engine",
]
