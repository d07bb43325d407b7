"""Who may read and change which case, by page and by API: bob (team syd) gets nothing of alice's case
(team norr), lisa reads team norr without the protected complainant, and every form needs its CSRF
token. Access is decided before anything else: a change without the case version it was made from is
still "not found" for bob and "not allowed" for lisa, and every refused attempt is in the access log."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.conftest import at
from tests.helpers import letter_id, open_storning, states
from tests.web.conftest import login, post_form, version_of

from storning import services
from storning.access import (
    CaseScope,
    Principal,
    can_act,
    can_open_for,
    can_override,
    can_read,
    can_reassign,
    can_see_protected,
    visibility,
)
from storning.services.accounts import set_api_token
from storning.store.models import AccessLog

ALICE = Principal("alice", frozenset({"handlaggare"}), "norr")
BOB = Principal("bob", frozenset({"handlaggare"}), "syd")
CARL = Principal("carl", frozenset({"chef"}), "norr")
LISA = Principal("lisa", frozenset({"lasare"}), "norr")
ADMIN = Principal("admin", frozenset({"admin"}), None)
LONER = Principal("olle", frozenset({"handlaggare"}), None)
NORR_CASE = CaseScope(owner="alice", team="norr")


@pytest.mark.parametrize(
    ("who", "read", "act", "override", "protected"),
    [
        (ALICE, True, True, False, True),
        (BOB, False, False, False, False),
        (CARL, True, True, True, True),
        (LISA, True, False, False, False),
        (ADMIN, True, True, True, True),
        (LONER, False, False, False, False),
    ],
)
def test_the_rules_for_a_case_of_team_norr(who, read, act, override, protected):
    assert can_read(who, NORR_CASE) is read
    assert can_act(who, NORR_CASE) is act
    assert can_override(who, NORR_CASE) is override
    assert can_see_protected(who, NORR_CASE) is protected


def test_an_officer_without_a_team_reaches_only_own_cases():
    own = CaseScope(owner="olle", team=None)
    assert can_read(LONER, own) and can_act(LONER, own)
    assert visibility(LONER) == "own"
    assert visibility(Principal("x", frozenset({"lasare"}), None)) == "none"


def test_only_a_chef_reassigns_and_only_within_the_team():
    assert can_reassign(CARL, NORR_CASE, CARL)
    assert not can_reassign(CARL, NORR_CASE, BOB)
    assert not can_reassign(ALICE, NORR_CASE, CARL)
    assert not can_reassign(CARL, NORR_CASE, LISA)  # a reader cannot own a case
    assert can_reassign(ADMIN, NORR_CASE, BOB)


def test_who_may_open_a_case_for_whom():
    assert can_open_for(ALICE, ALICE) and not can_open_for(ALICE, CARL)
    assert can_open_for(CARL, ALICE) and not can_open_for(CARL, BOB)
    assert not can_open_for(LISA, LISA)
    assert can_open_for(ADMIN, BOB)


# --- by page ----------------------------------------------------------------------------------------


def test_bob_of_team_syd_cannot_read_or_change_alices_case_by_page(app, client):
    doc = open_storning(app)
    ref, letter = doc["ref"], letter_id(doc, "bekraftelse")
    token = login(client, "bob")
    assert client.get(f"/arenden/{ref}").status_code == 404
    assert client.get(f"/arenden/{ref}/brev/{letter}.pdf").status_code == 404
    for url, data in (
        (f"/arenden/{ref}/atgard", {"event": "tenant_moved", "track": "legal"}),
        (f"/arenden/{ref}/storningar", {"at": "2026-03-01T10:00", "kind": "noise", "text": "x"}),
        (f"/arenden/{ref}/brev/{letter}/skickat", {"method": "vanligt"}),
        (f"/arenden/{ref}/brev/{letter}/delgivet", {"date": "2026-03-02"}),
        (f"/arenden/{ref}/handlaggare", {"owner": "bob"}),
    ):
        for version in ({}, {"version": doc["version"]}):  # without it, and with a plausible one
            response = post_form(client, url, {**data, **version}, token)
            assert response.status_code == 404, (url, version)
            assert "Kim Hyresgäst" not in response.text
    assert "Kim Hyresgäst" not in client.get("/?visa=team").text
    with app.db.read() as session:
        refused = {
            (r.action, r.detail)
            for r in session.scalars(select(AccessLog).where(AccessLog.actor == "bob"))
            if r.action.endswith("_refused")
        }
    assert {action for action, _ in refused} >= {
        "case_view_refused",
        "letter_pdf_refused",
        "fire_refused",
        "incident_add_refused",
        "letter_sent_refused",
        "letter_served_refused",
        "reassign_refused",
    }
    assert all(detail for _, detail in refused)  # with the reason
    after = services.show_case(app, "alice", at(0), ref)
    assert states(after)["legal"] == "assessment" and after["incidents"] == []


def test_lisa_reads_her_teams_case_without_the_protected_complainant_and_cannot_act(app, client):
    doc = open_storning(app)
    ref = doc["ref"]
    token = login(client, "lisa")
    page = client.get(f"/arenden/{ref}")
    assert page.status_code == 200
    assert "Kim Hyresgäst" in page.text
    assert "Greta Granne" not in page.text and "Skyddad identitet" in page.text
    assert 'action="/arenden/' not in page.text  # no forms that change the case
    for version in ({}, {"version": doc["version"]}):  # without it, and with the current one
        response = post_form(
            client, f"/arenden/{ref}/atgard", {"event": "tenant_moved", **version}, token
        )
        assert response.status_code == 403, version
    assert states(services.show_case(app, "alice", at(0), ref))["legal"] == "assessment"
    assert client.get("/arenden/nytt").status_code == 403
    assert ref in client.get("/").text  # a reader's worklist is the team's cases


def test_lisa_does_not_see_another_teams_case(app, client):
    ref = open_storning(app, actor="bob")["ref"]
    login(client, "lisa")
    assert client.get(f"/arenden/{ref}").status_code == 404


def test_a_form_posted_without_its_csrf_token_is_refused(app, client, as_alice):
    doc = open_storning(app)
    ref, version = doc["ref"], doc["version"]
    for url in (f"/arenden/{ref}/atgard", "/arenden/nytt", "/logout"):
        response = client.post(
            url, data={"event": "tenant_moved", "track": "legal", "version": version}
        )
        assert response.status_code == 403, url
        assert "CSRF" in response.text
    wrong = client.post(
        f"/arenden/{ref}/atgard",
        data={"event": "tenant_moved", "version": version, "csrf_token": "x" * 43},
    )
    assert wrong.status_code == 403
    assert states(services.show_case(app, "alice", at(0), ref))["legal"] == "assessment"


def test_the_login_form_also_needs_its_token(client):
    response = client.post("/login", data={"username": "alice", "password": "ett-bra-losenord"})
    assert response.status_code == 403


# --- by API -----------------------------------------------------------------------------------------


def test_bob_of_team_syd_cannot_read_or_change_alices_case_by_api(app, client):
    doc = open_storning(app)
    ref, letter, v = doc["ref"], letter_id(doc, "bekraftelse"), doc["version"]
    headers = {"Authorization": f"Bearer {set_api_token(app, 'bob')}"}
    # A plausible expected_version, so that the access rule is what refuses (without one the body is
    # a 422 before any access decision).
    for method, url, body in (
        ("GET", f"/api/cases/{ref}", None),
        ("GET", f"/api/cases/{ref}/letters", None),
        ("GET", f"/api/letters/{letter}.pdf", None),
        ("POST", f"/api/cases/{ref}/events", {"event": "tenant_moved", "expected_version": v}),
        (
            "POST",
            f"/api/cases/{ref}/incidents",
            {"at": "2026-03-01T10:00", "kind": "noise", "text": "x", "expected_version": v},
        ),
        ("POST", f"/api/letters/{letter}/sent", {"method": "vanligt", "expected_version": v}),
        ("POST", f"/api/letters/{letter}/served", {"at": "2026-03-02", "expected_version": v}),
    ):
        response = client.request(method, url, json=body, headers=headers)
        assert response.status_code == 404, url
        assert response.json()["error"]["code"] == "not_found"
        assert "Kim" not in response.text
    listed = client.get("/api/cases", headers=headers).json()
    assert ref not in [row["ref"] for row in listed]
    assert ref not in [t["ref"] for t in client.get("/api/timers", headers=headers).json()]
    with app.db.read() as session:
        refused = [
            r.action
            for r in session.scalars(select(AccessLog).order_by(AccessLog.id))
            if r.actor == "bob" and r.action.endswith("_refused")
        ]
    assert refused == [
        "case_view_refused",
        "letter_list_refused",
        "letter_pdf_refused",
        "fire_refused",
        "incident_add_refused",
        "letter_sent_refused",
        "letter_served_refused",
    ]
    after = services.show_case(app, "alice", at(0), ref)
    assert states(after)["legal"] == "assessment" and after["incidents"] == []
    assert after["version"] == v and all(x["status"] == "draft" for x in after["letters"])


def test_a_readers_token_reads_but_cannot_act_and_sees_no_protected_name(app, client):
    ref = open_storning(app)["ref"]
    headers = {"Authorization": f"Bearer {set_api_token(app, 'lisa')}"}
    document = client.get(f"/api/cases/{ref}", headers=headers).json()
    assert document["complainants"][0]["name"] == "Skyddad identitet"
    response = client.post(
        f"/api/cases/{ref}/events",
        json={"event": "tenant_moved", "expected_version": document["version"]},
        headers=headers,
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert states(services.show_case(app, "alice", at(0), ref))["legal"] == "assessment"


def test_the_api_on_a_session_cookie_needs_the_csrf_header_to_change_anything(app, client):
    ref = open_storning(app)["ref"]
    token = login(client, "alice")
    shown = client.get(f"/api/cases/{ref}")
    assert shown.status_code == 200
    body = {"event": "tenant_moved", "expected_version": shown.json()["version"]}
    refused = client.post(f"/api/cases/{ref}/events", json=body)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf"
    assert version_of(app, ref) == body["expected_version"]  # nothing changed
    accepted = client.post(f"/api/cases/{ref}/events", json=body, headers={"X-CSRF-Token": token})
    assert accepted.status_code == 200


def test_an_unknown_or_missing_token_is_401(client):
    assert client.get("/api/cases").status_code == 401
    response = client.get("/api/cases", headers={"Authorization": "Bearer stn_nope"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthenticated"
