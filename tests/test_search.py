"""Finding cases (issue 12 item 7): the worklist's search, and the intake's warning about open cases
for the same tenant or apartment. Nobody finds a case they may not read, and a protected
complainant's name finds a case only for those who may see it (`access.can_see_protected`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from storning import services
from storning.readmodel import WorklistFilter
from storning.services.lists import open_cases_like
from tests.conftest import at
from tests.helpers import open_storning

NOW = at(1)


@pytest.fixture
def world(app) -> dict[str, str]:
    """Two cases in team norr (alice's) and one in team syd (bob's), with complainants."""
    kim = open_storning(app, "alice", at(0))["ref"]  # Kim Hyresgäst, Storgatan 1 lgh 1102; Greta
    asa = open_storning(
        app,
        "alice",
        at(0, 1),
        tenant="Åsa Öberg",
        address="Kvarngatan 3",
        apartment="1004",
        contract="1004-22",
        complainants=[("Bo Bengtsson", False)],
    )["ref"]
    syd = open_storning(
        app,
        "bob",
        at(0, 2),
        tenant="Kim Söder",
        address="Sydgatan 9",
        apartment="1004",
        contract="9-1004",
        complainants=[("Greta Granne", True)],
    )["ref"]
    return {"kim": kim, "asa": asa, "syd": syd}


def found(app, who: str, text: str) -> set[str]:
    rows = services.worklist(app, who, NOW, WorklistFilter(scope="team", q=text)).rows
    return {row["ref"] for row in rows}


def test_a_case_is_found_by_its_reference_or_any_part_of_it(app, world):
    kim = world["kim"]
    number = kim.split("-", 1)[1]  # "2026-0001"
    assert found(app, "alice", kim) == {kim}
    assert found(app, "alice", kim.lower()) == {kim}
    assert found(app, "alice", number) == {kim}
    assert found(app, "alice", number.split("-")[1]) == {kim}  # "0001"


@pytest.mark.parametrize(
    ("text", "case"),
    [
        ("Kim Hyresgäst", "kim"),
        ("hyresgäst", "kim"),
        ("Öberg", "asa"),
        ("Storgatan 1", "kim"),
        ("kvarngatan", "asa"),
        ("1102", "kim"),
        ("1004", "asa"),  # bob's 1004 is another team's
        ("123-456", "kim"),
        ("1004-22", "asa"),
        ("  Kim   Hyresgäst ", "kim"),
    ],
)
def test_a_case_is_found_by_tenant_address_apartment_or_contract(app, world, text, case):
    assert found(app, "alice", text) == {world[case]}


def test_nobody_finds_a_case_they_may_not_read(app, world):
    assert found(app, "bob", "1004") == {world["syd"]}
    assert found(app, "bob", "Kim") == {world["syd"]}
    assert found(app, "lisa", "Kim") == {world["kim"]}  # the reader: team norr only
    assert found(app, "admin", "1004") == {world["asa"], world["syd"]}


def test_a_protected_complainant_finds_a_case_only_for_those_who_may_see_them(app, world):
    assert found(app, "alice", "Greta Granne") == {world["kim"]}
    assert found(app, "carl", "greta") == {world["kim"]}  # the team's chef
    assert found(app, "lisa", "Greta") == set()  # the reader sees "Skyddad identitet"
    assert found(app, "bob", "Greta") == {world["syd"]}  # his own case, not alice's
    assert found(app, "admin", "Greta") == {world["kim"], world["syd"]}


def test_an_unprotected_complainant_finds_the_case_for_a_reader_too(app, world):
    assert found(app, "lisa", "Bengtsson") == {world["asa"]}


@pytest.mark.parametrize("text", ["%", "_", "\\", "%%_", "'", "Kim\x00%"])
def test_wildcards_in_the_search_are_plain_characters(app, world, text):
    assert found(app, "admin", text) == set()


def test_a_search_of_nothing_but_spaces_or_nul_is_no_search(app, world):
    assert found(app, "admin", " \x00 ") == set(world.values())


def test_the_duplicate_lookup_finds_open_cases_by_tenant_apartment_or_contract(app, world):
    def refs(who: str, **typed: str) -> list[str]:
        return [row["ref"] for row in open_cases_like(app, who, NOW, **typed)]

    assert refs("alice", tenant="kim  hyresgäst") == [world["kim"]]
    assert refs("alice", address="kvarngatan 3", apartment="1004") == [world["asa"]]
    assert refs("alice", apartment="1004") == []  # a number alone repeats across buildings
    assert refs("alice", contract="123-456") == [world["kim"]]
    assert refs("bob", tenant="Kim Hyresgäst") == []  # another team's case is never mentioned
    assert refs("admin", tenant="Kim Söder") == [world["syd"]]
    (row,) = open_cases_like(app, "alice", NOW, tenant="Kim Hyresgäst", contract="123-456")
    assert row["same"] == ["tenant", "contract"]
    services.fire_event(app, "alice", at(0, 3), world["kim"], "tenant_moved", document=False)
    assert refs("alice", tenant="Kim Hyresgäst") == []  # only open cases


# --- the intake page -----------------------------------------------------------------------------


@pytest.fixture
def browser(app, world) -> Iterator[object]:
    from storning.web.app import create_app
    from storning.web.config import WebSettings
    from tests.web.conftest import Clock, TestClient, give_passwords

    give_passwords(app)
    settings = WebSettings(secret_key="test-secret-key-" + "x" * 40, secure_cookies=False)
    web = create_app(app, clock=Clock(NOW), web_settings=settings)
    with TestClient(web, base_url="http://testserver", follow_redirects=False) as client:
        yield client


INTAKE = {
    "case_type": "storning",
    "tenant": "Kim Hyresgäst",
    "address": "Storgatan 1",
    "apartment": "1102",
    "municipality": "Norrköping",
}


def _intake(client, who: str, url: str, form: dict[str, str]):
    from tests.web.conftest import csrf_of, login

    login(client, who)
    page = client.get("/arenden/nytt").text
    assert 'formaction="/arenden/nytt/kontroll"' in page
    token = csrf_of(page)
    once = re.search(r'name="form_token" value="([^"]+)"', page)
    assert once
    return client.post(url, data={**form, "csrf_token": token, "form_token": once.group(1)})


def test_the_intake_warns_about_open_cases_and_links_them_before_anything_is_saved(
    app, world, browser
):
    checked = _intake(browser, "alice", "/arenden/nytt/kontroll", INTAKE)
    assert checked.status_code == 200
    assert f'href="/arenden/{world["kim"]}"' in checked.text
    assert "samma hyresgäst och lägenhet" in checked.text
    assert 'value="Kim Hyresgäst"' in checked.text  # the form comes back as typed
    assert len(services.list_cases(app, "alice", NOW)) == 2  # nothing saved


def test_the_intake_never_mentions_another_teams_case(app, world, browser):
    checked = _intake(browser, "bob", "/arenden/nytt/kontroll", INTAKE)
    assert checked.status_code == 200
    assert world["kim"] not in checked.text
    assert "Det finns inga öppna ärenden som du har tillgång till" in checked.text


def test_opening_a_case_for_a_tenant_with_open_cases_names_them(app, world, browser):
    opened = _intake(browser, "alice", "/arenden/nytt", INTAKE)
    assert opened.status_code == 303
    page = browser.get(opened.headers["location"]).text
    assert f"redan öppna ärenden: {world['kim']}" in page


def test_a_reader_cannot_use_the_intake_check(app, world, browser):
    from tests.web.conftest import csrf_of, login

    login(browser, "lisa")
    token = csrf_of(browser.get("/").text)
    refused = browser.post("/arenden/nytt/kontroll", data={**INTAKE, "csrf_token": token})
    assert refused.status_code == 403
    assert world["kim"] not in refused.text
