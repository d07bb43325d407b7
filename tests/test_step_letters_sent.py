"""Marking the letters of one step sent at once (issue 12 item 5): the uppmaning and the notice to
socialnämnden that one click drafted are sent on one day with one method, through every door. Each
letter's own rules still apply, in one transaction: if one letter is refused, none is marked."""

from __future__ import annotations

import pytest

from storning import services
from storning.errors import InvalidInput, NotFound, PermissionDenied
from tests.conftest import at
from tests.doors import (
    Doors,
    alert_of,
    api_refused,
    cli_refused,
    form_fields,
    has_form,
    letter_of,
    open_doors,
)
from tests.helpers import letter_id, open_storning, states


@pytest.fixture
def doors(app, db_url, monkeypatch):
    with open_doors(app, db_url, monkeypatch) as d:
        yield d


def uppmaning_issued(app, **case):
    """A case whose uppmaning and notice to socialnämnden are drafted (one step), nothing sent."""
    ref = open_storning(app, **case)["ref"]
    services.add_incident(app, "alice", at(0, 1), ref, at=at(-1), kind="noise", text="Fest",
                          verified_by="jour")  # fmt: skip
    return services.fire_event(app, "alice", at(0, 2), ref, "issue_uppmaning")


def test_the_uppmaning_and_the_notice_are_sent_together(app):
    doc = uppmaning_issued(app)
    ref, version = doc["ref"], doc["version"]
    step = {x["step"] for x in doc["letters"] if x["template"] != "bekraftelse"}
    assert len(step) == 1 and None not in step  # one step drafted both
    sent = services.mark_step_letters_sent(app, "alice", at(0, 3), letter_id(doc, "uppmaning"),
                                           method="rekommenderat", at="2026-03-02",
                                           expected_version=version)  # fmt: skip
    assert [x["template"] for x in sent] == ["uppmaning", "underrattelse_socialnamnd"]
    assert {(x["sent_method"], x["sent_at"]) for x in sent} == {
        ("rekommenderat", at(0, 3).isoformat())
    }
    after = services.show_case(app, "alice", at(0, 4), ref)
    assert after["version"] == version + 1  # one change
    assert states(after)["authority"] == "notified"  # the tracks reacted to each letter
    assert after["facts"]["uppmaning_given_at"] == at(0, 3).isoformat()
    records = [e for e in after["journal"] if e["event"] == "letter_sent" and e["track"] is None]
    assert len(records) == 2  # one record for each letter
    bekraftelse = letter_of(after, "bekraftelse")
    assert bekraftelse["sent_at"] is None and bekraftelse["step"] is None  # not of the step


def test_a_date_before_the_letters_were_drafted_is_refused_and_none_is_marked(app):
    doc = uppmaning_issued(app)
    with pytest.raises(InvalidInput) as refused:
        services.mark_step_letters_sent(app, "alice", at(0, 3), letter_id(doc, "uppmaning"),
                                        method="rekommenderat", at="2026-03-01")  # fmt: skip
    message = str(refused.value)
    assert "Uppmaning att vidta rättelse (brev" in message  # the letter
    assert "ligger före dagen då brevet upprättades" in message  # and the rule
    letters = services.list_letters(app, "alice", at(0, 4), doc["ref"])
    assert all(x["sent_at"] is None for x in letters)


def test_a_termination_to_the_end_of_the_term_only_goes_by_registered_letter_for_every_holder(app):
    doc = uppmaning_issued(app, co_tenants=["Alex Hyresgäst"])
    ref = doc["ref"]
    services.mark_step_letters_sent(app, "alice", at(0, 3), letter_id(doc, "uppmaning"),
                                    method="rekommenderat")  # fmt: skip
    doc = services.fire_event(app, "alice", at(1), ref, "terminate_term_end",
                              reason="Störningarna fortsätter trots uppmaningen.")  # fmt: skip
    terminations = [x for x in doc["letters"] if x["template"] == "uppsagning_hyrestid"]
    assert [x["to"] for x in terminations] == ["Kim Hyresgäst", "Alex Hyresgäst"]
    with pytest.raises(InvalidInput, match=r"12 kap\. 8 § jordabalken"):
        services.mark_step_letters_sent(app, "alice", at(1, 1), terminations[1]["id"],
                                        method="vanligt")  # fmt: skip
    assert all(x["sent_at"] is None for x in services.list_letters(app, "alice", at(1, 2), ref)
               if x["template"] == "uppsagning_hyrestid")  # fmt: skip
    sent = services.mark_step_letters_sent(app, "alice", at(1, 2), terminations[1]["id"],
                                           method="rekommenderat")  # fmt: skip
    assert [x["to"] for x in sent] == ["Kim Hyresgäst", "Alex Hyresgäst"]
    assert services.show_case(app, "alice", at(1, 3), ref)["facts"]["termination_effective_on"]


def test_only_the_letters_of_the_step_not_yet_sent_are_marked(app):
    doc = uppmaning_issued(app)
    notice = letter_id(doc, "underrattelse_socialnamnd")
    services.mark_letter_sent(app, "alice", at(0, 3), notice, method="vanligt")
    sent = services.mark_step_letters_sent(app, "alice", at(0, 4), notice, method="rekommenderat")
    assert [x["template"] for x in sent] == ["uppmaning"]
    with pytest.raises(InvalidInput, match="redan markerade som skickade"):
        services.mark_step_letters_sent(app, "alice", at(0, 5), notice, method="rekommenderat")
    # a letter made by hand is its own step
    diary = services.create_letter(app, "alice", at(0, 6), doc["ref"], "storningsdagbok")
    sent = services.mark_step_letters_sent(app, "alice", at(0, 7), diary["id"], method="vanligt")
    assert [x["id"] for x in sent] == [diary["id"]]


@pytest.mark.parametrize(
    ("user", "error"), [("lisa", PermissionDenied), ("bob", NotFound)]
)  # fmt: skip
def test_whoever_may_not_mark_a_letter_sent_may_not_mark_the_step(app, user, error):
    doc = uppmaning_issued(app)
    with pytest.raises(error):
        services.mark_step_letters_sent(app, user, at(0, 3), letter_id(doc, "uppmaning"),
                                        method="rekommenderat")  # fmt: skip
    letters = services.list_letters(app, "alice", at(0, 4), doc["ref"])
    assert all(x["sent_at"] is None for x in letters)


# --- the doors --------------------------------------------------------------------------------------


def issued_by_cli(doors: Doors) -> tuple[str, dict[str, object]]:
    ref = doors.open_case(now="2026-03-02T09:00")["ref"]
    doors.cli_json("incident", "add", ref, "--at", "2026-03-01T23:40", "--kind", "noise",
                   "--text", "Fest", "--verified-by", "jour", now="2026-03-02T09:30")  # fmt: skip
    document = doors.cli_json("case", "fire", ref, "issue_uppmaning", now="2026-03-02T10:00")
    return ref, document


def test_the_cli_marks_the_step_sent(doors):
    ref, document = issued_by_cli(doors)
    uppmaning = str(letter_of(document, "uppmaning")["id"])
    usage = doors.cli("letter", "sent", uppmaning, "--all-from-step", "--method", "vanligt",
                      "--delivered-on", "2026-03-03", now="2026-03-02T11:00")  # fmt: skip
    assert usage.exit_code == 2 and "letter delivered" in usage.stderr
    early = doors.cli("letter", "sent", uppmaning, "--all-from-step", "--method", "vanligt",
                      "--at", "2026-03-01", now="2026-03-02T11:00")  # fmt: skip
    assert "dagen då brevet upprättades" in cli_refused(early)
    done = doors.cli("letter", "sent", uppmaning, "--all-from-step", "--method", "rekommenderat",
                     now="2026-03-02T11:00")  # fmt: skip
    assert done.exit_code == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"Brev {uppmaning} (uppmaning, till Kim")
    assert "underrattelse_socialnamnd" in lines[1] and "skickat 2026-03-02" in lines[1]
    listed = doors.cli_json("letter", "list", ref, now="2026-03-02T11:01")
    assert {x["template"] for x in listed if x["sent_at"]} == {
        "uppmaning",
        "underrattelse_socialnamnd",
    }


def test_the_api_marks_the_step_sent(doors):
    ref, document = issued_by_cli(doors)
    uppmaning = letter_of(document, "uppmaning")["id"]
    url = f"/api/letters/{uppmaning}/step/sent"
    stale = {"method": "rekommenderat", "expected_version": int(document["version"]) - 1}
    api_refused(doors.api("alice", "POST", url, json=stale, now="2026-03-02T11:00"), (409,))
    body = {"method": "rekommenderat", "at": "2026-03-02", "expected_version": document["version"]}
    refused = doors.api("lisa", "POST", url, json=body, now="2026-03-02T11:00")
    assert "läsbehörighet" in api_refused(refused, (403,))
    response = doors.api("alice", "POST", url, json=body, now="2026-03-02T11:00")
    assert response.status_code == 200, response.text
    assert [x["template"] for x in response.json()] == ["uppmaning", "underrattelse_socialnamnd"]
    letters = doors.api("alice", "GET", f"/api/cases/{ref}/letters", now="2026-03-02T11:01").json()
    assert [x["status"] for x in letters if x["template"] != "bekraftelse"] == ["sent", "sent"]


def test_the_case_page_offers_one_form_for_the_letters_of_the_step(doors):
    ref, document = issued_by_cli(doors)
    uppmaning = letter_of(document, "uppmaning")["id"]
    action = f"/arenden/{ref}/brev/{uppmaning}/skickat-alla"
    alice = doors.browser("alice", now="2026-03-02T11:00")
    page = alice.get(f"/arenden/{ref}", now="2026-03-02T11:00").text
    assert "Markera alla brev från steget skickade (2)" in page
    fields = form_fields(page, action)
    assert fields["method"] == "rekommenderat" and fields["date"] == "2026-03-02"
    early = alice.post(action, {**fields, "date": "2026-03-01"}, now="2026-03-02T11:00")
    assert early.status_code == 400 and "dagen då brevet upprättades" in alert_of(early.text)
    done = alice.post(action, fields, now="2026-03-02T11:00")
    assert done.status_code == 303 and done.headers["location"] == f"/arenden/{ref}#brev"
    page = alice.get(f"/arenden/{ref}", now="2026-03-02T11:01").text
    assert "2 brev är markerade som skickade" in page
    assert not has_form(page, action)  # nothing left to send together
    lisa = doors.browser("lisa", now="2026-03-02T11:00")
    assert "Markera alla brev" not in lisa.get(f"/arenden/{ref}", now="2026-03-02T11:00").text
