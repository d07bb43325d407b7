"""No page ever fails (issue 12 item 1), on SQLite and PostgreSQL.

The demo is loaded (its timers run up to the demo's now, as the worker would have), then each demo
role — officers anna and erik, chef maria, reader lars, and the administrator — logs in through the
login form and follows every link from the worklist and every demo case's page: case pages, letter
PDFs, diagrams, reports, reminders, and the worklist with every filter value its form offers. Every
answer is 200, 303, 403 or 404: never a 5xx.
"""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from tests.conftest import at
from tests.web.conftest import PASSWORD, Clock, TestClient, login

from storning.demo import DEMO_PASSWORD, DEMO_USERS, load_demo
from storning.store.models import Timer, User

DEMO_NOW = at(days=2)  # Wednesday 4 March 2026, 09:00 in Stockholm
ALLOWED = {200, 303, 403, 404}
MAX_PAGES = 400  # per person: a guard against a link loop, far above what the demo has
# Pages of one kind that differ only in their query, visited at most this many times each: every
# number on Utfall links to its cases for each period preset, team and type (hundreds of lists of
# the same page; one period's are enough to show none fails).
SAMPLED = {"/utfall/arenden": 80, "/utfall": 12}
SKIPPED = ("/logout", "/static/", "/openapi.json", "/docs", "/redoc")


@pytest.fixture
def clock() -> Clock:
    return Clock(DEMO_NOW)


HISTORY_CASES = 13  # the generated year of history: one case of each of its paths, not 360


@pytest.fixture
def demo(app, monkeypatch) -> list[str]:
    """The demo's cases; its people get a cheap hash of the demo password (a login in milliseconds).
    The year of generated history is cut to one case a path: its pages are the same kind."""
    monkeypatch.setattr("storning.outcomes.history.DEMO_CASES", HISTORY_CASES)
    refs = load_demo(app, DEMO_NOW)
    cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash(DEMO_PASSWORD)
    with app.db.write() as session:
        names = [u[0] for u in DEMO_USERS]
        for user in session.scalars(select(User).where(User.username.in_(names))):
            user.password_hash = cheap
    return refs


class Links(HTMLParser):
    """The links of a page and the GET forms' choices (each select option, each checkbox)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.choices: list[str] = []
        self._form: str | None = None
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            get = a.get("method", "get").lower() == "get"
            self._form = a.get("action", "") if get else None
        elif self._form is None:
            return
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and a.get("value"):
            self._choose(self._select, a["value"])
        elif tag == "input" and a.get("type") == "checkbox" and a.get("name"):
            self._choose(a["name"], a.get("value") or "1")
        elif tag == "input" and a.get("type") == "search" and a.get("name"):
            for text in ("2026-0013", "1102", "Kim", "Greta Granne", "Storgatan", "%_"):
                self._choose(a["name"], text)

    def _choose(self, name: str, value: str) -> None:
        self.choices.append(f"{self._form or '/'}?{urlencode({name: value, 'visa': 'team'})}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _local(href: str) -> str | None:
    """A link to follow: on this site, not the static files, without its fragment."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith(SKIPPED):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def crawl(client, start: list[str]) -> tuple[dict[str, int], list[str]]:
    """Every page reachable from `start`: ({url: status}, failures); follows HTML pages' links."""
    seen: dict[str, int] = {}
    failures: list[str] = []
    sampled: dict[str, int] = {}
    queue = deque(start)
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        path = url.split("?", 1)[0]
        if path in SAMPLED:
            if sampled.get(path, 0) >= SAMPLED[path]:
                continue
            sampled[path] = sampled.get(path, 0) + 1
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code not in ALLOWED:
            failures.append(f"{response.status_code} {url}\n{response.text[:2000]}")
            continue
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        page = Links(response.text)
        for href in [*page.links, *page.choices]:  # the filters: one value at a time
            target = _local(href)
            if target is not None and target not in seen:
                queue.append(target)
    assert len(seen) < MAX_PAGES, f"the crawl did not end after {len(seen)} pages: a link loop?"
    return seen, failures


def _log_in(client, username: str) -> None:
    password = PASSWORD if username == "admin" else DEMO_PASSWORD
    login(client, username, password)


PEOPLE = ["anna", "erik", "maria", "lars", "admin"]


def test_no_page_reachable_by_any_demo_role_ever_fails(app, demo, web):
    """One demo per database, crawled by each role in its own browser session."""
    with app.db.read() as session:  # the worker has caught up with the demo's now
        late = select(Timer.id).where(Timer.status == "pending", Timer.due_at <= DEMO_NOW)
        assert session.scalars(late).all() == []
    cases = [f"/arenden/{ref}" for ref in demo]
    failures: list[str] = []
    for person in PEOPLE:
        with TestClient(web, base_url="http://testserver", follow_redirects=False) as client:
            _log_in(client, person)
            seen, failed = crawl(client, ["/", "/?visa=team&avslutade=1", "/arenden/nytt", *cases])
            print(f"{person}: {len(seen)} pages")
        failures += [f"[{person}] {failure}" for failure in failed]
        readable = [url for url in cases if seen[url] == 200]
        assert readable, f"{person} reads none of the demo's cases"
        if person == "admin":
            assert readable == cases
        assert any(re.search(r"/brev/\d+\.pdf$", url) for url in seen), f"{person}: no letter"
    assert not failures, "\n\n".join(failures)
