"""The CLI contract (DESIGN.md §7), driven through click's CliRunner as a user types it."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from storning.cli import main

CONTRACT_KEYS = {
    "ref",
    "type",
    "status",
    "tracks",
    "actions",
    "timers",
    "facts",
    "incidents",
    "letters",
    "journal",
}


@pytest.fixture
def run(db_url, monkeypatch):
    from tests.conftest import ROOT

    monkeypatch.setenv("STORNING_WORKFLOWS", str(ROOT / "workflows"))
    monkeypatch.setenv("STORNING_LETTERS_DIR", str(ROOT / "letters"))
    runner = CliRunner()

    def invoke(*args: str, now: str = "2026-03-02T09:00", user: str | None = None):
        prefix = ["--db", db_url, "--now", now] + (["--as", user] if user else [])
        return runner.invoke(main, [*prefix, *args], catch_exceptions=False)

    assert invoke("init").exit_code == 0
    return invoke


def open_case(run, *extra):
    result = run(
        "case",
        "open",
        "--type",
        "storning",
        "--tenant",
        "Kim Hyresgäst",
        "--address",
        "Storgatan 1",
        "--apartment",
        "1102",
        "--municipality",
        "Norrköping",
        "--postal-code",
        "602 20",
        "--city",
        "Norrköping",
        "--contract",
        "123-456",
        *extra,
        "--json",
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_case_open_json_has_the_contract_keys(run):
    doc = open_case(run, "--complainant", "Greta Granne", "--protected")
    assert set(doc) >= CONTRACT_KEYS
    assert set(doc["tracks"]["legal"]) >= {"state", "label", "since"}
    assert doc["tracks"]["legal"]["since"] == "2026-03-02T09:00:00+01:00"
    action = doc["actions"][0]
    assert set(action) >= {"track", "event", "label", "allowed", "blocked_by"}
    assert set(action["blocked_by"][0]) == {"guard", "message", "law", "overridable"}
    assert set(doc["timers"][0]) >= {"id", "track", "name", "due_at", "status"}
    assert set(doc["letters"][0]) >= {"id", "template", "status", "sent_at", "served_at", "sha256"}
    assert set(doc["journal"][0]) >= {"at", "actor", "track", "event", "from", "to", "reason"}


def test_show_json_is_exactly_one_document_and_matches_open(run):
    opened = open_case(run)
    shown = run("case", "show", opened["ref"], "--json")
    assert shown.exit_code == 0
    assert json.loads(shown.stdout) == opened


def test_the_walkthrough_shows_blocked_actions_with_their_paragraph(run):
    ref = open_case(run)["ref"]
    result = run(
        "incident",
        "add",
        ref,
        "--at",
        "2026-03-01T23:40",
        "--kind",
        "noise",
        "--text",
        "Hög musik",
        "--verified-by",
        "jour",
        now="2026-03-02T10:00",
    )
    assert result.exit_code == 0, result.output
    result = run("case", "fire", ref, "issue_uppmaning", now="2026-03-02T10:05")
    assert result.exit_code == 0, result.output
    assert "Uppmaning given" in result.stdout
    assert "Underrättelse upprättad" in result.stdout
    text = run("case", "show", ref).stdout
    assert "terminate_term_end" in text
    assert "12 kap. 42 § tredje stycket jordabalken" in text


def test_a_blocked_event_exits_1_with_one_sentence_and_json_error(run):
    ref = open_case(run)["ref"]
    result = run("case", "fire", ref, "issue_uppmaning", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["code"] == "blocked"
    assert "has_incident" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args",
    [
        ("case", "show", "S-1999-0001"),
        ("case", "fire", "S-2026-0001", "no_such_event"),
        ("letter", "sent", "999", "--method", "vanligt"),
    ],
)
def test_unknown_things_exit_1(run, args):
    open_case(run)
    result = run(*args)
    assert result.exit_code == 1
    assert result.stderr.strip() and "Traceback" not in result.stderr


def test_a_usage_error_exits_2(run):
    assert run("case", "open", "--type", "storning").exit_code == 2
    assert (
        run(
            "incident", "add", "S-2026-0001", "--at", "x", "--kind", "bogus", "--text", "t"
        ).exit_code
        == 2
    )


def test_an_earlier_now_than_the_journal_is_refused(run):
    ref = open_case(run)["ref"]
    result = run(
        "case", "fire", ref, "record_contact", "--param", "channel=phone", now="2026-03-01T08:00"
    )
    assert result.exit_code == 1
    assert "senare --now" in result.stderr


def test_a_bad_time_is_one_clear_sentence(run):
    result = run("case", "list", now="igår")
    assert result.exit_code == 1
    assert "Ogiltig tidpunkt 'igår'" in result.stderr


def test_case_list_json_and_filters(run):
    open_case(run)
    second = open_case(run)["ref"]
    run("case", "fire", second, "tenant_moved")
    rows = json.loads(run("case", "list", "--open", "--json").stdout)
    assert [r["ref"] for r in rows] == ["S-2026-0001"]
    assert rows[0]["next_due"] == "2026-03-09"
    everything = json.loads(run("case", "list", "--json").stdout)
    assert {r["ref"] for r in everything} == {"S-2026-0001", "S-2026-0002"}
    overdue = json.loads(run("case", "list", "--overdue", "--json", now="2026-03-20T09:00").stdout)
    assert [r["ref"] for r in overdue] == ["S-2026-0001"]


def test_a_reader_cannot_change_a_case(run):
    ref = open_case(run)["ref"]
    from storning import services
    from storning.app import App
    from storning.config import Settings

    result = run("case", "fire", ref, "tenant_moved", user="nobody")
    assert result.exit_code == 1 and "Okänd användare" in result.stderr
    assert Settings and services and App


def test_workflow_check_reports_file_line_and_path(run, tmp_path):
    from tests.conftest import ROOT

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (ROOT / "workflows" / "storning.yaml")
        .read_text()
        .replace("to: kronofogden", "to: kronofogen")
    )
    result = run("workflow", "check", str(bad))
    assert result.exit_code == 1
    assert f"{bad}, rad " in result.stderr and "unknown state 'kronofogen'" in result.stderr


def test_workflow_list_and_graph(run):
    assert "storning" in run("workflow", "list").stdout
    mermaid = run("workflow", "graph", "storning", "--track", "legal").stdout
    assert mermaid.startswith("stateDiagram-v2") and "assessment --> uppmaning_issued" in mermaid
    dot = run("workflow", "graph", "storning", "--format", "dot").stdout
    assert "subgraph cluster_authority" in dot


def test_an_unknown_track_exits_1_with_the_known_tracks(run):
    ref = open_case(run)["ref"]
    result = run("case", "fire", ref, "close", "--track", "legl")
    assert result.exit_code == 1
    assert "legal, authority, customer" in result.stderr


def test_missing_address_details_can_be_completed_so_letters_can_be_issued(run):
    result = run(
        "case",
        "open",
        "--type",
        "storning",
        "--tenant",
        "Kim",
        "--address",
        "Storgatan 1",
        "--apartment",
        "1",
        "--municipality",
        "Norrköping",
        "--complainant",
        "Greta",
        "--json",
    )
    ref = json.loads(result.stdout)["ref"]
    run(
        "incident",
        "add",
        ref,
        "--at",
        "2026-03-01T23:00",
        "--kind",
        "noise",
        "--text",
        "Fest",
        "--verified-by",
        "jour",
        now="2026-03-02T09:10",
    )
    # Opened with the required fields only: the case says at once what its letters will need.
    shown = json.loads(run("case", "show", ref, "--json", now="2026-03-02T09:15").stdout)
    assert {g["field"] for g in shown["letter_gaps"]} == {
        "postal_code",
        "city",
        "contract",
        "personnummer",  # the application to Kronofogden names the tenant by personnummer
    }
    assert "Saknas för breven" in run("case", "show", ref, now="2026-03-02T09:15").stdout
    uppmaning_action = [a for a in shown["actions"] if a["event"] == "issue_uppmaning"][0]
    assert not uppmaning_action["allowed"]
    assert "letter_data" in {b["guard"] for b in uppmaning_action["blocked_by"]}
    # The action that would draft the letters is refused, naming what to complete and how.
    refused = run("case", "fire", ref, "issue_uppmaning", now="2026-03-02T09:20")
    assert refused.exit_code == 1
    assert "postnummer, ort och kontraktsnummer" in refused.stderr
    assert f"storning case update {ref} --postal-code" in refused.stderr
    assert json.loads(run("case", "show", ref, "--json").stdout)["letters"] == shown["letters"]
    updated = run(
        "case",
        "update",
        ref,
        "--postal-code",
        "602 20",
        "--city",
        "Norrköping",
        "--contract",
        "1-01",
        now="2026-03-02T09:40",
    )
    assert updated.exit_code == 0
    gaps = json.loads(run("case", "show", ref, "--json").stdout)["letter_gaps"]
    assert [g["field"] for g in gaps] == ["personnummer"]  # needed only at the end, by Kronofogden
    fired = run("case", "fire", ref, "issue_uppmaning", "--json", now="2026-03-02T09:45")
    assert fired.exit_code == 0, fired.output
    uppmaning = [x for x in json.loads(fired.stdout)["letters"] if x["template"] == "uppmaning"][0]
    sent = run(
        "letter", "sent", str(uppmaning["id"]), "--method", "rekommenderat", now="2026-03-02T09:50"
    )
    assert sent.exit_code == 0, sent.output


@pytest.mark.parametrize(
    "args",
    [
        (
            "case",
            "open",
            "--type",
            "hyresskuld",
            "--tenant",
            "K",
            "--address",
            "A",
            "--apartment",
            "1",
            "--due-date",
            "2026-02-27",
            "--amount",
            "NaN",
        ),
        (
            "case",
            "open",
            "--type",
            "hyresskuld",
            "--tenant",
            "K",
            "--address",
            "A",
            "--apartment",
            "1",
            "--due-date",
            "2226-02-27",
            "--amount",
            "100",
        ),
        ("letter", "pdf", "1", "-o", "/nonexistent/dir/x.pdf"),
    ],
)
def test_odd_input_is_one_sentence_not_a_traceback(run, args):
    open_case(run)
    result = run(*args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1


def test_init_says_whether_it_made_upgraded_or_found_the_schema(run, db_url, tmp_path):
    from alembic import command
    from sqlalchemy import create_engine

    from storning.store.schema import alembic_config, head_revision

    head = head_revision()
    assert f"Schemat är redan det senaste (version {head})." in run("init").output
    engine = create_engine(db_url)
    config = alembic_config()
    with engine.begin() as connection:  # as a database of the version before the newest
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")
    engine.dispose()
    before = f"{int(head) - 1:04d}"
    assert f"Schemat uppgraderades från version {before} till {head}." in run("init").output
    fresh = CliRunner().invoke(main, ["--db", f"sqlite:///{tmp_path / 'ny.db'}", "init"])
    assert fresh.exit_code == 0 and f"Schemat skapades (version {head})." in fresh.output
