"""Preview and confirm (issue 12 item 5): an action that drafts letters shows them, rendered, before
anything is kept; a termination needs a written reason; an override always did.

The case is the demo's `_uppmaning_sent` story before its uppmaning: a tenant with a protected
complainant and an incident seen by the störningsjour, so `issue_uppmaning` drafts the uppmaning and
(through the authority track) the notice to socialnämnden. Every door is driven as a person or an
integration uses it (`tests/doors.py`), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from sqlalchemy import select
from tests.doors import (
    Doors,
    alert_of,
    api_refused,
    cli_refused,
    form_fields,
    forms_on,
    instant,
    letter_of,
    open_doors,
    page_text,
    pdf_text,
)

from storning import services
from storning.errors import GuardBlocked, NotFound, PermissionDenied, StaleCase
from storning.store.models import Base

COMPLAINANT = "Per Persson"
UPPMANING_LETTERS = {
    ("uppmaning", "Uppmaning att vidta rättelse", "Johan Nilsson"),
    ("underrattelse_socialnamnd", "Underrättelse till socialnämnden", "Socialnämnden i Norrköpings kommun"),
}  # fmt: skip
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def doors(app, db_url, monkeypatch):
    with open_doors(app, db_url, monkeypatch) as d:
        yield d


def ready_for_uppmaning(doors: Doors, *extra: str) -> str:
    """The demo's case before its uppmaning: a protected complainant, an incident the jour saw."""
    fields = ["--tenant", "Johan Nilsson", "--address", "Kungsgatan 4", "--apartment", "0803",
              "--contract", "0803-02", "--postal-code", "602 20", "--city", "Norrköping",
              "--municipality", "Norrköping", "--complainant", COMPLAINANT, "--protected", *extra]  # fmt: skip
    ref = doors.cli_json("case", "open", "--type", "storning", *fields, now="2026-03-02T09:00")[
        "ref"
    ]
    doors.cli_json("incident", "add", ref, "--at", "2026-03-01T23:40", "--kind", "noise",
                   "--text", "Fest och skrik till kl. 03", "--verified-by", "jour",
                   now="2026-03-02T09:30")  # fmt: skip
    return str(ref)


def everything(doors: Doors) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the access log, read directly."""
    with doors.app.db.engine.connect() as conn:
        return {
            table.name: [tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key))]
            for table in Base.metadata.sorted_tables
            if table.name != "access_log"
        }  # fmt: skip


def access_actions(doors: Doors) -> list[str]:
    return [row.action for row in doors.access_log()]


# --- the service ------------------------------------------------------------------------------------


def test_the_preview_shows_the_uppmaning_and_the_notice_and_keeps_nothing(doors):
    ref = ready_for_uppmaning(doors)
    before, logged = everything(doors), access_actions(doors)
    preview = services.preview_event(doors.app, "alice", instant("2026-03-02T10:00"), ref,
                                     "issue_uppmaning")  # fmt: skip
    assert preview["label"] == "Skicka uppmaning (rättelseanmaning)"
    assert preview["track"] == "legal" and preview["version"] == doors.version(ref)
    shown = {(x["template"], x["title"], x["to"]) for x in preview["letters"]}
    assert shown == UPPMANING_LETTERS
    for letter in preview["letters"]:
        assert letter["pages"] and all(page.startswith(PNG) for page in letter["pages"])
    # Nothing of the event is kept: no letter, journal entry, timer, fact, notice or version step.
    assert everything(doors) == before
    assert access_actions(doors) == [*logged, "fire_preview"]  # the read, as any read is


def test_a_tenants_letter_in_the_preview_never_names_the_protected_complainant(doors):
    ref = ready_for_uppmaning(doors)
    preview = services.preview_event(doors.app, "alice", instant("2026-03-02T10:00"), ref,
                                     "issue_uppmaning", output="pdf")  # fmt: skip
    for letter in preview["letters"]:
        text = pdf_text(letter["pdf"])
        assert "Johan Nilsson" in text or "Socialnämnden" in text
        assert COMPLAINANT not in text and "Per" not in text.split()


def test_the_preview_is_the_letter_that_confirming_drafts(doors):
    ref = ready_for_uppmaning(doors)
    now = instant("2026-03-02T10:00")
    preview = services.preview_event(doors.app, "alice", now, ref, "issue_uppmaning", output="pdf")
    document = services.fire_event(doors.app, "alice", now, ref, "issue_uppmaning")
    for shown in preview["letters"]:
        made = letter_of(document, shown["template"])
        assert services.letter_pdf(doors.app, "alice", now, made["id"]).data == shown["pdf"]


@pytest.mark.parametrize(
    ("user", "error", "message"),
    [
        ("lisa", PermissionDenied, "bara läsbehörighet"),
        ("bob", NotFound, "som du har tillgång till"),
    ],
)
def test_whoever_may_not_fire_the_event_may_not_preview_it(doors, user, error, message):
    ref = ready_for_uppmaning(doors)
    now = instant("2026-03-02T10:00")
    before = everything(doors)
    with pytest.raises(error, match=message) as previewed:
        services.preview_event(doors.app, user, now, ref, "issue_uppmaning")
    with pytest.raises(error) as fired:
        services.fire_event(doors.app, user, now, ref, "issue_uppmaning")
    assert str(previewed.value) == str(fired.value)  # refused the same way
    assert everything(doors) == before
    assert access_actions(doors)[-2:] == ["fire_preview_refused", "fire_refused"]


def test_the_preview_refuses_what_firing_refuses(doors):
    now = instant("2026-03-02T10:00")
    no_incident = doors.open_case(now="2026-03-02T09:00")["ref"]
    with pytest.raises(GuardBlocked, match="25 a §"):  # a guard
        services.preview_event(doors.app, "alice", now, no_incident, "issue_uppmaning")
    no_postal_address = ready_for_uppmaning(doors, "--postal-code", "", "--city", "")
    with pytest.raises(GuardBlocked, match="kan inte skapas förrän ärendet har"):  # a letter gap
        services.preview_event(doors.app, "alice", now, no_postal_address, "issue_uppmaning")
    ref = ready_for_uppmaning(doors)
    with pytest.raises(StaleCase, match="har ändrats"):
        services.preview_event(doors.app, "alice", now, ref, "issue_uppmaning",
                               expected_version=doors.version(ref) - 1)  # fmt: skip
    with pytest.raises(NotFound, match="ingen händelse 'fly'"):
        services.preview_event(doors.app, "alice", now, ref, "fly")


def test_which_events_draft_letters_comes_from_the_workflow(doors):
    ref = ready_for_uppmaning(doors)
    document = doors.show(ref, now="2026-03-02T10:00")
    with doors.app.db.read() as session:
        workflow = doors.app.registry.get(session, "storning", document["workflow_version"])
    states = {name: track["state"] for name, track in document["tracks"].items()}

    def drafts(track: str, event: str) -> list[str]:
        return services.letters_of_event(workflow, states, track, event)

    assert drafts("legal", "issue_uppmaning") == ["uppmaning", "underrattelse_socialnamnd"]
    assert drafts("customer", "record_contact") == ["kontaktbrev"]  # only for a contact by letter
    assert drafts("legal", "classify_severe") == []
    assert drafts("authority", "record_support") == []


# --- the web -------------------------------------------------------------------------------------


def confirm_form(page: str, ref: str) -> dict[str, str]:
    return form_fields(page, f"/arenden/{ref}/atgard", {"confirmed": "1"})


def test_an_uppmaning_is_previewed_then_confirmed_in_the_browser(doors):
    ref = ready_for_uppmaning(doors)
    alice = doors.browser("alice", now="2026-03-02T10:00")
    before = doors.snapshot(ref)
    shown = alice.submit(f"/arenden/{ref}", f"/arenden/{ref}/atgard",
                         match={"event": "issue_uppmaning"}, now="2026-03-02T10:00")  # fmt: skip
    assert shown.status_code == 200, alert_of(shown.text)
    text = page_text(shown.text)
    assert "Granska breven: Skicka uppmaning (rättelseanmaning)" in text
    for _template, title, to in UPPMANING_LETTERS:
        assert f"{title} till {to}" in text
    assert shown.text.count('src="data:image/png;base64,') >= 2
    assert COMPLAINANT not in shown.text
    assert doors.snapshot(ref) == before  # the preview kept nothing
    fields = confirm_form(shown.text, ref)
    assert fields["event"] == "issue_uppmaning" and fields["version"] == str(before["version"])
    cancel = [f for f in forms_on(shown.text) if f["action"] == f"/arenden/{ref}/atgard"]
    assert len(cancel) == 2 and f'href="/arenden/{ref}#spar">Avbryt</a>' in shown.text

    done = alice.post(f"/arenden/{ref}/atgard", fields, now="2026-03-02T10:01")
    assert done.status_code == 303 and done.headers["location"] == f"/arenden/{ref}#spar"
    document = alice.document(ref, now="2026-03-02T10:02")
    assert {x["template"] for x in document["letters"]} >= {
        "uppmaning",
        "underrattelse_socialnamnd",
    }
    assert document["tracks"]["authority"]["state"] == "notice_drafted"
    # the same confirmation sent again (a double click) makes nothing twice
    again = alice.post(f"/arenden/{ref}/atgard", fields, now="2026-03-02T10:01")
    assert again.status_code == 303
    assert len(alice.document(ref, now="2026-03-02T10:03")["letters"]) == len(document["letters"])


def test_a_confirmation_from_a_stale_preview_is_refused(doors):
    ref = ready_for_uppmaning(doors)
    alice = doors.browser("alice", now="2026-03-02T10:00")
    shown = alice.submit(f"/arenden/{ref}", f"/arenden/{ref}/atgard",
                         match={"event": "issue_uppmaning"}, now="2026-03-02T10:00")  # fmt: skip
    fields = confirm_form(shown.text, ref)
    doors.cli_json("incident", "add", ref, "--at", "2026-03-02T08:00", "--kind", "noise",
                   "--text", "Ny störning", now="2026-03-02T10:05")  # fmt: skip
    before = doors.snapshot(ref)
    refused = alice.post(f"/arenden/{ref}/atgard", fields, now="2026-03-02T10:06")
    assert refused.status_code == 409
    assert "har ändrats" in alert_of(refused.text)
    assert doors.snapshot(ref) == before


@pytest.mark.parametrize(("user", "status"), [("lisa", 403), ("bob", 404)])
def test_a_reader_or_another_team_gets_no_preview(doors, user, status):
    ref = ready_for_uppmaning(doors)
    alice = doors.browser("alice", now="2026-03-02T10:00")
    fields = alice.form(f"/arenden/{ref}", f"/arenden/{ref}/atgard",
                        match={"event": "issue_uppmaning"}, now="2026-03-02T10:00")  # fmt: skip
    assert fields["preview"] == "1"
    other = doors.browser(user, now="2026-03-02T10:00")
    before = doors.snapshot(ref)
    refused = other.post(f"/arenden/{ref}/atgard", {**fields, "csrf_token": other.csrf},
                         now="2026-03-02T10:01")  # fmt: skip
    assert refused.status_code == status
    assert "data:image/png" not in refused.text and "Bekräfta och skapa brev" not in refused.text
    assert doors.snapshot(ref) == before


def test_an_action_without_letters_is_done_at_once_and_one_with_a_letter_is_previewed(doors):
    ref = ready_for_uppmaning(doors)
    alice = doors.browser("alice", now="2026-03-02T10:00")
    page = alice.get(f"/arenden/{ref}", now="2026-03-02T10:00").text
    action = f"/arenden/{ref}/atgard"
    assert "preview" not in form_fields(page, action, {"event": "mark_unreachable"})
    assert form_fields(page, action, {"event": "record_contact"})["preview"] == "1"
    contact = {"event": "record_contact"}
    by_phone = alice.submit(f"/arenden/{ref}", f"/arenden/{ref}/atgard", match=contact,
                            fill={"param_channel": "phone"}, now="2026-03-02T10:00")  # fmt: skip
    assert by_phone.status_code == 303  # no letter this time: done at once, as before
    assert alice.document(ref, now="2026-03-02T10:01")["tracks"]["customer"]["state"] == "contacted"


def test_a_contact_by_letter_shows_the_letter_first(doors):
    ref = ready_for_uppmaning(doors)
    alice = doors.browser("alice", now="2026-03-02T10:00")
    by_letter = alice.submit(f"/arenden/{ref}", f"/arenden/{ref}/atgard",
                             match={"event": "record_contact"}, fill={"param_channel": "letter"},
                             now="2026-03-02T10:00")  # fmt: skip
    assert by_letter.status_code == 200, alert_of(by_letter.text)
    fields = confirm_form(by_letter.text, ref)
    assert fields["param_channel"] == "letter"  # what was typed travels with the confirmation
    assert "Kontaktbrev" in page_text(by_letter.text) or "kontakt" in page_text(by_letter.text)
    done = alice.post(f"/arenden/{ref}/atgard", fields, now="2026-03-02T10:01")
    assert done.status_code == 303
    letters = alice.document(ref, now="2026-03-02T10:02")["letters"]
    assert [x["template"] for x in letters].count("kontaktbrev") == 1


# --- a termination needs a written reason -------------------------------------------------------------

REASON_NEEDED = "kräver en skriftlig motivering"


def termination_ready(doors: Doors) -> str:
    """Uppmaning and notice sent, and a new incident afterwards: `terminate` may be done."""
    ref = ready_for_uppmaning(doors)
    document = doors.cli_json("case", "fire", ref, "issue_uppmaning", now="2026-03-02T10:00")
    uppmaning = letter_of(document, "uppmaning")["id"]
    doors.cli_json("letter", "sent", str(uppmaning), "--all-from-step", "--method",
                   "rekommenderat", now="2026-03-02T11:00")  # fmt: skip
    doors.cli_json("incident", "add", ref, "--at", "2026-03-04T23:30", "--kind", "noise",
                   "--text", "Ny fest trots uppmaning", "--verified-by", "staff",
                   now="2026-03-05T08:00")  # fmt: skip
    assert (
        doors.show(ref, now="2026-03-05T08:01")["tracks"]["legal"]["state"] == "termination_ready"
    )
    return ref


def test_a_termination_without_a_reason_is_refused_at_every_door(doors):
    ref = termination_ready(doors)
    before = doors.snapshot(ref)

    said = cli_refused(doors.cli("case", "fire", ref, "terminate", now="2026-03-05T09:00"))
    assert REASON_NEEDED in said and "Säg upp (förverkande)" in said and "--reason" in said

    body = {"event": "terminate", "reason": "   ", "expected_version": before["version"]}
    response = doors.api(
        "alice", "POST", f"/api/cases/{ref}/events", json=body, now="2026-03-05T09:00"
    )
    message = api_refused(response, (400,))
    assert REASON_NEEDED in message and "--reason" not in message

    alice = doors.browser("alice", now="2026-03-05T09:00")
    page = alice.get(f"/arenden/{ref}", now="2026-03-05T09:00").text
    assert 'name="reason" rows="2" required' in page  # the form asks for it
    refused = alice.submit(f"/arenden/{ref}", f"/arenden/{ref}/atgard",
                           match={"event": "terminate"}, now="2026-03-05T09:00")  # fmt: skip
    assert refused.status_code == 400 and REASON_NEEDED in alert_of(refused.text)
    assert doors.snapshot(ref) == before

    with_reason = alice.submit(f"/arenden/{ref}", f"/arenden/{ref}/atgard",
                               match={"event": "terminate"},
                               fill={"reason": "Ny fest efter uppmaningen; grund för förverkande."},
                               now="2026-03-05T09:00")  # fmt: skip
    assert with_reason.status_code == 200, alert_of(with_reason.text)
    assert "Motivering: Ny fest efter uppmaningen" in page_text(with_reason.text)
    done = alice.post(f"/arenden/{ref}/atgard", confirm_form(with_reason.text, ref),
                      now="2026-03-05T09:01")  # fmt: skip
    assert done.status_code == 303
    document = alice.document(ref, now="2026-03-05T09:02")
    assert document["tracks"]["legal"]["state"] == "terminated"
    assert document["journal"][-1]["reason"] == "Ny fest efter uppmaningen; grund för förverkande."


def test_every_termination_of_the_shipped_workflows_requires_a_reason(doors):
    with doors.app.db.read() as session:
        for case_type in ("storning", "hyresskuld"):
            workflow = doors.app.registry.latest(session, case_type)
            terminations = [
                t
                for track in workflow.tracks.values()
                for t in track.transitions
                if t.event in ("terminate", "terminate_term_end")
            ]
            assert terminations and all(t.requires_reason for t in terminations), case_type


# --- an override always needed a written reason ------------------------------------------------------


def test_an_override_without_a_written_reason_is_refused(doors):
    ref = doors.open_case(now="2026-03-02T09:00")["ref"]
    doors.cli_json("incident", "add", ref, "--at", "2026-03-01T23:40", "--kind", "noise",
                   "--text", "Hög musik enligt granne", now="2026-03-02T09:30")  # fmt: skip
    now = instant("2026-03-02T10:00")
    for blank in (None, "", "   \n "):
        for look in (services.preview_event, services.fire_event):
            with pytest.raises(GuardBlocked, match="RH 2018:23"):
                look(doors.app, "carl", now, ref, "issue_uppmaning", override=blank)
    # through the web: the chef's override form asks for the reason, and an empty one is refused
    carl = doors.browser("carl", now="2026-03-02T10:00")
    match = {"event": "issue_uppmaning"}
    fields = carl.form(f"/arenden/{ref}", f"/arenden/{ref}/atgard", match=match,
                       now="2026-03-02T10:00")  # fmt: skip
    assert "override" in fields
    refused = carl.post(
        f"/arenden/{ref}/atgard", {**fields, "override": " "}, now="2026-03-02T10:00"
    )
    assert refused.status_code == 409 and "RH 2018:23" in alert_of(refused.text)
    # with a reason: previewed, then done, and the reason is journaled
    written = "Grannen har ljudinspelning; jouren kunde inte komma."
    shown = carl.post(
        f"/arenden/{ref}/atgard", {**fields, "override": written}, now="2026-03-02T10:00"
    )
    assert shown.status_code == 200 and f"Spärren åsidosätts: {written}" in page_text(shown.text)
    done = carl.post(
        f"/arenden/{ref}/atgard", confirm_form(shown.text, ref), now="2026-03-02T10:01"
    )
    assert done.status_code == 303
    journal = carl.document(ref, now="2026-03-02T10:02")["journal"]
    assert [e["override"] for e in journal if e["event"] == "issue_uppmaning"] == [written]


def test_an_officer_may_not_preview_an_override(doors):
    ref = doors.open_case(now="2026-03-02T09:00")["ref"]
    doors.cli_json("incident", "add", ref, "--at", "2026-03-01T23:40", "--kind", "noise",
                   "--text", "Hög musik enligt granne", now="2026-03-02T09:30")  # fmt: skip
    for look in (services.preview_event, services.fire_event):
        with pytest.raises(PermissionDenied, match="åsidosätta"):
            look(doors.app, "alice", instant("2026-03-02T10:00"), ref, "issue_uppmaning",
                 override="Muntligt")  # fmt: skip


# --- the CLI and the API (a preview is not only a web thing) ------------------------------------------


def test_the_cli_previews_the_letters_as_pdf_files_and_keeps_nothing(doors, tmp_path):
    ref = ready_for_uppmaning(doors)
    before = everything(doors)
    out = tmp_path / "utkast"
    preview = doors.cli_json("case", "fire", ref, "issue_uppmaning", "--preview", "--out",
                             str(out), now="2026-03-02T10:00")  # fmt: skip
    assert preview["stored"] is False
    assert everything(doors) == before
    drafted = {(x["template"], x["title"], x["to"]) for x in preview["letters"]}
    assert drafted == UPPMANING_LETTERS
    for letter in preview["letters"]:
        assert "pdf" not in letter
        written = (out / letter["file"].rsplit("/", 1)[-1]).read_bytes()
        assert written.startswith(b"%PDF")
        if letter["template"] == "uppmaning":
            assert "Johan Nilsson" in pdf_text(written)
            assert COMPLAINANT not in pdf_text(written)
    human = doors.cli("case", "fire", ref, "issue_uppmaning", "--preview", now="2026-03-02T10:00")
    assert human.exit_code == 0 and "ingenting har sparats" in human.stdout
    assert "Uppmaning att vidta rättelse till Johan Nilsson" in human.stdout
    assert everything(doors) == before
    assert access_actions(doors).count("fire_preview") == 2


def test_the_cli_refuses_out_without_preview_and_a_reader_gets_no_preview(doors, tmp_path):
    ref = ready_for_uppmaning(doors)
    before = everything(doors)
    out = tmp_path / "utkast"
    refused = doors.cli("case", "fire", ref, "issue_uppmaning", "--out", str(out),
                        now="2026-03-02T10:00")  # fmt: skip
    assert refused.exit_code == 2 and "--out används bara med --preview" in refused.stderr
    reader = doors.cli("case", "fire", ref, "issue_uppmaning", "--preview", "--out", str(out),
                       now="2026-03-02T10:00", user="lisa")  # fmt: skip
    assert cli_refused(reader)
    assert everything(doors) == before
    assert not out.exists()


def but_tokens(rows: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """The rows without the API tokens (made on first use, and stamped with their last use)."""
    return {name: table for name, table in rows.items() if name != "api_tokens"}


def test_the_api_previews_with_the_version_seen_and_keeps_nothing(doors):
    ref = ready_for_uppmaning(doors)
    version = doors.version(ref)
    before = but_tokens(everything(doors))
    body = {"event": "issue_uppmaning", "expected_version": version}
    response = doors.api("alice", "POST", f"/api/cases/{ref}/events/preview", json=body,
                         now="2026-03-02T10:00")  # fmt: skip
    assert response.status_code == 200, response.text
    preview = response.json()
    assert preview["stored"] is False and preview["version"] == version
    assert {(x["template"], x["title"], x["to"]) for x in preview["letters"]} == UPPMANING_LETTERS
    uppmaning = base64.b64decode(letter_of(preview, "uppmaning")["pdf_base64"])
    assert uppmaning.startswith(b"%PDF") and COMPLAINANT not in pdf_text(uppmaning)
    assert but_tokens(everything(doors)) == before
    stale = {"event": "issue_uppmaning", "expected_version": version + 1}
    assert api_refused(doors.api("alice", "POST", f"/api/cases/{ref}/events/preview", json=stale,
                                 now="2026-03-02T10:00"), (409,))  # fmt: skip
    reader = doors.api("lisa", "POST", f"/api/cases/{ref}/events/preview", json=body,
                       now="2026-03-02T10:00")  # fmt: skip
    assert api_refused(reader, (403, 404))
    assert but_tokens(everything(doors)) == before
