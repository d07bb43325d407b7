"""Take effect once (issue 11 item 6): an API call sent again with its Idempotency-Key, or a form
submitted twice, creates one record."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from tests.doors import instant, open_doors

from storning.store.models import Case, Incident

CASE = {
    "type": "storning",
    "tenant": "Kim Hyresgäst",
    "address": "Storgatan 1",
    "apartment": "1102",
    "postal_code": "602 20",
    "city": "Norrköping",
}


@pytest.fixture
def doors(app, db_url, monkeypatch):
    with open_doors(app, db_url, monkeypatch) as d:
        yield d


def count(app, model) -> int:
    with app.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def post(doors, url: str, body: dict, key: str | None, now: str = "2026-03-02T09:00"):
    client = doors.new_client()
    headers = {"Authorization": f"Bearer {doors.token('alice')}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    doors.clock.now = instant(now)
    return client.post(url, json=body, headers=headers)


def test_the_same_key_and_body_gives_the_same_case_once(doors, app):
    first = post(doors, "/api/cases", CASE, "5b6f0d1e-2c1d-4f0e-9a57-000000000001")
    again = post(doors, "/api/cases", CASE, "5b6f0d1e-2c1d-4f0e-9a57-000000000001")
    assert first.status_code == again.status_code == 201
    assert again.json()["ref"] == first.json()["ref"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert count(app, Case) == 1
    # the same key with another body is the caller's mistake
    other = post(
        doors,
        "/api/cases",
        {**CASE, "tenant": "Någon annan"},
        "5b6f0d1e-2c1d-4f0e-9a57-000000000001",
    )
    assert other.status_code == 422
    assert "annan förfrågan" in other.json()["error"]["message"]
    # without a key, two posts are two cases
    post(doors, "/api/cases", CASE, None)
    post(doors, "/api/cases", CASE, None)
    assert count(app, Case) == 3


def test_an_incident_posted_twice_with_its_key_is_stored_once(doors, app):
    case = post(doors, "/api/cases", CASE, None).json()
    body = {
        "at": "2026-03-01T23:00",
        "kind": "noise",
        "text": "Fest",
        "verified_by": "jour",
        "expected_version": case["version"],
    }
    url = f"/api/cases/{case['ref']}/incidents"
    first = post(doors, url, body, "jour-rapport-4711", now="2026-03-02T09:05")
    again = post(doors, url, body, "jour-rapport-4711", now="2026-03-02T09:06")
    assert first.status_code == 201 and again.status_code == 201
    assert count(app, Incident) == 1
    # a refused request is not kept: corrected, the same key may be sent again
    bad = post(doors, url, {**body, "kind": "okänd"}, "jour-rapport-4712", now="2026-03-02T09:07")
    assert bad.status_code in (400, 422)
    good = post(
        doors,
        url,
        {**body, "expected_version": again.json()["version"]},
        "jour-rapport-4712",
        now="2026-03-02T09:08",
    )
    assert good.status_code == 201, good.text


def test_a_bad_key_is_refused_with_one_sentence(doors):
    reply = post(doors, "/api/cases", CASE, "x" * 201)
    assert reply.status_code == 400
    assert "Idempotency-Key" in reply.json()["error"]["message"]


def test_a_form_submitted_twice_opens_one_case(doors, app):
    browser = doors.browser("alice", now="2026-03-02T09:00")
    form = browser.form("/arenden/nytt", "/arenden/nytt", now="2026-03-02T09:00")
    assert form.get("form_token")
    form.update(
        {
            "tenant": "Kim Hyresgäst",
            "address": "Storgatan 1",
            "apartment": "1102",
            "postal_code": "602 20",
            "city": "Norrköping",
        }
    )
    first = browser.post("/arenden/nytt", form, now="2026-03-02T09:00")
    again = browser.post("/arenden/nytt", form, now="2026-03-02T09:00")
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert count(app, Case) == 1


def test_a_form_shown_again_with_errors_can_be_sent_corrected(doors, app):
    browser = doors.browser("alice", now="2026-03-02T09:00")
    form = browser.form("/arenden/nytt", "/arenden/nytt", now="2026-03-02T09:00")
    form.update({"tenant": "Kim Hyresgäst", "address": "", "apartment": "1102"})
    refused = browser.post("/arenden/nytt", form, now="2026-03-02T09:00")
    assert refused.status_code in (200, 400, 422)
    form.update({"address": "Storgatan 1", "postal_code": "602 20", "city": "Norrköping"})
    sent = browser.post("/arenden/nytt", form, now="2026-03-02T09:01")
    assert sent.status_code == 303
    assert count(app, Case) == 1
