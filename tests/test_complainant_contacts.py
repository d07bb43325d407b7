"""A case's complainants and their contact details, through every door (issue 12 item 4).

The officer must give complainants an update every ten working days (the `complainant_updates`
reminder), so their phone and e-mail are recorded — and protected like their names: a reader of the
team sees "Skyddad identitet" and no contact detail; an officer of another team does not see the case.
A complainant added later gets what one named at the opening gets (a confirmation letter and the update
reminders). The journal says which detail changed, never the value. Lifting skyddad identitet is a
chef's decision.

alice (officer) and carl (chef) are in team norr, bob (officer) in team syd, lisa reads team norr.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from storning.store.models import JournalEntry, Letter, Timer
from tests.doors import Doors, alert_of, api_refused, cli_refused, open_doors, pdf_text

OPENED = "2026-03-02T09:00"  # Monday 2 March 2026
LATER = "2026-03-02T10:00"
PHONE = "070-123 45 67"
EMAIL = "greta.granne@example.se"
SECRET = "Hemlig Granne"


@pytest.fixture
def doors(app, db_url, monkeypatch):
    with open_doors(app, db_url, monkeypatch) as d:
        yield d


def bekraftelser(doors: Doors, ref: str) -> list[Letter]:
    with doors.app.db.read() as session:
        return list(
            session.scalars(
                select(Letter)
                .where(Letter.case_id == doors.case_id(ref), Letter.template == "bekraftelse")
                .order_by(Letter.id)
            )
        )


def update_timers(doors: Doors, ref: str) -> list[Timer]:
    with doors.app.db.read() as session:
        return list(
            session.scalars(
                select(Timer).where(
                    Timer.case_id == doors.case_id(ref),
                    Timer.name == "complainant_updates",
                    Timer.status == "pending",
                )
            )
        )


def journal_text(doors: Doors, ref: str) -> str:
    with doors.app.db.read() as session:
        rows = session.scalars(
            select(JournalEntry).where(JournalEntry.case_id == doors.case_id(ref))
        )
        return json.dumps([[r.event, r.params, r.reason] for r in rows], ensure_ascii=False)


# --- the CLI --------------------------------------------------------------------------------------


def test_a_complainant_added_later_gets_a_confirmation_and_starts_the_update_reminders(doors):
    ref = doors.open_case(now=OPENED)["ref"]  # opened without a complainant
    assert bekraftelser(doors, ref) == [] and update_timers(doors, ref) == []
    doc = doors.cli_json(
        "complainant", "add", ref, "--name", "Greta Granne", "--phone", PHONE,
        "--email", EMAIL, "--address", "Storgatan 3|602 20 Norrköping", now=LATER,
    )  # fmt: skip
    [added] = doc["complainants"]
    assert (added["phone"], added["email"]) == (PHONE, EMAIL)
    assert added["address"] == "Storgatan 3\n602 20 Norrköping"
    [letter] = bekraftelser(doors, ref)
    assert letter.data["complainant_id"] == added["id"]
    assert len(update_timers(doors, ref)) == 1  # the officer is now reminded to update her

    # a second complainant gets their own confirmation; the reminders are not started twice
    doc = doors.cli_json("complainant", "add", ref, "--name", "Per Persson", now=LATER)
    second = doc["complainants"][-1]
    letters = bekraftelser(doors, ref)
    assert [x.data["complainant_id"] for x in letters] == [added["id"], second["id"]]
    assert len(update_timers(doors, ref)) == 1
    text = doors.cli("case", "show", ref, now=LATER).stdout
    assert f"Anmälare {added['id']}: Greta Granne, {PHONE}, {EMAIL}" in text


def test_a_correction_is_journaled_by_field_never_by_value(doors):
    ref = doors.open_case(now=OPENED, extra=("--complainant", "Greta Granne"))["ref"]
    [greta] = doors.show(ref, now=OPENED, user="alice")["complainants"]
    doc = doors.cli_json(
        "complainant", "update", ref, str(greta["id"]), "--phone", PHONE, "--email", EMAIL,
        now=LATER,
    )  # fmt: skip
    assert doc["complainants"][0]["phone"] == PHONE
    journal = journal_text(doors, ref)
    assert '"changed": ["phone", "email"]' in journal
    assert PHONE not in journal and EMAIL not in journal
    # an empty value clears an optional detail
    doc = doors.cli_json("complainant", "update", ref, str(greta["id"]), "--phone", "", now=LATER)
    assert doc["complainants"][0]["phone"] is None and doc["complainants"][0]["email"] == EMAIL


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--email", "greta@", "ser inte ut som en e-postadress"),
        ("--phone", "ring mig", "ska bara ha siffror"),
        ("--name", " ", "Anmälarens namn saknas"),
        # a right-to-left override makes "Evil\u202egnp.exe" read "Evilexe.png"; a line break splits
        # the address block of the confirmation letter
        ("--name", "Evil\u202egnp.exe", "osynligt tecken"),
        ("--name", "Rad1\nRad2", "radbrytning"),
    ],
)
def test_bad_details_are_refused_with_a_sentence_and_change_nothing(doors, option, value, says):
    ref = doors.open_case(now=OPENED, extra=("--complainant", "Greta Granne"))["ref"]
    [greta] = doors.show(ref, now=OPENED, user="alice")["complainants"]
    before = doors.snapshot(ref)
    message = cli_refused(
        doors.cli("complainant", "update", ref, str(greta["id"]), option, value, now=LATER)
    )
    assert says in message
    assert doors.snapshot(ref) == before


def test_lifting_skyddad_identitet_is_a_chefs_decision(doors):
    ref = doors.open_case(now=OPENED, extra=("--complainant", SECRET, "--protected"))["ref"]
    [her] = doors.show(ref, now=OPENED, user="alice")["complainants"]
    message = cli_refused(
        doors.cli("complainant", "update", ref, str(her["id"]), "--not-protected", now=LATER)
    )
    assert "Bara en chef" in message
    # the officer may still complete her contact details, and protect someone
    doors.cli_json("complainant", "update", ref, str(her["id"]), "--phone", PHONE, now=LATER)
    doc = doors.cli_json(
        "complainant", "update", ref, str(her["id"]), "--not-protected", now=LATER, user="carl"
    )
    assert doc["complainants"][0]["protected"] is False


def test_a_closed_case_gets_no_new_complainant_nor_a_change(doors):
    ref = doors.open_case(now=OPENED, extra=("--complainant", "Greta Granne"))["ref"]
    [greta] = doors.show(ref, now=OPENED, user="alice")["complainants"]
    doors.cli_json("case", "fire", ref, "tenant_moved", now=LATER)  # closes the case
    message = cli_refused(doors.cli("complainant", "add", ref, "--name", "Greta", now=LATER))
    assert "avslutat" in message
    message = cli_refused(
        doors.cli("complainant", "update", ref, str(greta["id"]), "--phone", PHONE, now=LATER)
    )
    assert "avslutat" in message


def test_saving_without_a_change_is_no_change(doors):
    ref = doors.open_case(now=OPENED, extra=("--complainant", "Greta Granne"))["ref"]
    [greta] = doors.show(ref, now=OPENED, user="alice")["complainants"]
    before = doors.snapshot(ref)
    version = doors.version(ref)
    doc = doors.cli_json(
        "complainant", "update", ref, str(greta["id"]), "--name", "Greta Granne", now=LATER
    )
    assert doc["version"] == version and doors.snapshot(ref) == before


def test_the_confirmation_to_a_complainant_added_later_names_the_day_they_complained(doors):
    ref = doors.open_case(now=OPENED)["ref"]  # Monday 2 March 2026
    doors.cli_json(
        "complainant", "add", ref, "--name", "Greta Granne", "--address", "Storgatan 3|602 20 Norrköping",
        now="2026-03-11T10:00",
    )  # fmt: skip
    [letter] = bekraftelser(doors, ref)
    pdf = doors.api("alice", "GET", f"/api/letters/{letter.id}.pdf", now="2026-03-11T10:05")
    assert pdf.status_code == 200, pdf.text
    text = pdf_text(pdf.content)
    # she complained when she was added, Wednesday 11 March, not when the case was opened
    assert "tagit emot din anmälan om störningar den 11 mars 2026" in text
    assert "2 mars 2026" not in text


def test_a_complainants_phone_and_e_mail_are_given_when_a_case_is_opened_from_the_cli(doors):
    doc = doors.open_case(
        now=OPENED,
        extra=("--complainant", "Greta Granne", "--complainant-phone", PHONE,
               "--complainant-email", EMAIL, "--complainant", "Per Persson"),
    )  # fmt: skip
    contacts = [(c["name"], c["phone"], c["email"]) for c in doc["complainants"]]
    assert contacts == [("Greta Granne", PHONE, EMAIL), ("Per Persson", None, None)]


def test_officers_find_a_case_by_a_complainants_phone_or_e_mail_readers_not_a_protected_one(
    doors, protected_case
):
    for who, found in (("alice", True), ("lisa", False)):
        for typed in (EMAIL, "123 45"):
            response = doors.api(who, "GET", "/api/cases", now=LATER, params={"q": typed})
            assert response.status_code == 200, response.text
            refs = [r["ref"] for r in response.json()]
            assert (protected_case in refs) is found, (who, typed)


def test_an_unknown_complainant_is_not_found(doors):
    ref = doors.open_case(now=OPENED)["ref"]
    other = doors.open_case(now=OPENED, extra=("--complainant", "Greta Granne"))["ref"]
    [greta] = doors.show(other, now=OPENED, user="alice")["complainants"]
    message = cli_refused(
        doors.cli("complainant", "update", ref, str(greta["id"]), "--phone", PHONE, now=LATER)
    )
    assert f"ingen anmälare med nummer {greta['id']}" in message


# --- protected at every door, for every role -------------------------------------------------------


@pytest.fixture
def protected_case(doors: Doors) -> str:
    ref = doors.open_case(now=OPENED, extra=("--complainant", SECRET, "--protected"))["ref"]
    [her] = doors.show(ref, now=OPENED, user="alice")["complainants"]
    doors.cli_json(
        "complainant", "update", ref, str(her["id"]), "--phone", PHONE, "--email", EMAIL,
        now=OPENED,
    )  # fmt: skip
    return ref


@pytest.mark.parametrize("who", ["lisa", "bob"])
def test_protected_contact_details_stay_hidden_at_every_door(doors, protected_case, who):
    ref = protected_case
    secrets = (SECRET, PHONE, EMAIL)
    cli = doors.cli("case", "show", ref, "--json", now=LATER, user=who)
    api = doors.api(who, "GET", f"/api/cases/{ref}", now=LATER)
    page = doors.browser(who, now=LATER).get(f"/arenden/{ref}", now=LATER)
    for output in (cli.stdout + cli.stderr, api.text, page.text):
        assert not any(s in output for s in secrets), output[:300]
    if who == "bob":  # another team: the case does not exist for him
        cli_refused(cli)
        assert api.status_code == 404 and page.status_code == 404
    else:  # the team's reader: the complainant is there, redacted, without a form to change it
        complainant = json.loads(cli.stdout)["complainants"][0]
        assert (complainant["phone"], complainant["email"]) == (None, None)
        assert api.json()["complainants"][0]["phone"] is None
        assert "Skyddad identitet" in page.text
        assert f"/arenden/{ref}/anmalare" not in page.text


@pytest.mark.parametrize("who", ["lisa", "bob"])
def test_those_who_may_not_act_cannot_add_or_change_a_complainant(doors, protected_case, who):
    ref = protected_case
    [her] = doors.show(ref, now=OPENED, user="alice")["complainants"]
    before = doors.snapshot(ref)
    cli_refused(doors.cli("complainant", "add", ref, "--name", "X", now=LATER, user=who))
    cli_refused(
        doors.cli("complainant", "update", ref, str(her["id"]), "--phone", "", now=LATER, user=who)
    )
    version = doors.version(ref)
    api_refused(
        doors.api(who, "POST", f"/api/cases/{ref}/complainants", now=LATER,
                  json={"name": "X", "expected_version": version}),
        (403, 404),
    )  # fmt: skip
    api_refused(
        doors.api(who, "PATCH", f"/api/cases/{ref}/complainants/{her['id']}", now=LATER,
                  json={"phone": None, "expected_version": version}),
        (403, 404),
    )  # fmt: skip
    assert doors.snapshot(ref) == before
    assert doors.show(ref, now=LATER, user="alice")["complainants"][0]["phone"] == PHONE


# --- the API -----------------------------------------------------------------------------------------


def test_the_api_adds_and_corrects_a_complainant_and_refuses_a_stale_edit(doors):
    ref = doors.open_case(now=OPENED)["ref"]
    version = doors.version(ref)
    response = doors.api(
        "alice", "POST", f"/api/cases/{ref}/complainants", now=LATER,
        json={"name": "Greta Granne", "email": EMAIL, "expected_version": version},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    greta = response.json()["complainants"][0]
    assert greta["email"] == EMAIL and len(bekraftelser(doors, ref)) == 1
    url = f"/api/cases/{ref}/complainants/{greta['id']}"
    stale = doors.api(
        "alice", "PATCH", url, now=LATER, json={"phone": PHONE, "expected_version": version}
    )
    assert "har ändrats" in api_refused(stale, (409,))
    bad = doors.api(
        "alice", "PATCH", url, now=LATER,
        json={"email": "inte en adress", "expected_version": doors.version(ref)},
    )  # fmt: skip
    assert "e-postadress" in api_refused(bad)
    ok = doors.api(
        "alice", "PATCH", url, now=LATER,
        json={"phone": PHONE, "expected_version": doors.version(ref)},
    )  # fmt: skip
    assert ok.status_code == 200, ok.text
    assert ok.json()["complainants"][0]["phone"] == PHONE


def test_the_api_adds_a_complainant_only_with_the_version_seen(doors):
    ref = doors.open_case(now=OPENED)["ref"]
    response = doors.api(
        "alice", "POST", f"/api/cases/{ref}/complainants", now=LATER, json={"name": "Greta"}
    )
    assert "expected_version" in api_refused(response, (422,))
    assert bekraftelser(doors, ref) == []


def test_the_api_opens_a_case_with_the_complainants_contact_details(doors):
    body = {
        "tenant": "Kim Hyresgäst", "address": "Storgatan 1", "apartment": "1102",
        "complainants": [{"name": "Greta Granne", "phone": PHONE, "email": EMAIL}],
    }  # fmt: skip
    response = doors.api("alice", "POST", "/api/cases", now=OPENED, json=body)
    assert response.status_code == 201, response.text
    assert response.json()["complainants"][0]["phone"] == PHONE


# --- the web -----------------------------------------------------------------------------------------


def test_the_officer_adds_and_completes_a_complainant_on_the_case_page(doors):
    ref = doors.open_case(now=OPENED)["ref"]
    browser = doors.browser("alice", now=LATER)
    page = f"/arenden/{ref}"
    response = browser.submit(
        page, f"{page}/anmalare", now=LATER,
        fill={"new_complainant_name": "Greta Granne", "new_complainant_phone": "ring mig"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "ska bara ha siffror" in alert_of(response.text)
    assert 'value="Greta Granne"' in response.text  # what was typed comes back
    # ... with the message at its field (the server's rules, not the browser's: novalidate)
    assert 'id="new_complainant_phone-error"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert f'action="{page}/anmalare" class="stack" novalidate' in response.text
    assert doors.show(ref, now=LATER, user="alice")["complainants"] == []

    response = browser.submit(
        page, f"{page}/anmalare", now=LATER,
        fill={"new_complainant_name": "Greta Granne", "new_complainant_phone": PHONE},
    )  # fmt: skip
    assert response.status_code == 303, alert_of(response.text)
    [greta] = doors.show(ref, now=LATER, user="alice")["complainants"]
    action = f"{page}/anmalare/{greta['id']}"
    unchanged = browser.submit(page, action, now=LATER)
    assert unchanged.status_code == 303
    assert "Inget ändrades" in browser.get(unchanged.headers["location"], now=LATER).text
    response = browser.submit(
        page, action, now=LATER, fill={f"complainant_{greta['id']}_email": EMAIL}
    )
    assert response.status_code == 303, alert_of(response.text)
    shown = browser.get(page, now=LATER).text
    assert f'href="mailto:{EMAIL}"' in shown and PHONE in shown
    assert "Anmälarens uppgifter ändrade" in shown and "anmälare" in shown
    [greta] = doors.show(ref, now=LATER, user="alice")["complainants"]
    assert (greta["phone"], greta["email"], greta["protected"]) == (PHONE, EMAIL, False)


def test_the_intake_form_records_the_complainants_phone_and_e_mail(doors):
    browser = doors.browser("alice", now=OPENED)
    fill = {
        "tenant": "Kim Hyresgäst", "address": "Storgatan 1", "apartment": "1102",
        "complainant_1": "Greta Granne", "complainant_1_email": "greta@",
    }  # fmt: skip
    refused = browser.submit("/arenden/nytt", "/arenden/nytt", now=OPENED, fill=fill)
    assert refused.status_code == 400 and "e-postadress" in refused.text
    fill["complainant_1_email"] = EMAIL
    fill["complainant_1_phone"] = PHONE
    response = browser.submit("/arenden/nytt", "/arenden/nytt", now=OPENED, fill=fill)
    assert response.status_code == 303, alert_of(response.text)
    ref = response.headers["location"].split("/")[-1].split("?")[0].split("#")[0]
    [greta] = doors.show(ref, now=OPENED, user="alice")["complainants"]
    assert (greta["phone"], greta["email"]) == (PHONE, EMAIL)
