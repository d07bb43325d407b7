"""axe-core on every page state, at 1280 px and at 390 px (a phone), on SQLite and PostgreSQL (issue 12
item 9).

The demo is loaded (as tests/web/test_crawl.py does) and served by uvicorn on 127.0.0.1; Debian's
Chromium, driven by Playwright, visits each page state as the role that works there: the login page,
the worklist (with filters, a search, an empty result), the intake form (empty and with its validation
errors), case pages in several states, the reminders, the team overview (chef and reader), the
workflows, the users page, the own-password page and the error pages. On each, axe-core (bundled by
the PyPI package axe-playwright-python) must find no violation of impact serious or critical, and at
390 px the page must not scroll sideways.

One server and one browser per database: the module's fixture is parametrised by the backend, so all
SQLite checks run, then all PostgreSQL checks. The browser context bypasses the Content-Security-Policy
so that axe can be injected; the application's policy itself is untouched.

`test_screenshots` takes the README's screenshots (worklist, team overview, case page; 1280 and 390 px)
from the same demo, into a temporary folder; `scripts/screenshots` runs it with STORNING_SCREENSHOTS_DIR
set to docs/screenshots.
"""

from __future__ import annotations

import functools
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from tests.conftest import _truncate, at, base_settings, populate
from tests.web.conftest import CHEAP_HASH, PASSWORD, Clock

from storning.app import App
from storning.demo import DEMO_PASSWORD, DEMO_USERS, STORIES, load_demo
from storning.store.models import User
from storning.web.app import create_app
from storning.web.config import WebSettings

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
DEMO_NOW = at(days=2)  # Wednesday 4 March 2026, 09:00 in Stockholm, as in test_crawl.py
SEVERE = ("serious", "critical")
WIDTHS = (1280, 390)
PHONE = 390


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Site:
    """The demo served on a free port, a browser, and one logged-in browser context per person."""

    url: str
    refs: dict[str, str]  # demo story name (demo.py) -> case reference
    browser: Any
    contexts: dict[str | None, Any] = field(default_factory=dict)

    def page_as(self, person: str | None, width: int) -> Any:
        """A tab of `person`'s browser session (None: not logged in), `width` px wide."""
        if person not in self.contexts:
            context = self.browser.new_context(bypass_csp=True)  # for axe only; see the docstring
            context.set_default_timeout(15_000)
            tab = context.new_page()
            if person is not None:
                password = PASSWORD if person == "admin" else DEMO_PASSWORD
                tab.goto(f"{self.url}/login")
                tab.get_by_label("Användarnamn").fill(person)
                tab.get_by_label("Lösenord").fill(password)
                tab.get_by_role("button", name="Logga in").click()
                tab.wait_for_url(lambda url: not url.endswith("/login"))
            self.contexts[person] = context
        tab = self.contexts[person].pages[0]
        tab.set_viewport_size({"width": width, "height": 844 if width <= PHONE else 900})
        return tab


def _database(request: pytest.FixtureRequest, folder: Path) -> str:
    if request.param == "sqlite":
        path = folder / "storning.db"
        path.write_bytes(Path(request.getfixturevalue("sqlite_template")).read_bytes())
        return f"sqlite:///{path}"
    url = str(request.getfixturevalue("pg_schema"))
    fresh = App.create(base_settings(url))
    _truncate(fresh.db)
    populate(fresh)
    fresh.db.dispose()
    return url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    if not CHROMIUM.exists():
        missing = "Chromium is not installed (/usr/bin/chromium); scripts/setup installs it"
        if os.environ.get("STORNING_SCREENSHOTS_DIR"):
            pytest.fail(missing)  # scripts/screenshots: no pictures is a failure, not a skip
        pytest.skip(missing)
    import uvicorn
    from playwright.sync_api import sync_playwright

    app = App.create(base_settings(_database(request, tmp_path_factory.mktemp("axe"))))
    refs = load_demo(app, DEMO_NOW)
    cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash(DEMO_PASSWORD)
    demo_people = [u[0] for u in DEMO_USERS]
    with app.db.write() as session:  # a login in milliseconds
        for user in session.scalars(select(User).where(User.username.in_([*demo_people, "admin"]))):
            user.password_hash = CHEAP_HASH if user.username == "admin" else cheap
    settings = WebSettings(secret_key="axe-test-secret-" + "z" * 40, secure_cookies=False)
    asgi = create_app(app, clock=Clock(DEMO_NOW), web_settings=settings)
    port = _free_port()
    config = uvicorn.Config(asgi, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
            names = [story.__name__.lstrip("_") for story in STORIES]
            yield Site(f"http://127.0.0.1:{port}", dict(zip(names, refs, strict=True)), browser)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        app.db.dispose()


@functools.cache
def axe_source() -> str:
    """axe.min.js as the PyPI package axe-playwright-python ships it (the `browser` extra)."""
    return (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(tab: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now."""
    if not tab.evaluate("typeof window.axe !== 'undefined'"):
        tab.evaluate(axe_source())
    result = tab.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return list(result["violations"])


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:8]:
            lines.append(f"    {node['target']}  {node.get('failureSummary', '')[:200]!r}")
    return "\n".join(lines)


# A page state: who looks, where, and what they do there first (a submit, say).
Act = Callable[[Any], None]


@dataclass(frozen=True)
class State:
    person: str | None
    path: str  # may name a demo case as {story}, e.g. {closed}
    status: int = 200
    act: Act | None = None
    expect: str | None = None  # a text the page must show, so the state is the one meant


def _submit_empty_intake(tab: Any) -> None:
    tab.get_by_role("button", name="Öppna ärendet").click()
    tab.wait_for_load_state()


def _failed_login(tab: Any) -> None:
    tab.get_by_label("Användarnamn").fill("anna")
    tab.get_by_label("Lösenord").fill("fel-losenord-helt-enkelt")
    tab.get_by_role("button", name="Logga in").click()
    tab.wait_for_load_state()


STATES: dict[str, State] = {
    "login": State(None, "/login"),
    "login-failed": State(None, "/login", act=_failed_login),
    "worklist": State("anna", "/", expect="Att göra"),
    "worklist-filtered": State("anna", "/?visa=team&typ=storning&forsenade=1&avslutade=1"),
    "worklist-search": State("anna", "/?visa=team&sok=Ek", expect="Jonas Ek"),
    "worklist-empty": State("anna", "/?sok=finns-inte-i-demon", expect="Inga ärenden matchar"),
    "worklist-reader": State("lars", "/?visa=team"),
    "intake": State("anna", "/arenden/nytt"),
    "intake-errors": State("anna", "/arenden/nytt", act=_submit_empty_intake),
    "case-new": State("erik", "/arenden/{new_noise}", expect="Kim Andersson"),
    "case-uppmaning-sent": State("anna", "/arenden/{uppmaning_sent}", expect="Uppmaning"),
    "case-blocked-action": State("anna", "/arenden/{termination_ready}", expect="Sara Ek"),
    "case-severe": State("erik", "/arenden/{severe}", expect="Mikael Holm"),
    "case-kronofogden": State("anna", "/arenden/{kronofogden}", expect="Kronofogden"),
    "case-closed": State("anna", "/arenden/{closed}", expect="Nora Dahl"),
    "case-arrears-plan": State("anna", "/arenden/{arrears_plan}", expect="Jonas Ek"),
    "case-reader": State("lars", "/arenden/{uppmaning_sent}", expect="Johan Nilsson"),
    "reminders": State("anna", "/paminnelser"),
    "team-chef": State("maria", "/oversikt", expect="Arbetsbelastning"),
    "team-reader": State("lars", "/oversikt", expect="Arbetsbelastning"),
    "workflows": State("anna", "/arbetsfloden"),
    "users": State("admin", "/anvandare", expect="Användare"),
    "password": State("anna", "/konto/losenord"),
    "error-404": State("anna", "/arenden/S-2026-9999", status=404),
    "error-403": State("anna", "/anvandare", status=403),
}

# Violations in templates other engineers are changing now (diagrams, previews): marked here, listed
# in the change's report, and lifted when those templates are fixed.
KNOWN: dict[str, str] = {}


def _cases() -> list[Any]:
    cases = []
    for name in STATES:
        for width in WIDTHS:
            marks = [pytest.mark.xfail(reason=KNOWN[name], strict=False)] if name in KNOWN else []
            cases.append(pytest.param(name, width, id=f"{name}-{width}", marks=marks))
    return cases


@pytest.mark.parametrize(("name", "width"), _cases())
def test_no_serious_accessibility_violation(site: Site, name: str, width: int) -> None:
    state = STATES[name]
    tab = site.page_as(state.person, width)
    response = tab.goto(site.url + state.path.format(**site.refs))
    assert response is not None and response.status == state.status, (name, response)
    if state.act is not None:
        state.act(tab)
    if state.expect is not None:
        assert state.expect in tab.locator("main").inner_text(), f"{name}: not the state meant"
    severe = [v for v in axe_violations(tab) if v["impact"] in SEVERE]
    assert not severe, f"{name} at {width} px:\n{describe(severe)}"
    if width == PHONE:
        scroll_width = tab.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= PHONE, f"{name} is {scroll_width} px wide at {PHONE} px"


def test_states_are_what_they_say(site: Site) -> None:
    """The intake errors are shown, the failed login says so, and the blocked case shows a block."""
    tab = site.page_as("anna", 1280)
    tab.goto(f"{site.url}/arenden/nytt")
    _submit_empty_intake(tab)
    assert tab.locator(".error-summary").count() == 1
    erik = site.page_as("erik", 1280)
    erik.goto(site.url + "/arenden/{new_noise}".format(**site.refs))
    assert erik.locator("button[disabled]").count() >= 1, "no blocked action on the new case"
    anonymous = site.page_as(None, 1280)
    anonymous.goto(f"{site.url}/login")
    _failed_login(anonymous)
    assert anonymous.locator("[role=alert]").count() == 1


def test_screenshots(site: Site, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The README's screenshots, on SQLite only (the pictures are the same on PostgreSQL)."""
    if request.node.callspec.params["site"] != "sqlite":
        pytest.skip("screenshots are taken from the SQLite run")
    folder = Path(os.environ.get("STORNING_SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    shots = [  # file, person, page, width, height, what the phone scrolls to (its stacked rows)
        ("worklist", "anna", "/", 1280, 1400, None),
        ("worklist-phone", "anna", "/", PHONE, 1300, "table.cases"),
        ("overview", "maria", "/oversikt", 1280, 1000, None),
        ("overview-phone", "maria", "/oversikt", PHONE, 1300, None),
        ("case", "anna", "/arenden/{termination_ready}", 1280, 1000, None),
        ("case-phone", "anna", "/arenden/{termination_ready}", PHONE, 1300, None),
    ]
    for name, person, path, width, height, scroll_to in shots:
        tab = site.page_as(person, width)
        tab.set_viewport_size({"width": width, "height": height})
        response = tab.goto(site.url + path.format(**site.refs))
        assert response is not None and response.status == 200, (name, response)
        if scroll_to:
            tab.evaluate(
                "s => window.scrollTo(0, document.querySelector(s).getBoundingClientRect().top"
                " + window.scrollY - 24)",
                scroll_to,
            )
        target = folder / f"{name}.png"
        tab.screenshot(path=str(target))
        assert 10_000 < target.stat().st_size < 400_000, (target, target.stat().st_size)
