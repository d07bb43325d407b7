"""A protected complainant stays protected through every door (issue 9, "Done when", second point).

Alice (officer, team norr) opens a case for a complainant with protected identity, "Hemlig Granne", who
also reported an incident. Then bob (officer of ANOTHER team, syd) and lisa (reader of team norr, who may
read the case but not see protected identities) try every way of getting at her name: the case document,
search, the letter list, the confirmation letter's PDF, the report, through the CLI (`--as`), the API
(their tokens) and the web pages; and the e-mails the reminders send. Her name must never appear.

- bob may not read the case at all: exit 1 / 404, and the refusal is in the access log.
- lisa reads the case with the name replaced by "Skyddad identitet"; she may not have the letter to the
  complainant (bekräftelse) nor disclose identities: exit 1 / 403 or 404, never the file.
- Every refused attempt (and every read of case data) leaves an `access_log` row naming the actor.
- alice, who owns the case, does see the name (the positive control: these tests can fail).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from tests.doors import (
    Doors,
    api_refused,
    cli_refused,
    letter_of,
    open_doors,
    pdf_text,
)

NAME = "Hemlig Granne"
PROTECTED = "Skyddad identitet"
OPENED = "2026-03-02T09:00"  # Monday 2 March 2026
READ = "2026-03-02T11:00"
OTHERS = ["bob", "lisa"]  # an officer of another team; a reader of the case's team


@pytest.fixture
def doors(app, db_url, monkeypatch):
    with open_doors(app, db_url, monkeypatch) as d:
        yield d


@dataclass
class World:
    ref: str
    case_id: int
    confirmation: int  # the letter `bekraftelse` to the protected complainant


@pytest.fixture
def world(doors: Doors, tmp_path) -> World:
    doc = doors.open_case(now=OPENED, extra=("--complainant", NAME, "--protected"))
    ref = doc["ref"]
    doors.cli_json(
        "incident", "add", ref, "--at", "2026-03-01T23:40", "--kind", "noise",
        "--text", "Hög musik", "--verified-by", "jour", "--reporter", NAME,
        now="2026-03-02T09:10",
    )  # fmt: skip
    confirmation = letter_of(doc, "bekraftelse")["id"]
    # The owner renders the confirmation first (as in the issue: after that a reader's token got it).
    result = doors.cli(
        "letter",
        "pdf",
        str(confirmation),
        "-o",
        str(tmp_path / "owner.pdf"),
        now="2026-03-02T09:20",
    )
    assert result.exit_code == 0, result.stderr
    return World(ref, doors.case_id(ref), confirmation)


def assert_logged(doors: Doors, since: int, who: str, case_id: int) -> None:
    """An access-log row naming `who` and the case was written after row number `since`."""
    rows = doors.access_log()[since:]
    assert any(r.actor == who and r.case_id == case_id for r in rows), (
        f"no access-log row for {who} on case {case_id}; "
        f"new rows: {[(r.actor, r.case_id, r.action, r.detail) for r in rows]}"
    )


# --- the positive control -----------------------------------------------------------------------------


def test_the_owner_sees_the_protected_name_at_every_door(doors, world, tmp_path):
    ref = world.ref
    assert NAME in doors.cli("case", "show", ref, "--json", now=READ).stdout
    out = tmp_path / "bekraftelse.pdf"
    assert (
        doors.cli("letter", "pdf", str(world.confirmation), "-o", str(out), now=READ).exit_code == 0
    )
    assert NAME in pdf_text(out.read_bytes())
    assert NAME in doors.api("alice", "GET", f"/api/cases/{ref}", now=READ).text
    pdf = doors.api("alice", "GET", f"/api/letters/{world.confirmation}.pdf", now=READ)
    assert pdf.status_code == 200 and NAME in pdf_text(pdf.content)
    browser = doors.browser("alice", now=READ)
    assert NAME in browser.get(f"/arenden/{ref}", now=READ).text
    page_pdf = browser.get(f"/arenden/{ref}/brev/{world.confirmation}.pdf", now=READ)
    assert page_pdf.status_code == 200 and NAME in pdf_text(page_pdf.content)
    # A chef may disclose the reporters' names in a report (journaled); so the report could leak.
    report = tmp_path / "rapport.pdf"
    result = doors.cli("report", ref, "-o", str(report), "--disclose", now=READ, user="carl")
    assert result.exit_code == 0, result.stderr
    assert NAME in pdf_text(report.read_bytes())


# --- CLI ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", OTHERS)
def test_cli_case_show_never_names_her(doors, world, who):
    since = len(doors.access_log())
    result = doors.cli("case", "show", world.ref, "--json", now=READ, user=who)
    assert NAME not in result.stdout + result.stderr
    if who == "bob":
        cli_refused(result)
    else:
        assert result.exit_code == 0, result.stderr
        doc = json.loads(result.stdout)
        assert [c["name"] for c in doc["complainants"]] == [PROTECTED]
        assert [i["reporter"] for i in doc["incidents"]] == [PROTECTED]
    assert_logged(doors, since, who, world.case_id)


@pytest.mark.parametrize("who", OTHERS)
def test_cli_case_list_never_names_her(doors, world, who):
    result = doors.cli("case", "list", "--json", now=READ, user=who)
    assert result.exit_code == 0, result.stderr
    assert NAME not in result.stdout
    refs = [row["ref"] for row in json.loads(result.stdout)]
    assert (world.ref in refs) is (who == "lisa")  # a reader lists her team's cases; bob none


@pytest.mark.parametrize("who", OTHERS)
def test_cli_letter_list_never_names_her(doors, world, who):
    since = len(doors.access_log())
    result = doors.cli("letter", "list", world.ref, "--json", now=READ, user=who)
    assert NAME not in result.stdout + result.stderr
    if who == "bob":
        cli_refused(result)
    else:
        assert result.exit_code == 0, result.stderr
        assert "bekraftelse" in [x["template"] for x in json.loads(result.stdout)]
    assert_logged(doors, since, who, world.case_id)


@pytest.mark.parametrize("who", OTHERS)
def test_cli_letter_pdf_of_the_complainants_confirmation_is_refused(doors, world, who, tmp_path):
    out = tmp_path / "bekraftelse.pdf"
    since = len(doors.access_log())
    result = doors.cli("letter", "pdf", str(world.confirmation), "-o", str(out), now=READ, user=who)
    cli_refused(result)
    assert NAME not in result.stdout + result.stderr
    assert not out.exists(), "a refused PDF must not leave a file behind"
    assert_logged(doors, since, who, world.case_id)


def test_cli_report_for_another_teams_officer_is_refused(doors, world, tmp_path):
    out = tmp_path / "rapport.pdf"
    since = len(doors.access_log())
    result = doors.cli("report", world.ref, "-o", str(out), now=READ, user="bob")
    cli_refused(result)
    assert not out.exists()
    assert_logged(doors, since, "bob", world.case_id)


def test_cli_report_of_a_case_with_a_protected_complainant_is_refused_to_a_reader(
    doors, world, tmp_path
):
    """Issue 9 item 2: the report of a case with a complainant under skyddad identitet (even the
    pseudonymised one) goes only to those who may see protected identities; never the file."""
    out = tmp_path / "rapport.pdf"
    since = len(doors.access_log())
    result = doors.cli("report", world.ref, "-o", str(out), now=READ, user="lisa")
    cli_refused(result)
    assert not out.exists()
    assert_logged(doors, since, "lisa", world.case_id)


def test_cli_report_for_the_owner_is_pseudonymised(doors, world, tmp_path):
    out = tmp_path / "rapport.pdf"
    result = doors.cli("report", world.ref, "-o", str(out), now=READ, user="alice")
    assert result.exit_code == 0, result.stderr
    text = pdf_text(out.read_bytes())
    assert "Hög musik" in text  # it is the report of this case
    assert NAME not in text  # reporters are pseudonymised unless disclosed


def test_cli_a_reader_may_not_disclose_identities_in_a_report(doors, world, tmp_path):
    out = tmp_path / "rapport.pdf"
    since = len(doors.access_log())
    result = doors.cli("report", world.ref, "-o", str(out), "--disclose", now=READ, user="lisa")
    cli_refused(result)
    assert not out.exists()
    assert_logged(doors, since, "lisa", world.case_id)


# --- API ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", OTHERS)
def test_api_case_document_never_names_her(doors, world, who):
    since = len(doors.access_log())
    response = doors.api(who, "GET", f"/api/cases/{world.ref}", now=READ)
    assert NAME not in response.text
    if who == "bob":
        api_refused(response, (404,))
    else:
        assert response.status_code == 200
        doc = response.json()
        assert [c["name"] for c in doc["complainants"]] == [PROTECTED]
        assert [i["reporter"] for i in doc["incidents"]] == [PROTECTED]
    assert_logged(doors, since, who, world.case_id)


@pytest.mark.parametrize("who", OTHERS)
def test_api_search_never_names_or_finds_her(doors, world, who):
    found = doors.api(who, "GET", "/api/cases", now=READ, params={"q": "Kim"})
    assert found.status_code == 200 and NAME not in found.text
    assert (world.ref in [row["ref"] for row in found.json()]) is (who == "lisa")
    # Searching for the name must not reveal which case she complained in.
    probe = doors.api(who, "GET", "/api/cases", now=READ, params={"q": NAME})
    assert probe.status_code == 200 and NAME not in probe.text
    assert world.ref not in [row["ref"] for row in probe.json()]


@pytest.mark.parametrize("who", OTHERS)
def test_api_letter_list_never_names_her(doors, world, who):
    since = len(doors.access_log())
    response = doors.api(who, "GET", f"/api/cases/{world.ref}/letters", now=READ)
    assert NAME not in response.text
    if who == "bob":
        api_refused(response, (404,))
    else:
        assert response.status_code == 200
    assert_logged(doors, since, who, world.case_id)


@pytest.mark.parametrize("who", OTHERS)
def test_api_pdf_of_the_complainants_confirmation_is_refused(doors, world, who):
    since = len(doors.access_log())
    response = doors.api(who, "GET", f"/api/letters/{world.confirmation}.pdf", now=READ)
    assert not response.content.startswith(b"%PDF"), "the PDF was served"
    api_refused(response, (403, 404))
    assert NAME not in response.text
    assert_logged(doors, since, who, world.case_id)


# --- web pages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", OTHERS)
def test_web_case_page_never_names_her(doors, world, who):
    browser = doors.browser(who, now=READ)
    since = len(doors.access_log())
    page = browser.get(f"/arenden/{world.ref}", now=READ)
    assert NAME not in page.text
    if who == "bob":
        assert page.status_code == 404
    else:
        assert page.status_code == 200 and PROTECTED in page.text
    assert_logged(doors, since, who, world.case_id)


@pytest.mark.parametrize("who", OTHERS)
def test_web_worklist_search_never_names_or_finds_her(doors, world, who):
    browser = doors.browser(who, now=READ)
    page = browser.get("/", now=READ, sok="Kim", visa="team")
    assert page.status_code == 200 and NAME not in page.text
    assert (world.ref in page.text) is (who == "lisa")
    probe = browser.get("/", now=READ, sok=NAME, visa="team")
    assert probe.status_code == 200 and world.ref not in probe.text  # (the page echoes the query)


@pytest.mark.parametrize("who", OTHERS)
def test_web_pdf_link_of_the_complainants_confirmation_is_refused(doors, world, who):
    browser = doors.browser(who, now=READ)
    since = len(doors.access_log())
    response = browser.get(f"/arenden/{world.ref}/brev/{world.confirmation}.pdf", now=READ)
    assert not response.content.startswith(b"%PDF"), "the PDF was served"
    assert response.status_code in (403, 404)
    assert NAME not in response.text
    assert_logged(doors, since, who, world.case_id)


# --- e-mail -------------------------------------------------------------------------------------------


def test_reminder_emails_never_name_a_protected_complainant(doors, world):
    # Four weeks on, the first-contact and complainant-update reminders have fallen due.
    result = doors.cli("timers", "run", now="2026-03-31T08:00", user=None)
    assert result.exit_code == 0, result.stderr
    emails = [row for row in doors.outbox() if row.channel == "email"]
    assert emails, "no reminder e-mails were written; the test would prove nothing"
    for row in emails:
        assert NAME not in row.subject and NAME not in row.body, row.subject
