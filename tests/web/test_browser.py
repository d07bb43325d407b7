"""An officer's morning in a real browser: Debian's Chromium driven by Playwright against a uvicorn server
on 127.0.0.1, on SQLite. Select with `-m browser`; skipped when /usr/bin/chromium is missing.

The README's screenshots are taken from the demo by tests/web/test_accessibility.py (scripts/screenshots).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import at
from tests.helpers import letter_id, open_storning
from tests.web.conftest import PASSWORD, Clock, give_passwords

from storning import services
from storning.app import App
from storning.web.app import create_app
from storning.web.config import WebSettings

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _seed_worklist(app: App) -> None:
    """Carl's cases in different states and with deadlines before, on and after T0."""
    people = (
        ("Sara Ek", "Drottninggatan 20", -12),
        ("Johan Nilsson", "Kungsgatan 4", -9),
        ("Eva Lund", "Slottsgatan 9", -5),
        ("Oskar Berg", "Hamngatan 7", -2),
        ("Lena Strand", "Vattengatan 2", -1),
    )
    for n, (tenant, address, days) in enumerate(people):
        doc = open_storning(app, actor="carl", now=at(days), tenant=tenant, address=address,
                            apartment=f"{n + 1}01", contract=f"{n + 1}01-0{n}")  # fmt: skip
        ref = doc["ref"]
        if n % 2 == 0:
            services.add_incident(app, "carl", at(days, 1), ref, at=at(days - 1), kind="noise",
                                  text="Hög musik nattetid", verified_by="jour")  # fmt: skip
            doc = services.fire_event(app, "carl", at(days, 2), ref, "issue_uppmaning")
            services.mark_letter_sent(app, "carl", at(days, 3), letter_id(doc, "uppmaning"),
                                      method="rekommenderat")  # fmt: skip
        if n == 1:
            services.fire_event(app, "carl", at(days, 4), ref, "record_contact",
                                params={"channel": "phone"})  # fmt: skip


@pytest.fixture
def server(sqlite_app: App) -> Iterator[dict[str, Any]]:
    """uvicorn in a thread on a free loopback port, stopped at the end."""
    import uvicorn

    clock = Clock(at(0))
    _seed_worklist(sqlite_app)
    give_passwords(sqlite_app)
    settings = WebSettings(secret_key="browser-test-secret-" + "y" * 40, secure_cookies=False)
    asgi = create_app(sqlite_app, clock=clock, web_settings=settings)
    port = _free_port()
    config = uvicorn.Config(asgi, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield {"url": f"http://127.0.0.1:{port}", "clock": clock}
    instance.should_exit = True
    thread.join(timeout=20)


@pytest.fixture
def page(server: dict[str, Any]) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (/usr/bin/chromium); scripts/setup installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        yield tab
        context.close()
        browser.close()


def _login(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{base}/**")  # officers land on their worklist, chefs on the team overview


def _unlabelled_fields(page: Any) -> list[str]:
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                 .filter(el => !el.labels || el.labels.length === 0)
                 .map(el => el.name || el.id)"""
        )
    )


def test_an_officer_takes_a_complaint_to_a_blocked_termination(server, page):
    base, clock = server["url"], server["clock"]
    _login(page, base, "alice", PASSWORD)

    # A keyboard user first meets the skip link.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Hoppa till innehållet"

    # Nytt ärende: a complaint with a protected complainant.
    page.get_by_role("link", name="Nytt ärende").click()
    assert _unlabelled_fields(page) == []
    page.get_by_label("Ärendetyp").select_option("storning")
    page.get_by_label("Hyresgäst (kontraktsinnehavare)").fill("Kim Hyresgäst")
    page.get_by_label("Adress (obligatoriskt)").fill("Storgatan 1")
    page.get_by_label("Lägenhetsnummer").fill("1102")
    page.get_by_label("Postnummer").fill("602 20")
    page.get_by_label("Ort", exact=True).fill("Norrköping")
    page.get_by_label("Kommun", exact=True).fill("Norrköping")
    page.get_by_label("Kontraktsnummer").fill("1102-01")
    page.get_by_label("Personnummer", exact=True).fill("19850312-1231")
    page.get_by_label("Klagande 1", exact=True).fill("Greta Granne")
    page.get_by_label("Postadress, klagande 1").fill("Storgatan 1 lgh 1202\n602 20 Norrköping")
    page.locator("#complainant_1_protected").check()
    page.get_by_role("button", name="Öppna ärendet").click()
    page.wait_for_url(lambda url: url.rsplit("/", 1)[1].startswith("S-"))
    assert "är öppnat" in page.locator("[role=status]").inner_text()
    assert _unlabelled_fields(page) == []

    # A disturbance verified by the landlord's own staff.
    clock.advance(hours=1)
    page.locator("summary", has_text="Registrera störning").click()
    page.get_by_label("När inträffade den?").fill("2026-03-01T23:40")
    page.get_by_label("Slag av störning").select_option("noise")
    page.get_by_label("Verifierad av").select_option("staff")
    page.get_by_label("Vad hände?").fill("Hög musik och skrik till kl. 03, hördes i trapphuset")
    page.get_by_role("button", name="Registrera störningen").click()
    assert "Störningen (buller) är registrerad." in page.locator("[role=status]").inner_text()

    # The uppmaning; the authority track drafts the notice to socialnämnden by itself. Both letters
    # are shown before they are made.
    clock.advance(hours=1)
    page.get_by_role("button", name="Skicka uppmaning (rättelseanmaning)").click()
    assert page.locator("h1").inner_text() == "Granska breven: Skicka uppmaning (rättelseanmaning)"
    page.get_by_role("button", name="Bekräfta och skapa brev").first.click()
    authority = page.locator("article", has_text="Myndighetsprocess")
    assert "Underrättelse upprättad" in authority.inner_text()

    # The uppmaning is sent; a new disturbance afterwards is a ground for termination.
    clock.advance(hours=1)
    uppmaning = page.locator("li.letter", has_text="Uppmaning att vidta rättelse")
    uppmaning.locator("summary", has_text="Markera som skickat").click()
    uppmaning.get_by_role("button", name="Markera som skickat").click()
    assert "är markerat som skickat" in page.locator("[role=status]").inner_text()
    clock.advance(days=1)
    page.locator("summary", has_text="Registrera störning").click()
    page.get_by_label("När inträffade den?").fill("2026-03-03T08:30")
    page.get_by_label("Slag av störning").select_option("noise")
    page.get_by_label("Verifierad av").select_option("staff")
    page.get_by_label("Vad hände?").fill("Ny fest, fastighetsskötaren hörde den")
    page.get_by_role("button", name="Registrera störningen").click()
    legal = page.locator("article", has_text="Hyresjuridisk process")
    assert "Grund för uppsägning föreligger" in legal.inner_text()

    # Termination is blocked until the notice to socialnämnden has been sent, and says why.
    terminate = legal.get_by_role("button", name="Säg upp (förverkande)")
    assert terminate.is_disabled()
    reasons = legal.locator(f"#{terminate.get_attribute('aria-describedby')}").inner_text()
    assert "12 kap. 42 § tredje stycket" in reasons

    # The letter as a PDF.
    with page.expect_download() as download:
        uppmaning.get_by_role("link", name="Ladda ner PDF").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")


def test_a_chef_lands_on_the_overview_and_reaches_the_worklist(server, page):
    base = server["url"]
    _login(page, base, "carl", PASSWORD)
    assert page.url == f"{base}/oversikt"  # a chef lands on the team overview
    page.goto(f"{base}/")
    assert "Att göra" in page.content()
    assert _unlabelled_fields(page) == []


class Clicks:
    """Counts the officer's clicks."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, locator: Any) -> None:
        self.count += 1
        locator.click()


def test_an_uppmaning_is_previewed_and_both_letters_are_sent_in_one_step(server, page, sqlite_app):
    base, clock = server["url"], server["clock"]
    ref = open_storning(sqlite_app, tenant="Johan Nilsson", address="Kungsgatan 4")["ref"]
    services.add_incident(sqlite_app, "alice", at(0), ref, at=at(-1), kind="noise",
                          text="Fest och skrik till kl. 03", verified_by="jour")  # fmt: skip
    clock.advance(hours=1)
    _login(page, base, "alice", PASSWORD)
    page.goto(f"{base}/arenden/{ref}")
    click = Clicks()

    click(page.get_by_role("button", name="Skicka uppmaning (rättelseanmaning)"))
    assert page.locator("h1").inner_text() == "Granska breven: Skicka uppmaning (rättelseanmaning)"
    pages = page.locator("img.preview-page")
    assert pages.count() >= 2
    alts = [str(pages.nth(n).get_attribute("alt")) for n in range(pages.count())]
    assert any(
        a.startswith("Uppmaning att vidta rättelse till Johan Nilsson, sida 1") for a in alts
    )
    assert any(a.startswith("Underrättelse till socialnämnden till Socialnämnden") for a in alts)
    assert all(pages.nth(n).evaluate("img => img.naturalWidth") > 700 for n in range(pages.count()))
    click(page.get_by_role("button", name="Bekräfta och skapa brev").first)
    assert (
        "Utfört: Skicka uppmaning (rättelseanmaning)." in page.locator("[role=status]").inner_text()
    )

    click(page.locator("summary", has_text="Markera alla brev från steget skickade"))
    assert _unlabelled_fields(page) == []
    click(page.get_by_role("button", name="Markera alla som skickade"))
    assert "2 brev är markerade som skickade" in page.locator("[role=status]").inner_text()
    letters = page.locator("li.letter")
    texts = [letters.nth(n).inner_text() for n in range(letters.count())]
    assert sum("Skickad" in text for text in texts) == 2
    authority = page.locator("article", has_text="Myndighetsprocess")
    assert "Socialnämnden underrättad" in authority.inner_text()

    # Before the preview: one click to issue the uppmaning, then for each of its two letters one to
    # open "Markera som skickat" and one to send it.
    before = 1 + 2 * 2
    assert click.count <= before, f"{click.count} clicks, {before} before the preview"


def test_no_page_is_wider_than_a_phone(server, page):
    """At 390 px (a phone) no page scrolls sideways: wide tables scroll inside their own box, and
    forms (fieldsets too) shrink to the screen."""
    base = server["url"]
    page.set_viewport_size({"width": 390, "height": 844})
    _login(page, base, "alice", PASSWORD)
    urls = ["/", "/arenden/nytt", "/paminnelser"]
    page.goto(f"{base}/")
    link = page.locator("a[href^='/arenden/S-']").first
    if link.count():
        urls.append(str(link.get_attribute("href")))
    for url in urls:
        page.goto(f"{base}{url}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{url} is {width} px wide at 390 px"
