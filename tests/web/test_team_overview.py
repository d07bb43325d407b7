"""The team overview (Översikt): carl (chef of norr) and lisa (reader of norr) see team norr's overdue
and escalated tasks, the workload per officer and what waits for the chef; bob (an officer in syd)
may not open it, and nothing of team syd shows in norr's overview."""

from __future__ import annotations

from sqlalchemy import select
from tests.conftest import at
from tests.helpers import open_storning
from tests.web.conftest import PASSWORD, login

from storning import services
from storning.access import Principal
from storning.services import overview
from storning.store.models import AccessLog
from storning.timers import run_due
from storning.web.pages_team import landing_path


def _late_world(app, clock):
    """alice's case, its first contact twelve days late (reminded and escalated to carl), and a case
    of bob's in team syd."""
    mine = open_storning(app)
    theirs = open_storning(app, actor="bob", tenant="Sam Syd", address="Södergatan 9")
    clock.advance(days=12)
    run_due(app, clock.now)
    return mine["ref"], theirs["ref"]


def test_the_chef_sees_the_teams_late_and_escalated_tasks_with_links(app, client, clock):
    mine, theirs = _late_world(app, clock)
    login(client, "carl")
    page = client.get("/oversikt")
    assert page.status_code == 200
    html = page.text
    assert "Översikt – team norr" in html
    assert f'href="/arenden/{mine}"' in html
    assert "Ta första kontakt med hyresgästen" in html and "Eskalerad" in html
    assert "Alice Handläggare" in html  # the workload row
    assert theirs not in html and "Sam Syd" not in html
    assert 'href="/oversikt" aria-current="page">Översikt' in html
    assert "Väntar på ditt beslut" in html


def test_the_overview_counts_what_the_officers_own_list_counts(app, clock):
    _late_world(app, clock)
    found = overview.team_overview(app, "carl", clock.now)
    alice = next(p for p in found.workload if p["username"] == "alice")
    assert alice["open_cases"] == 1
    overdue = [i for i in services.due_items(app, "alice", clock.now) if i["when"] == "overdue"]
    assert alice["overdue"] == len(overdue) >= 1
    assert [t["escalated"] for t in found.urgent][:1] == [True]


def test_severe_review_and_overrides_wait_for_the_chef(app, clock):
    ref = open_storning(app)["ref"]
    services.add_incident(app, "alice", at(0, 1), ref, at=at(-1), kind="noise", text="Fest")
    services.fire_event(
        app,
        "carl",
        at(0, 2),
        ref,
        "classify_severe",
        override="Grannen hotades enligt polisanmälan",
    )
    clock.now = at(1)
    found = overview.team_overview(app, "carl", clock.now)
    assert [c["ref"] for c in found.severe] == [ref]
    assert [(o["ref"], o["actor"], o["reason"]) for o in found.overrides] == [
        (ref, "carl", "Grannen hotades enligt polisanmälan")
    ]
    assert found.overrides[0]["event"] == "Bedöm som särskilt allvarlig"
    # the complainant has skyddad identitet and the case may go to court: disclosure is carl's call
    assert [c["ref"] for c in found.disclosures] == [ref]
    assert "Greta" not in str(found)


def test_the_reader_gets_a_read_only_overview(app, client, clock):
    mine, _ = _late_world(app, clock)
    login(client, "lisa")
    html = client.get("/oversikt").text
    assert f'href="/arenden/{mine}"' in html
    assert "du har läsbehörighet" in html and "Väntar på chefens beslut" in html


def test_an_officer_may_not_open_the_overview_and_the_refusal_is_logged(app, client, clock):
    login(client, "bob")
    assert client.get("/oversikt").status_code == 403
    assert 'href="/oversikt"' not in client.get("/").text
    with app.db.read() as session:
        actions = set(session.scalars(select(AccessLog.action).where(AccessLog.actor == "bob")))
    assert "team_overview_refused" in actions


def test_each_overview_read_is_written_to_the_access_log(app, clock):
    _late_world(app, clock)
    overview.team_overview(app, "lisa", clock.now)
    with app.db.read() as session:
        row = session.scalars(select(AccessLog).where(AccessLog.action == "team_overview")).one()
    assert row.actor == "lisa" and row.detail and row.detail.startswith("team norr")


def test_an_administrator_sees_every_team_or_the_one_asked_for(app, clock):
    mine, theirs = _late_world(app, clock)
    every = {t["ref"] for t in overview.team_overview(app, "admin", clock.now).urgent}
    assert {mine, theirs} <= every
    syd = overview.team_overview(app, "admin", clock.now, team="syd")
    assert {t["ref"] for t in syd.urgent} == {theirs}


def test_chefs_and_readers_land_on_the_overview_others_on_their_worklist():
    chef = Principal("carl", frozenset({"chef"}), "norr")
    reader = Principal("lisa", frozenset({"lasare"}), "norr")
    officer = Principal("alice", frozenset({"handlaggare"}), "norr")
    admin = Principal("admin", frozenset({"admin"}), None)
    assert landing_path(chef) == landing_path(reader) == "/oversikt"
    assert landing_path(officer) == landing_path(admin) == "/"
    assert landing_path(chef, "/arenden/S-2026-0001") == "/arenden/S-2026-0001"
    assert landing_path(Principal("x", frozenset({"lasare"}), None)) == "/"


def test_chefs_and_readers_land_on_the_overview_officers_on_their_worklist(client, app):
    from tests.web.conftest import csrf_of, give_passwords

    give_passwords(app)
    for user, landing in (("carl", "/oversikt"), ("lisa", "/oversikt"), ("alice", "/")):
        client.cookies.clear()
        token = csrf_of(client.get("/login").text)
        response = client.post(
            "/login", data={"username": user, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 303
        assert response.headers["location"] == landing, user
