"""Issue 10 item 7 through the doors: the tenant's personnummer (checked with the Luhn algorithm, shown
masked everywhere but in the application to Kronofogden), officers' phone numbers, the störningsjour,
and where letters to socialnämnden and Kronofogden are addressed."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from storning import services
from storning.cli import main
from storning.config import Settings
from storning.errors import InvalidInput
from storning.letters import TEMPLATE_CATALOG, render_letter
from storning.letters.context import build_context, jsonable
from storning.store.models import Case, Letter
from storning.validation import masked_personnummer, personnummer, phone
from tests.conftest import ROOT, at
from tests.helpers import open_storning

TODAY = date(2026, 3, 2)
VALID = "19850312-1231"  # made up; the check digit is right
MASKED = "19850312-****"


# --- the rule ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["19850312-1231", "198503121231", "850312-1231", "8503121231", " 850312 1231 "],
)
def test_a_personnummer_is_accepted_in_every_usual_form_and_normalised(typed):
    assert personnummer(typed, TODAY) == VALID


def test_ten_digits_take_the_century_that_makes_the_person_younger_than_100():
    # Check digits by the Luhn algorithm over ÅÅMMDDNNNN (weights 2,1,2,1,…): 121212-1212 is valid.
    assert personnummer("121212-1212", TODAY) == "20121212-1212"
    assert personnummer("121212+1212", TODAY) == "19121212-1212"  # "+": a hundred or older
    # 10 April 2026 has not come yet (today is 2 March 2026): the person was born in 1926
    assert personnummer("260410-1234", TODAY) == "19260410-1234"


def test_a_samordningsnummer_is_accepted():
    # the day of birth plus 60 (12 → 72); the Luhn check digit of 850372123 is 8
    assert personnummer("850372-1238", TODAY) == "19850372-1238"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            "19850312-1232",
            "Personnumret 19850312-**** är inte giltigt (kontrollsiffran stämmer inte); "
            "kontrollera det.",
        ),
        (
            "19851312-1231",
            "Personnumret 19851312-**** är inte giltigt (datumet 1985-13-12 finns inte); "
            "kontrollera det.",
        ),
        (
            "20010229-1234",
            "Personnumret 20010229-**** är inte giltigt (datumet 2001-02-29 finns inte); "
            "kontrollera det.",
        ),
        (
            "20300101-1234",
            "Personnumret 20300101-**** är inte giltigt (datumet 2030-01-01 ligger i framtiden); "
            "kontrollera det.",
        ),
        (
            "1985-03-12",
            "Personnumret ska skrivas ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN (tolv eller tio siffror); "
            "kontrollera det.",
        ),
    ],
)
def test_an_impossible_personnummer_is_refused_with_one_sentence(typed, message):
    with pytest.raises(InvalidInput) as refused:
        personnummer(typed, TODAY)
    assert str(refused.value) == message
    assert typed[-4:] not in str(refused.value) or typed == "1985-03-12"


def test_masking_and_empty_values():
    assert masked_personnummer(VALID) == MASKED
    assert masked_personnummer(None) is None
    assert personnummer("", TODAY) is None and personnummer(None, TODAY) is None


def test_phone_numbers():
    assert phone(" 011-15 00 00 ") == "011-15 00 00"
    assert phone("+46 11 15 00 00") == "+46 11 15 00 00"
    assert phone("") is None
    for bad in ("ring mig", "12", "011-15 00 00 ank. 3"):
        with pytest.raises(InvalidInput, match="Telefonnumret"):
            phone(bad)


# --- the services ------------------------------------------------------------------------------------


def test_the_case_document_shows_the_personnummer_masked_and_the_store_keeps_it(app):
    doc = open_storning(app, personnummer="850312-1231")
    assert doc["tenant"]["personnummer"] == MASKED
    assert "1231" not in json.dumps(services.show_case(app, "alice", at(0, 1), doc["ref"]))
    with app.db.read() as session:
        assert session.scalar(select(Case.personnummer)) == VALID


def test_a_bad_personnummer_opens_no_case(app):
    with pytest.raises(InvalidInput, match="kontrollsiffran stämmer inte"):
        open_storning(app, personnummer="850312-1232")
    assert services.list_cases(app, "alice", at(0)) == []


def test_a_corrected_personnummer_is_journaled_masked(app):
    ref = open_storning(app, personnummer=None)["ref"]
    doc = services.update_case(app, "alice", at(0, 1), ref, {"personnummer": "8503121231"})
    assert doc["tenant"]["personnummer"] == MASKED
    entry = [e for e in doc["journal"] if e["event"] == "case_updated"][-1]
    assert entry["params"] == {"before": {"personnummer": None}, "after": {"personnummer": MASKED}}
    with pytest.raises(InvalidInput, match="finns inte"):
        services.update_case(app, "alice", at(0, 2), ref, {"personnummer": "851312-1231"})
    assert "1231" not in json.dumps(services.show_case(app, "alice", at(0, 3), ref))
    # a form that shows the masked number and sends it back unchanged keeps the number
    doc = services.update_case(
        app, "alice", at(0, 4), ref, {"personnummer": MASKED, "city": "Norrköping"}
    )
    assert doc["journal"][-1]["params"]["after"] == {"city": "Norrköping"}
    with app.db.read() as session:
        assert session.scalar(select(Case.personnummer)) == VALID


# --- letter data built from a real case ----------------------------------------------------------------


def context_of(app, ref, template, settings=None, facts=None):
    """The data `template` would be issued with for case `ref` (nothing is written)."""
    with app.db.read() as session:
        case = session.scalar(select(Case).where(Case.ref == ref))
        assert case.owner is not None  # loaded before the case is detached
        session.expunge(case)
        if facts:
            case.facts = {**case.facts, **facts}
        letter = Letter(id=0, template=template, case_id=case.id, data={})
        audience = TEMPLATE_CATALOG[template].audience
        return build_context(session, settings or app.settings, case, letter, audience, TODAY)


APPLICATION_FACTS = {
    "uppmaning_given_at": "2026-03-03T11:00:00+01:00",
    "social_services_notified_on": "2026-03-04",
    "terminated_on": "2026-03-20",
    "served_on": "2026-03-23",
}


def test_only_the_application_to_kronofogden_holds_the_full_personnummer(app):
    ref = open_storning(app, personnummer=VALID, co_tenants=["Alex Hyresgäst"])["ref"]
    services.add_incident(
        app, "alice", at(10), ref, at=at(9), kind="noise", text="Ny fest", verified_by="staff"
    )
    for template in TEMPLATE_CATALOG:
        if template == "ansokan_avhysning":
            continue
        data = json.dumps(jsonable(context_of(app, ref, template)), ensure_ascii=False)
        assert "1231" not in data and "personnummer" not in data, template
    context = context_of(app, ref, "ansokan_avhysning", facts=APPLICATION_FACTS)
    assert jsonable(context)["tenant"]["personnummer"] == VALID
    assert context["recipient"] == {
        "name": "Kronofogden",
        "lines": ["Box 1050", "172 21 Sundbyberg"],
    }
    letter = render_letter("ansokan_avhysning", context, letters_dir=ROOT / "letters")
    text = " ".join(letter.source.split())
    assert f"[Kim Hyresgäst, personnummer {VALID}]" in text.replace("\\", "")


def test_the_kronofogden_address_is_a_setting(app):
    ref = open_storning(app)["ref"]
    settings = Settings.from_env(
        {"STORNING_KRONOFOGDEN_ADDRESS": "Kronofogden | Box 50 | 971 02 Luleå"}
    )
    settings = replace(app.settings, kronofogden_address=settings.kronofogden_address)
    context = context_of(app, ref, "ansokan_avhysning", settings=settings)
    assert context["recipient"] == {"name": "Kronofogden", "lines": ["Box 50", "971 02 Luleå"]}


def test_socialnamnden_is_addressed_from_the_register_or_by_name_only(app, tmp_path):
    registered = open_storning(app)["ref"]
    context = context_of(app, registered, "underrattelse_socialnamnd")
    assert context["recipient"] == {
        "name": "Socialnämnden i Norrköpings kommun",
        "lines": ["Socialkontoret", "601 81 Norrköping"],
    }
    assert context["tenant"]["municipality_name"] == "Norrköpings kommun"
    elsewhere = open_storning(app, municipality="Linköping")["ref"]
    context = context_of(app, elsewhere, "meddelande_socialnamnd_44")
    assert context["recipient"] == {"name": "Socialnämnden i Linköpings kommun", "lines": []}
    # the administrator's own register
    own = tmp_path / "socialnamnder.yaml"
    own.write_text(
        "Linköping:\n  address:\n    - Socialförvaltningen\n    - 581 81 Linköping\n",
        encoding="utf-8",
    )
    settings = replace(app.settings, socialnamnder_file=own)
    context = context_of(app, elsewhere, "kopia_uppsagning", settings=settings)
    assert context["recipient"]["lines"] == ["Socialförvaltningen", "581 81 Linköping"]


def test_the_officer_phone_is_the_users_own_else_the_landlords(app):
    services.add_user(
        app, "dana", "Dana Handläggare", ["handlaggare"], team="norr", phone="011-12 34 56"
    )
    with pytest.raises(InvalidInput, match="Telefonnumret"):
        services.add_user(app, "eve", "Eve", ["handlaggare"], phone="ring växeln")
    own = open_storning(app, actor="dana")["ref"]
    assert context_of(app, own, "kontaktbrev")["officer"]["phone"] == "011-12 34 56"
    other = open_storning(app)["ref"]
    landlord = replace(app.settings.landlord, phone="011-00 00 00", jour_phone="011-00 00 99")
    context = context_of(
        app, other, "bekraftelse", settings=replace(app.settings, landlord=landlord)
    )
    assert context["officer"]["phone"] == "011-00 00 00"
    assert context["landlord"]["jour_phone"] == "011-00 00 99"


def test_an_unconfirmed_incident_is_the_complainants_word_in_letter_data(app):
    ref = open_storning(app)["ref"]
    services.add_incident(app, "alice", at(1), ref, at=at(0.5), kind="noise", text="Hög musik")
    (incident,) = context_of(app, ref, "uppmaning")["incidents"]
    assert incident["verified_label"] == "Uppgift från klagande"


# --- settings ----------------------------------------------------------------------------------------


def test_the_new_settings_are_checked(tmp_path):
    settings = Settings.from_env({})
    assert settings.landlord.jour_phone == ""
    assert settings.socialnamnder_file == ROOT / "letters" / "socialnamnder.yaml"
    assert settings.kronofogden_address == ("Kronofogden", "Box 1050", "172 21 Sundbyberg")
    assert Settings.from_env({"STORNING_JOUR_PHONE": "011-15 22 83"}).landlord.jour_phone == (
        "011-15 22 83"
    )
    assert settings.with_env({"STORNING_JOUR_PHONE": "011-15 22 83"}).landlord.jour_phone == (
        "011-15 22 83"
    )
    for name, value in (
        ("STORNING_JOUR_PHONE", "jouren"),
        ("STORNING_SOCIALNAMNDER", str(tmp_path / "saknas.yaml")),
        ("STORNING_KRONOFOGDEN_ADDRESS", "Kronofogden"),
    ):
        with pytest.raises(InvalidInput, match=name) as refused:
            Settings.from_env({name: value})
        assert "\n" not in str(refused.value)


# --- the CLI -----------------------------------------------------------------------------------------


@pytest.fixture
def run(db_url, monkeypatch):
    monkeypatch.setenv("STORNING_WORKFLOWS", str(ROOT / "workflows"))
    monkeypatch.setenv("STORNING_LETTERS_DIR", str(ROOT / "letters"))
    runner = CliRunner()

    def invoke(*args: str, now: str = "2026-03-02T09:00", stdin: str | None = None):
        prefix = ["--db", db_url, "--now", now]
        return runner.invoke(main, [*prefix, *args], input=stdin, catch_exceptions=False)

    assert invoke("init").exit_code == 0
    return invoke


OPEN = (
    "case", "open", "--type", "storning", "--tenant", "Kim Hyresgäst", "--address", "Storgatan 1",
    "--apartment", "1102", "--municipality", "Norrköping",
)  # fmt: skip


def test_the_cli_records_the_personnummer_and_shows_it_masked(run):
    opened = run(*OPEN, "--personnummer", "850312-1231", "--json")
    assert opened.exit_code == 0, opened.output
    ref = json.loads(opened.stdout)["ref"]
    shown = run("case", "show", ref, "--json")
    assert json.loads(shown.stdout)["tenant"]["personnummer"] == MASKED
    assert "1231" not in shown.stdout
    assert "1231" not in run("case", "show", ref).stdout
    updated = run("case", "update", ref, "--personnummer", "121212-1212", "--json")
    assert json.loads(updated.stdout)["tenant"]["personnummer"] == "20121212-****"
    assert "1212" not in updated.stdout.replace("20121212", "")


def test_a_bad_personnummer_through_the_cli_exits_1_with_one_sentence_and_writes_nothing(run):
    refused = run(*OPEN, "--personnummer", "850312-1232")
    assert refused.exit_code == 1
    assert refused.stderr.strip() == (
        "Personnumret 19850312-**** är inte giltigt (kontrollsiffran stämmer inte); kontrollera det."
    )
    assert json.loads(run("case", "list", "--json").stdout) == []
    ref = json.loads(run(*OPEN, "--json").stdout)["ref"]
    before = json.loads(run("case", "show", ref, "--json").stdout)["version"]
    refused = run("case", "update", ref, "--personnummer", "851312-1231")
    assert refused.exit_code == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert "finns inte" in refused.stderr
    assert json.loads(run("case", "show", ref, "--json").stdout)["version"] == before


def test_user_add_takes_a_phone_number(run):
    added = run(
        "user", "add", "dana", "--name", "Dana", "--role", "handlaggare", "--phone", "011-12 34 56",
        "--password-stdin", stdin="hemligt-losenord\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    refused = run(
        "user", "add", "eve", "--name", "Eve", "--role", "handlaggare", "--phone", "ring mig",
        "--password-stdin", stdin="hemligt-losenord\n",
    )  # fmt: skip
    assert refused.exit_code == 1
    assert refused.stderr.strip().startswith("Telefonnumret 'ring mig' ska bara ha siffror")
