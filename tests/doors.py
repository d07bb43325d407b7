"""The three doors into the product — the CLI, the JSON API and the web forms — driven the way a person
or an integrator uses them, against the database of the `app` fixture (SQLite and PostgreSQL).

Shared by tests/test_cross_door.py, tests/test_protected_identity.py and tests/test_fact_validation.py.
Every door gets its time injected: the CLI through `--now`, the API and the pages through the web
app's clock, which `Doors` sets before each request. Nothing here reads the real clock.

- `Doors.cli(...)` runs `storning --db URL --now T [--as USER] ...` with click's CliRunner.
- `Doors.api(user, method, url, now=...)` calls the API with the user's token (`storning user token`).
- `Doors.browser(user)` logs a user in through the login form; `Browser.submit(...)` fills in and posts
  a form exactly as the page renders it (hidden fields, defaults, selected options), with changes.
- `Doors.snapshot(ref)` is what a refused change must leave untouched (read from the tables, as are
  `Doors.access_log()` and `Doors.outbox()`).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from html.parser import HTMLParser
from io import BytesIO
from typing import Any

import pytest
from click.testing import CliRunner, Result
from pypdf import PdfReader
from sqlalchemy import func, select

from storning.app import App
from storning.cli import main
from storning.store.models import (
    AccessLog,
    Case,
    CaseTrack,
    Incident,
    JournalEntry,
    Letter,
    Outbox,
)
from storning.web.app import create_app
from storning.web.config import WebSettings
from tests.conftest import ROOT, ZONE
from tests.web.conftest import CHEAP_HASH, Clock, TestClient, give_passwords, login

# The people of tests/conftest.py: alice (officer) and carl (chef) in team norr, bob (officer) in team
# syd, lisa reads team norr; admin holds every role.
CASE_FIELDS = {
    "tenant": "Kim Hyresgäst",
    "address": "Storgatan 1",
    "apartment": "1102",
    "municipality": "Norrköping",
    "contract": "123-456",
    "postal_code": "602 20",
    "city": "Norrköping",
}


def instant(text: str) -> datetime:
    """An ISO time as typed in a test; without an offset it is in the landlord's zone."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=ZONE)


def pdf_text(data: bytes) -> str:
    """The text of a PDF with runs of white space made single spaces."""
    pages = PdfReader(BytesIO(data)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


# --- HTML forms ------------------------------------------------------------------------------------


class _Forms(HTMLParser):
    """Every <form> on a page with the values a browser would submit without the user touching it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self._fields: dict[str, str] | None = None
        self._select: str | None = None
        self._chosen = False
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self._fields = {}
            method = (a.get("method") or "get").lower()
            self.forms.append(
                {"action": a.get("action") or "", "method": method, "fields": self._fields}
            )
            return
        if self._fields is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._fields[name] = a.get("value") or "on"
            elif kind not in ("submit", "button", "image", "reset", "file"):
                self._fields[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select, self._chosen = name, False
        elif tag == "option" and self._select is not None:
            selected = "selected" in a
            if selected or self._select not in self._fields:
                self._fields[self._select] = a.get("value") or ""
            if selected:
                self._chosen = True
        elif tag == "textarea" and name:
            self._textarea = name
            self._fields[name] = ""

    def handle_data(self, data: str) -> None:
        if self._fields is not None and self._textarea is not None:
            self._fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._fields = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_on(page: str) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(page)
    return parser.forms


def form_fields(page: str, action: str, match: dict[str, str] | None = None) -> dict[str, str]:
    """The fields of the first form posting to `action` whose fields include `match` (a form that
    posts comes before a GET form with the same action, such as a look-up above the form)."""
    forms = sorted(forms_on(page), key=lambda form: form["method"] != "post")
    for form in forms:
        fields: dict[str, str] = form["fields"]
        if form["action"] == action and all(fields.get(k) == v for k, v in (match or {}).items()):
            return dict(fields)
    offered = [(f["action"], f["fields"].get("event")) for f in forms_on(page)]
    raise AssertionError(f"no form {action} {match or ''} on the page; it has {offered}")


def has_form(page: str, action: str) -> bool:
    return any(form["action"] == action for form in forms_on(page))


def alert_of(page: str) -> str:
    """The error notice(s) of a page as plain text, for assertion messages."""
    found = re.findall(r'role="alert"(.*?)</(?:div|section)>', page, flags=re.S)
    texts = [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", x)).split()) for x in found]
    return " | ".join(texts)[:600] or "(no role=alert on the page)"


def page_text(page: str) -> str:
    """A page's text with entities decoded (for looking for a message shown on it)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


# --- the doors -------------------------------------------------------------------------------------


class Browser:
    """One logged-in browser session on the web pages."""

    def __init__(self, doors: Doors, user: str, now: str) -> None:
        self.doors = doors
        self.user = user
        self.client = doors.new_client()
        doors.clock.now = instant(now)
        self.csrf = login(self.client, user)

    def get(self, url: str, *, now: str, **params: Any) -> Any:
        self.doors.clock.now = instant(now)
        return self.client.get(url, params=params or None)

    def post(self, url: str, data: dict[str, str], *, now: str) -> Any:
        self.doors.clock.now = instant(now)
        return self.client.post(url, data=data)

    def form(
        self, page_url: str, action: str, *, now: str, match: dict[str, str] | None = None
    ) -> dict[str, str]:
        """The form as the page at `page_url` renders it at `now`."""
        page = self.get(page_url, now=now)
        assert page.status_code == 200, f"{page_url}: {page.status_code} {alert_of(page.text)}"
        return form_fields(page.text, action, match)

    def submit(
        self,
        page_url: str,
        action: str,
        *,
        now: str,
        match: dict[str, str] | None = None,
        fill: dict[str, str] | None = None,
        drop: tuple[str, ...] = (),
    ) -> Any:
        """Open the page, fill in the form posting to `action` and send it (all at `now`)."""
        fields = self.form(page_url, action, now=now, match=match)
        fields.update(fill or {})
        for name in drop:
            fields.pop(name, None)
        return self.post(action, fields, now=now)

    def document(self, ref: str, *, now: str) -> dict[str, Any]:
        """The case document as this session reads it (GET /api/cases/{ref} on the session cookie)."""
        response = self.get(f"/api/cases/{ref}", now=now)
        assert response.status_code == 200, response.text
        document: dict[str, Any] = response.json()
        return document


class Doors:
    def __init__(self, app: App, db_url: str, stack: ExitStack) -> None:
        self.app = app
        self.db_url = db_url
        self.runner = CliRunner()
        self.clock = Clock(instant("2026-03-02T09:00"))
        self._stack = stack
        self._tokens: dict[str, str] = {}
        give_passwords(app)
        settings = WebSettings(secret_key="test-secret-key-" + "x" * 40, secure_cookies=False)
        self.web = create_app(app, clock=self.clock, web_settings=settings)
        self._api_client: TestClient | None = None

    # --- CLI ---------------------------------------------------------------------------------------

    def cli(
        self, *args: str, now: str, user: str | None = "alice", input: str | None = None
    ) -> Result:
        """`storning --db URL --now NOW [--as USER] ARGS`; `user=None` is the local administrator."""
        prefix = ["--db", self.db_url, "--now", now] + (["--as", user] if user else [])
        return self.runner.invoke(main, [*prefix, *args], input=input, catch_exceptions=False)

    def cli_json(self, *args: str, now: str, user: str | None = "alice") -> Any:
        result = self.cli(*args, "--json", now=now, user=user)
        assert result.exit_code == 0, (
            f"storning {' '.join(args)} (as {user}) exit {result.exit_code}: {result.stderr}"
        )
        return json.loads(result.stdout)

    def open_case(
        self,
        *,
        now: str,
        user: str = "alice",
        extra: tuple[str, ...] = (),
        case_type: str = "storning",
    ) -> dict[str, Any]:
        """A case opened through the CLI (the set-up every test shares)."""
        args: list[str] = ["case", "open", "--type", case_type]
        for name, value in CASE_FIELDS.items():
            args += [f"--{name.replace('_', '-')}", value]
        document: dict[str, Any] = self.cli_json(*args, *extra, now=now, user=user)
        return document

    def show(self, ref: str, *, now: str, user: str | None = None) -> dict[str, Any]:
        document: dict[str, Any] = self.cli_json("case", "show", ref, now=now, user=user)
        return document

    # --- API ---------------------------------------------------------------------------------------

    def new_client(self) -> TestClient:
        client = TestClient(self.web, base_url="http://testserver", follow_redirects=False)
        return self._stack.enter_context(client)

    def token(self, user: str) -> str:
        """The user's API token, made once with `storning user token USER`."""
        if user not in self._tokens:
            result = self.cli("user", "token", user, now="2026-03-01T00:00", user=None)
            assert result.exit_code == 0, result.stderr
            self._tokens[user] = result.stdout.strip().splitlines()[0].strip()
        return self._tokens[user]

    def api(
        self,
        user: str,
        method: str,
        url: str,
        *,
        now: str,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        if self._api_client is None:
            self._api_client = self.new_client()
        self.clock.now = instant(now)
        sent = {"Authorization": f"Bearer {self.token(user)}", **(headers or {})}
        return self._api_client.request(method, url, json=json, params=params, headers=sent)

    # --- web ---------------------------------------------------------------------------------------

    def browser(self, user: str, *, now: str) -> Browser:
        return Browser(self, user, now)

    # --- the database, read directly ---------------------------------------------------------------

    def case_id(self, ref: str) -> int:
        with self.app.db.engine.connect() as conn:
            found = conn.execute(select(Case.__table__.c.id).where(Case.__table__.c.ref == ref))
            return int(found.scalar_one())

    def case_count(self) -> int:
        with self.app.db.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Case.__table__)).scalar_one())

    def access_log(self) -> list[Any]:
        table = AccessLog.__table__
        with self.app.db.engine.connect() as conn:
            return list(conn.execute(select(table).order_by(table.c.id)).all())

    def outbox(self) -> list[Any]:
        table = Outbox.__table__
        with self.app.db.engine.connect() as conn:
            return list(conn.execute(select(table).order_by(table.c.id)).all())

    def version(self, ref: str) -> int:
        with self.app.db.engine.connect() as conn:
            found = conn.execute(
                select(Case.__table__.c.version).where(Case.__table__.c.ref == ref)
            )
            return int(found.scalar_one())

    def snapshot(self, ref: str) -> dict[str, Any]:
        """Everything of a case that a refused change must leave as it was, read from the tables."""
        cases, tracks = Case.__table__, CaseTrack.__table__
        journal, incidents, letters = JournalEntry.__table__, Incident.__table__, Letter.__table__
        with self.app.db.engine.connect() as conn:
            case = conn.execute(select(cases).where(cases.c.ref == ref)).one()

            def rows(*columns: Any, table: Any) -> list[tuple[Any, ...]]:
                query = select(*columns).where(table.c.case_id == case.id).order_by(*columns[:1])
                return [tuple(row) for row in conn.execute(query)]

            return {
                "version": case.version,
                "status": case.status,
                "facts": case.facts,
                "tracks": rows(tracks.c.track, tracks.c.state, tracks.c.since, table=tracks),
                "journal": rows(journal.c.id, journal.c.at, journal.c.track, journal.c.event,
                                table=journal),
                "incidents": rows(incidents.c.id, incidents.c.at, incidents.c.text, table=incidents),
                "letters": rows(letters.c.id, letters.c.status, letters.c.sent_at,
                                letters.c.served_at, letters.c.sha256, letters.c.issued_at,
                                table=letters),
            }  # fmt: skip


@contextmanager
def open_doors(app: App, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Doors]:
    monkeypatch.setenv("STORNING_WORKFLOWS", str(ROOT / "workflows"))
    monkeypatch.setenv("STORNING_LETTERS_DIR", str(ROOT / "letters"))
    with ExitStack() as stack:
        yield Doors(app, db_url, stack)


@contextmanager
def open_doors_with_privacy_officer(
    app: App, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Doors]:
    """The doors, with dina added: the privacy officer (`dataskydd`, no team)."""
    from storning import services

    services.add_user(app, "dina", "Dina Dataskydd", ["dataskydd"], password_hash=CHEAP_HASH)
    with open_doors(app, db_url, monkeypatch) as doors:
        yield doors


def letter_of(document: dict[str, Any] | list[dict[str, Any]], template: str) -> dict[str, Any]:
    """The newest letter of a template in a case document or a letter list."""
    letters = document["letters"] if isinstance(document, dict) else document
    found = [x for x in letters if x["template"] == template]
    assert found, f"no letter {template} in {[x['template'] for x in letters]}"
    return dict(found[-1])


def cli_refused(result: Result) -> str:
    """A CLI refusal: exit 1, one sentence on stderr, no traceback; returns the sentence."""
    assert result.exit_code == 1, f"expected exit 1, got {result.exit_code}: {result.stdout[:400]}"
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr + result.stdout
    assert len(lines) == 1, f"expected one line on stderr, got {lines}"
    return lines[0]


def api_refused(response: Any, statuses: tuple[int, ...] = (400, 422)) -> str:
    """An API refusal: the status, and `{"error": {"code", "message"}}`; returns the message."""
    assert response.status_code in statuses, f"{response.status_code}: {response.text[:400]}"
    error = response.json()["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"].strip()
    message: str = error["message"]
    return message
