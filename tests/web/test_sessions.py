"""Server-side sessions through real HTTP requests (issue 11 item 1): the cookie carries only an opaque
id, a logout or a password change ends the session in the database so a replayed cookie opens
nothing, idle and absolute timeouts, a new id at every login, a disabled account stops at once, the
administrator's page, and the cookie's key kept in the database. On SQLite and PostgreSQL.

The session clock (what timeouts are measured by) is injected: `sessions` below moves it; the
request clock (`clock`) stays where the other tests put it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi import FastAPI
from itsdangerous import Signer
from sqlalchemy import select
from tests.conftest import T0
from tests.web.conftest import PASSWORD, TestClient, csrf_of, give_passwords, login

from storning.app import App
from storning.security import token_hash
from storning.services import accounts
from storning.store.models import AccessLog, ApiToken, WebSession
from storning.web.app import SESSION_COOKIE, create_app
from storning.web.config import WebSettings

KEY = "test-secret-key-" + "x" * 40


class SessionClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 8, 0, tzinfo=T0.tzinfo)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def sessions() -> SessionClock:
    return SessionClock()


@pytest.fixture
def timed(app: App, clock, sessions: SessionClock) -> FastAPI:
    """The web app with an injected session clock."""
    give_passwords(app)
    settings = WebSettings(secret_key=KEY, secure_cookies=False)
    return create_app(app, clock=clock, web_settings=settings, session_clock=sessions)


@pytest.fixture
def browser(timed: FastAPI) -> Iterator[TestClient]:
    with TestClient(timed, base_url="http://testserver", follow_redirects=False) as c:
        yield c


def second_browser(web: FastAPI) -> TestClient:
    return TestClient(web, base_url="http://testserver", follow_redirects=False)


def cookie_of(client: TestClient) -> str:
    value = client.cookies.get(SESSION_COOKIE)
    assert value, "no session cookie"
    return value


def logged_in(client: TestClient) -> bool:
    return client.get("/").status_code == 200


# --- the cookie ------------------------------------------------------------------------------------


def test_the_cookie_holds_only_a_signed_opaque_id_stored_as_a_hash(app, client):
    anonymous = csrf_of(client.get("/login").text)
    before = cookie_of(client)
    token = login(client, "alice")
    cookie = cookie_of(client)
    assert cookie != before and token != anonymous  # a new id and a new CSRF token at login
    opaque = Signer(KEY, salt="storning.session").unsign(cookie).decode()
    assert "alice" not in cookie and "{" not in opaque and len(opaque) >= 40
    with app.db.read() as session:
        row = session.scalar(select(WebSession))
    assert row.token_hash == token_hash(opaque) and opaque not in row.token_hash
    assert (row.client_address, row.user_agent) == ("testclient", "testclient")
    assert row.revoked_at is None and row.expires_at > row.created_at


def test_a_forged_or_tampered_cookie_opens_nothing(client, as_alice):
    cookie = cookie_of(client)
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))
    assert client.get("/").status_code == 303
    client.cookies.set(SESSION_COOKIE, "alice")
    assert client.get("/").status_code == 303
    # the key alone makes no session: a well-signed id that names no stored session opens nothing
    client.cookies.set(SESSION_COOKIE, Signer(KEY, salt="storning.session").sign("x" * 43).decode())
    assert client.get("/").status_code == 303


def test_behind_https_the_cookie_is_secure_and_host_only(app):
    give_passwords(app)
    web = create_app(app, web_settings=WebSettings(secret_key=KEY, secure_cookies=True))
    with TestClient(web, base_url="https://testserver", follow_redirects=False) as client:
        cookie = client.get("/login").headers["set-cookie"]
    assert cookie.startswith("__Host-storning_session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie


# --- logout and replay -----------------------------------------------------------------------------


def test_a_replayed_cookie_after_logout_gets_the_login_page_and_401_from_the_api(app, client):
    token = login(client, "alice")
    stolen = cookie_of(client)
    assert client.get("/api/me").status_code == 200
    response = client.post("/logout", data={"csrf_token": token})
    assert (response.status_code, response.headers["location"]) == (303, "/login?utloggad=1")
    assert "Du är utloggad." in client.get("/login?utloggad=1").text
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, stolen)
    page = client.get("/")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert client.get("/api/me").status_code == 401
    # the API's CSRF check does not pass on a revoked session, even with its old token
    client.cookies.set(SESSION_COOKIE, stolen)
    posted = client.post("/api/cases", json={}, headers={"X-CSRF-Token": token})
    assert posted.status_code == 401 and posted.json()["error"]["code"] == "unauthenticated"
    with app.db.read() as session:
        row = session.scalar(select(WebSession))
        actions = [a.action for a in session.scalars(select(AccessLog).order_by(AccessLog.id))]
    assert row.revoked_reason == "logout" and row.revoked_at is not None
    assert actions.count("login") == 1 and actions.count("logout") == 1


def test_a_new_login_in_the_same_browser_revokes_the_session_it_had(app, client):
    login(client, "alice")
    alices = cookie_of(client)
    login(client, "carl")
    assert client.get("/api/me").json()["username"] == "carl"
    other = second_browser(client.app)
    other.cookies.set(SESSION_COOKIE, alices)
    assert other.get("/").status_code == 303
    with app.db.read() as session:
        reasons = sorted(str(r.revoked_reason) for r in session.scalars(select(WebSession)))
    assert reasons == ["None", "rotated"]


# --- timeouts --------------------------------------------------------------------------------------


def test_a_session_ends_after_the_idle_limit_without_use(app, browser, sessions):
    assert app.settings.session_idle_minutes == 30
    login(browser, "alice")
    sessions.advance(minutes=29)
    assert logged_in(browser)  # a use within the limit keeps it alive …
    sessions.advance(minutes=29)
    assert logged_in(browser)
    sessions.advance(minutes=30, seconds=1)  # … 30 minutes without one ends it
    response = browser.get("/arenden/nytt")
    assert response.headers["location"] == "/login?next=%2Farenden%2Fnytt"


def test_a_session_ends_at_the_absolute_limit_however_much_it_is_used(app, browser, sessions):
    assert app.settings.session_hours == 8
    login(browser, "alice")
    for _ in range(23):  # every 20 minutes for 7 h 40 min
        sessions.advance(minutes=20)
        assert logged_in(browser)
    sessions.advance(minutes=20)  # 8 hours after the login
    assert not logged_in(browser)


def test_the_request_clock_does_not_keep_a_session_alive_or_end_it(client, clock):
    """STORNING_NOW (the request clock) may stand still or jump; sessions run on their own clock."""
    login(client, "alice")
    clock.advance(days=30)
    assert logged_in(client)


# --- passwords, disabling, tokens ------------------------------------------------------------------


def test_a_password_change_ends_every_session_of_that_user_only(app, client, web):
    login(client, "alice")
    with second_browser(web) as other, second_browser(web) as carl:
        login(other, "alice")
        login(carl, "carl")
        assert accounts.set_password(app, "alice", "ett-helt-nytt-losenord") == 2
        assert not logged_in(client) and not logged_in(other)
        assert logged_in(carl)


def test_changing_ones_own_password_keeps_this_browser_and_ends_the_others(app, client, web):
    login(client, "alice")
    with second_browser(web) as other:
        login(other, "alice")
        token = csrf_of(client.get("/konto/losenord").text)
        form = {"current": "fel-losenord", "new": "ett-nytt-losenord", "again": "ett-nytt-losenord"}
        wrong = client.post("/konto/losenord", data={**form, "csrf_token": token})
        assert wrong.status_code == 400 and "nuvarande lösenordet är fel" in wrong.text
        differ = {**form, "current": PASSWORD, "again": "ett-annat-losenord"}
        assert (
            client.post("/konto/losenord", data={**differ, "csrf_token": token}).status_code == 400
        )
        done = client.post(
            "/konto/losenord", data={**form, "current": PASSWORD, "csrf_token": token}
        )
        assert done.status_code == 303
        assert "Ditt lösenord är bytt" in client.get("/").text
        assert not logged_in(other)
    assert accounts.authenticate(app, "alice", "ett-nytt-losenord") is not None


def test_a_disabled_users_session_and_token_stop_at_the_next_request(app, client):
    login(client, "alice")
    token = accounts.set_api_token(app, "alice")
    bearer = {"Authorization": f"Bearer {token}"}
    with second_browser(client.app) as api:
        assert api.get("/api/me", headers=bearer).status_code == 200
        accounts.set_active(app, "alice", False, actor="admin")
        assert not logged_in(client)
        refused = api.get("/api/me", headers=bearer)
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        accounts.set_active(app, "alice", True, actor="admin")
        assert api.get("/api/me", headers=bearer).status_code == 401  # revoked for good
    login(client, "alice")  # the password works again


def test_a_token_expires_and_records_when_it_was_last_used(app, client, clock):
    token = accounts.set_api_token(app, "alice", now=clock.now, expires_in_days=2)
    bearer = {"Authorization": f"Bearer {token}"}
    clock.advance(hours=1)
    assert client.get("/api/me", headers=bearer).status_code == 200
    [listed] = accounts.list_tokens(app, "alice", now=clock.now)
    assert listed["last_used_at"] == "2026-03-02T10:00:00+01:00"
    assert listed["expires_at"] == "2026-03-04T09:00:00+01:00" and listed["status"] == "valid"
    clock.advance(days=2)
    assert client.get("/api/me", headers=bearer).status_code == 401
    assert accounts.list_tokens(app, "alice", now=clock.now)[0]["status"] == "expired"


def test_the_administrators_page_disables_enables_and_resets_passwords(app, client, web):
    with second_browser(web) as bob:
        login(bob, "bob")
        token = login(client, "admin")
        page = client.get("/anvandare")
        assert page.status_code == 200 and "Bob Handläggare" in page.text
        assert 'action="/anvandare/bob/aktiv"' in page.text
        assert 'action="/anvandare/admin/aktiv"' not in page.text  # not oneself
        off = client.post("/anvandare/bob/aktiv", data={"active": "0", "csrf_token": token})
        assert off.status_code == 303
        assert "Kontot bob är avstängt" in client.get("/anvandare").text
        assert not logged_in(bob)
        bad = client.post("/anvandare/bob/aktiv", data={"active": "1"})  # no CSRF token
        assert bad.status_code == 403
        on = client.post("/anvandare/bob/aktiv", data={"active": "1", "csrf_token": token})
        assert on.status_code == 303
        login(bob, "bob")
        short = {"new": "kort", "again": "kort", "csrf_token": token}
        refused = client.post("/anvandare/bob/losenord", data=short)
        assert refused.status_code == 400 and "minst 10 tecken" in refused.text
        new = {"new": "bobs-nya-losenord", "again": "bobs-nya-losenord", "csrf_token": token}
        assert client.post("/anvandare/bob/losenord", data=new).status_code == 303
        assert not logged_in(bob)
        login(bob, "bob", "bobs-nya-losenord")
        unknown = client.post("/anvandare/nobody/aktiv", data={"active": "0", "csrf_token": token})
        assert unknown.status_code == 404


def test_only_an_administrator_reaches_the_page_of_accounts(app, client):
    token = login(client, "carl")
    assert client.get("/anvandare").status_code == 403
    refused = client.post("/anvandare/alice/aktiv", data={"active": "0", "csrf_token": token})
    assert refused.status_code == 403
    assert accounts.authenticate(app, "alice", PASSWORD) is not None  # nothing changed
    with app.db.read() as session:
        logged = [
            a.action for a in session.scalars(select(AccessLog).where(AccessLog.actor == "carl"))
        ]
    assert "user_disabled_refused" in logged


# --- the key that signs the cookie -----------------------------------------------------------------


def test_without_a_configured_key_every_process_uses_the_one_stored_in_the_database(app, db_url):
    """Two web processes (two App objects, two engines) on one database sign alike, with no file."""
    from tests.conftest import base_settings

    give_passwords(app)
    other_app = App.create(base_settings(db_url))
    try:
        first = create_app(app, web_settings=WebSettings(secret_key="", secure_cookies=False))
        second = create_app(other_app, web_settings=WebSettings("", secure_cookies=False))
        with TestClient(first, follow_redirects=False) as a, TestClient(second) as b:
            login(a, "alice")
            b.cookies.set(SESSION_COOKIE, cookie_of(a))
            assert b.get("/api/me").json()["username"] == "alice"
        assert len(accounts.session_secret(app, T0)) >= 32
    finally:
        other_app.db.dispose()


def test_a_database_that_cannot_keep_a_key_is_one_clear_sentence(tmp_path):
    from tests.conftest import base_settings

    from storning.errors import InvalidInput

    empty = App.create(base_settings(f"sqlite:///{tmp_path / 'tom.db'}"))  # never initialised
    try:
        with pytest.raises(InvalidInput) as caught:
            create_app(empty, web_settings=WebSettings("", secure_cookies=False))
    finally:
        empty.db.dispose()
    message = str(caught.value)
    assert "STORNING_SECRET_KEY" in message and "storning init" in message
    assert "\n" not in message


def test_tokens_are_stored_only_as_hashes(app):
    token = accounts.set_api_token(app, "alice")
    with app.db.read() as session:
        stored = list(session.scalars(select(ApiToken.token_hash)))
    assert stored == [token_hash(token)]
