"""Night-patrol reports (issue 16 item 2): `storning import jour FILE` (CSV and JSON) and
`POST /api/jour/reports`. A report about an apartment with an open case becomes an incident verified
by `jour` (störningsjour: the landlord's own verification, RH 2018:23); any other report — also one
for an address nobody knows — lands in the intake queue. Re-sending a report changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from storning.services import intake as intake_service
from storning.store.models import Incident, IntakeItem
from tests.doors import Doors, api_refused, cli_refused, instant, open_doors

NOW = "2026-03-02T09:00"
LATER = "2026-03-02T10:00"
HEAD = "external_id,start,end,contract,address,apartment,observed,verification,police_reference"


@pytest.fixture
def doors(app, db_url, monkeypatch):
    with open_doors(app, db_url, monkeypatch) as d:
        yield d


def write(tmp_path: Path, lines: list[str], name: str = "jour.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def count(doors: Doors, model: type) -> int:
    with doors.app.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def night(case_contract: str = "123-456") -> list[str]:
    return [
        HEAD,
        f"J-1,2026-03-01T23:10,2026-03-01T23:40,{case_contract},,,Hög musik och skrik,"
        "Jouren hörde musiken i trapphuset,",
        "J-2,2026-03-02T01:15,,,Storgatan 1,1102,Dörrar som smälls,Hört av jouren,K-123-26",
        "J-3,2026-03-02T02:00,,,Okändvägen 9,0001,Bråk i trapphuset,Ej verifierat,",
    ]


def test_reports_match_the_open_case_or_land_in_the_queue(doors, tmp_path):
    case = doors.open_case(now=NOW)
    result = doors.cli_json("import", "jour", str(write(tmp_path, night())), now=LATER)
    assert (result["matched"], result["queued"], result["already_imported"]) == (2, 1, 0)
    assert result["cases"] == [case["ref"]]
    incidents = doors.show(case["ref"], now=LATER)["incidents"]
    assert [i["verified_by"] for i in incidents] == ["jour", "jour"]
    assert "K-123-26" in str(incidents)
    queued = intake_service.list_items(doors.app, "alice", doors.clock.now)
    assert [(q["external_id"], q["address"]) for q in queued] == [("J-3", "Okändvägen 9")]


def test_a_second_import_of_the_same_reports_changes_nothing(doors, tmp_path):
    case = doors.open_case(now=NOW)
    path = write(tmp_path, night())
    doors.cli_json("import", "jour", str(path), now=LATER)
    before = (count(doors, Incident), count(doors, IntakeItem))
    again = doors.cli_json("import", "jour", str(path), now=LATER)
    assert (again["matched"], again["queued"], again["already_imported"]) == (0, 0, 3)
    assert (count(doors, Incident), count(doors, IntakeItem)) == before
    assert len(doors.show(case["ref"], now=LATER)["incidents"]) == 2


def test_a_dry_run_stores_nothing(doors, tmp_path):
    doors.open_case(now=NOW)
    result = doors.cli_json("import", "jour", str(write(tmp_path, night())), "--dry-run", now=LATER)
    assert (result["dry_run"], result["matched"], result["queued"]) == (True, 2, 1)
    assert (count(doors, Incident), count(doors, IntakeItem)) == (0, 0)


def test_a_json_file_is_read_too(doors, tmp_path):
    path = tmp_path / "jour.json"
    path.write_text(
        json.dumps(
            {
                "reports": [
                    {
                        "external_id": "J-9",
                        "start": "2026-03-01T22:00",
                        "address": "Ny väg 1",
                        "apartment": "1",
                        "observed": "Skrik",
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    result = doors.cli_json("import", "jour", str(path), now=LATER)
    assert (result["matched"], result["queued"]) == (0, 1)


def test_malformed_json_is_refused_with_one_sentence(doors, tmp_path):
    path = tmp_path / "jour.json"
    path.write_text('{"reports": [{"external_id": "J-1",\n  "start": }]}', encoding="utf-8")
    message = cli_refused(doors.cli("import", "jour", str(path), now=LATER))
    assert "jour.json, rad 2" in message and "ogiltig JSON" in message
    assert count(doors, IntakeItem) == 0


def test_a_bad_report_refuses_the_whole_file(doors, tmp_path):
    doors.open_case(now=NOW)
    lines = [*night(), "J-4,2026-03-05T02:00,,,Storgatan 1,1102,I framtiden,,"]
    message = cli_refused(doors.cli("import", "jour", str(write(tmp_path, lines)), now=LATER))
    assert "rad 5" in message and "inget har sparats" in message
    assert (count(doors, Incident), count(doors, IntakeItem)) == (0, 0)


def test_a_wrong_column_is_refused(doors, tmp_path):
    lines = [HEAD.replace("observed", "observerat"), "J-1,2026-03-01T23:10,,,A,1,x,,"]
    message = cli_refused(doors.cli("import", "jour", str(write(tmp_path, lines)), now=LATER))
    assert "rad 1" in message and "observed" in message


def test_the_api_takes_one_report_or_many_and_is_idempotent(doors):
    case = doors.open_case(now=NOW)
    one = {
        "external_id": "A-1",
        "start": "2026-03-01T23:00",
        "contract": "123-456",
        "observed": "Hög musik",
        "verification": "Jouren hörde musiken",
    }
    response = doors.api("alice", "POST", "/api/jour/reports", now=LATER, json=one)
    assert response.status_code == 200, response.text
    assert response.json()["cases"] == [case["ref"]]
    many = [one, {**one, "external_id": "A-2", "contract": None, "address": "X", "apartment": "9"}]
    again = doors.api("alice", "POST", "/api/jour/reports", now=LATER, json=many)
    assert (again.json()["matched"], again.json()["queued"]) == (0, 1)
    assert again.json()["already_imported"] == 1
    bad = doors.api("alice", "POST", "/api/jour/reports", now=LATER, json=[{"external_id": "A-3"}])
    assert "saknas" in api_refused(bad)
    reader = doors.api(
        "lisa", "POST", "/api/jour/reports", now=LATER, json={**one, "external_id": "A-4"}
    )
    assert reader.status_code == 403


def test_the_worker_imports_the_drop_folder_and_files_bad_ones_apart(doors, tmp_path):
    from dataclasses import replace

    from storning.app import App
    from storning.services.scheduled import intake_jobs, jour_drop

    doors.open_case(now=NOW)
    drop = tmp_path / "drop"
    drop.mkdir()
    write(drop, night(), "natt.csv")
    (drop / "trasig.json").write_text("{inte json", encoding="utf-8")
    (drop / "readme.txt").write_text("ignoreras", encoding="utf-8")
    settings = replace(doors.app.settings, jour_drop_dir=drop, jour_drop_user="alice")
    app = App(settings, doors.app.db, doors.app.registry, doors.app.engine)
    assert [job.id for job in intake_jobs(app, 30)] == ["jour_drop"]
    assert jour_drop(app, instant(LATER)) == 2
    assert (drop / "done" / "natt.csv").is_file()
    assert (drop / "failed" / "trasig.json").is_file()
    assert "ogiltig JSON" in (drop / "failed" / "trasig.json.fel.txt").read_text(encoding="utf-8")
    assert (drop / "readme.txt").is_file()
    assert count(doors, IntakeItem) == 3
    assert intake_jobs(doors.app, 30) == []
    # `storning serve` without a separate worker imports the drop folder too
    from storning.web.background import start_scheduler

    scheduler = start_scheduler(app, 30, lambda: instant(LATER))
    try:
        assert scheduler.get_job("jour_drop") is not None
    finally:
        scheduler.shutdown(wait=True)


def test_a_report_about_a_case_the_importer_may_not_act_on_waits_for_its_team(doors, tmp_path):
    case = doors.open_case(now=NOW)  # alice's, team norr
    result = doors.cli_json("import", "jour", str(write(tmp_path, night())), now=LATER, user="bob")
    assert (result["matched"], result["queued"]) == (0, 3)
    assert doors.show(case["ref"], now=LATER)["incidents"] == []
    seen_by_alice = intake_service.list_items(doors.app, "alice", instant(LATER))
    assert {i["case"] for i in seen_by_alice if i["external_id"] in ("J-1", "J-2")} == {case["ref"]}
    seen_by_bob = intake_service.list_items(doors.app, "bob", instant(LATER))
    assert [i["external_id"] for i in seen_by_bob] == ["J-3"]


def test_a_large_import_refreshes_postgresqls_statistics_so_a_rerun_uses_the_index(
    doors, tmp_path, db_url
):
    """A thousand reports into an empty queue: PostgreSQL must not go on planning as if the table
    were empty (it then filters every external id against every row: a re-run 10× slower, see
    bench/intake.py). SQLite plans without statistics."""
    if db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's planner statistics")
    lines = [HEAD] + [
        f"B-{n},2026-03-01T23:10,,,Bänkgatan {n},0001,Hög musik,Hört av jouren,"
        for n in range(1000)
    ]
    result = doors.cli_json("import", "jour", str(write(tmp_path, lines)), now=LATER)
    assert result["queued"] == 1000
    with doors.app.db.read() as session:
        estimated = session.scalar(
            text("select reltuples from pg_class where oid = 'intake_items'::regclass")
        )
    assert estimated is not None and estimated >= 1000


@pytest.mark.parametrize("clock", ["00:30", "05:59", "06:00", "23:59"])
def test_the_demos_night_has_ended_whenever_the_demo_is_made(clock):
    """`storning demo` at 00:30 used to date last night's reports 01:00–03:00 today: in the future,
    so the demo stopped half made. The night is the last one that ended at 06:00."""
    from datetime import datetime, time

    from storning.intake.demo import _night
    from tests.conftest import ZONE

    now = datetime.combine(datetime(2026, 3, 3).date(), time.fromisoformat(clock), ZONE)
    reports = _night(now, [("K-1", "Storgatan 1", "1102")] * 3)
    assert reports
    for report in reports:
        for key in ("start", "end"):
            if report.get(key):
                assert datetime.fromisoformat(report[key]) < now, (key, report[key])
