"""Registerutdrag (GDPR art. 15) and who read what (the access log), through every door (issue 15).

The world of tests/conftest.py plus dina, the privacy officer (`dataskydd`, no team). alice (officer)
and carl (chef) are in team norr, bob (officer) in team syd, lisa reads team norr.

Case N (team norr, alice's): tenant Kim with personnummer, co-tenant Alex, a protected complainant
Greta with address, phone and e-mail, an unprotected complainant Olle; an incident whose text names
Greta. Case S (team syd, bob's): tenant Per; Kim complained about Per.

Art. 15.4 (the rights of others): a tenant's extract never reveals a complainant (DOMAIN §7: their
identity is never shown to the tenant), protected or not; a complainant's extract never holds the
tenant's personnummer or contract. Both are checked in the JSON and in the PDF's text.
"""

from __future__ import annotations

import json

import pytest

from storning import services
from storning.access import ALL_ROLES, PRIVACY_ROLES, Principal, privacy_visibility
from storning.errors import InvalidInput
from tests.doors import Doors, api_refused, cli_refused, open_doors_with_privacy_officer, pdf_text

OPENED = "2026-03-02T09:00"  # Monday 2 March 2026
LATER = "2026-03-02T10:00"
KIM_PNR = "19850312-1231"
ALEX_PNR = "19900101-1239"
GRETA = "Greta Granne"
GRETA_PHONE = "070-765 43 21"
GRETA_EMAIL = "greta.granne@example.se"
GRETA_STREET = "Hemliggatan 9"
OLLE = "Olle Öppen"
OLLE_PHONE = "073-111 22 33"
SECRETS = (GRETA, "Granne", GRETA_PHONE, GRETA_EMAIL, GRETA_STREET, OLLE, OLLE_PHONE)


@pytest.fixture
def doors(app, db_url, monkeypatch):
    with open_doors_with_privacy_officer(app, db_url, monkeypatch) as d:
        yield d


@pytest.fixture
def world(doors: Doors) -> dict[str, str]:
    north = open_case(
        doors, "--personnummer", KIM_PNR, "--co-tenant", f"Alex Hyresgäst, {ALEX_PNR}",
        "--complainant", GRETA, "--protected",
    )  # fmt: skip
    ok = doors.cli(
        "complainant", "update", north, "1", "--phone", GRETA_PHONE, "--email", GRETA_EMAIL,
        "--address", f"{GRETA_STREET}|602 21 Norrköping", now=OPENED,
    )  # fmt: skip
    assert ok.exit_code == 0, ok.stderr
    ok = doors.cli("complainant", "add", north, "--name", OLLE, "--phone", OLLE_PHONE, now=OPENED)
    assert ok.exit_code == 0, ok.stderr
    ok = doors.cli(
        "incident", "add", north, "--at", "2026-03-01T22:00", "--kind", "threat",
        "--text", f"Hyresgästen hotade {GRETA} i trapphuset; ring {GRETA_PHONE}.",
        "--reporter", GRETA, now=LATER,
    )  # fmt: skip
    assert ok.exit_code == 0, ok.stderr
    south = open_case(doors, "--complainant", "Kim Hyresgäst", user="bob")
    ok = doors.cli("case", "update", south, "--tenant", "Per Person", now=OPENED, user="bob")
    assert ok.exit_code == 0, ok.stderr
    return {"north": north, "south": south}


def open_case(doors: Doors, *extra: str, user: str = "alice") -> str:
    """A disturbance case opened through the CLI (without a contract number: the tenancy register
    is another feature's)."""
    args = ["case", "open", "--type", "storning", "--tenant", "Kim Hyresgäst"]
    args += ["--address", "Storgatan 1", "--apartment", "1102", "--municipality", "Norrköping"]
    document = doors.cli_json(*args, *extra, now=OPENED, user=user)
    return str(document["ref"])


def extract_json(doors: Doors, who: str, user: str = "dina") -> dict:
    return doors.cli_json("registerutdrag", who, now=LATER, user=user)


# --- the role ----------------------------------------------------------------------------------------


def test_the_privacy_officer_is_a_role_that_reaches_every_case_but_acts_on_none(doors):
    assert "dataskydd" in ALL_ROLES and {"dataskydd"} == PRIVACY_ROLES
    dina = Principal("dina", frozenset({"dataskydd"}))
    assert privacy_visibility(dina) == "all"
    assert privacy_visibility(Principal("carl", frozenset({"chef"}), "norr")) == "team"
    assert privacy_visibility(Principal("alice", frozenset({"handlaggare"}), "norr")) == "none"
    assert privacy_visibility(Principal("lisa", frozenset({"lasare"}), "norr")) == "none"
    # user management accepts the role and refuses an unknown one, in one sentence
    made = doors.cli("user", "add", "dpo2", "--name", "D O", "--role", "dataskydd",
                     "--password-stdin", now=OPENED, user=None, input="ett-bra-losenord\n")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    with pytest.raises(InvalidInput, match="Okänd roll"):
        services.add_user(doors.app, "x", "X", ["superuser"])


def test_the_privacy_officer_cannot_change_a_case(doors, world):
    refused = doors.cli(
        "incident", "add", world["north"], "--at", "2026-03-02T08:00", "--kind", "noise",
        "--text", "Buller.", now=LATER, user="dina",
    )  # fmt: skip
    assert refused.exit_code == 1


# --- art. 15.4: a tenant's extract never reveals a complainant -------------------------------------


def test_a_tenants_extract_never_reveals_a_complainant_in_json_or_pdf(doors, world, tmp_path):
    document = extract_json(doors, KIM_PNR)
    assert [c["ref"] for c in document["cases"]] == [world["north"]]  # found by personnummer
    case = document["cases"][0]
    assert case["roles"] == ["tenant"]
    assert case["data"]["name"] == "Kim Hyresgäst"
    assert case["data"]["personnummer"] == "19850312-****"
    assert case["data"]["other_contract_holders"] == ["Alex Hyresgäst"]
    # retention from the landlord's policy (workflows/gallring/policy.yaml: conduct data 2 years after
    # closure, DOMAIN §7), with the decision it rests on
    assert "gallras 2 år efter att ärendet avslutats" in case["retention"]
    assert "Gallringsbeslut" in case["retention"]
    text = json.dumps(document, ensure_ascii=False)
    for secret in (*SECRETS, ALEX_PNR):
        assert secret not in text, secret
    # the incident is the tenant's data, with the complainant's name and phone taken out
    assert "Hyresgästen hotade [anmälare] i trapphuset; ring [anmälare]." in text
    out = tmp_path / "kim.pdf"
    made = doors.cli("registerutdrag", KIM_PNR, "-o", str(out), now=LATER, user="dina")
    assert made.exit_code == 0, made.stderr
    printed = pdf_text(out.read_bytes())
    assert "Kim Hyresgäst" in printed and world["north"] in printed
    assert "Registerutdrag" in printed and "Socialnämnden" not in printed.split("Mottagare")[0]
    for secret in (*SECRETS, ALEX_PNR, "Klagande"):
        assert secret not in printed, secret


def test_a_co_tenant_is_found_by_personnummer_and_gets_no_one_elses_number(doors, world):
    document = extract_json(doors, ALEX_PNR)
    case = document["cases"][0]
    assert case["roles"] == ["co_tenant"]
    assert case["data"]["name"] == "Alex Hyresgäst"
    assert case["data"]["personnummer"] == "19900101-****"
    assert KIM_PNR not in json.dumps(document) and "19850312" not in json.dumps(document)


def test_a_complainants_extract_holds_their_own_data_and_nothing_of_the_tenant(doors, world):
    document = extract_json(doors, GRETA)
    case = document["cases"][0]
    assert case["roles"] == ["complainant"]
    mine = case["complainant_data"][0]
    assert (mine["name"], mine["phone"], mine["email"], mine["protected"]) == (
        GRETA,
        GRETA_PHONE,
        GRETA_EMAIL,
        True,
    )
    assert len(case["incidents"]) == 1  # the one she reported
    text = json.dumps(document, ensure_ascii=False)
    for other in ("Kim Hyresgäst", "Alex Hyresgäst", KIM_PNR, "19850312", OLLE, OLLE_PHONE):
        assert other not in text, other


def test_one_person_in_two_roles_across_teams(doors, world):
    document = extract_json(doors, "kim  hyresgäst")  # case and spacing do not matter
    roles = {c["ref"]: c["roles"] for c in document["cases"]}
    assert roles == {world["north"]: ["tenant"], world["south"]: ["complainant"]}
    # in the case where Kim complained, Per (the tenant there) does not appear
    assert "Per Person" not in json.dumps(document, ensure_ascii=False)


def test_a_chefs_extract_covers_only_the_teams_cases_and_says_so(doors, world):
    document = extract_json(doors, "Kim Hyresgäst", user="carl")
    assert [c["ref"] for c in document["cases"]] == [world["north"]]
    assert "team norr" in document["scope"]


@pytest.mark.parametrize("user", ["alice", "lisa", "bob"])
def test_officers_and_readers_may_not_produce_an_extract(doors, world, user):
    assert "dataskyddsombud" in cli_refused(
        doors.cli("registerutdrag", KIM_PNR, now=LATER, user=user)
    )


def test_every_extract_is_written_to_the_access_log(doors, world):
    before = len(doors.access_log())
    extract_json(doors, "Kim Hyresgäst")
    rows = doors.access_log()[before:]
    extracts = [r for r in rows if r.action == "extract"]
    assert {r.case_id for r in extracts} == {
        doors.case_id(world["north"]),
        doors.case_id(world["south"]),
    }
    assert all(r.actor == "dina" for r in extracts)
    assert all("Kim" not in (r.detail or "") for r in extracts)  # the log holds no name


# --- an extract for nobody, and for someone the product does not know -------------------------------


@pytest.mark.parametrize("who", ["", "   ", "x", "19850312-1230", "Kim 1985"])
def test_an_extract_for_nobody_is_one_sentence_and_exit_1(doors, world, who):
    message = cli_refused(doors.cli("registerutdrag", who, now=LATER, user="dina"))
    assert message.endswith(".")


def test_an_extract_for_someone_unknown_says_no_data_is_held(doors, world, tmp_path):
    document = extract_json(doors, "Ingen Alls")
    assert document["found"] is False and document["cases"] == []
    assert "inga personuppgifter" in document["summary"]
    out = tmp_path / "ingen.pdf"
    assert (
        doors.cli("registerutdrag", "Ingen Alls", "-o", str(out), now=LATER, user="dina").exit_code
        == 0
    )
    assert "inga personuppgifter" in pdf_text(out.read_bytes())


# --- the API door for extracts ----------------------------------------------------------------------


def test_the_api_gives_the_same_extract_and_refuses_nobody_with_400(doors, world):
    response = doors.api("dina", "POST", "/api/registerutdrag", now=LATER, json={"who": KIM_PNR})
    assert response.status_code == 200, response.text
    assert [c["ref"] for c in response.json()["cases"]] == [world["north"]]
    assert GRETA not in response.text
    pdf = doors.api(
        "dina", "POST", "/api/registerutdrag", now=LATER, json={"who": KIM_PNR, "format": "pdf"}
    )
    assert pdf.headers["content-type"] == "application/pdf"
    assert GRETA not in pdf_text(pdf.content)
    api_refused(doors.api("dina", "POST", "/api/registerutdrag", now=LATER, json={"who": " "}))
    refused = doors.api("alice", "POST", "/api/registerutdrag", now=LATER, json={"who": KIM_PNR})
    api_refused(refused, (403,))


# --- who read what ----------------------------------------------------------------------------------


def test_who_read_the_case_per_case_and_per_user(doors, world):
    north = world["north"]
    doors.show(north, now=LATER, user="lisa")
    doors.show(north, now=LATER, user="carl")
    rows = doors.cli_json("accesslog", "--case", north, "--format", "json", now=LATER, user="carl")
    readers = {r["actor"] for r in rows["rows"] if r["action"] == "case_view"}
    assert {"lisa", "carl"} <= readers
    assert all(r["case"] == north for r in rows["rows"])
    mine = doors.cli_json("accesslog", "--user", "lisa", "--format", "json", now=LATER, user="dina")
    assert mine["rows"] and {r["actor"] for r in mine["rows"]} == {"lisa"}


def test_a_chef_reads_only_the_own_teams_rows_and_the_officer_reads_none(doors, world):
    doors.show(world["south"], now=LATER, user="bob")
    doors.show(world["north"], now=LATER, user="alice")
    carl = doors.cli_json("accesslog", "--format", "json", now=LATER, user="carl")
    assert carl["scope"] == "team norr"
    assert {r["case"] for r in carl["rows"]} == {world["north"]}
    dina = doors.cli_json("accesslog", "--format", "json", now=LATER, user="dina")
    assert {world["north"], world["south"]} <= {r["case"] for r in dina["rows"]}
    assert any(r["case"] is None for r in dina["rows"])  # logins and lists: only for all-reach
    # a chef asking for another team's case learns nothing about it
    assert "inget ärende" in cli_refused(
        doors.cli("accesslog", "--case", world["south"], now=LATER, user="carl")
    )
    for user in ("alice", "lisa", "bob"):
        assert "dataskyddsombud" in cli_refused(doors.cli("accesslog", now=LATER, user=user))


def test_the_log_is_filtered_by_period_and_action_and_exported_as_csv(doors, world):
    north = world["north"]
    doors.show(north, now="2026-03-03T09:00", user="alice")
    doors.show(north, now="2026-03-05T09:00", user="alice")
    one_day = doors.cli_json(
        "accesslog", "--from", "2026-03-05", "--to", "2026-03-05", "--action", "case_view",
        "--format", "json", now="2026-03-06T09:00", user="dina",
    )  # fmt: skip
    assert [r["at"][:10] for r in one_day["rows"]] == ["2026-03-05"]
    csv_text = doors.cli(
        "accesslog", "--case", north, "--format", "csv", now="2026-03-06T09:00", user="dina"
    ).stdout
    lines = csv_text.strip().splitlines()
    assert lines[0] == "tid;användare;ärende;åtgärd;beskrivning;detalj"
    assert any(line.startswith("2026-03-05T09:00:00+01:00;alice;" + north) for line in lines)
    backwards = doors.cli(
        "accesslog", "--from", "2026-03-05", "--to", "2026-03-01", now=LATER, user="dina"
    )
    assert "första dag" in cli_refused(backwards)
    assert "datum" in cli_refused(doors.cli("accesslog", "--from", "igår", now=LATER, user="dina"))


def test_reading_the_log_is_itself_logged(doors, world):
    doors.cli_json("accesslog", "--user", "lisa", "--format", "json", now=LATER, user="carl")
    last = doors.access_log()[-1]
    assert (last.actor, last.action, last.detail) == ("carl", "accesslog_read", "användare=lisa")


def test_the_api_door_for_the_access_log(doors, world):
    doors.show(world["north"], now=LATER, user="lisa")
    response = doors.api(
        "carl", "GET", "/api/accesslog", now=LATER, params={"case": world["north"]}
    )
    assert response.status_code == 200, response.text
    assert "lisa" in {r["actor"] for r in response.json()["rows"]}
    csv_response = doors.api("dina", "GET", "/api/accesslog", now=LATER, params={"format": "csv"})
    assert csv_response.text.startswith("tid;användare")
    api_refused(doors.api("lisa", "GET", "/api/accesslog", now=LATER), (403,))
    api_refused(
        doors.api("dina", "GET", "/api/accesslog", now=LATER, params={"from": "2026-13-01"})
    )


def test_hidden_characters_are_refused_in_one_sentence_never_a_server_error(doors, world):
    for params in ({"user": "lisa\x00"}, {"action": "case_view\x1b"}, {"case": "S-2026-0001\x00"}):
        response = doors.api("dina", "GET", "/api/accesslog", now=LATER, params=params)
        assert 400 <= response.status_code < 500, (params, response.status_code)
    refused = doors.cli("registerutdrag", "Kim\u202eHyresgäst", now=LATER, user="dina")
    assert "tecken" in cli_refused(refused)


def test_a_person_named_only_as_an_incidents_reporter_gets_that_incident_and_nothing_else(
    doors, world
):
    """Art. 15.1: a neighbour who told the störningsjour, recorded as an incident's reporter but never
    a complainant, is a person the landlord holds data on; art. 15.4: their extract holds the incident
    they reported, never the tenant's personnummer or the complainants."""
    reporter = "Hemlig Grannesson"
    ok = doors.cli(
        "incident", "add", world["north"], "--at", "2026-03-01T23:30", "--kind", "noise",
        "--text", "Hög musik från lägenheten", "--reporter", f"{reporter}; vittnen: Vera Vittne, Ola Ek", now=LATER,
    )  # fmt: skip
    assert ok.exit_code == 0, ok.stderr
    found = doors.cli_json("registerutdrag", reporter, now=LATER, user="dina")
    assert [c["ref"] for c in found["cases"]] == [world["north"]]
    case = found["cases"][0]
    assert case["roles"] == ["reporter"]
    assert [i["text"] for i in case["incidents"]] == ["Hög musik från lägenheten"]
    flat = json.dumps(found, ensure_ascii=False)
    assert KIM_PNR not in flat and ALEX_PNR not in flat and GRETA not in flat and OLLE not in flat
    witness = doors.cli_json("registerutdrag", "Vera Vittne", now=LATER, user="dina")
    assert [c["roles"] for c in witness["cases"]] == [["reporter"]]
    # a witness is not told it is their complaint: their own purposes and source
    [seen] = witness["cases"]
    assert seen["role_labels"] == ["Uppgiftslämnare eller vittne till en händelse"]
    assert "din anmälan" not in " ".join(seen["purposes"] + seen["sources"])


# The functions that write an action id to the access log (directly, or through a refusal), and the
# position of the id among their arguments; any call with `action=` counts too.
_LOGGING_CALLS = {"refuse": 3, "authorize": 3, "_writer": 3, "_privacy_case": 3, "_admin": 2,
                  "_may_hold": 2, "log_access": 4}  # fmt: skip


def test_every_action_the_product_logs_has_a_swedish_label():
    """The log is read by a chef or a privacy officer: no raw ids such as `legal_hold_release`."""
    import ast

    from storning.records.accesslog import ACTION_LABELS, action_label
    from tests.conftest import ROOT

    logged: dict[str, str] = {}
    for path in (ROOT / "src" / "storning").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            values = [k.value for k in node.keywords if k.arg == "action"]
            if name in _LOGGING_CALLS and len(node.args) > _LOGGING_CALLS[name]:
                values.append(node.args[_LOGGING_CALLS[name]])
            for value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    logged[value.value] = path.name
    assert len(logged) > 40  # the scan finds the calls (it would find none if they were renamed)
    unlabelled = {action: where for action, where in logged.items() if action not in ACTION_LABELS}
    assert unlabelled == {}
    assert action_label("legal_hold_release_refused") == "Nekades: Hävde gallringsspärr"


def test_a_listing_in_the_access_log_is_described_in_words(doors, world):
    from sqlalchemy import select

    from storning.store.models import AccessLog

    doors.browser("alice", now=LATER).get("/", now=LATER, sok="Kim")
    with doors.app.db.read() as session:
        detail = session.scalar(
            select(AccessLog.detail)
            .where(AccessLog.action == "case_list")
            .order_by(AccessLog.id.desc())
        )
    assert detail is not None and detail == "1 ärende; mina, sökning Kim, sida 1", detail
