"""The case page: tracks and their actions, stale forms, overrides, incidents, letters, reassignment and
the access log, through real HTTP requests on SQLite and PostgreSQL. Every form carries the case
version of the page it was posted from; the tests take it from the page they just loaded, as a browser
does."""

from __future__ import annotations

import re

from sqlalchemy import select
from tests.conftest import at
from tests.helpers import letter_id, open_storning, states
from tests.web.conftest import login, post_form, version_in, version_on_page

from storning import services
from storning.store.models import AccessLog


def test_the_case_page_shows_three_tracks_actions_and_why_one_is_blocked(app, client, as_alice):
    ref = open_storning(app)["ref"]
    page = client.get(f"/arenden/{ref}").text
    for text in ("Hyresjuridisk process", "Myndighetsprocess", "Kundprocess", "Bedömning"):
        assert text in page
    assert "Socialnämnden ej underrättad" in page and "Kontakt ej tagen" in page
    blocked = re.search(r"<button type=\"button\" disabled[^>]*>Skicka uppmaning", page)
    assert blocked, "issue_uppmaning is shown disabled"
    assert "12 kap. 25 a § jordabalken" in page and "RH 2018:23" in page
    assert "Åsidosätt spärren" not in page  # alice is no chef
    assert "Bekräfta: hyresgästen har flyttat" in page  # a step that cannot be undone is confirmed
    assert "<svg" in page and "Processkarta: Hyresjuridisk process" in page
    assert "Greta Granne" in page  # alice acts on the case: she sees the protected complainant


def test_an_action_with_parameters_is_a_form_and_fires_the_event(app, client, as_alice):
    ref = open_storning(app)["ref"]
    version = services.show_case(app, "alice", at(0), ref)["version"]
    response = post_form(
        client,
        f"/arenden/{ref}/atgard",
        {
            "event": "record_contact",
            "track": "customer",
            "param_channel": "phone",
            "version": version,
        },
        as_alice,
    )
    assert response.status_code == 303
    assert "Utfört: Registrera kontakt." in client.get(response.headers["location"]).text
    assert states(services.show_case(app, "alice", at(0), ref))["customer"] == "contacted"
    response = post_form(
        client,
        f"/arenden/{ref}/atgard",
        {
            "event": "record_consent",
            "param_scope": "Socialtjänsten",
            "param_expires_on": "2026-09-01",
            "version": version + 1,
        },
        as_alice,
    )
    assert response.status_code == 303
    facts = services.show_case(app, "alice", at(0), ref)["facts"]
    assert facts["consent_expires_on"] == "2026-09-01"


def test_a_stale_form_is_refused_and_the_officer_is_asked_to_reload(app, client, as_alice):
    ref = open_storning(app)["ref"]
    version = services.show_case(app, "alice", at(0), ref)["version"]
    services.fire_event(app, "carl", at(0), ref, "record_contact", params={"channel": "sms"})
    response = post_form(
        client,
        f"/arenden/{ref}/atgard",
        {"event": "mark_unreachable", "track": "customer", "version": version},
        as_alice,
    )
    assert response.status_code == 409
    assert "har ändrats" in response.text and "ladda om" in response.text
    assert states(services.show_case(app, "alice", at(0), ref))["customer"] == "contacted"


def test_a_blocked_action_posted_anyway_is_refused_with_its_paragraph(app, client, as_alice):
    ref = open_storning(app)["ref"]
    version = version_on_page(client, ref)
    response = post_form(
        client,
        f"/arenden/{ref}/atgard",
        {"event": "issue_uppmaning", "track": "legal", "version": version},
        as_alice,
    )
    assert response.status_code == 409
    assert "12 kap. 25 a § jordabalken" in response.text
    assert states(services.show_case(app, "alice", at(0), ref))["legal"] == "assessment"


def test_a_form_without_its_version_is_refused_and_changes_nothing(app, client, as_alice):
    before = open_storning(app)
    ref = before["ref"]
    version = version_on_page(client, ref)
    response = post_form(
        client,
        f"/arenden/{ref}/atgard",
        {"event": "record_contact", "track": "customer", "param_channel": "phone"},
        as_alice,
    )
    assert response.status_code == 400
    assert "Uppgiften om vilken version av ärendet du såg saknas" in response.text
    doc = services.show_case(app, "alice", at(0), ref)
    assert states(doc) == states(before) and doc["version"] == version


def test_a_chef_may_override_an_overridable_guard_with_a_written_reason(app, client):
    ref = open_storning(app)["ref"]
    services.add_incident(app, "alice", at(0), ref, at=at(-1), kind="noise", text="Fest")
    token = login(client, "carl")
    page = client.get(f"/arenden/{ref}").text
    assert "Åsidosätt spärren" in page
    response = post_form(
        client,
        f"/arenden/{ref}/atgard",
        {
            "event": "issue_uppmaning",
            "track": "legal",
            "override": "Uppmaning given muntligen",
            "version": version_in(page),
        },
        token,
    )
    assert response.status_code == 303
    doc = services.show_case(app, "carl", at(0), ref)
    assert states(doc)["legal"] == "uppmaning_issued"
    assert "Spärr åsidosatt: Uppmaning given muntligen" in client.get(f"/arenden/{ref}").text


def test_an_officer_cannot_override_even_by_posting_the_field(app, client, as_alice):
    ref = open_storning(app)["ref"]
    services.add_incident(app, "alice", at(0), ref, at=at(-1), kind="noise", text="Fest")
    response = post_form(
        client,
        f"/arenden/{ref}/atgard",
        {
            "event": "issue_uppmaning",
            "override": "Jag vill",
            "version": version_on_page(client, ref),
        },
        as_alice,
    )
    assert response.status_code == 403
    assert states(services.show_case(app, "alice", at(0), ref))["legal"] == "assessment"


def test_incidents_are_added_from_the_case_page(app, client, as_alice):
    ref = open_storning(app)["ref"]
    page = client.get(f"/arenden/{ref}").text
    assert re.search(r'<input[^>]*name="at"[^>]*value=""', page)  # the time is not guessed
    version = version_in(page)
    bad = post_form(
        client,
        f"/arenden/{ref}/storningar",
        {"at": "igår", "text": "", "version": version},
        as_alice,
    )
    assert bad.status_code == 400
    assert "Ogiltig tidpunkt" in bad.text and "Välj vilken sorts störning" in bad.text
    future = post_form(
        client,
        f"/arenden/{ref}/storningar",
        {"at": "2026-03-02T20:00", "kind": "noise", "text": "Fest", "version": version},
        as_alice,
    )
    assert future.status_code == 400 and "ligger i framtiden" in future.text
    too_long = post_form(
        client,
        f"/arenden/{ref}/storningar",
        {"at": "2026-03-01T22:15", "kind": "noise", "text": "x" * 4001, "version": version},
        as_alice,
    )
    assert too_long.status_code == 400 and "högst 4000 tecken" in too_long.text  # refused, not cut
    assert services.show_case(app, "alice", at(0), ref)["incidents"] == []
    response = post_form(
        client,
        f"/arenden/{ref}/storningar",
        {
            "at": "2026-03-01T22:15",
            "kind": "threat",
            "text": "Hot i trapphuset",
            "verified_by": "staff",
            "version": version,
        },
        as_alice,
    )
    assert response.status_code == 303
    assert "Störningen (hot) är registrerad." in client.get(f"/arenden/{ref}").text
    [incident] = services.show_case(app, "alice", at(0), ref)["incidents"]
    assert incident["at"] == "2026-03-01T22:15:00+01:00"


def test_letters_are_marked_sent_and_served_and_downloaded(app, client, clock, as_alice):
    ref = open_storning(app)["ref"]
    services.add_incident(
        app, "alice", at(0), ref, at=at(-1), kind="noise", text="Fest", verified_by="jour"
    )
    doc = services.fire_event(app, "alice", at(0), ref, "issue_uppmaning")
    clock.advance(days=1)
    notice = letter_id(doc, "underrattelse_socialnamnd")
    response = post_form(
        client,
        f"/arenden/{ref}/brev/{notice}/skickat",
        {"method": "rekommenderat", "date": "2026-03-03", "version": doc["version"]},
        as_alice,
    )
    assert response.status_code == 303, response.text
    doc = services.show_case(app, "alice", clock.now, ref)
    assert states(doc)["authority"] == "notified"
    assert doc["facts"]["social_services_notified_on"] == "2026-03-03"
    version = version_on_page(client, ref)
    future = post_form(
        client,
        f"/arenden/{ref}/brev/{notice}/delgivet",
        {"date": "2026-04-01", "version": version},
        as_alice,
    )
    assert future.status_code == 400 and "framtiden" in future.text
    served = post_form(
        client,
        f"/arenden/{ref}/brev/{notice}/delgivet",
        {"date": "2026-03-03", "proof": "Mottagningskvitto", "version": version},
        as_alice,
    )
    assert served.status_code == 303
    uppmaning = letter_id(doc, "uppmaning")
    pdf = client.get(f"/arenden/{ref}/brev/{uppmaning}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    assert "attachment" in pdf.headers["content-disposition"]
    assert pdf.headers["x-sha256"]
    # reading a draft's PDF is a read: it stays a draft, not frozen, until it is sent or served
    letters = {x["id"]: x for x in services.show_case(app, "alice", clock.now, ref)["letters"]}
    assert letters[uppmaning]["status"] == "draft" and letters[uppmaning]["sha256"] is None
    assert letters[notice]["status"] == "served" and letters[notice]["sha256"]


def test_every_case_read_and_download_is_logged(app, client, as_alice):
    doc = open_storning(app)
    ref, bekraftelse = doc["ref"], letter_id(doc, "bekraftelse")
    client.get(f"/arenden/{ref}")
    assert client.get(f"/arenden/{ref}/brev/{bekraftelse}.pdf").status_code == 200
    with app.db.read() as session:
        rows = [
            (r.actor, r.action, r.case_id)
            for r in session.scalars(select(AccessLog).order_by(AccessLog.id))
        ]
    assert ("alice", "case_list", None) in rows  # the worklist shown after the login
    case_id = next(row[2] for row in rows if row[1] == "case_view")
    assert case_id is not None
    assert [r for r in rows if r[1] in ("case_view", "letter_pdf")] == [
        ("alice", "case_view", case_id),
        ("alice", "letter_pdf", case_id),
    ]


def test_a_letter_of_another_case_is_not_found_under_this_one(app, client, as_alice):
    one = open_storning(app)
    other = open_storning(app)
    url = f"/arenden/{one['ref']}/brev/{letter_id(other, 'bekraftelse')}.pdf"
    assert client.get(url).status_code == 404


def test_a_chef_reassigns_within_the_team_and_an_officer_may_not(app, client):
    ref = open_storning(app)["ref"]
    token = login(client, "alice")
    page = client.get(f"/arenden/{ref}").text
    assert "Byt handläggare" not in page
    version = version_in(page)
    assert (
        post_form(
            client, f"/arenden/{ref}/handlaggare", {"owner": "carl", "version": version}, token
        ).status_code
        == 403
    )
    client.post("/logout", data={"csrf_token": token})
    token = login(client, "carl")
    page = client.get(f"/arenden/{ref}").text
    assert "Byt handläggare" in page
    assert re.search(r'<option value="alice" selected>', page)  # the current owner is listed
    assert 'value="bob"' not in page  # bob is in another team
    version = version_in(page)
    assert (
        post_form(
            client, f"/arenden/{ref}/handlaggare", {"owner": "bob", "version": version}, token
        ).status_code
        == 403
    )
    moved = post_form(
        client, f"/arenden/{ref}/handlaggare", {"owner": "carl", "version": version}, token
    )
    assert moved.status_code == 303
    assert "Ärendet har nu carl som handläggare." in client.get(moved.headers["location"]).text
    doc = services.show_case(app, "carl", at(0), ref)
    assert doc["owner"] == "carl" and doc["version"] == version + 1
    assert doc["journal"][-1]["event"] == "case_reassigned"


def test_the_case_page_names_missing_letter_details_and_the_officer_completes_them(
    app, client, clock, as_alice
):
    """A case opened with the required fields only: the page says at once what its letters need,
    the uppmaning is blocked with what to complete, and the "Ändra uppgifter" form completes it."""
    ref = open_storning(app, postal_code=None, city=None, contract=None)["ref"]
    services.add_incident(
        app, "alice", at(0, 1), ref, at="2026-03-01T22:00", kind="noise", text="Fest",
        verified_by="jour",
    )  # fmt: skip
    clock.advance(hours=2)  # the officer looks at the page after the incident was recorded
    page = client.get(f"/arenden/{ref}").text
    assert "Uppgifter saknas för breven" in page
    assert (
        "Postnummer</strong> – behövs i" in page and "Kontraktsnummer</strong> – behövs i" in page
    )
    blocked = post_form(
        client,
        f"/arenden/{ref}/atgard",
        {"event": "issue_uppmaning", "track": "legal", "version": version_in(page)},
        as_alice,
    )
    assert blocked.status_code == 409
    assert "kan inte skapas förrän ärendet har postnummer, ort och kontraktsnummer" in blocked.text
    stale = post_form(
        client,
        f"/arenden/{ref}/uppgifter",
        {"postal_code": "602 20", "version": version_in(page) - 1},
        as_alice,
    )
    assert stale.status_code == 409
    bad = post_form(
        client, f"/arenden/{ref}/uppgifter", {"postal_code": "60", "version": version_in(page)},
        as_alice,
    )  # fmt: skip
    assert bad.status_code == 400 and "fem siffror" in bad.text
    done = post_form(
        client,
        f"/arenden/{ref}/uppgifter",
        {
            "tenant_name": "Kim Hyresgäst",
            "address": "Storgatan 1",
            "apartment": "1102",
            "postal_code": "602 20",
            "city": "Norrköping",
            "municipality": "Norrköping",
            "contract": "123-456",
            "version": version_on_page(client, ref),
        },
        as_alice,
    )
    assert done.status_code == 303
    doc = services.show_case(app, "alice", at(1), ref)
    assert doc["tenant"]["postal_code"] == "602 20" and doc["tenant"]["contract"] == "123-456"
    assert doc["letter_gaps"] == []  # (open_storning records a personnummer)
    fired = post_form(
        client,
        f"/arenden/{ref}/atgard",
        {"event": "issue_uppmaning", "track": "legal", "version": version_on_page(client, ref)},
        as_alice,
    )
    assert fired.status_code == 303, fired.text[fired.text.find("<main") :][:1500]


def test_a_reader_cannot_change_the_case_details(app, client):
    ref = open_storning(app)["ref"]
    token = login(client, "lisa")
    page = client.get(f"/arenden/{ref}").text
    assert "Ändra uppgifter" not in page
    refused = post_form(
        client, f"/arenden/{ref}/uppgifter", {"city": "Linköping", "version": 1}, token
    )
    assert refused.status_code == 403
    assert services.show_case(app, "alice", at(1), ref)["tenant"]["city"] == "Norrköping"


def test_an_incident_with_an_unknown_time_and_its_correction_from_the_case_page(
    app, client, clock, as_alice
):
    """The form records a day with "Klockslaget är okänt" and an end time; the correction form fixes
    the time with a reason, which the journal keeps."""
    ref = open_storning(app)["ref"]
    page = client.get(f"/arenden/{ref}").text
    assert 'name="time_unknown"' in page and 'name="ends_at"' in page
    added = post_form(
        client,
        f"/arenden/{ref}/storningar",
        {
            "at": "2026-03-01T00:00",
            "time_unknown": "on",
            "kind": "noise",
            "text": "Musik, klockslag okänt",
            "version": version_in(page),
        },
        as_alice,
    )
    assert added.status_code == 303
    doc = services.show_case(app, "alice", at(0), ref)
    incident = doc["incidents"][-1]
    assert incident["time_known"] is False
    page = client.get(f"/arenden/{ref}").text
    assert "2026-03-01, tid okänd" in page
    unexplained = post_form(
        client,
        f"/arenden/{ref}/storningar/ratta",
        {"incident_id": incident["id"], "fix_at": "2026-03-01T22:40", "version": version_in(page)},
        as_alice,
    )
    assert unexplained.status_code == 400 and "Motiveringen saknas" in unexplained.text
    fixed = post_form(
        client,
        f"/arenden/{ref}/storningar/ratta",
        {
            "incident_id": incident["id"],
            "fix_at": "2026-03-01T22:40",
            "fix_ends_at": "2026-03-01T23:30",
            "fix_reason": "Jouren angav klockslaget i efterhand",
            "version": version_on_page(client, ref),
        },
        as_alice,
    )
    assert fixed.status_code == 303
    doc = services.show_case(app, "alice", at(0), ref)
    corrected = doc["incidents"][-1]
    assert corrected["at"] == "2026-03-01T22:40:00+01:00" and corrected["time_known"] is True
    assert corrected["ends_at"] == "2026-03-01T23:30:00+01:00"
    assert doc["journal"][-1]["params"]["reason"] == "Jouren angav klockslaget i efterhand"
    assert "rättad" in client.get(f"/arenden/{ref}").text


def test_a_letter_is_reissued_from_the_case_page_and_the_api(app, client, clock, as_alice):
    """ "Nytt utkast": a new draft dated today, the original unchanged (the refusal of a wrongly dated
    termination tells the officer to do exactly this)."""
    doc = open_storning(app)
    letter = letter_id(doc, "bekraftelse")
    page = client.get(f"/arenden/{doc['ref']}").text
    assert f"/brev/{letter}/nytt-utkast" in page
    done = post_form(
        client,
        f"/arenden/{doc['ref']}/brev/{letter}/nytt-utkast",
        {"version": version_in(page)},
        as_alice,
    )
    assert done.status_code == 303
    letters = services.list_letters(app, "alice", at(0), doc["ref"])
    assert [x["template"] for x in letters].count("bekraftelse") == 2
    assert letters[0]["status"] == "draft"  # the original is untouched
    api = client.post(
        f"/api/letters/{letter}/reissue",
        json={"expected_version": version_on_page(client, doc["ref"])},
        headers={"X-CSRF-Token": as_alice},
    )
    assert api.status_code == 201 and api.json()["template"] == "bekraftelse"


def test_a_refused_details_form_keeps_what_was_typed(app, client, as_alice):
    ref = open_storning(app)["ref"]
    refused = post_form(
        client,
        f"/arenden/{ref}/uppgifter",
        {"postal_code": "6022", "city": "Linköping", "version": version_on_page(client, ref)},
        as_alice,
    )
    assert refused.status_code == 400 and "fem siffror" in refused.text
    assert 'value="6022"' in refused.text and 'value="Linköping"' in refused.text
