"""Utfall och resultat (`/utfall`, issue 14): the dashboard shows each viewer the numbers of the
cases that viewer may read, every number leads to exactly the cases behind it, the lists never show a
case the viewer may not read nor a complainant, and the charts are SVG without script with a text
alternative. The expected numbers are counted here from the rows (the case's team and closing day),
not taken from the service."""

from __future__ import annotations

import base64
import re
from datetime import date, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from tests.conftest import ZONE, at
from tests.web.conftest import login

from storning import services
from storning.clock import local_day
from storning.outcomes.history import generate_history
from storning.store.models import Case

NOW = at(0)  # the web clock's time: Monday 2 March 2026, 09:00
OWNERS = ("alice", "bob", "carl")  # alice and carl: team norr; bob: team syd
LINK = re.compile(r'<a href="(/utfall/arenden\?[^"]+)">([^<]+)</a>')
REF = re.compile(r'<a href="/arenden/([A-Z]-\d{4}-\d{4,})">')
PROTECTED = "Hemliga Grannen"


@pytest.fixture
def world(app):
    generate_history(app, NOW - timedelta(days=1), cases=90, owners=OWNERS, seed=11)
    services.open_case(
        app,
        "alice",
        NOW - timedelta(hours=2),
        services.NewCase(
            case_type="storning",
            tenant="Tova Testsson",
            address="Gatan 2",
            apartment="0101",
            complainants=[(PROTECTED, True)],
        ),
    )
    return app


def _period() -> tuple[date, date]:
    today = local_day(NOW, ZONE)
    return today.replace(year=today.year - 1) + timedelta(days=1), today


def _closed_by_team(app, teams: set[str]) -> dict[str, int]:
    """Closed cases of `teams` whose closing day is in the period, per outcome (counted here)."""
    start, end = _period()
    counts: dict[str, int] = {}
    with app.db.read() as session:
        for case in session.scalars(select(Case).where(Case.status == "closed")):
            day = local_day(case.closed_at, ZONE)
            if case.team in teams and start <= day <= end:
                counts[case.outcome] = counts.get(case.outcome, 0) + 1
    return counts


def _teams_of(app, refs: set[str]) -> set[str | None]:
    with app.db.read() as session:
        return set(session.scalars(select(Case.team).where(Case.ref.in_(refs))))


def _outcome_links(html: str) -> dict[str, int]:
    found = {}
    for href, text in LINK.findall(html):
        query = parse_qs(urlsplit(unescape(href)).query)
        if query.get("measure") == ["outcomes"] and "value" in query:
            found[query["value"][0]] = int(text.replace("\u00a0", ""))
    return found


@pytest.mark.parametrize(
    ("person", "teams"), [("carl", {"norr"}), ("lisa", {"norr"}), ("admin", {"norr", "syd"})]
)
def test_the_dashboard_shows_each_viewer_the_outcomes_of_the_cases_they_may_read(
    world, client, person, teams
):
    login(client, person)
    page = client.get("/utfall?preset=12m")
    assert page.status_code == 200, page.text
    assert "<h1>Utfall och resultat</h1>" in page.text
    assert '<a href="/utfall" aria-current="page">Utfall</a>' in page.text  # the menu item
    expected = _closed_by_team(world, teams)
    assert sum(expected.values()) > 10
    assert _outcome_links(page.text) == expected
    # each measure's definition is written beside it
    assert "Arbetsdagar från anmälan till första kontakt med hyresgästen." in page.text


def test_an_officer_sees_the_own_teams_numbers_without_a_menu_item(world, client):
    login(client, "bob")
    page = client.get("/utfall?preset=12m")
    assert page.status_code == 200
    assert _outcome_links(page.text) == _closed_by_team(world, {"syd"})
    assert 'href="/utfall"' not in page.text.split("<main", 1)[0]  # no menu item for officers


def test_each_number_leads_to_exactly_the_cases_behind_it(world, client):
    login(client, "carl")
    page = client.get("/utfall?preset=12m").text
    links = {
        parse_qs(urlsplit(unescape(h)).query)["value"][0]: unescape(h)
        for h, _t in LINK.findall(page)
        if "measure=outcomes&" in unescape(h)
    }
    start, end = _period()
    with world.db.read() as session:
        evicted = {
            c.ref
            for c in session.scalars(select(Case).where(Case.outcome == "avhyst"))
            if c.team == "norr" and start <= local_day(c.closed_at, ZONE) <= end
        }
    assert evicted, "the seeded history has evictions in team norr"
    listed = client.get(links["avhyst"])
    assert listed.status_code == 200
    assert set(REF.findall(listed.text)) == evicted


def test_no_list_behind_a_number_shows_a_case_the_viewer_may_not_read_or_a_complainant(
    world, client
):
    login(client, "carl")
    page = client.get("/utfall?preset=12m").text
    hrefs = sorted({unescape(h) for h, _t in LINK.findall(page)})
    assert len(hrefs) > 20
    seen: set[str] = set()
    for href in hrefs:
        listed = client.get(href)
        assert listed.status_code == 200, href
        assert PROTECTED not in listed.text
        seen |= set(REF.findall(listed.text))
    assert seen and _teams_of(world, seen) == {"norr"}  # never bob's team syd


def test_a_reader_sees_pseudonyms_not_tenants_and_the_month_cell_lists_that_month(world, client):
    login(client, "lisa")
    page = client.get("/utfall?preset=12m").text
    month_links = [unescape(h) for h, _t in LINK.findall(page) if "month=" in unescape(h)]
    assert month_links
    href = month_links[0]
    month = parse_qs(urlsplit(href).query)["month"][0]
    listed = client.get(href).text
    refs = set(REF.findall(listed))
    assert refs
    with world.db.read() as session:
        for case in session.scalars(select(Case).where(Case.ref.in_(refs))):
            assert local_day(case.opened_at, ZONE).strftime("%Y-%m") == month
            assert case.tenant_name not in listed  # a reader gets a pseudonym
    assert "(pseudonym)" in listed


def _current_preset(html: str) -> str:
    found = re.findall(r'<a href="/utfall\?preset=(\w+)[^"]*" aria-current="true">', html)
    return found[0] if found else ""


def _period_shown(html: str) -> tuple[str, str]:
    start = re.search(r'id="from" name="from" type="date" class="w-s" value="([^"]+)"', html)
    end = re.search(r'id="to" name="to" type="date" class="w-s" value="([^"]+)"', html)
    assert start and end
    return start.group(1), end.group(1)


def test_typed_dates_are_used_and_a_period_that_is_a_preset_is_marked(world, client):
    login(client, "carl")
    # no dates: 1 January to today (2 March 2026), which is "I år"
    page = client.get("/utfall").text
    assert _current_preset(page) == "ar" and _period_shown(page) == ("2026-01-01", "2026-03-02")
    # typed dates are the period (the form has no preset to override them)
    page = client.get("/utfall?from=2026-02-01&to=2026-02-28").text
    assert _period_shown(page) == ("2026-02-01", "2026-02-28") and _current_preset(page) == ""
    assert "söndag 1 februari 2026 – lördag 28 februari 2026" in page
    # all of 2025 typed by hand is "Förra året"; twelve months back: 3 March 2025 – 2 March 2026
    assert _current_preset(client.get("/utfall?from=2025-01-01&to=2025-12-31").text) == "fjol"
    assert _current_preset(client.get("/utfall?from=2025-03-03&to=2026-03-02").text) == "12m"
    # the quick links keep the team and type and set the days
    page = client.get("/utfall?preset=fjol&team=norr&type=storning").text
    assert _period_shown(page) == ("2025-01-01", "2025-12-31")
    assert 'href="/utfall?preset=12m&amp;team=norr&amp;type=storning"' in page


def test_a_bad_date_is_one_sentence_and_the_page_still_shows(world, client):
    login(client, "carl")
    page = client.get("/utfall?from=2026-13-45")
    assert page.status_code == 400
    assert "är inget datum; skriv ÅÅÅÅ-MM-DD" in page.text
    assert "Avslutade ärenden per utfall" in page.text


def test_the_charts_are_svg_images_without_script_with_a_title_and_a_description(world, client):
    login(client, "carl")
    page = client.get("/utfall?preset=12m").text
    assert "<script" not in page
    images = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]+)"', page)
    assert len(images) == 5
    for data, alt in images:
        svg = base64.b64decode(data).decode("utf-8")
        assert svg.startswith("<svg") and "<script" not in svg and "onload" not in svg
        assert re.search(r'<svg role="img" aria-labelledby="(\S+)-t \1-d"', svg)
        assert "<title id=" in svg and "<desc id=" in svg
        assert alt.strip()
    # each chart has its summary sentence and its table of numbers beside it
    assert page.count('<figcaption class="summary">') == 5
    assert page.count('<table class="chart-table">') == 5


def test_the_annual_report_downloads_as_a_pdf(world, client):
    login(client, "carl")
    response = client.get(f"/utfall/arsrapport.pdf?year={NOW.year}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    # named by the service (`AnnualReport.filename`), as the CLI names the file it writes
    disposition = f'attachment; filename="arsrapport-{NOW.year}.pdf"'
    assert response.headers["content-disposition"] == disposition
    assert client.get("/utfall/arsrapport.pdf?year=tjugo").status_code == 400


EXPORT_LINK = re.compile(r'<a href="(/utfall/export\?[^"]+)" download>([^<]+)</a>')


def test_the_page_offers_its_period_as_excel_and_csv_with_the_viewers_rights(world, client):
    import csv
    import io

    from openpyxl import load_workbook

    login(client, "lisa")  # a reader of team norr: norr's cases, tenants as pseudonyms
    page = client.get("/utfall?preset=12m&type=storning").text
    links = {label: unescape(href) for href, label in EXPORT_LINK.findall(page)}
    assert set(links) == {
        "Excel: måtten, ärendena bakom dem och definitionerna",
        "CSV: måtten",
        "CSV: ärendena bakom måtten",
    }
    start, end = _period()
    for href in links.values():  # the page's period and case type, not a default
        query = parse_qs(urlsplit(href).query)
        assert (query["from"], query["to"], query["type"]) == (
            [start.isoformat()],
            [end.isoformat()],
            ["storning"],
        )
    book = client.get(links["Excel: måtten, ärendena bakom dem och definitionerna"])
    assert book.status_code == 200
    # the file's name says what it holds: the period and the case type
    assert book.headers["content-disposition"] == (
        f'attachment; filename="storning-matt-{start}-{end}-storning.xlsx"'
    )
    # and the page says whose cases: a reader's own team
    assert f"({start} – {end}, team norr, störning)" in unescape(page)
    sheets = load_workbook(io.BytesIO(book.content), read_only=True)
    rows = list(sheets["Ärenden"].iter_rows(values_only=True))
    header, cases = rows[0], rows[1:]
    refs = {r[header.index("Ärende")] for r in cases}
    assert refs and _teams_of(world, refs) == {"norr"}
    assert {r[header.index("Ärendetyp")] for r in cases} == {"Störning"}
    with world.db.read() as session:
        names = {c.tenant_name for c in session.scalars(select(Case).where(Case.ref.in_(refs)))}
    assert not names & {r[header.index("Hyresgäst")] for r in cases}  # pseudonyms only
    listed = client.get(links["CSV: ärendena bakom måtten"])
    assert listed.status_code == 200 and listed.headers["content-type"].startswith("text/csv")
    text = listed.content.decode("utf-8-sig")
    assert PROTECTED not in text
    assert {row[0] for row in list(csv.reader(io.StringIO(text), delimiter=";"))[1:]} == refs
    assert client.get("/utfall/export?format=pdf&table=cases").status_code == 400
