"""The intake page `/inkorg` (issue 16 item 3), its menu count, its three actions, and the API and
CLI doors to the same queue. Team scope: an item about a case of team norr is seen by norr (alice,
carl, lisa read-only) and not by bob (team syd); an item that matched no case is seen by every
officer. A protected complainant's name in a diary entry is shown only to those who may act.
"""

from __future__ import annotations

import re

import pytest
from tests.doors import Doors, api_refused, cli_refused, instant, open_doors, page_text

from storning.intake import queue
from storning.services import intake as intake_service

NOW = "2026-03-02T09:00"
LATER = "2026-03-02T10:00"
SECRET = "Hemlig Granne"


@pytest.fixture
def doors(app, db_url, monkeypatch):
    with open_doors(app, db_url, monkeypatch) as d:
        yield d


def put(doors: Doors, kind: str, *, external_id: str, case_ref: str | None = None,
        protected: bool = False, text: str = "Hög musik", reporter: str | None = None) -> int:  # fmt: skip
    payload = {"at": "2026-03-01T23:00:00+01:00", "kind": "noise", "text": text}
    if reporter:
        payload["reporter"] = reporter
    return intake_service.add_item(
        doors.app,
        kind,  # type: ignore[arg-type]
        payload,
        external_id=external_id,
        received_at=instant(NOW),
        source="test",
        case_ref=case_ref,
        protected=protected,
    )


def test_the_page_lists_items_with_a_count_in_the_menu(doors):
    put(doors, "jour", external_id="J-1", text="Skrik i trapphuset")
    browser = doors.browser("alice", now=LATER)
    page = browser.get("/inkorg", now=LATER)
    assert page.status_code == 200
    assert "Skrik i trapphuset" in page.text
    assert re.search(r'href="/inkorg"[^>]*>Inkorg <span class="badge">1', page.text)


def test_reading_the_queue_is_written_to_the_access_log_at_every_door(doors):
    from sqlalchemy import select

    from storning.store.models import AccessLog

    item = put(doors, "jour", external_id="J-LOG", text="Skrik i trapphuset")
    doors.browser("alice", now=LATER).get("/inkorg", now=LATER)
    doors.api("lisa", "GET", f"/api/intake/{item}", now=LATER)
    listed = doors.cli("intake", "list", now=LATER, user="carl")
    assert f"{item:>6}  Störningsjour" in listed.stdout and " 2026-03-02 09:00 " in listed.stdout
    with doors.app.db.read() as session:
        rows = session.execute(
            select(AccessLog.actor, AccessLog.action, AccessLog.detail).where(
                AccessLog.action.like("intake_%")
            )
        ).all()
    assert sorted(tuple(r) for r in rows) == [
        ("alice", "intake_list", "status=open, 1 poster"),
        ("carl", "intake_list", "status=open, 1 poster"),
        ("lisa", "intake_view", f"post {item}"),
    ]


def test_the_menus_badge_counts_what_each_one_sees(doors):
    """Norr's case item counts for norr (alice) and the administrator, not for bob of team syd; an
    item no team owns yet counts for everyone; a handled one for no one."""
    case = doors.open_case(now=NOW)  # alice's, team norr
    put(doors, "dagbok", external_id="D-1", case_ref=case["ref"], text="Norrs anteckning")
    put(doors, "jour", external_id="J-1", text="Okänd adress")
    handled = put(doors, "jour", external_id="J-2", text="Redan avfärdad")
    dismissed = doors.api(
        "alice", "POST", f"/api/intake/{handled}/dismiss", now=LATER, json={"reason": "Dubblett"}
    )
    assert dismissed.status_code == 200, dismissed.text
    for user, expected in (("alice", 2), ("bob", 1), ("admin", 2)):
        page = doors.browser(user, now=LATER).get("/", now=LATER)
        assert re.search(
            rf'href="/inkorg"[^>]*>Inkorg <span class="badge">{expected}<', page.text
        ), user


def test_bob_in_team_syd_does_not_see_norrs_items(doors):
    case = doors.open_case(now=NOW)  # alice's, team norr
    own = put(doors, "dagbok", external_id="D-1", case_ref=case["ref"], text="Norrs anteckning")
    put(doors, "jour", external_id="J-1", text="Okänd adress")
    seen_by_bob = [i["id"] for i in intake_service.list_items(doors.app, "bob", instant(LATER))]
    assert own not in seen_by_bob and len(seen_by_bob) == 1
    bob = doors.browser("bob", now=LATER)
    assert "Norrs anteckning" not in bob.get("/inkorg", now=LATER).text
    response = doors.api("bob", "GET", f"/api/intake/{own}", now=LATER)
    assert response.status_code == 404
    refused = doors.api(
        "bob", "POST", f"/api/intake/{own}/dismiss", now=LATER, json={"reason": "x"}
    )
    assert refused.status_code == 404
    assert [i["id"] for i in doors.api("carl", "GET", "/api/intake", now=LATER).json()].count(
        own
    ) == 1


def test_a_protected_reporter_is_shown_only_to_those_who_may_act(doors):
    case = doors.open_case(now=NOW)
    put(doors, "dagbok", external_id="D-1", case_ref=case["ref"], protected=True, reporter=SECRET)
    assert SECRET in doors.browser("alice", now=LATER).get("/inkorg", now=LATER).text
    lisa = doors.browser("lisa", now=LATER).get("/inkorg", now=LATER).text
    assert SECRET not in lisa and "Skyddad identitet" in lisa
    api = doors.api("lisa", "GET", "/api/intake", now=LATER).json()
    assert api[0]["payload"]["reporter"] == "Skyddad identitet" and api[0]["may_act"] is False


def test_a_night_patrols_caller_is_shown_only_to_those_who_may_act(doors):
    """A jour report names who called the patrol: a neighbour, protected as a complainant is on the
    case (an incident's reporter), although the report itself is not marked protected."""
    case = doors.open_case(now=NOW)
    put(doors, "jour", external_id="J-7", case_ref=case["ref"], reporter=SECRET)
    assert SECRET in doors.browser("alice", now=LATER).get("/inkorg", now=LATER).text
    lisa = doors.browser("lisa", now=LATER).get("/inkorg", now=LATER).text
    assert SECRET not in lisa and "Skyddad identitet" in lisa
    api = doors.api("lisa", "GET", "/api/intake", now=LATER).json()
    assert api[0]["payload"]["reporter"] == "Skyddad identitet"


def test_attach_records_an_incident_verified_as_the_kind_says(doors):
    case = doors.open_case(now=NOW)
    jour_item = put(doors, "jour", external_id="J-1")
    diary_item = put(doors, "dagbok", external_id="D-1", case_ref=case["ref"])
    browser = doors.browser("alice", now=LATER)
    page = browser.get("/inkorg", now=LATER)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    response = browser.post(
        f"/inkorg/{jour_item}/koppla", {"csrf_token": csrf.group(1), "case": case["ref"]}, now=LATER
    )
    assert response.status_code == 303, page_text(response.text)
    doors.cli_json("intake", "attach", str(diary_item), case["ref"], now=LATER)
    incidents = doors.show(case["ref"], now=LATER)["incidents"]
    # RH 2018:23: the night patrol is the landlord's own verification; a diary entry is a
    # neighbour's report only
    assert sorted(str(i["verified_by"]) for i in incidents) == ["None", "jour"]
    again = doors.cli("intake", "attach", str(jour_item), case["ref"], now=LATER)
    assert "redan hanterad" in cli_refused(again)


def test_a_form_without_the_csrf_token_is_refused(doors):
    case = doors.open_case(now=NOW)
    item = put(doors, "jour", external_id="J-1")
    browser = doors.browser("alice", now=LATER)
    response = browser.post(f"/inkorg/{item}/koppla", {"case": case["ref"]}, now=LATER)
    assert response.status_code in (400, 403)
    assert doors.show(case["ref"], now=LATER)["incidents"] == []


def test_dismiss_needs_a_reason_and_keeps_it(doors):
    item = put(doors, "jour", external_id="J-1")
    missing = doors.api(
        "alice", "POST", f"/api/intake/{item}/dismiss", now=LATER, json={"reason": " "}
    )
    assert api_refused(missing)
    done = doors.api(
        "alice", "POST", f"/api/intake/{item}/dismiss", now=LATER, json={"reason": "Annan värd"}
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["reason"]) == ("dismissed", "Annan värd")
    assert doors.cli_json("intake", "list", now=LATER) == []
    reader = doors.api("lisa", "POST", f"/api/intake/{put(doors, 'jour', external_id='J-2')}/dismiss",
                       now=LATER, json={"reason": "x"})  # fmt: skip
    assert reader.status_code == 403


def test_open_a_new_case_from_an_item(doors):
    item = put(doors, "jour", external_id="J-1", text="Bråk")
    response = doors.api(
        "alice", "POST", f"/api/intake/{item}/open", now=LATER,
        json={"tenant": "Nils Ny", "address": "Ågatan 3", "apartment": "1001"},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["intake_item"]["status"] == "opened"
    assert [i["verified_by"] for i in document["incidents"]] == ["jour"]


def test_two_officers_opening_a_case_from_one_item_at_once_open_one_case(doors, monkeypatch):
    """Both pass the first check before either has opened anything; the item is locked where the
    case is opened, so the second is told the item is handled and no second case is left behind."""
    import threading

    from sqlalchemy import func, select

    from storning.errors import InvalidInput
    from storning.services.cases import NewCase
    from storning.store.models import Case, IntakeItem

    item = put(doors, "jour", external_id="J-RACE", text="Bråk i trapphuset")
    both_checked = threading.Barrier(2, timeout=20)
    check = intake_service._open_item_for_action

    def checked_then_wait(session, principal, item_id, *, lock=True):
        found = check(session, principal, item_id, lock=lock)
        if not lock:  # the first check, in its own read
            both_checked.wait()
        return found

    monkeypatch.setattr(intake_service, "_open_item_for_action", checked_then_wait)
    with doors.app.db.read() as session:
        before = session.scalar(select(func.count()).select_from(Case))
    results: dict[str, object] = {}

    def open_as(user: str) -> None:
        new = NewCase(
            case_type="storning", tenant=f"Nils {user}", address="Ågatan 3", apartment="1"
        )
        try:
            results[user] = intake_service.open_case_from_item(
                doors.app, user, instant(LATER), item, new
            )["ref"]
        except InvalidInput as refused:
            results[user] = refused

    threads = [threading.Thread(target=open_as, args=(u,)) for u in ("alice", "carl")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    opened = [r for r in results.values() if isinstance(r, str)]
    refused = [r for r in results.values() if isinstance(r, InvalidInput)]
    assert len(opened) == 1 and len(refused) == 1, results
    assert "redan hanterad" in str(refused[0])
    with doors.app.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == before + 1
        stored = session.get(IntakeItem, item)
        assert stored is not None and stored.status == "opened"
        ref = session.scalar(select(Case.ref).where(Case.id == stored.case_id))
    assert ref == opened[0]


def test_the_queue_module_is_idempotent_on_the_external_id(doors):
    first = put(doors, "jour", external_id="J-1")
    assert put(doors, "jour", external_id="J-1") == first
    with doors.app.db.read() as session:
        assert queue.open_count(session, "norr", False) == 1


def test_the_new_case_form_fetches_from_the_register(doors):
    doors.api(
        "carl", "PUT", "/api/register/contracts/K-7", now=NOW,
        json={"tenant": "Rita Register", "address": "Regvägen 7", "apartment": "0701",
              "postal_code": "602 21", "city": "Norrköping"},
    )  # fmt: skip
    page = doors.browser("alice", now=LATER).get("/arenden/nytt", now=LATER, kontrakt="K-7")
    assert page.status_code == 200
    assert 'value="Rita Register"' in page.text and 'value="Regvägen 7"' in page.text
    assert "Registret saknar: kommun, personnummer" in page.text or "kommun" in page.text
    unknown = doors.browser("alice", now=LATER).get("/arenden/nytt", now=LATER, kontrakt="K-404")
    assert "finns inte i hyresregistret" in unknown.text


def test_witnesses_and_reporter_never_reach_the_incident_text(doors):
    case = doors.open_case(now=NOW)
    item = intake_service.add_item(
        doors.app,
        "dagbok",
        {
            "at": "2026-03-01T23:00:00+01:00",
            "text": "Dunkande bas",
            "reporter": SECRET,
            "witnesses": "Vera Vittne",
        },
        external_id="D-9",
        received_at=instant(NOW),
        source="test",
        case_ref=case["ref"],
        protected=True,
    )
    doors.cli_json("intake", "attach", str(item), case["ref"], now=LATER)
    [incident] = doors.show(case["ref"], now=LATER, user="alice")["incidents"]
    assert "Vera Vittne" not in incident["text"] and SECRET not in incident["text"]
    assert SECRET in incident["reporter"] and "Vera Vittne" in incident["reporter"]
    [for_reader] = doors.show(case["ref"], now=LATER, user="lisa")["incidents"]
    assert for_reader["reporter"] == "Skyddad identitet"


def test_the_web_form_opens_a_prefilled_case_from_an_item(doors):
    doors.api(
        "carl", "PUT", "/api/register/contracts/K-8", now=NOW,
        json={"tenant": "Pia Prefill", "address": "Fyllgatan 8", "apartment": "0801",
              "municipality": "Norrköping"},
    )  # fmt: skip
    item = intake_service.add_item(
        doors.app,
        "jour",
        {"at": "2026-03-01T23:00:00+01:00", "text": "Skrik"},
        external_id="J-8",
        received_at=instant(NOW),
        source="test",
    )
    with doors.app.db.write() as session:  # the report named the apartment, not the contract
        from storning.store.models import IntakeItem

        row = session.get(IntakeItem, item)
        assert row is not None
        row.address, row.apartment = "Fyllgatan 8", "0801"
    reader = doors.browser("lisa", now=LATER).get(f"/inkorg/{item}/nytt", now=LATER)
    assert reader.status_code == 403 and "läsbehörighet" in reader.text  # no form to open a case
    browser = doors.browser("alice", now=LATER)
    form = browser.form(f"/inkorg/{item}/nytt", f"/inkorg/{item}/oppna", now=LATER)
    assert (form["tenant"], form["contract"], form["municipality"]) == (
        "Pia Prefill",
        "K-8",
        "Norrköping",
    )
    response = browser.post(f"/inkorg/{item}/oppna", form, now=LATER)
    assert response.status_code == 303
    ref = response.headers["location"].rsplit("/", 1)[-1]
    document = doors.show(ref, now=LATER)
    assert [i["verified_by"] for i in document["incidents"]] == ["jour"]
    assert intake_service.show_item(doors.app, "alice", instant(LATER), item)["status"] == "opened"
    again = browser.get(f"/inkorg/{item}/nytt", now=LATER)  # handled: no second case from it
    assert again.status_code == 400 and "redan hanterad" in again.text
    reader_again = doors.browser("lisa", now=LATER).get(f"/inkorg/{item}/nytt", now=LATER)
    assert reader_again.status_code == 403  # a reader is told what a reader may do, first


def test_the_page_offers_to_close_cases_whose_tenant_moved_out(doors):
    case = doors.open_case(now=NOW)  # contract 123-456
    doors.api(
        "carl", "PUT", "/api/register/contracts/123-456", now=NOW,
        json={"tenant": "Kim Hyresgäst", "address": "Storgatan 1", "apartment": "1102",
              "move_out": "2026-03-01"},
    )  # fmt: skip
    page = doors.browser("alice", now=LATER).get("/inkorg", now=LATER).text
    assert "Utflyttade enligt hyresregistret" in page and case["ref"] in page
    assert "Utflyttade enligt" not in doors.browser("bob", now=LATER).get("/inkorg", now=LATER).text
    assert doors.show(case["ref"], now=LATER)["status"] == "open"


def test_malformed_json_to_the_api_is_refused(doors):
    client = doors.new_client()
    headers = {
        "Authorization": f"Bearer {doors.token('alice')}",
        "Content-Type": "application/json",
    }
    response = client.post("/api/jour/reports", content=b'{"reports": [', headers=headers)
    assert response.status_code in (400, 422)
    assert response.json()["error"]["message"]
