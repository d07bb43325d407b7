"""The tenant's personnummer through the API and the intake form (issue 10 item 7): checked by the
services' rule, refused with one Swedish sentence and HTTP 400, and shown only masked."""

from __future__ import annotations

from tests.conftest import at
from tests.web.conftest import post_form

from storning import services
from storning.services.accounts import set_api_token

NEW_CASE = {
    "type": "storning",
    "tenant": "Kim Hyresgäst",
    "address": "Storgatan 1",
    "apartment": "1102",
    "municipality": "Norrköping",
}


def test_the_api_takes_a_personnummer_and_shows_it_masked(app, client):
    client.headers["Authorization"] = f"Bearer {set_api_token(app, 'alice')}"
    created = client.post("/api/cases", json={**NEW_CASE, "personnummer": "850312-1231"})
    assert created.status_code == 201
    assert created.json()["tenant"]["personnummer"] == "19850312-****"
    assert "1231" not in created.text
    shown = client.get(f"/api/cases/{created.json()['ref']}")
    assert shown.json()["tenant"]["personnummer"] == "19850312-****"
    assert "1231" not in shown.text


def test_an_impossible_personnummer_is_a_400_with_one_sentence_and_no_case(app, client):
    client.headers["Authorization"] = f"Bearer {set_api_token(app, 'alice')}"
    for typed, says in (
        ("19850312-1232", "kontrollsiffran stämmer inte"),
        ("19850230-1231", "datumet 1985-02-30 finns inte"),
    ):
        refused = client.post("/api/cases", json={**NEW_CASE, "personnummer": typed})
        assert refused.status_code == 400
        error = refused.json()["error"]
        assert error["code"] == "invalid_input"
        assert says in error["message"] and error["message"].endswith("kontrollera det.")
    assert services.list_cases(app, "alice", at(0)) == []


def test_the_intake_form_names_a_bad_personnummer_at_its_field(app, client, as_alice):
    form = {
        "case_type": "storning",
        "tenant": "Kim Hyresgäst",
        "address": "Storgatan 1",
        "apartment": "1102",
        "municipality": "Norrköping",
        "personnummer": "850312-1232",
    }
    refused = post_form(client, "/arenden/nytt", form, as_alice)
    assert refused.status_code == 400
    assert "Personnumret 19850312-**** är inte giltigt (kontrollsiffran stämmer inte)" in (
        refused.text
    )
    assert services.list_cases(app, "alice", at(0)) == []
    created = post_form(client, "/arenden/nytt", {**form, "personnummer": "850312-1231"}, as_alice)
    assert created.status_code == 303
    ref = created.headers["location"].removeprefix("/arenden/")
    assert services.show_case(app, "alice", at(0), ref)["tenant"]["personnummer"] == (
        "19850312-****"
    )
