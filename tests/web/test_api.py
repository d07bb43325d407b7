"""The JSON API: the same services as the pages, token auth, errors as {"error": {"code", "message"}}.
Every change carries `expected_version`, the case version of the last case document the caller saw."""

from __future__ import annotations

import pytest
from tests.conftest import at
from tests.helpers import action, letter_id, open_storning, states

from storning import services
from storning.services.accounts import set_api_token

NEW_CASE = {
    "type": "storning",
    "tenant": "Kim Hyresgäst",
    "address": "Storgatan 1",
    "apartment": "1102",
    "municipality": "Norrköping",
    "complainants": [{"name": "Greta Granne", "protected": True}],
}


@pytest.fixture
def alice_api(app, client):
    client.headers["Authorization"] = f"Bearer {set_api_token(app, 'alice')}"
    return client


def test_a_case_is_opened_read_and_listed_over_the_api(alice_api):
    created = alice_api.post("/api/cases", json=NEW_CASE)
    assert created.status_code == 201
    document = created.json()
    assert document["ref"] == "S-2026-0001"
    assert set(document) >= {"ref", "type", "status", "tracks", "actions", "timers", "facts",
                             "incidents", "letters", "journal", "version"}  # fmt: skip
    assert document["tracks"]["legal"]["label"] == "Bedömning"
    shown = alice_api.get("/api/cases/s-2026-0001").json()
    assert shown["ref"] == "S-2026-0001" and shown["complainants"][0]["name"] == "Greta Granne"
    rows = alice_api.get("/api/cases", params={"mine": True}).json()
    assert [r["ref"] for r in rows] == ["S-2026-0001"]
    assert rows[0]["next_due"] == "2026-03-09"


def test_a_stornigsjour_posts_an_incident_with_its_token(app, client):
    ref = open_storning(app)["ref"]
    services.add_user(app, "jour", "Störningsjouren", ["handlaggare"], team="norr")
    headers = {"Authorization": f"Bearer {set_api_token(app, 'jour')}"}
    version = client.get(f"/api/cases/{ref}", headers=headers).json()["version"]
    response = client.post(
        f"/api/cases/{ref}/incidents",
        json={
            "at": "2026-03-01T23:40",
            "kind": "noise",
            "text": "Hög musik",
            "verified_by": "jour",
            "expected_version": version,
        },
        headers=headers,
    )
    assert response.status_code == 201
    [incident] = response.json()["incidents"]
    assert incident["at"] == "2026-03-01T23:40:00+01:00"  # no offset: the landlord's zone
    assert incident["verified_label"] == "Störningsjour"
    assert action(response.json(), "issue_uppmaning")["allowed"] is True


def test_events_fire_and_a_blocked_one_explains_itself(app, alice_api):
    doc = open_storning(app)
    ref, version = doc["ref"], doc["version"]
    blocked = alice_api.post(
        f"/api/cases/{ref}/events", json={"event": "issue_uppmaning", "expected_version": version}
    )
    assert blocked.status_code == 409
    error = blocked.json()["error"]
    assert error["code"] == "blocked" and "12 kap. 25 a § jordabalken" in error["message"]
    fired = alice_api.post(
        f"/api/cases/{ref}/events",
        json={
            "event": "record_contact",
            "track": "customer",
            "params": {"channel": "phone"},
            "expected_version": version,  # the blocked attempt changed nothing
        },
    )
    assert fired.status_code == 200 and states(fired.json())["customer"] == "contacted"
    assert fired.json()["version"] == version + 1


def test_a_stale_expected_version_is_refused(app, alice_api):
    doc = open_storning(app)
    services.fire_event(
        app, "alice", at(0), doc["ref"], "record_contact", params={"channel": "sms"}
    )
    response = alice_api.post(
        f"/api/cases/{doc['ref']}/events",
        json={"event": "mark_unreachable", "expected_version": doc["version"]},
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "stale"
    assert "ladda om" in response.json()["error"]["message"]


def test_letters_are_listed_marked_and_downloaded(app, alice_api):
    ref = open_storning(app)["ref"]
    services.add_incident(
        app, "alice", at(0), ref, at=at(-1), kind="noise", text="x", verified_by="staff"
    )
    doc = services.fire_event(app, "alice", at(0), ref, "issue_uppmaning")
    letters = alice_api.get(f"/api/cases/{ref}/letters").json()
    assert [x["template"] for x in letters] == [
        "bekraftelse",
        "uppmaning",
        "underrattelse_socialnamnd",
    ]
    notice = letter_id(doc, "underrattelse_socialnamnd")
    sent = alice_api.post(
        f"/api/letters/{notice}/sent",
        json={"method": "rekommenderat", "expected_version": doc["version"]},
    )
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    assert sent.json()["sha256"]  # frozen when it is marked sent
    version = alice_api.get(f"/api/cases/{ref}").json()["version"]
    again = alice_api.post(
        f"/api/letters/{notice}/sent",
        json={"method": "rekommenderat", "expected_version": version},
    )
    assert again.status_code == 400 and again.json()["error"]["code"] == "invalid_input"
    served = alice_api.post(
        f"/api/letters/{notice}/served",
        json={"at": "2026-03-02", "proof": "Kvitto", "expected_version": version},
    )
    assert served.status_code == 200, served.text
    assert served.json()["served_at"].startswith("2026-03-02")
    pdf = alice_api.get(f"/api/letters/{notice}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["x-sha256"] == served.json()["sha256"]
    assert states(alice_api.get(f"/api/cases/{ref}").json())["authority"] == "notified"


def test_timers_lists_what_is_pending_and_what_is_due(app, alice_api):
    ref = open_storning(app)["ref"]
    timers = alice_api.get("/api/timers").json()
    assert {t["ref"] for t in timers} == {ref}
    assert alice_api.get("/api/timers", params={"due": True}).json() == []


def test_bad_requests_are_4xx_with_one_sentence(app, alice_api):
    doc = open_storning(app)
    ref, v = doc["ref"], doc["version"]
    for method, url, body, status, code in (
        ("POST", "/api/cases", {"tenant": "x"}, 422, "invalid_input"),
        ("POST", "/api/cases", {**NEW_CASE, "type": "okänd"}, 404, "not_found"),
        ("POST", f"/api/cases/{ref}/incidents", {"at": "x", "kind": "noise", "text": "t",
                                                 "expected_version": v}, 422, "invalid_input"),
        # a typed time is read by the services (one meaning at every door): out of range is 400
        ("POST", f"/api/cases/{ref}/incidents", {"at": "0001-01-01T00:00", "kind": "noise",
                                                 "text": "t", "expected_version": v}, 400,
         "invalid_input"),
        ("POST", f"/api/cases/{ref}/incidents", {"at": "2026-03-01T10:00", "kind": "noise",
                                                 "text": "t"}, 422, "invalid_input"),
        ("POST", f"/api/cases/{ref}/events", {"event": "finns_inte", "expected_version": v}, 404,
         "not_found"),
        ("POST", f"/api/cases/{ref}/events", {"event": "tenant\x00", "expected_version": v}, 422,
         "invalid_input"),
        ("POST", f"/api/cases/{ref}/events", {"event": "record_contact"}, 422, "invalid_input"),
        ("POST", f"/api/cases/{ref}/events", {"event": "record_contact", "expected_version": 0},
         422, "invalid_input"),
        ("GET", "/api/cases/S-1-1", None, 404, "not_found"),
        ("GET", "/api/letters/99999.pdf", None, 404, "not_found"),
        ("GET", "/api/finns-inte", None, 404, "not_found"),
    ):  # fmt: skip
        response = alice_api.request(method, url, json=body)
        assert response.status_code == status, (url, response.text)
        assert response.json()["error"]["code"] == code
        assert response.json()["error"]["message"]
    after = alice_api.get(f"/api/cases/{ref}").json()
    assert after["version"] == v and after["incidents"] == []  # nothing was written


def test_a_chef_may_open_a_case_for_a_team_member_and_an_officer_may_not(app, client):
    client.headers["Authorization"] = f"Bearer {set_api_token(app, 'carl')}"
    assert client.post("/api/cases", json={**NEW_CASE, "owner": "alice"}).status_code == 201
    assert client.post("/api/cases", json={**NEW_CASE, "owner": "bob"}).status_code == 403
    client.headers["Authorization"] = f"Bearer {set_api_token(app, 'alice')}"
    assert client.post("/api/cases", json={**NEW_CASE, "owner": "carl"}).status_code == 403


def test_a_new_token_replaces_the_old_one(app, client):
    old = set_api_token(app, "alice")
    new = set_api_token(app, "alice")
    assert client.get("/api/me", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    me = client.get("/api/me", headers={"Authorization": f"Bearer {new}"}).json()
    assert me == {"username": "alice", "name": "Alice Handläggare", "roles": ["handlaggare"],
                  "team": "norr"}  # fmt: skip


def test_the_openapi_document_describes_the_api_and_no_pages(client):
    schema = client.get("/openapi.json").json()
    paths = set(schema["paths"])
    assert {"/api/cases", "/api/cases/{ref}", "/api/cases/{ref}/events",
            "/api/cases/{ref}/incidents", "/api/cases/{ref}/letters", "/api/letters/{letter_id}/sent",
            "/api/letters/{letter_id}/served", "/api/letters/{letter_id}.pdf",
            "/api/timers"} <= paths  # fmt: skip
    assert not any(p.startswith("/arenden") for p in paths)


def test_an_integration_corrects_an_incident_with_a_reason(app, alice_api):
    ref = open_storning(app)["ref"]
    doc = services.add_incident(
        app, "alice", at(0), ref, at="2026-03-01T22:00", kind="noise", text="Musik"
    )
    incident = doc["incidents"][-1]["id"]
    missing = alice_api.post(
        f"/api/cases/{ref}/incidents/{incident}/correction",
        json={"text": "Hög musik", "expected_version": doc["version"]},
    )
    assert missing.status_code == 422 and "reason" in missing.json()["error"]["message"]
    fixed = alice_api.post(
        f"/api/cases/{ref}/incidents/{incident}/correction",
        json={"text": "Hög musik", "reason": "Förtydligat", "expected_version": doc["version"]},
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["incidents"][-1]["text"] == "Hög musik"
    stale = alice_api.post(
        f"/api/cases/{ref}/incidents/{incident}/correction",
        json={"text": "Igen", "reason": "x", "expected_version": doc["version"]},
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale"
