"""Registerutdrag (GDPR art. 15) also covers the tenancy register and the intake queue.

The world: the register (imported 1 March 2026) holds K-1001 (Kim Hyresgäst with personnummer,
co-tenant Alex Hyresgäst with personnummer, Storgatan 1 lgh 1102, moved in 2020-01-01), K-0900 (the
previous tenant of the same apartment, 2015-01-01 to 2019-12-31), K-1002 (Sam Svensson, lgh 1103) and
K-0800 (a former tenant of Hamngatan 4 lgh 0901, 2010-01-01 to 2012-12-31).
Night-patrol reports arrive before any case is opened, so all wait in the queue with no team:

  J-1  2026-03-01 23:10  contract K-1001         names the patrol's Vera Vakt (its reporter) and Greta
  J-2  2026-03-02 01:15  Storgatan 1, lgh 1102   reported by Greta, witness Ola Ek named in the text
  J-3  2019-06-01 22:00  Storgatan 1, lgh 1102   before Kim moved in: the previous tenant's
  J-4  2026-03-01 22:00  contract K-1002         Sam's
  J-5  2026-02-20 21:00  Storgatan 1, lgh 1102   dismissed afterwards
  J-6  2026-03-01 20:00  storgatan  1, 1102, contract K-0900: names the previous tenant's contract
  J-8  2014-06-01 22:00  Storgatan 1, lgh 1102   before anyone the register knows lived there
  J-9  2026-03-01 03:00  Hamngatan 4, lgh 0901, contract K-0800: a former tenant's (2010-2012)

Then case N (team norr, alice's) for Kim with the protected complainant Greta Granne, and case S
(team syd, bob's) for Per Person at Hamngatan 4 lgh 0901, where Greta complained too. J-7 (Hamngatan
4, 0901) is imported by alice, who may not act on case S: it waits in the queue for team syd. Greta
writes diary entries through her links: on N one still waiting and one accepted into the case, on S
one waiting.

Art. 15.4: Kim's extract never names Greta, Vera Vakt or Ola Ek; Greta's never names Kim, Alex or
Per, nor gives a personnummer or contract number of theirs. Checked in JSON and in the PDF's text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from storning.services import diary
from tests.doors import Doors, cli_refused, instant, open_doors_with_privacy_officer, pdf_text

ROOT = Path(__file__).resolve().parents[1]
MAPPING = ROOT / "docs" / "examples" / "register-mapping.yaml"
KIM_PNR = "19850312-1231"
ALEX_PNR = "19900101-1239"
GRETA = "Greta Granne"
LATER = "2026-03-02T12:00"  # Monday 2 March 2026, when every extract is made
HEAD = (
    "Kontraktsnummer;Hyresgäst;Personnummer;Medhyresgäster;Adress;Lägenhetsnummer;Postnummer;"
    "Ort;Kommun;Fastighet;Inflyttning;Utflyttning"
)
REGISTER = [
    f"K-1001;Kim Hyresgäst;{KIM_PNR};Alex Hyresgäst, {ALEX_PNR};Storgatan 1;1102;602 20;"
    "Norrköping;Norrköping;Kvarnen 1;2020-01-01;",
    "K-0900;Förra Hyresgästen;;;Storgatan 1;1102;602 20;Norrköping;Norrköping;Kvarnen 1;"
    "2015-01-01;2019-12-31",
    "K-1002;Sam Svensson;;;Storgatan 1;1103;602 20;Norrköping;Norrköping;Kvarnen 1;2019-05-01;",
    "K-0800;Tidigare Person;;;Hamngatan 4;0901;;Norrköping;Norrköping;;2010-01-01;2012-12-31",
]
NIGHT = [
    {"external_id": "J-1", "start": "2026-03-01T23:10", "end": "2026-03-01T23:40",
     "contract": "K-1001", "observed": "Jourens Vera Vakt hörde hög musik; Greta Granne ringde.",
     "verification": "Hört av Vera Vakt i trapphuset", "reporter": "Vera Vakt"},
    {"external_id": "J-2", "start": "2026-03-02T01:15", "address": "Storgatan 1",
     "apartment": "1102", "observed": "Dörrar som smälls, Ola Ek hörde det.",
     "reporter": "Greta Granne; vittnen: Ola Ek", "kind": "noise"},
    {"external_id": "J-3", "start": "2019-06-01T22:00", "address": "Storgatan 1",
     "apartment": "1102", "observed": "Fest hos förra hyresgästen."},
    {"external_id": "J-4", "start": "2026-03-01T22:00", "contract": "K-1002",
     "observed": "Skrik hos grannen i 1103 #nu *högt* $5 [x]."},
    {"external_id": "J-5", "start": "2026-02-20T21:00", "address": "Storgatan 1",
     "apartment": "1102", "observed": "Hund skäller hela kvällen.", "kind": "other"},
    {"external_id": "J-6", "start": "2026-03-01T20:00", "address": "storgatan  1",
     "apartment": "1102", "contract": "K-0900", "observed": "Fel kontrakt i rapporten."},
    {"external_id": "J-8", "start": "2014-06-01T22:00", "address": "Storgatan 1",
     "apartment": "1102", "observed": "Innan någon av dem bodde där."},
    {"external_id": "J-9", "start": "2026-03-01T03:00", "address": "Hamngatan 4",
     "apartment": "0901", "contract": "K-0800", "observed": "Gammalt kontrakt angivet."},
]  # fmt: skip
KIM_SECRETS = (GRETA, "Granne", "Vera Vakt", "Ola Ek", "Förra Hyresgästen", "Sam Svensson",
               ALEX_PNR, "Per Person")  # fmt: skip
GRETA_SECRETS = ("Kim Hyresgäst", "Alex Hyresgäst", KIM_PNR, ALEX_PNR, "19850312", "19900101",
                 "K-1001", "Per Person")  # fmt: skip


@pytest.fixture
def doors(app, db_url, monkeypatch):
    with open_doors_with_privacy_officer(app, db_url, monkeypatch) as d:
        yield d


def ok(result: Any) -> None:
    assert result.exit_code == 0, result.stderr


def intake_id(doors: Doors, external_id: str, status: str = "all") -> int:
    items = doors.cli_json("intake", "list", "--status", status, now=LATER, user="admin")
    return int(next(i["id"] for i in items if i["external_id"] == external_id))


def diary_token(doors: Doors, ref: str, user: str) -> str:
    complainant = doors.show(ref, now="2026-03-02T10:00", user=user)["complainants"][0]["id"]
    link = doors.cli_json(
        "dagbok", "link", ref, "--complainant", str(complainant), now="2026-03-02T10:00", user=user
    )
    return str(link["url"]).rsplit("/", 1)[1]


def write_entry(doors: Doors, token: str, day: str, starts: str, text: str) -> None:
    form = diary.DiaryForm(day=day, starts=starts, text=text, kind="noise",
                           witnesses="Vittne Vilhelmsson", disturbed="Familjen")  # fmt: skip
    diary.submit_entry(doors.app, token, instant("2026-03-02T11:00"), "198.51.100.7", form)


@pytest.fixture
def world(doors: Doors, tmp_path: Path) -> dict[str, str]:
    register = tmp_path / "register.csv"
    register.write_text("\n".join([HEAD, *REGISTER]) + "\n", encoding="utf-8")
    ok(doors.cli("import", "register", str(register), "--mapping", str(MAPPING),
                 now="2026-03-01T12:00", user=None))  # fmt: skip
    night = tmp_path / "jour.json"
    night.write_text(json.dumps(NIGHT), encoding="utf-8")
    queued = doors.cli_json("import", "jour", str(night), now="2026-03-02T08:00")
    assert (queued["matched"], queued["queued"]) == (0, 8)
    north = doors.cli_json(
        "case", "open", "--type", "storning", "--tenant", "Kim Hyresgäst", "--personnummer", KIM_PNR,
        "--co-tenant", f"Alex Hyresgäst, {ALEX_PNR}", "--address", "Storgatan 1", "--apartment",
        "1102", "--municipality", "Norrköping", "--contract", "K-1001", "--complainant", GRETA,
        "--protected", now="2026-03-02T09:00",
    )["ref"]  # fmt: skip
    south = doors.cli_json(
        "case", "open", "--type", "storning", "--tenant", "Per Person", "--address", "Hamngatan 4",
        "--apartment", "0901", "--municipality", "Norrköping", "--complainant", GRETA,
        now="2026-03-02T09:00", user="bob",
    )["ref"]  # fmt: skip
    j7 = tmp_path / "jour7.json"
    j7.write_text(json.dumps([{"external_id": "J-7", "start": "2026-03-02T02:00",
                               "address": "Hamngatan 4", "apartment": "0901",
                               "observed": "Bråk i lägenheten."}]), encoding="utf-8")  # fmt: skip
    # alice may not act on bob's case: the report waits in the queue, for team syd
    assert doors.cli_json("import", "jour", str(j7), now="2026-03-02T09:30")["queued"] == 1
    ok(doors.cli("intake", "dismiss", str(intake_id(doors, "J-5")), "--reason",
                 "Gäller inte störningar", now="2026-03-02T09:45"))  # fmt: skip
    north_token = diary_token(doors, north, "alice")
    south_token = diary_token(doors, south, "bob")
    write_entry(doors, north_token, "2026-03-02", "01:30",
                "Kim Hyresgäst i 1102 spelade hög musik igen, Alex Hyresgäst skrek.")  # fmt: skip
    write_entry(doors, north_token, "2026-03-01", "22:00", "Dunsar från 1102.")
    write_entry(doors, south_token, "2026-03-01", "23:00", "Per Person bråkade i trapphuset.")
    accepted = max(
        i["id"]
        for i in doors.cli_json("intake", "list", now=LATER, user="alice")
        if i["kind"] == "dagbok" and "Dunsar" in i["payload"]["text"]
    )
    ok(doors.cli("intake", "attach", str(accepted), north, now="2026-03-02T11:30"))
    return {"north": north, "south": south}


def extract_json(doors: Doors, who: str, user: str = "dina") -> dict[str, Any]:
    document: dict[str, Any] = doors.cli_json("registerutdrag", who, now=LATER, user=user)
    return document


def extract_pdf(doors: Doors, who: str, tmp_path: Path, user: str = "dina") -> str:
    out = tmp_path / "utdrag.pdf"
    ok(doors.cli("registerutdrag", who, "-o", str(out), now=LATER, user=user))
    return pdf_text(out.read_bytes())


# --- the tenant: the register and the jour reports about their tenancy --------------------------------


def test_a_tenants_extract_has_their_contract_and_the_jour_reports_about_it_never_a_reporter(
    doors, world, tmp_path
):
    document = extract_json(doors, KIM_PNR)
    assert [c["ref"] for c in document["cases"]] == [world["north"]]  # the case part is unchanged
    [contract] = document["register"]
    assert (contract["contract"], contract["roles"], contract["name"]) == (
        "K-1001",
        ["tenant"],
        "Kim Hyresgäst",
    )
    assert contract["personnummer"] == "19850312-****"
    assert (contract["address"], contract["apartment"], contract["move_in"]) == (
        "Storgatan 1",
        "1102",
        "2020-01-01",
    )
    assert contract["other_contract_holders"] == ["Alex Hyresgäst"]
    assert contract["purposes"] and contract["retention"] and contract["sources"]
    # J-5, J-1, J-2 in time order; not J-3 (before the move-in 2020-01-01: the previous tenant's),
    # J-4 (Sam's contract), J-6 (names the previous tenant's contract), J-7 (another address), J-8
    # (2014: before the move-in; the case's apartment is dated by the register)
    reports = document["intake"]
    assert [(r["kind"], r["when"]) for r in reports] == [
        ("jour", "2026-02-20 21:00"),
        ("jour", "2026-03-01 23:10"),
        ("jour", "2026-03-02 01:15"),
    ]
    assert [r["status"] for r in reports] == ["dismissed", "open", "open"]
    assert reports[1]["ends"] == "23:40"
    # the complainant of Kim's case and the report's reporter and witness are taken out of the text
    assert reports[1]["text"] == "Jourens [uppgiftslämnare] hörde hög musik; [anmälare] ringde."
    assert reports[2]["text"] == "Dörrar som smälls, [uppgiftslämnare] hörde det."
    assert document["found"] is True
    assert document["summary"] == (
        "19850312-**** förekommer i 1 ärende, i hyresregistret (1 kontrakt) och i inkorgen "
        "(3 poster) hos hyresvärden."
    )
    flat = json.dumps(document, ensure_ascii=False)
    for secret in (*KIM_SECRETS, "Hört av", "Fest hos", "Fel kontrakt", "Innan någon"):
        assert secret not in flat, secret
    printed = extract_pdf(doors, KIM_PNR, tmp_path)
    assert "Hyresregistret" in printed and "Kontrakt K-1001" in printed
    assert "Inkorgen" in printed and "Rapporter från störningsjouren" in printed
    assert "Jourens [uppgiftslämnare] hörde hög musik" in printed
    assert "avfärdad" in printed and "2020-01-01" in printed
    for secret in KIM_SECRETS:
        assert secret not in printed, secret


def test_the_cli_text_and_the_page_list_the_register_and_the_intake_too(doors, world):
    said = doors.cli("registerutdrag", KIM_PNR, now=LATER, user="dina")
    assert said.exit_code == 0, said.stderr
    assert "Hyresregistret, kontrakt K-1001: hyresgäst, Storgatan 1, lgh 1102" in said.stdout
    assert said.stdout.count("  Inkorgen, ") == 3, said.stdout
    assert "Inkorgen, störningsjour 2026-03-01 23:10: buller, inte behandlad ännu\n" in said.stdout
    dina = doors.browser("dina", now=LATER)
    shown = dina.post("/dataskydd/registerutdrag",
                      {"who": KIM_PNR, "format": "html", "csrf_token": dina.csrf}, now=LATER)  # fmt: skip
    assert shown.status_code == 200
    assert "Kontrakt K-1001: hyresgäst, Storgatan 1, lgh 1102" in shown.text
    assert "<h3>Inkorgen</h3>" in shown.text and shown.text.count("2026-0") >= 3
    for secret in KIM_SECRETS:
        assert secret not in said.stdout and secret not in shown.text, secret


def test_a_co_tenant_is_found_in_the_register_by_personnummer_without_the_tenants_number(
    doors, world
):
    document = extract_json(doors, ALEX_PNR)
    [contract] = document["register"]
    assert (contract["roles"], contract["name"], contract["personnummer"]) == (
        ["co_tenant"],
        "Alex Hyresgäst",
        "19900101-****",
    )
    assert contract["other_contract_holders"] == ["Kim Hyresgäst"]
    assert KIM_PNR not in json.dumps(document) and "19850312" not in json.dumps(document)
    assert len(document["intake"]) == 3  # the same reports: Alex holds the same lease


def test_someone_only_in_the_register_is_found_by_name_with_their_reports(doors, world, tmp_path):
    document = extract_json(doors, "sam  SVENSSON")  # case and spacing do not matter
    assert document["cases"] == [] and document["found"] is True
    assert [r["contract"] for r in document["register"]] == ["K-1002"]
    assert [r["text"] for r in document["intake"]] == [
        "Skrik hos grannen i 1103 #nu *högt* $5 [x]."
    ]
    assert document["summary"] == (
        "sam SVENSSON förekommer i hyresregistret (1 kontrakt) och i inkorgen (1 post) hos "
        "hyresvärden."
    )
    # Typst's markup characters in a report are printed as typed
    assert "Skrik hos grannen i 1103 #nu *högt* $5 [x]." in extract_pdf(
        doors, "Sam Svensson", tmp_path
    )


def test_the_previous_tenant_gets_the_report_from_their_time_only(doors, world):
    document = extract_json(doors, "Förra Hyresgästen")
    assert [r["contract"] for r in document["register"]] == ["K-0900"]
    assert document["register"][0]["move_out"] == "2019-12-31"
    # J-3 (2019-06-01, within 2015-01-01..2019-12-31) and J-6 (names K-0900); not Kim's reports
    # (2026, after the move-out) nor J-8 (2014-06-01, before the move-in)
    assert [r["when"] for r in document["intake"]] == ["2019-06-01 22:00", "2026-03-01 20:00"]


def test_a_witness_named_only_in_a_jour_report_is_found_and_learns_nothing_of_others(
    doors, world, tmp_path
):
    """Ola Ek is J-2's witness ("Greta Granne; vittnen: Ola Ek"): his extract has the report as his
    own (art. 15.1) without the apartment, the text, the reporter or the tenant (art. 15.4)."""
    document = extract_json(doors, "ola ek")
    assert document["found"] is True and document["cases"] == [] and document["register"] == []
    [entry] = document["intake"]
    assert (entry["side"], entry["when"], entry["place"]) == ("reporter", "2026-03-02 01:15", None)
    printed = extract_pdf(doors, "Ola Ek", tmp_path)
    assert "där du är uppgiftslämnare eller vittne" in printed
    for secret in (GRETA, "Kim Hyresgäst", "Storgatan", "1102", "Dörrar som smälls"):
        assert secret not in json.dumps(document, ensure_ascii=False) and secret not in printed


def test_a_tenant_known_only_from_a_case_gets_the_reports_about_the_cases_apartment(doors, world):
    document = extract_json(doors, "Per Person")
    assert document["register"] == []
    # not J-9: it names the contract of somebody else at that apartment
    assert [r["text"] for r in document["intake"]] == ["Bråk i lägenheten."]
    assert [c["ref"] for c in document["cases"]] == [world["south"]]


# --- the complainant: their own diary entries not accepted into a case --------------------------------


def test_a_complainants_extract_has_their_waiting_diary_entries_never_the_tenant(
    doors, world, tmp_path
):
    document = extract_json(doors, GRETA)
    assert {c["ref"] for c in document["cases"]} == {world["north"], world["south"]}
    assert document["register"] == []
    # J-2, which Greta reported to the patrol, as the reporter's side: when, kind, status, nothing
    # of the apartment or of what it says about others
    [reported] = [e for e in document["intake"] if e["side"] == "reporter"]
    assert (reported["when"], reported["place"], reported["status"]) == (
        "2026-03-02 01:15",
        None,
        "open",
    )
    assert reported["text"].startswith("Du är angiven som uppgiftslämnare")
    entries = [e for e in document["intake"] if e["side"] == "complainant"]
    # the entry accepted into case N is its incident (in the case part), not an intake entry
    assert [(e["kind"], e["when"], e["case"]) for e in entries] == [
        ("dagbok", "2026-03-01 23:00", world["south"]),
        ("dagbok", "2026-03-02 01:30", world["north"]),
    ]
    assert [e["status"] for e in entries] == ["open", "open"]
    assert entries[0]["text"] == "[hyresgästen] bråkade i trapphuset."
    assert entries[1]["text"] == "[hyresgästen] i 1102 spelade hög musik igen, [hyresgästen] skrek."
    north = next(c for c in document["cases"] if c["ref"] == world["north"])
    assert [i["text"].splitlines()[0] for i in north["incidents"]] == ["Dunsar från 1102."]
    flat = json.dumps(document, ensure_ascii=False)
    for secret in (*GRETA_SECRETS, "Vittne Vilhelmsson", "Bråk i lägenheten", "Vera Vakt"):
        assert secret not in flat, secret
    printed = extract_pdf(doors, GRETA, tmp_path)
    assert "Dina dagboksanteckningar" in printed
    assert "[hyresgästen] bråkade i trapphuset." in printed
    assert "Du finns inte med på något kontrakt i hyresregistret." in printed
    for secret in GRETA_SECRETS:
        assert secret not in printed, secret


# --- scope: a chef's extract --------------------------------------------------------------------------


def test_a_chefs_extract_has_the_teams_items_and_unowned_reports_and_the_whole_register(
    doors, world
):
    greta = extract_json(doors, GRETA, user="carl")
    assert [c["ref"] for c in greta["cases"]] == [world["north"]]
    # not the entry on team syd's; and J-2, which she reported (no team owns it yet)
    assert [e["case"] for e in greta["intake"]] == [None, world["north"]]
    assert "team norr" in greta["scope"] and "hyresregistret" in greta["scope"]
    kim = extract_json(doors, KIM_PNR, user="carl")
    assert [r["contract"] for r in kim["register"]] == ["K-1001"]
    assert len(kim["intake"]) == 3  # reports no team owns yet: every officer sees them
    per = extract_json(doors, "Per Person", user="carl")
    assert (per["found"], per["cases"], per["intake"]) == (False, [], [])  # team syd's
    assert "hyresregistret eller inkorgen" in per["summary"]
    assert "Alla ärenden" in extract_json(doors, "Per Person")["scope"]


def test_the_api_door_gives_the_same_sections_for_a_chef_and_a_pdf_for_the_privacy_officer(
    doors, world
):
    response = doors.api("carl", "POST", "/api/registerutdrag", now=LATER, json={"who": GRETA})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [e["case"] for e in body["intake"]] == [None, world["north"]]
    for secret in GRETA_SECRETS:
        assert secret not in response.text, secret
    pdf = doors.api(
        "dina", "POST", "/api/registerutdrag", now=LATER, json={"who": KIM_PNR, "format": "pdf"}
    )
    assert pdf.headers["content-type"] == "application/pdf"
    printed = pdf_text(pdf.content)
    assert "Kontrakt K-1001" in printed and "Dörrar som smälls" in printed
    for secret in KIM_SECRETS:
        assert secret not in printed, secret


# --- the access log -----------------------------------------------------------------------------------


def test_each_contract_and_item_in_an_extract_is_written_to_the_access_log(doors, world):
    before = len(doors.access_log())
    extract_json(doors, KIM_PNR)
    rows = [r for r in doors.access_log()[before:] if r.action == "extract"]
    details = sorted(r.detail for r in rows)
    j1, j2, j5 = (intake_id(doors, e) for e in ("J-1", "J-2", "J-5"))
    assert details == sorted(
        [
            "registerutdrag: hyresgäst",
            "registerutdrag: hyresregistret, kontrakt K-1001",
            f"registerutdrag: inkorgen, jourrapport {j1}",
            f"registerutdrag: inkorgen, jourrapport {j2}",
            f"registerutdrag: inkorgen, jourrapport {j5}",
        ]
    )
    assert {r.case_id for r in rows} == {doors.case_id(world["north"]), None}
    assert all(r.actor == "dina" and "Kim" not in r.detail for r in rows)
    before = len(doors.access_log())
    extract_json(doors, GRETA, user="carl")
    diary_rows = [r for r in doors.access_log()[before:] if "dagboksanteckning" in (r.detail or "")]
    assert [r.case_id for r in diary_rows] == [doors.case_id(world["north"])]


def test_nobody_anywhere_is_one_no_hits_row_and_the_pdf_says_no_data_is_held(
    doors, world, tmp_path
):
    before = len(doors.access_log())
    document = extract_json(doors, "Ingen Alls")
    assert (document["found"], document["register"], document["intake"]) == (False, [], [])
    assert document["summary"] == (
        "Det finns inga personuppgifter om Ingen Alls i störnings- och hyresskuldsärendena, "
        "hyresregistret eller inkorgen."
    )
    rows = [r for r in doors.access_log()[before:] if r.action == "extract"]
    assert [r.detail for r in rows] == ["inga träffar"]
    printed = extract_pdf(doors, "Ingen Alls", tmp_path)
    assert "i hyresregistret eller i inkorgen" in printed
    assert "Kontrakt" not in printed


def test_a_name_is_found_whatever_the_case_of_its_swedish_letters(doors):
    """SQLite's own lower() folds only A–Z; the product's folds Å, Ä and Ö as PostgreSQL does, so an
    extract asked for as "åsa öberg" finds the case of Åsa Öberg and her complaint, on both."""
    ref = doors.cli_json(
        "case", "open", "--type", "storning", "--tenant", "Åsa Öberg", "--address", "Ågatan 2",
        "--apartment", "0201", "--complainant", "Örjan Ärlig", now="2026-03-02T09:00",
    )["ref"]  # fmt: skip
    as_tenant = extract_json(doors, "åsa öberg")
    assert [(c["ref"], c["roles"]) for c in as_tenant["cases"]] == [(ref, ["tenant"])]
    as_complainant = extract_json(doors, "ÖRJAN ÄRLIG")
    assert [(c["ref"], c["roles"]) for c in as_complainant["cases"]] == [(ref, ["complainant"])]


@pytest.mark.parametrize("shape", ["pdf", "json"])
def test_an_extract_sent_with_an_idempotency_key_is_made_again_and_logged_not_replayed(
    doors, world, shape
):
    """A PDF answer used to fail with 500 when the key's reply was stored (bytes are not text), and a
    JSON extract was kept a day in the database and handed out again without a new access-log row."""
    from sqlalchemy import func, select

    from storning.store.models import AccessLog, IdempotencyKey

    def extracts() -> int:
        with doors.app.db.read() as session:
            where = AccessLog.action == "extract"
            return int(session.scalar(select(func.count()).where(where)) or 0)

    key = {"Idempotency-Key": "5b6f0d1e-2c1d-4f0e-9a57-000000000015"}
    body = {"who": KIM_PNR, "format": shape}
    first = doors.api("dina", "POST", "/api/registerutdrag", now=LATER, json=body, headers=key)
    logged = extracts()
    again = doors.api("dina", "POST", "/api/registerutdrag", now=LATER, json=body, headers=key)
    assert first.status_code == again.status_code == 200, first.text[:300]
    assert "Idempotent-Replayed" not in again.headers
    assert extracts() == 2 * logged > 0
    with doors.app.db.read() as session:
        assert session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


def test_an_output_file_that_cannot_be_written_is_one_sentence(doors, world, tmp_path):
    missing = tmp_path / "finns-inte" / "utdrag.pdf"
    result = doors.cli("registerutdrag", KIM_PNR, "-o", str(missing), now=LATER, user="dina")
    message = cli_refused(result)
    assert str(missing) in message and "Kan inte skriva filen" in message
    assert "filen eller mappen finns inte" in message  # in Swedish, not the system's English
    assert "No such file" not in message


def test_the_apis_refusals_read_as_swedish(doors, world):
    def message(body: dict[str, Any]) -> str:
        response = doors.api("dina", "POST", "/api/registerutdrag", now=LATER, json=body)
        assert response.status_code == 422, response.text
        return str(response.json()["error"]["message"])

    assert message({"who": KIM_PNR, "format": "xml"}) == (
        "Fältet format ska vara en av 'json' eller 'pdf'."
    )
    assert "Fältet who är för långt (högst 200 tecken)" in message({"who": "x" * 300})
