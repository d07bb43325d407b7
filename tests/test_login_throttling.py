"""Login throttling shared by every process through the database (issue 11 item 2): per account, per
client address and overall, with exponential back-off, refused before any password is hashed; 429 with
Retry-After and a Swedish sentence; X-Forwarded-For believed only from trusted proxies; two server
processes on one database agree. On SQLite and PostgreSQL where a test takes `app`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from ipaddress import ip_network

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from storning.app import App
from storning.security import client_address
from storning.services import accounts, throttling
from storning.services.sessions import Client
from storning.services.throttling import PASSWORD_LIMITS, Limit, Throttled
from storning.store.models import LoginAttempt, User
from storning.web.app import create_app
from storning.web.config import WebSettings
from tests.conftest import ROOT, at, base_settings
from tests.web.conftest import Clock, TestClient, csrf_of, give_passwords

PASSWORD = "ett-bra-losenord"
CHEAP = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash(PASSWORD)
HERE = Client("10.0.0.1", "test")


@pytest.fixture
def hashed(app: App, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Cheap passwords for the named world (and for unknown names), and a record of every password
    checked against a hash."""
    with app.db.write() as session:
        for user in session.scalars(select(User)):
            user.password_hash = CHEAP
    checked: list[str] = []
    real = accounts.verify_password

    def counting(stored: str | None, password: str) -> bool:
        checked.append(password)
        return real(stored, password)

    monkeypatch.setattr(accounts, "verify_password", counting)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", CHEAP)
    return checked


@pytest.fixture
def client(app: App) -> Iterator[TestClient]:
    """The web app on this database, seen from the test client's address (`testclient`)."""
    yield from _client(app, ("testclient", 50000))


def _client(app: App, peer: tuple[str, int]) -> Iterator[TestClient]:
    give_passwords(app)
    settings = WebSettings(secret_key="test-secret-key-" + "x" * 40, secure_cookies=False)
    web = create_app(app, clock=Clock(at(0)), web_settings=settings)
    with TestClient(web, follow_redirects=False, client=peer) as browser:
        yield browser


def attempt(app: App, username: str, password: str, client: Client = HERE, minutes: float = 0):
    return accounts.log_in(app, username, password, client, at(0) + timedelta(minutes=minutes))


# --- the rule --------------------------------------------------------------------------------------


def test_the_wait_doubles_with_each_failure_past_the_free_ones_up_to_the_longest():
    limit = Limit("account", timedelta(hours=1), 5, timedelta(minutes=1), timedelta(minutes=15))
    last = at(0)
    waits = [limit.until(n, last) for n in range(4, 11)]
    assert waits[0] is None  # four failures: no wait
    assert [(w - last).total_seconds() / 60 for w in waits[1:]] == [1, 2, 4, 8, 15, 15]


# --- per account, per address, overall -------------------------------------------------------------


def test_five_failures_for_a_name_lock_it_before_any_hashing_with_exponential_back_off(app, hashed):
    for _ in range(5):
        assert attempt(app, "alice", "fel-losenord") is None
    checked = len(hashed)
    with pytest.raises(Throttled) as caught:
        attempt(app, "alice", PASSWORD, minutes=0.5)
    assert len(hashed) == checked  # refused before the password was looked at
    assert caught.value.retry_after == 30 and caught.value.code == "rate_limited"
    assert str(caught.value) == (
        "För många misslyckade inloggningar. Vänta 30 sekunder och försök igen."
    )
    assert attempt(app, "ALICE ", "fel-losenord", minutes=1) is None  # the same name; waits 2 min
    with pytest.raises(Throttled) as caught:
        attempt(app, "alice", PASSWORD, minutes=2.5)
    assert caught.value.retry_after == 30
    assert attempt(app, "alice", PASSWORD, minutes=3) is not None
    # the success clears the name's count: a mistake afterwards is free again
    assert attempt(app, "alice", "fel-losenord", minutes=3) is None
    assert attempt(app, "alice", PASSWORD, minutes=3) is not None


def test_an_unknown_name_is_throttled_exactly_like_a_known_one(app, hashed):
    for name in ("alice", "nobody"):
        for _ in range(5):
            assert attempt(app, name, "fel-losenord") is None
        with pytest.raises(Throttled) as caught:
            attempt(app, name, "fel-losenord")
        assert caught.value.retry_after == 60
    with app.db.read() as session:
        keys = set(session.scalars(select(LoginAttempt.account_key)))
    assert "nobody" not in keys and "alice" not in keys  # names are not stored


def test_one_address_trying_many_names_is_throttled_and_others_are_not(app, hashed):
    for n in range(20):
        assert attempt(app, f"namn{n}", "fel-losenord") is None
    with pytest.raises(Throttled):
        attempt(app, "alice", PASSWORD)
    elsewhere = Client("10.0.0.2", "test")
    assert attempt(app, "alice", PASSWORD, client=elsewhere) is not None
    # a success from the address does not clear the address's count
    with pytest.raises(Throttled):
        attempt(app, "carl", PASSWORD)


def test_a_spray_from_many_addresses_meets_the_global_limit(app, hashed):
    overall = next(limit for limit in PASSWORD_LIMITS if limit.scope == "global")
    for n in range(overall.free):
        spray = Client(f"10.1.{n // 200}.{n % 200}", "spray")
        assert attempt(app, f"namn{n}", "fel", client=spray) is None
    checked = len(hashed)
    with pytest.raises(Throttled) as caught:
        attempt(app, "alice", PASSWORD, client=Client("10.9.9.9", "officer"))
    assert caught.value.retry_after == 1 and len(hashed) == checked
    assert attempt(app, "alice", PASSWORD, client=Client("10.9.9.9", "officer"), minutes=1.1)


def test_attempts_in_flight_count_so_parallel_requests_cannot_slip_past(app, hashed):
    """A reserved attempt counts as a failure until it is settled."""
    with app.db.write() as session:
        for _ in range(5):
            throttling.reserve_password_attempt(session, "k" * 64, "10.0.0.3", at(0))
    with app.db.write() as session, pytest.raises(Throttled):
        throttling.reserve_password_attempt(session, "k" * 64, "10.0.0.3", at(0))


def test_another_process_on_the_same_database_sees_the_same_failures(app, db_url, hashed):
    other = App.create(base_settings(db_url))  # its own engine and connections
    try:
        for _ in range(5):
            assert attempt(app, "alice", "fel-losenord") is None
        with pytest.raises(Throttled):
            attempt(other, "alice", PASSWORD)
    finally:
        other.db.dispose()


def test_attempts_older_than_a_day_are_forgotten_now_and_then(app):
    old = at(0) - throttling.KEEP - timedelta(minutes=1)
    with app.db.write() as session:
        session.add_all(
            LoginAttempt(at=old, door="password", address="10.0.0.4", outcome="failed")
            for _ in range(99)
        )
    with app.db.write() as session:
        throttling.reserve_password_attempt(session, "k" * 64, "10.0.0.4", at(0))  # the 100th
    with app.db.read() as session:
        assert [row.at for row in session.scalars(select(LoginAttempt))] == [at(0)]


def test_serve_leaves_x_forwarded_for_to_the_application(sqlite_app, monkeypatch):
    """uvicorn would otherwise take the client address from the header for a peer on 127.0.0.1."""
    import uvicorn
    from click.testing import CliRunner

    from storning.cli import main

    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options))
    monkeypatch.setenv("STORNING_WORKFLOWS", str(ROOT / "workflows"))
    monkeypatch.setenv("STORNING_LETTERS_DIR", str(ROOT / "letters"))
    db = sqlite_app.settings.db_url
    result = CliRunner().invoke(main, ["--db", db, "serve", "--no-worker"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert seen["proxy_headers"] is False


# --- API tokens ------------------------------------------------------------------------------------


def test_unknown_api_tokens_are_throttled_per_address_before_lookup(app):
    good = accounts.set_api_token(app, "alice")
    for n in range(20):
        assert accounts.principal_by_token(app, f"stn_fel{n}", at(0), "10.0.0.7") is None
    with pytest.raises(Throttled) as caught:
        accounts.principal_by_token(app, good, at(0), "10.0.0.7")
    assert caught.value.retry_after == 60 and "API-token" in str(caught.value)
    assert accounts.principal_by_token(app, good, at(0), "10.0.0.8").username == "alice"
    # a mistyped password from that address is another door
    with app.db.write() as session:
        throttling.reserve_password_attempt(session, "k" * 64, "10.0.0.7", at(0))


# --- through the web -------------------------------------------------------------------------------


def test_the_login_page_says_how_long_to_wait_and_the_api_gets_429_with_retry_after(client):
    token = csrf_of(client.get("/login").text)
    wrong = {"username": "alice", "password": "fel", "csrf_token": token}
    for _ in range(5):
        assert client.post("/login", data=wrong).status_code == 400
    refused = client.post("/login", data={**wrong, "password": PASSWORD})
    assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
    assert "För många misslyckade inloggningar. Vänta en minut och försök igen." in refused.text
    for n in range(20):
        assert (
            client.get("/api/me", headers={"Authorization": f"Bearer stn_x{n}"}).status_code == 401
        )
    api = client.get("/api/me", headers={"Authorization": "Bearer stn_x"})
    assert api.status_code == 429 and api.headers["retry-after"] == "60"
    assert api.json()["error"]["code"] == "rate_limited"


def test_x_forwarded_for_from_an_untrusted_peer_changes_nothing(app, client):
    token = csrf_of(client.get("/login").text)
    wrong = {"username": "alice", "password": "fel", "csrf_token": token}
    for n in range(5):
        headers = {"X-Forwarded-For": f"192.0.2.{n}"}
        assert client.post("/login", data=wrong, headers=headers).status_code == 400
    right = {**wrong, "password": PASSWORD}
    headers = {"X-Forwarded-For": "192.0.2.99"}
    assert client.post("/login", data=right, headers=headers).status_code == 429
    with app.db.read() as session:
        addresses = set(session.scalars(select(LoginAttempt.address)))
    assert addresses == {"testclient"}


def test_x_forwarded_for_from_a_trusted_proxy_names_the_client(app, hashed):
    app.settings = replace(app.settings, trusted_proxies=(ip_network("127.0.0.1"),))
    for browser in _client(app, ("127.0.0.1", 50000)):
        token = csrf_of(browser.get("/login").text)
        for n in range(20):
            data = {"username": f"namn{n}", "password": "fel", "csrf_token": token}
            headers = {"X-Forwarded-For": "6.6.6.6, 192.0.2.1"}
            assert browser.post("/login", data=data, headers=headers).status_code == 400
        data = {"username": "carl", "password": "fel", "csrf_token": token}
        headers = {"X-Forwarded-For": "192.0.2.1"}
        assert browser.post("/login", data=data, headers=headers).status_code == 429
        headers = {"X-Forwarded-For": "192.0.2.2"}  # another office behind the same proxy
        assert browser.post("/login", data=data, headers=headers).status_code == 400
    with app.db.read() as session:
        addresses = set(session.scalars(select(LoginAttempt.address)))
    assert addresses == {"192.0.2.1", "192.0.2.2"}


@pytest.mark.parametrize(
    ("peer", "header", "trusted", "client"),
    [
        ("203.0.113.5", "198.51.100.1", "", "203.0.113.5"),
        ("127.0.0.1", "198.51.100.1", "", "127.0.0.1"),
        ("127.0.0.1", "198.51.100.1", "127.0.0.1", "198.51.100.1"),
        ("127.0.0.1", "6.6.6.6, 198.51.100.1", "127.0.0.1", "198.51.100.1"),
        ("10.0.0.2", "198.51.100.1, 10.0.0.9", "10.0.0.0/24", "198.51.100.1"),
        ("127.0.0.1", "inte-en-adress", "127.0.0.1", "127.0.0.1"),
        ("127.0.0.1", "", "127.0.0.1", "127.0.0.1"),
        ("203.0.113.5", "198.51.100.1", "127.0.0.1", "203.0.113.5"),
        ("::1", "2001:db8::7", "::1", "2001:db8::7"),
    ],
)
def test_the_client_address_is_the_nearest_hop_that_is_not_a_trusted_proxy(
    peer, header, trusted, client
):
    networks = [ip_network(part) for part in trusted.split(",") if part]
    assert client_address(peer, header, networks) == client


def test_trusted_proxies_are_a_checked_setting():
    from storning.config import Settings
    from storning.errors import InvalidInput

    assert Settings.from_env({}).trusted_proxies == ()
    settings = Settings.from_env({"STORNING_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/24"})
    assert [str(n) for n in settings.trusted_proxies] == ["127.0.0.1/32", "10.0.0.0/24"]
    with pytest.raises(InvalidInput, match=r"STORNING_TRUSTED_PROXIES har 'proxy\.local'"):
        Settings.from_env({"STORNING_TRUSTED_PROXIES": "proxy.local"})


# --- two server processes --------------------------------------------------------------------------


def _serve(db_url: str, port: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "STORNING_DB": db_url,
        "STORNING_WORKFLOWS": str(ROOT / "workflows"),
        "STORNING_LETTERS_DIR": str(ROOT / "letters"),
    }
    env.pop("STORNING_SECRET_KEY", None)  # both take the key stored in the database
    env.pop("STORNING_NOW", None)
    command = [sys.executable, "-m", "storning.cli", "serve", "--no-worker", "--port", str(port)]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(base: str, server: subprocess.Popen[str]) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{base}/login", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)  # waiting for another process, bounded; the product never sleeps
    raise AssertionError(f"{base} did not start")


def _post_login(base: str, username: str, password: str) -> int:
    import httpx

    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as browser:
        page = browser.get("/login").text
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        data = {"username": username, "password": password, "csrf_token": token}
        return browser.post("/login", data=data).status_code


def test_two_server_processes_on_one_database_throttle_together(sqlite_app):
    with sqlite_app.db.write() as session:
        alice = session.scalar(select(User).where(User.username == "alice"))
        alice.password_hash = CHEAP
    servers = []
    try:
        bases = []
        for _ in range(2):
            port = _free_port()
            servers.append(_serve(sqlite_app.settings.db_url, port))
            bases.append(f"http://127.0.0.1:{port}")
        for base, server in zip(bases, servers, strict=True):
            _wait_until_up(base, server)
        first, second = bases
        for _ in range(5):
            assert _post_login(first, "alice", "fel-losenord") == 400
        assert _post_login(second, "alice", PASSWORD) == 429
        assert _post_login(first, "carl", "fel-losenord") == 400  # another name is not locked
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
            server.communicate(timeout=60)
