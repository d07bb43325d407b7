"""The officer's pages, through real HTTP requests against the ASGI app, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from sqlalchemy import select
from tests.conftest import at
from tests.helpers import letter_id, open_storning
from tests.web.conftest import csrf_of, login, post_form, version_on_page

from storning import due_lists, services


def test_pages_ask_for_a_login_and_come_back_after_it(client):
    response = client.get("/arenden/nytt")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Farenden%2Fnytt"
    token = csrf_of(client.get("/login?next=%2Farenden%2Fnytt").text)
    response = client.post(
        "/login",
        data={
            "username": "alice",
            "password": "ett-bra-losenord",
            "next": "/arenden/nytt",
            "csrf_token": token,
        },
    )
    assert (response.status_code, response.headers["location"]) == (303, "/arenden/nytt")


def test_a_wrong_password_says_so_without_telling_which_part_was_wrong(client):
    token = csrf_of(client.get("/login").text)
    for username in ("alice", "nobody"):
        response = client.post(
            "/login", data={"username": username, "password": "fel", "csrf_token": token}
        )
        assert response.status_code == 400
        assert "Fel användarnamn eller lösenord." in response.text


def test_the_login_refuses_a_redirect_to_another_site(client):
    token = csrf_of(client.get("/login").text)
    data = {"username": "alice", "password": "ett-bra-losenord", "csrf_token": token}
    response = client.post("/login", data={**data, "next": "//evil.example/"})
    assert response.headers["location"] == "/"


def test_five_failed_logins_lock_that_name_for_a_quarter_of_an_hour(client, clock):
    token = csrf_of(client.get("/login").text)
    wrong = {"username": "alice", "password": "fel", "csrf_token": token}
    for _ in range(5):
        assert client.post("/login", data=wrong).status_code == 400
    right = {**wrong, "password": "ett-bra-losenord"}
    locked = client.post("/login", data=right)
    assert locked.status_code == 429 and "För många" in locked.text
    other = client.post("/login", data={**right, "username": "carl"})
    assert other.status_code == 303  # only that name is locked
    client.cookies.clear()
    right["csrf_token"] = csrf_of(client.get("/login").text)
    assert client.post("/login", data=right).status_code == 429
    clock.advance(minutes=15)
    assert client.post("/login", data=right).status_code == 303


def test_logout_ends_the_session(client, as_alice):
    assert client.post("/logout", data={"csrf_token": as_alice}).status_code == 303
    assert client.get("/").status_code == 303


def test_the_worklist_shows_my_open_cases_with_what_is_due_overdue_first(app, client, clock):
    late = open_storning(app, tenant="Sen Hyresgäst")["ref"]
    clock.advance(days=8)  # the first contact of `late` was due Monday 9 March
    fresh = open_storning(app, now=clock.now, tenant="Ny Hyresgäst")["ref"]
    open_storning(app, actor="bob", now=clock.now, tenant="Bobs Hyresgäst")
    login(client, "alice")
    page = client.get("/").text
    assert page.index(late) < page.index(fresh)
    assert "Försenat" in page and "Ta första kontakt med hyresgästen" in page
    assert "Försenad" in page  # the tag on the overdue row
    assert "Bobs Hyresgäst" not in page


def test_att_gora_lists_the_nearest_of_each_part_under_its_true_number(
    app, client, clock, monkeypatch
):
    # the workflow's first contact is due five working days after the complaint: 25 cases opened
    # on Monday 2 March are due Monday 9 March, one opened on Tuesday 3 March is due Tuesday 10 March
    late = [open_storning(app, tenant=f"Sen Hyresgäst {n}")["ref"] for n in range(25)]
    clock.advance(days=1)
    fresh = open_storning(app, now=clock.now, tenant="Ny Hyresgäst")["ref"]
    clock.advance(days=7)  # Tuesday 10 March: the 25 are a day late, the new one is due today
    items = services.due_items(app, "alice", clock.now)
    overdue = [i for i in items if i["when"] == "overdue"]
    assert {i["ref"] for i in overdue} == set(late) and len(overdue) >= 25
    login(client, "alice")
    page = client.get("/").text
    section = page.split('id="att-gora"', 1)[1].split("</section>", 1)[0]
    late_part = section.split("due-heading due-overdue", 1)[1].split("</ul>", 1)[0]
    # the true number in the heading, the nearest 20 listed, and a sentence saying so
    assert f'Försenat <span class="count">({len(overdue)})</span>' in section
    listed = re.findall(r'<a href="/arenden/([A-Z0-9-]+)">', late_part)
    assert listed == [i["ref"] for i in overdue[:20]]
    assert f"Visar de 20 mest försenade av {len(overdue)} uppgifter." in section
    # what is due today is listed although more than the listed number are overdue
    today_part = section.split("due-heading due-today", 1)[1].split("</ul>", 1)[0]
    assert 'I dag <span class="count">(1)</span>' in section and fresh in today_part
    assert "Visar de" not in today_part
    # a busy officer's thousands are counted no further than a bound, and said to be at least that
    monkeypatch.setattr(due_lists, "DUE_COUNT_MOST", 22)
    section = client.get("/").text.split('id="att-gora"', 1)[1].split("</section>", 1)[0]
    assert 'Försenat <span class="count">(minst 22)</span>' in section
    assert "Visar de 20 mest försenade av minst 22 uppgifter." in section


def test_the_worklist_filters_and_searches(app, client):
    first = open_storning(app, tenant="Kim Hyresgäst", address="Storgatan 1")["ref"]
    second = open_storning(app, tenant="Sam Granne", address="Parkvägen 7")["ref"]
    login(client, "alice")
    assert second not in client.get("/?sok=kim").text
    assert first in client.get("/?sok=kim").text
    assert first not in client.get("/?sok=parkv").text
    assert first in client.get(f"/?sok={first.lower()}").text
    services.fire_event(app, "alice", at(0, 1), second, "record_contact", params={"channel": "sms"})
    contacted = client.get("/?lage=customer:contacted").text
    assert second in contacted and first not in contacted
    assert first in client.get("/?typ=storning").text
    assert "Inga ärenden matchar." in client.get("/?typ=hyresskuld").text


def test_a_new_case_form_names_each_mistake_and_keeps_what_was_typed(client, as_alice):
    response = post_form(
        client,
        "/arenden/nytt",
        {
            "case_type": "storning",
            "tenant": "",
            "address": "Storgatan <b>1</b>",
            "apartment": "",
            "postal_code": "6022",
            "complainant_1_protected": "on",
            "incident_kind": "noise",
            "incident_at": "2026-03-05T10:00",
        },
        as_alice,
    )
    assert response.status_code == 400
    page = response.text
    for message in (
        "Ange hyresgästens namn.",
        "Ange lägenhetsnumret.",
        "Ange postnumret med fem siffror",
        "eller töm raden",
        "Beskrivningen av händelsen saknas; fyll i fältet.",
        "Tidpunkten för störningen (2026-03-05 10:00) ligger i framtiden; "
        "ange när det faktiskt skedde.",
    ):
        assert message in page
    assert 'value="Storgatan &lt;b&gt;1&lt;/b&gt;"' in page  # kept, and escaped
    assert 'aria-invalid="true"' in page


def test_a_complaint_becomes_a_case_with_its_first_incident(app, client, as_alice):
    response = post_form(
        client,
        "/arenden/nytt",
        {
            "case_type": "storning",
            "tenant": "Kim Hyresgäst",
            "co_tenants": "Alex Hyresgäst\n",
            "address": "Storgatan 1",
            "apartment": "1102",
            "postal_code": "602 20",
            "city": "Norrköping",
            "municipality": "Norrköping",
            "contract": "123-456",
            "complainant_1": "Greta Granne",
            "complainant_1_protected": "on",
            "complainant_1_address": "Storgatan 1 lgh 1202\n602 20 Norrköping",
            "incident_at": "2026-03-01T23:40",
            "incident_kind": "noise",
            "incident_text": "Hög musik efter midnatt",
            "incident_verified_by": "jour",
        },
        as_alice,
    )
    assert response.status_code == 303
    ref = response.headers["location"].removeprefix("/arenden/")
    page = client.get(response.headers["location"]).text
    assert "är öppnat och störningen är registrerad" in page
    doc = services.show_case(app, "alice", at(0), ref)
    assert doc["tenant"]["co_tenants"] == ["Alex Hyresgäst"]
    assert doc["complainants"][0]["protected"] is True
    with app.db.read() as session:
        from storning.store.models import Complainant

        stored = session.scalar(select(Complainant.address))
    assert stored == "Storgatan 1 lgh 1202\n602 20 Norrköping"
    assert [i["verified_by"] for i in doc["incidents"]] == ["jour"]


def test_reminders_are_listed_and_marked_read(app, client, clock):
    from storning.timers import run_due

    open_storning(app)
    clock.advance(days=7)
    run_due(app, clock.now)
    token = login(client, "alice")
    page = client.get("/paminnelser").text
    assert "Att göra: Ta första kontakt med hyresgästen" in page
    reminder = int(re.search(r'action="/paminnelser/(\d+)/last"', page).group(1))
    assert post_form(client, f"/paminnelser/{reminder}/last", {}, token).status_code == 303
    assert "Inga olästa påminnelser." in client.get("/paminnelser").text
    assert "läst" in client.get("/paminnelser?lasta=1").text


def test_the_workflows_page_draws_every_track(client, as_alice):
    page = client.get("/arbetsfloden").text
    assert "Störningsärende" in page
    assert page.count("<svg") >= 3


def test_errors_are_swedish_pages_with_a_fitting_status(client, as_alice):
    missing = client.get("/arenden/S-2099-9999")
    assert missing.status_code == 404
    assert "Hittades inte" in missing.text and "Traceback" not in missing.text
    assert client.get("/finns-inte").status_code == 404
    assert "Sidan finns inte." in client.get("/finns-inte").text


def test_every_response_carries_the_security_headers_and_a_safe_cookie(client):
    response = client.get("/login")
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie


def test_odd_input_on_pages_is_a_4xx_never_a_server_error(app, client, as_alice):
    doc = open_storning(app)
    ref, letter = doc["ref"], letter_id(doc, "bekraftelse")
    version = version_on_page(client, ref)  # so the odd fields, not a missing version, are refused
    nul, long = "a\x00b", "x" * 5000
    for url in (
        "/arenden/S%00",
        "/arenden/" + "S" * 300,
        "/?sok=a%00b&lage=legal:a%00&typ=%00&handlaggare=%00",
    ):
        assert client.get(url).status_code in (200, 404), url
    for url, data in (
        (
            "/arenden/nytt",
            {"case_type": "storning", "tenant": nul, "address": long, "apartment": long},
        ),
        ("/arenden/nytt", {"case_type": nul, "owner": long, "complainant_1": long}),
        (f"/arenden/{ref}/atgard", {"event": nul, "track": long, "param_x": nul, "version": "v"}),
        (f"/arenden/{ref}/atgard", {"event": "record_contact", "param_channel": long,
                                    "version": version}),
        (f"/arenden/{ref}/storningar", {"at": "9999-12-31T23:59", "kind": nul, "text": long,
                                        "version": version}),
        (f"/arenden/{ref}/storningar", {"at": "2199-01-01", "kind": "noise", "text": "x",
                                        "version": version}),
        (f"/arenden/{ref}/brev/99999999999/skickat", {"method": nul, "date": "0000-00-00",
                                                      "version": version}),
        (f"/arenden/{ref}/brev/{letter}/skickat", {"method": "vanligt", "date": "1901-01-01",
                                                   "version": version}),
        (f"/arenden/{ref}/brev/{letter}/delgivet", {"date": "2026-02-30", "proof": nul,
                                                    "version": version}),
        (f"/arenden/{ref}/handlaggare", {"owner": nul, "version": version}),
    ):  # fmt: skip
        response = post_form(client, url, data, as_alice)
        assert 400 <= response.status_code < 500 or response.status_code == 303, (
            url,
            response.text,
        )
    after = services.show_case(app, "alice", at(0), ref)
    assert after["version"] == version and after["incidents"] == []  # nothing was written
    assert all(x["status"] == "draft" for x in after["letters"])
    login_page = client.post(
        "/login", data={"username": nul, "password": nul, "csrf_token": as_alice}
    )
    assert login_page.status_code in (303, 400)


def test_a_sent_reminder_stays_on_the_list_until_the_task_is_done(app, client, clock):
    from datetime import datetime

    from tests.conftest import ZONE

    from storning.timers import run_due

    ref = open_storning(app)["ref"]
    clock.now = datetime(2026, 3, 9, 8, 0, tzinfo=ZONE)  # Monday: first contact due today
    run_due(app, clock.now)
    login(client, "alice")
    page = client.get("/").text
    assert "I dag" in page and "Ta första kontakt med hyresgästen" in page
    services.fire_event(app, "alice", clock.now, ref, "record_contact", params={"channel": "phone"})
    assert "Ta första kontakt med hyresgästen" not in client.get("/").text


def test_numbers_and_file_sizes_are_written_as_swedish_reads_them():
    from storning.web.rendering import file_size, thousands

    assert [thousands(n) for n in (7, 1234, 1234567)] == ["7", "1\u00a0234", "1\u00a0234\u00a0567"]
    # a byte count under a kilobyte as bytes, then one decimal with a decimal comma
    assert [file_size(n) for n in (45, 1024, 3500, 5 * 1024**2 + 1)] == [
        "45 byte",
        "1,0 kB",
        "3,4 kB",
        "5,0 MB",
    ]
