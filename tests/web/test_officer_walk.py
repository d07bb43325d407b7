"""The five common tasks of an officer's day, in a real browser, each in no more clicks than a budget
(issue 12, "Done when"): register a complaint with the incident's times, fix a missing postal code,
issue an uppmaning after previewing its letters, mark both letters sent in one step, and find what is
due today.

The clicks are counted by `Walk.click`; typing into a field and choosing in a list are not clicks. The
budgets are what the pages allowed before preview-and-confirm (one click to issue, one per letter to
mark sent — four for the two letters): previewing must not cost more than marking the letters one by one
saved. Chromium (Debian) through Playwright on SQLite; skipped without /usr/bin/chromium.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.conftest import at
from tests.helpers import open_storning
from tests.web.conftest import PASSWORD
from tests.web.test_browser import _login, page, server  # noqa: F401  (fixtures)

from storning import services

pytestmark = pytest.mark.browser


class Walk:
    """The browser tab with a click counter per task."""

    def __init__(self, tab: Any) -> None:
        self.tab = tab
        self.clicks = 0

    def click(self, locator: Any) -> None:
        locator.click()
        self.clicks += 1

    def task(self) -> int:
        """The clicks since the last call (one task's count)."""
        clicks, self.clicks = self.clicks, 0
        return clicks


def field(scope: Any, label: str) -> Any:
    """The field whose label is `label` (a required one's label ends "(obligatoriskt)")."""
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}( \(obligatoriskt\))?$"))


def test_an_officers_five_tasks_in_few_clicks(server, page, sqlite_app):  # noqa: F811
    base = server["url"]
    # Something due today for alice: a case opened Monday 23 February 2026 must have its first
    # contact within five working days (24, 25, 26, 27 February, 2 March): Monday 2 March, today (T0).
    due_today = open_storning(sqlite_app, actor="alice", now=at(-7), tenant="Lena Strand",
                              address="Vattengatan 2", apartment="1501")["ref"]  # fmt: skip
    _login(page, base, "alice", PASSWORD)
    walk = Walk(page)

    # 1. Register a complaint with the incident's start and end, verified by the störningsjour; the
    #    postal code is not known yet.
    walk.click(page.get_by_role("link", name="Nytt ärende"))
    field(page, "Hyresgäst (kontraktsinnehavare)").fill("Kim Hyresgäst")
    field(page, "Adress").fill("Storgatan 1")
    field(page, "Lägenhetsnummer").fill("1102")
    field(page, "Kommun").fill("Norrköping")
    field(page, "Kontraktsnummer").fill("1102-01")
    field(page, "Klagande 1").fill("Greta Granne")
    page.get_by_label("När inträffade den?").fill("2026-03-01T23:40")
    page.get_by_label("När slutade den?").fill("2026-03-02T01:10")
    page.get_by_label("Slag av störning").select_option("noise")
    page.get_by_label("Verifierad av").select_option("jour")
    page.get_by_label("Vad hände?").fill("Hög musik och skrik från lägenheten")
    walk.click(page.get_by_role("button", name="Öppna ärendet"))
    page.wait_for_url(re.compile(r".*/arenden/S-2026-\d{4}$"))
    ref = page.url.rsplit("/", 1)[-1]
    incidents = page.locator("section[aria-labelledby=storningar]").inner_text()
    assert "2026-03-01 23:40–01:10" in incidents
    assert walk.task() <= 2

    # 2. The letters need the postal code: the case page says so and links to the form.
    notice = page.locator("#saknas")
    assert "postnummer" in notice.inner_text().lower()
    walk.click(notice.get_by_role("link", name="Komplettera under Ändra uppgifter."))
    form = page.locator("#uppgifter")
    field(form, "Postnummer").fill("602 20")
    field(form, "Ort").fill("Norrköping")
    walk.click(page.get_by_role("button", name="Spara uppgifterna"))
    page.wait_for_url(re.compile(rf".*/arenden/{ref}.*"))
    # the postal code no longer lacks (the personnummer is needed only when applying to Kronofogden)
    assert "postnummer" not in page.locator("#saknas").inner_text().lower()
    assert walk.task() <= 2

    # 3. Issue the uppmaning: the letters are previewed before anything is saved.
    walk.click(page.get_by_role("button", name="Skicka uppmaning"))
    page.wait_for_url(re.compile(rf".*/arenden/{ref}/atgard.*"))
    assert "Granska breven" in page.locator("h1").inner_text()
    previews = page.locator("img.preview-page")
    assert previews.count() >= 2  # the uppmaning and the notice to socialnämnden, one page or more
    listed = page.locator("ul.preview-list").inner_text()
    assert "Uppmaning" in listed and "socialnämnd" in listed.lower()
    before = services.list_letters(sqlite_app, "alice", at(0), ref)
    assert [x["template"] for x in before] == ["bekraftelse"]  # nothing saved yet
    walk.click(page.get_by_role("button", name="Bekräfta och skapa brev").first)
    page.wait_for_url(re.compile(rf".*/arenden/{ref}.*"))
    assert walk.task() <= 2

    # 4. Both letters were sent by registered post today: one form for the step.
    box = page.locator("details.step-sent").first
    walk.click(box.locator("summary"))
    box.get_by_label("Sändsätt").select_option("rekommenderat")
    walk.click(box.get_by_role("button"))
    page.wait_for_url(re.compile(rf".*/arenden/{ref}.*"))
    letters = services.list_letters(sqlite_app, "alice", at(0), ref)
    drafted = {x["template"]: x for x in letters}
    for template in ("uppmaning", "underrattelse_socialnamnd"):
        sent = drafted[template]
        assert (sent["status"], sent["sent_method"]) == ("sent", "rekommenderat"), sent
        assert sent["sent_at"].startswith("2026-03-02"), sent  # today, as the form proposed
    assert walk.task() <= 4 - 1  # fewer than marking the two letters one by one (two clicks each)

    # 5. What is due today: the worklist's first section.
    walk.click(page.get_by_role("link", name="Mina ärenden"))
    today = page.locator("li.due-today")
    assert today.count() >= 1
    assert due_today in today.first.inner_text()
    assert "Ta första kontakt" in page.locator("ul.due-list").first.inner_text() or any(
        "Ta första kontakt" in today.nth(n).inner_text() for n in range(today.count())
    )
    assert walk.task() <= 1
