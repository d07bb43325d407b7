"""The tenancy register (issue 16 item 1): a CSV import through a column mapping, the API upsert by
contract number, `case open --contract`, and the register's log.

alice (officer) and carl (chef) are in team norr, bob (officer) in team syd.
Changing the register is for a chef or an admin; looking a contract up is for every officer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storning.store.models import RegisterContract, RegisterLogEntry
from tests.doors import Doors, api_refused, cli_refused, open_doors

NOW = "2026-03-02T09:00"
LATER = "2026-03-03T09:00"
ROOT = Path(__file__).resolve().parents[1]
MAPPING = ROOT / "docs" / "examples" / "register-mapping.yaml"
HEAD = (
    "Kontraktsnummer;Hyresgäst;Personnummer;Medhyresgäster;Adress;Lägenhetsnummer;Postnummer;"
    "Ort;Kommun;Fastighet;Inflyttning;Utflyttning"
)
ROWS = [
    "K-1001;Kim Hyresgäst;19800101-0019;Lo Sambo;Storgatan 1;1102;602 20;Norrköping;Norrköping;"
    "Kvarnen 1;2020-01-01;",
    "K-1002;Sam Svensson;;;Storgatan 1;1103;602 20;Norrköping;Norrköping;Kvarnen 1;2019-05-01;",
    "K-1003;Eva Ek;;;Hamngatan 4;0901;;Norrköping;Norrköping;;2021-02-01;",
]


@pytest.fixture
def doors(app, db_url, monkeypatch):
    with open_doors(app, db_url, monkeypatch) as d:
        yield d


def write(tmp_path: Path, lines: list[str], name: str = "register.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def contracts(doors: Doors) -> int:
    with doors.app.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(RegisterContract)) or 0)


def log_rows(doors: Doors) -> list[RegisterLogEntry]:
    with doors.app.db.read() as session:
        return list(session.scalars(select(RegisterLogEntry).order_by(RegisterLogEntry.id)))


def run_import(doors: Doors, path: Path, *extra: str, user: str | None = None, now: str = NOW):
    return doors.cli(
        "import", "register", str(path), "--mapping", str(MAPPING), *extra, now=now, user=user
    )


def test_it_imports_a_register_and_a_rerun_changes_nothing(doors, tmp_path):
    path = write(tmp_path, [HEAD, *ROWS])
    first = doors.cli_json(
        "import", "register", str(path), "--mapping", str(MAPPING), now=NOW, user=None
    )
    assert (first["rows"], first["created"], first["updated"], first["unchanged"]) == (3, 3, 0, 0)
    assert contracts(doors) == 3
    logged = len(log_rows(doors))
    again = doors.cli_json(
        "import", "register", str(path), "--mapping", str(MAPPING), now=LATER, user=None
    )
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert len(log_rows(doors)) == logged + 1  # only the summary row of the second run
    # the log says what came from which file, and never a personnummer in clear
    created = [r for r in log_rows(doors) if r.action == "created"]
    assert {r.source for r in created} == {"fil:register.csv"}
    assert "19800101-0019" not in str([r.changes for r in created])


def test_a_dry_run_stores_nothing(doors, tmp_path):
    path = write(tmp_path, [HEAD, *ROWS])
    result = doors.cli_json(
        "import", "register", str(path), "--mapping", str(MAPPING), "--dry-run", now=NOW, user=None
    )
    assert result["dry_run"] is True and result["created"] == 3
    assert contracts(doors) == 0
    assert log_rows(doors) == []


def test_a_changed_row_is_updated_and_journaled_with_before_and_after(doors, tmp_path):
    run_import(doors, write(tmp_path, [HEAD, *ROWS]), user=None)
    moved = ROWS[1].replace("2019-05-01;", "2019-05-01;2026-02-28")
    result = doors.cli_json(
        "import", "register", str(write(tmp_path, [HEAD, ROWS[0], moved, ROWS[2]], "v2.csv")),
        "--mapping", str(MAPPING), now=LATER, user=None,
    )  # fmt: skip
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 1, 2)
    updated = [r for r in log_rows(doors) if r.action == "updated"]
    assert len(updated) == 1 and updated[0].contract == "K-1002"
    assert updated[0].changes == {"move_out": {"före": None, "efter": "2026-02-28"}}
    assert updated[0].source == "fil:v2.csv"


def test_a_missing_column_is_refused_naming_file_and_line(doors, tmp_path):
    path = write(tmp_path, [HEAD.replace("Kontraktsnummer", "Kontrakt"), *ROWS])
    message = cli_refused(run_import(doors, path, user=None))
    assert "register.csv, rad 1" in message and "Kontraktsnummer" in message
    assert contracts(doors) == 0


def test_a_duplicate_contract_number_refuses_the_whole_file(doors, tmp_path):
    path = write(tmp_path, [HEAD, *ROWS, ROWS[0].replace("Kim Hyresgäst", "Kim Annan")])
    message = cli_refused(run_import(doors, path, user=None))
    assert "rad 5" in message and "K-1001" in message and "rad 2" in message
    assert contracts(doors) == 0
    assert log_rows(doors) == []


def test_a_bad_value_names_the_line_and_nothing_is_stored(doors, tmp_path):
    bad = ROWS[2].replace("2021-02-01", "1 februari")
    message = cli_refused(run_import(doors, write(tmp_path, [HEAD, ROWS[0], bad]), user=None))
    assert "rad 3" in message and "inget har sparats" in message
    assert "'1 februari' är inte ett datum på formen ÅÅÅÅ-MM-DD, till exempel 2026-03-01" in message
    assert contracts(doors) == 0


def test_an_unknown_mapping_key_is_refused_with_its_line(doors, tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "delimiter: ';'\ncolumns:\n  contract: Kontraktsnummer\n  tenant: Hyresgäst\n"
        "  adress: Adress\n",
        encoding="utf-8",
    )
    result = doors.cli(
        "import", "register", str(write(tmp_path, [HEAD, *ROWS])), "--mapping", str(mapping),
        now=NOW, user=None,
    )  # fmt: skip
    message = cli_refused(result)
    assert "m.yaml, rad 5" in message and "adress" in message


def test_an_officer_may_not_change_the_register(doors, tmp_path):
    message = cli_refused(run_import(doors, write(tmp_path, [HEAD, *ROWS]), user="alice"))
    assert "chef eller administratör" in message
    assert contracts(doors) == 0


def test_case_open_with_a_contract_fills_everything_from_the_register(doors, tmp_path):
    run_import(doors, write(tmp_path, [HEAD, *ROWS]), user=None)
    result = doors.cli(
        "case", "open", "--type", "storning", "--contract", "K-1001", "--json", now=NOW
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document == doors.show(document["ref"], now=NOW, user="alice")  # the document alone
    text = str(document)
    for value in ("Kim Hyresgäst", "Storgatan 1", "1102", "602 20", "Norrköping", "Lo Sambo"):
        assert value in text
    assert "19800101-****" in text and "19800101-0019" not in text
    assert "Hämtat från hyresregistret (kontrakt K-1001)." in result.stderr
    assert "saknar" not in result.stderr
    # a contract the register lacks values for says what is missing
    other = doors.cli("case", "open", "--type", "storning", "--contract", "K-1003", now=NOW)
    assert other.exit_code == 0, other.stderr
    assert "Registret saknar: postnummer, personnummer." in other.stderr
    # what the officer types wins over the register
    typed = doors.cli_json(
        "case", "open", "--type", "storning", "--contract", "K-1002", "--city", "Linköping", now=NOW
    )
    assert "Linköping" in str(typed) and "Sam Svensson" in str(typed)


def test_case_open_with_an_unknown_contract_is_refused(doors):
    result = doors.cli("case", "open", "--type", "storning", "--contract", "K-9999", now=NOW)
    assert "K-9999 finns inte i hyresregistret" in cli_refused(result)


def test_a_move_out_offers_to_close_the_tenants_open_cases(doors, tmp_path):
    run_import(doors, write(tmp_path, [HEAD, *ROWS]), user=None)
    opened = doors.cli_json("case", "open", "--type", "storning", "--contract", "K-1002", now=NOW)
    moved = ROWS[1].replace("2019-05-01;", "2019-05-01;2026-03-01")
    result = doors.cli_json(
        "import", "register", str(write(tmp_path, [HEAD, ROWS[0], moved, ROWS[2]], "v2.csv")),
        "--mapping", str(MAPPING), now=LATER, user=None,
    )  # fmt: skip
    assert result["moved_out"] == [
        {
            "contract": "K-1002",
            "move_out": "2026-03-01",
            "cases": [{"ref": opened["ref"], "tenant": "Sam Svensson"}],
        }
    ]
    assert doors.show(opened["ref"], now=LATER)["status"] == "open"  # offered, never closed


def test_the_api_upserts_one_contract_and_many(doors):
    one = doors.api(
        "admin" if False else "carl",
        "PUT",
        "/api/register/contracts/K-2001",
        now=NOW,
        json={"tenant": "Ali Api", "address": "Parkvägen 2", "apartment": "1201"},
    )
    assert one.status_code == 200, one.text
    assert one.json()["created"] == 1
    again = doors.api(
        "carl", "PUT", "/api/register/contracts/K-2001", now=LATER,
        json={"tenant": "Ali Api", "address": "Parkvägen 2", "apartment": "1201"},
    )  # fmt: skip
    assert again.json()["unchanged"] == 1
    many = doors.api(
        "carl", "POST", "/api/register/contracts", now=LATER,
        json={"contracts": [
            {"contract": "K-2002", "tenant": "Bo Bulk", "address": "Parkvägen 2", "apartment": "1202"},
            {"contract": "K-2001", "tenant": "Ali Api", "address": "Parkvägen 2", "apartment": "1201",
             "move_out": "2026-03-01"},
        ]},
    )  # fmt: skip
    assert many.status_code == 200, many.text
    assert (many.json()["created"], many.json()["updated"]) == (1, 1)
    assert {r.source for r in log_rows(doors)} == {"api:carl"}


def test_the_api_refuses_a_bad_contract_and_stores_nothing(doors):
    response = doors.api(
        "carl", "POST", "/api/register/contracts", now=NOW,
        json={"contracts": [
            {"contract": "K-3001", "tenant": "Ok Okej", "address": "Torget 1", "apartment": "1"},
            {"contract": "K-3001", "tenant": "Dubbel", "address": "Torget 1", "apartment": "2"},
        ]},
    )  # fmt: skip
    assert "K-3001" in api_refused(response)
    bad_key = doors.api(
        "carl", "PUT", "/api/register/contracts/K-3002", now=NOW,
        json={"tenant": "X", "address": "Torget 1", "apartment": "3", "hyra": 1},
    )  # fmt: skip
    assert bad_key.status_code in (400, 422)
    assert contracts(doors) == 0
    refused = doors.api(
        "alice", "PUT", "/api/register/contracts/K-3003", now=NOW,
        json={"tenant": "X", "address": "Torget 1", "apartment": "3"},
    )  # fmt: skip
    assert refused.status_code == 403


def test_the_register_log_is_read_by_a_chef_and_not_by_an_officer(doors, tmp_path):
    run_import(doors, write(tmp_path, [HEAD, *ROWS]), user=None)
    log = doors.api("carl", "GET", "/api/register/log", now=LATER, params={"contract": "K-1001"})
    assert log.status_code == 200, log.text
    assert [(e["action"], e["source"]) for e in log.json()] == [("created", "fil:register.csv")]
    assert doors.api("alice", "GET", "/api/register/log", now=LATER).status_code == 403
