"""The web interface against the named world of tests/conftest.py (alice and carl in team norr, bob in
team syd, lisa reads team norr), on SQLite and PostgreSQL through FastAPI's TestClient.

Passwords are hashed with cheap argon2 parameters (the verifier reads them from the hash) so a login
costs milliseconds; every test's clock starts at T0 and moves only when the test says so.

Every change carries the case version the person saw: a test takes it the way a browser or an
integration would, from the case page just loaded (`version_on_page`) or from the last case document
(`version_of`, a read through the services, written to the access log like any other).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import select
from tests.conftest import at

from storning import services
from storning.app import App
from storning.store.models import User
from storning.web.app import create_app
from storning.web.config import WebSettings

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2; the project's `web` extra installs httpx, which still works.
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

PASSWORD = "ett-bra-losenord"
PEOPLE = ("alice", "bob", "carl", "lisa", "admin")
_cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
CHEAP_HASH = _cheap.hash(PASSWORD)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives Chromium through Playwright (slow)")


class Clock:
    """The time every request sees; tests move it forward."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
        self.now += timedelta(days=days, hours=hours, minutes=minutes)
        return self.now


def give_passwords(app: App) -> None:
    with app.db.write() as session:
        for user in session.scalars(select(User).where(User.username.in_(PEOPLE))):
            user.password_hash = CHEAP_HASH


@pytest.fixture
def clock() -> Clock:
    return Clock(at(0))


@pytest.fixture
def web(app: App, clock: Clock) -> FastAPI:
    give_passwords(app)
    settings = WebSettings(secret_key="test-secret-key-" + "x" * 40, secure_cookies=False)
    return create_app(app, clock=clock, web_settings=settings)


@pytest.fixture
def client(web: FastAPI) -> Iterator[TestClient]:
    with TestClient(web, base_url="http://testserver", follow_redirects=False) as c:
        yield c


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the session's CSRF token."""
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/").text)


def post_form(client: TestClient, url: str, data: dict[str, Any], token: str) -> Any:
    return client.post(url, data={**data, "csrf_token": token})


def version_in(html: str) -> int:
    """The case version a case page was rendered from (the hidden `version` field of its forms)."""
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found, "no case version on the page"
    return int(found.group(1))


def version_on_page(client: TestClient, ref: str) -> int:
    """Load the case page, as the officer does before acting, and return the version it shows."""
    page = client.get(f"/arenden/{ref}")
    assert page.status_code == 200, page.text
    return version_in(page.text)


def version_of(app: App, ref: str, actor: str = "alice", now: datetime | None = None) -> int:
    """The case version in the case document as `actor` reads it now."""
    return int(services.show_case(app, actor, now or at(0), ref)["version"])


@pytest.fixture
def as_alice(client: TestClient) -> str:
    return login(client, "alice")
