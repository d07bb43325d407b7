"""Timeouts and honest failure (issue 11 item 3): nothing waits for the database without a bound, a
database that is down or hung gives 503 with Retry-After (a Swedish page, or JSON under /api), and the
login page and static files keep answering meanwhile.

The hung database is a loopback TCP server started here that accepts connections and never answers,
as a PostgreSQL server whose process is stopped would.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import anyio
import anyio.to_thread
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from storning.app import App
from storning.config import Settings
from storning.errors import InvalidInput
from storning.store.db import Availability, Database, DatabaseUnavailable, Timeouts, parse_url
from storning.web.app import create_app
from storning.web.config import WebSettings
from tests.conftest import T0, base_settings

CONNECT_TIMEOUT = 2  # psycopg's least
SECRET = "test-secret-key-" + "x" * 40


class HungServer:
    """Accepts TCP connections on loopback and never sends a byte."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for connection in self.accepted:
            connection.close()
        self.listener.close()


@pytest.fixture
def hung_port() -> Iterator[int]:
    server = HungServer()
    yield server.port
    server.close()


def closed_port() -> int:
    """A loopback port nobody listens on: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def settings_for(url: str, **changes: Any) -> Settings:
    return replace(base_settings(url), db_connect_timeout=CONNECT_TIMEOUT, **changes)


def web_for(settings: Settings) -> FastAPI:
    web_settings = WebSettings(secret_key=SECRET, secure_cookies=False)
    return create_app(App.create(settings), clock=lambda: T0, web_settings=web_settings)


def run_requests(web: FastAPI, threads: int, scenario: Any) -> Any:
    """Run `scenario(client)` in an event loop whose thread pool has `threads` threads, as
    STORNING_WEB_THREADS sets it in the server."""

    async def main() -> Any:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await scenario(client)

    return anyio.run(main)


def test_a_hung_postgresql_gives_503_within_the_connect_timeout_while_login_answers(hung_port):
    web = web_for(settings_for(f"postgresql+psycopg://postgres@127.0.0.1:{hung_port}/test"))
    api: list[tuple[httpx.Response, float]] = []
    other: dict[str, tuple[httpx.Response, float]] = {}

    async def call(client: httpx.AsyncClient, url: str, into: Any, token: str = "") -> None:
        started = time.monotonic()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await client.get(url, headers=headers)
        into((response, time.monotonic() - started))

    async def scenario(client: httpx.AsyncClient) -> None:
        async with anyio.create_task_group() as group:
            for _ in range(8):  # more than there are threads
                group.start_soon(call, client, "/api/me", api.append, "stn_x")
            await anyio.sleep(0.2)  # the API calls now wait for the database
            await call(client, "/login", lambda r: other.__setitem__("login", r))
            await call(client, "/static/storning.css", lambda r: other.__setitem__("css", r))

    run_requests(web, threads=4, scenario=scenario)
    login, took = other["login"]
    assert login.status_code == 200 and "Logga in" in login.text
    assert took < 1.0, f"the login page waited {took:.1f} s for the hung database"
    assert other["css"][0].status_code == 200
    assert len(api) == 8
    for response, took in api:
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "unavailable"
        assert int(response.headers["retry-after"]) >= 1
        assert took < CONNECT_TIMEOUT + 2.5


@pytest.mark.parametrize("where", ["postgresql", "sqlite"])
def test_a_database_that_is_down_gives_503_with_retry_after(where, tmp_path):
    url = (
        f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test"
        if where == "postgresql"
        else f"sqlite:///{tmp_path}/no-such-folder/storning.db"
    )
    web = web_for(settings_for(url))

    async def scenario(client: httpx.AsyncClient) -> list[httpx.Response]:
        api = await client.get("/api/cases", headers={"Authorization": "Bearer stn_x"})
        page = await client.get("/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        form = {"username": "alice", "password": "fel", "csrf_token": token}
        posted = await client.post("/login", data=form)
        return [api, page, posted]

    api, login_page, login = run_requests(web, threads=4, scenario=scenario)
    assert api.status_code == 503 and int(api.headers["retry-after"]) >= 1
    assert api.json()["error"]["code"] == "unavailable"
    assert "Databasen" in api.json()["error"]["message"]
    assert login_page.status_code == 200
    assert login.status_code == 503 and int(login.headers["retry-after"]) >= 1
    assert login.headers["content-type"].startswith("text/html")
    assert "Tjänsten är inte tillgänglig just nu" in login.text
    assert "Traceback" not in login.text


def test_a_statement_over_the_timeout_is_cancelled_on_postgresql(request):
    url = request.getfixturevalue("pg_schema")  # keeps its own ?options=-csearch_path=…
    db = Database.connect(url, Timeouts(statement=1))
    try:
        with db.read() as session:
            assert session.scalar(text("show statement_timeout")) == "1s"
            assert session.scalar(text("show search_path")).startswith("storning_test_")
        started = time.monotonic()
        with pytest.raises(DatabaseUnavailable) as refused, db.read() as session:
            session.execute(text("select pg_sleep(5)"))
        assert time.monotonic() - started < 3
        assert refused.value.reason == "timeout"
        assert "svarade inte i tid" in str(refused.value)
    finally:
        db.dispose()


def test_the_application_gets_the_default_timeouts_on_postgresql(request):
    app = App.create(base_settings(request.getfixturevalue("pg_schema")))
    try:
        with app.db.read() as session:
            assert session.scalar(text("show statement_timeout")) == "15s"
    finally:
        app.db.dispose()


def test_a_writer_waits_for_the_sqlite_lock_only_as_long_as_the_busy_timeout(tmp_path):
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    holder, other = Database.connect(url), Database.connect(url, Timeouts(busy=1))
    try:
        with holder.write() as session:
            session.execute(text("create table t (x integer)"))  # holds the write lock
            started = time.monotonic()
            with pytest.raises(DatabaseUnavailable) as refused, other.write() as waiting:
                waiting.execute(text("select 1"))
            assert 0.5 < time.monotonic() - started < 5
        assert refused.value.reason == "busy"
    finally:
        holder.dispose()
        other.dispose()


def test_a_request_waits_for_a_pooled_connection_only_as_long_as_the_pool_timeout(tmp_path):
    db = Database.connect(
        f"sqlite:///{tmp_path / 'pool.db'}", Timeouts(pool=1), pool_size=1, max_overflow=0
    )
    try:
        with db.read() as session:
            session.execute(text("select 1"))  # holds the only connection
            started = time.monotonic()
            with pytest.raises(DatabaseUnavailable) as refused, db.read() as waiting:
                waiting.execute(text("select 1"))
            assert time.monotonic() - started < 5
        assert refused.value.reason == "pool"
    finally:
        db.dispose()


def test_after_a_failed_connection_the_database_is_refused_at_once_for_a_pause():
    now = [100.0]
    availability = Availability(pause=5, clock=lambda: now[0])
    availability.check()  # healthy: every attempt goes through
    availability.failed()
    with pytest.raises(DatabaseUnavailable) as refused:
        availability.check()
    assert refused.value.retry_after == 5
    now[0] += 5
    availability.check()  # the pause is over: one attempt probes ...
    with pytest.raises(DatabaseUnavailable):
        availability.check()  # ... and the others are refused while it does
    availability.succeeded()
    availability.check()


def test_only_sqlite_and_postgresql_urls_are_accepted():
    for url in ("mysql://x@y/z", "postgresql+asyncpg://u:hemligt@h/d", "http://x", "nonsense"):
        with pytest.raises(InvalidInput) as refused:
            parse_url(url)
        assert "hemligt" not in str(refused.value)
    assert parse_url("postgresql://u@h/d").drivername == "postgresql+psycopg"


def test_the_timeouts_are_settings_with_defaults_and_checked_values():
    settings = Settings.from_env({})
    assert Timeouts.of(settings) == Timeouts(connect=5, statement=15, busy=10, pool=5)
    changed = Settings.from_env(
        {"STORNING_DB_STATEMENT_TIMEOUT": "0", "STORNING_DB_POOL_TIMEOUT": "9"}
    )
    assert (changed.db_statement_timeout, changed.db_pool_timeout) == (0, 9)
    for name, value in (
        ("STORNING_DB_CONNECT_TIMEOUT", "1"),
        ("STORNING_DB_STATEMENT_TIMEOUT", "-1"),
        ("STORNING_DB_BUSY_TIMEOUT", "tio"),
        ("STORNING_DB_POOL_TIMEOUT", "0"),
    ):
        with pytest.raises(InvalidInput, match=name):
            Settings.from_env({name: value})


def test_a_driver_error_that_gets_past_the_services_is_503_too(tmp_path):
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    web = web_for(settings_for(f"sqlite:///{tmp_path}/storning.db"))

    @web.get("/api/prov/{kind}")
    def fails(kind: str) -> None:
        if kind == "pool":
            raise PoolTimeout("QueuePool limit reached")
        raise OperationalError("select 1", {}, Exception("server closed the connection"))

    async def scenario(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [await client.get("/api/prov/pool"), await client.get("/api/prov/lost")]

    for response in run_requests(web, threads=4, scenario=scenario):
        assert response.status_code == 503 and response.headers["retry-after"] == "5"
        assert response.json()["error"]["code"] == "unavailable"
