"""Incidents (issue 10 item 4): the time is never defaulted, a day with an unknown time is "tid
okänd", an end time must follow the start, and an officer can correct an incident — journaled with
who, when and why, shown in the report, while letters already sent keep their text.

T0 is Monday 2 March 2026, 09:00 (Europe/Stockholm, UTC+1).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO

import pytest
from pypdf import PdfReader

from storning import services
from storning.errors import InvalidInput, NotFound, PermissionDenied
from tests.conftest import ZONE, at
from tests.helpers import GROUNDS, letter_id, open_storning, states


def _text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def test_a_bare_date_is_a_day_with_an_unknown_time_and_never_after_a_letter_that_day(app):
    """The uppmaning is sent 3 March at 10:00; a disturbance "on 3 March, time unknown" counts from
    00:00 that day, so it is not a ground; with its time (21:30) it is."""
    ref = open_storning(app)["ref"]
    services.add_incident(
        app, "alice", at(0, 1), ref, at="2026-03-01T22:00", kind="noise", text="Fest",
        verified_by="jour",
    )  # fmt: skip
    doc = services.fire_event(app, "alice", at(0, 2), ref, "issue_uppmaning")
    services.mark_letter_sent(
        app, "alice", at(1, 2), letter_id(doc, "uppmaning"), method="rekommenderat",
        at="2026-03-03T10:00",
    )  # fmt: skip
    doc = services.add_incident(
        app, "alice", at(2), ref, at="2026-03-03", kind="noise", text="Musik, okänd tid",
        verified_by="jour",
    )  # fmt: skip
    unknown = doc["incidents"][-1]
    assert unknown["time_known"] is False and unknown["at"] == "2026-03-03T00:00:00+01:00"
    assert states(doc)["legal"] == "uppmaning_issued"
    doc = services.add_incident(
        app, "alice", at(2, 1), ref, at="2026-03-03T21:30", ends_at="2026-03-03T23:15",
        kind="noise", text="Musik till 23.15", verified_by="jour",
    )  # fmt: skip
    assert states(doc)["legal"] == "termination_ready"
    assert doc["incidents"][-1]["ends_at"] == "2026-03-03T23:15:00+01:00"
    services.mark_letter_sent(
        app, "alice", at(2, 2), letter_id(doc, "underrattelse_socialnamnd"), method="rekommenderat"
    )
    doc = services.fire_event(app, "alice", at(3), ref, "terminate", reason=GROUNDS)
    text = _text(services.letter_pdf(app, "alice", at(3), letter_id(doc, "uppsagning")).data)
    squeezed = "".join(text.split())  # the narrow time column wraps lines
    assert "tidokänd" in squeezed and "21.30–23.15" in squeezed


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-03-01T22:00", "2026-03-01T21:00", "före starttiden"),  # ends before it began
        ("2026-03-01T22:00", "2026-03-02", "klockslag"),  # an end needs a time of day
        ("2026-03-02T08:00", "2026-03-02T10:00", "framtiden"),  # ends after now (09:00)
    ],
)
def test_an_impossible_end_time_is_refused_and_nothing_is_written(app, start, end, message):
    doc = open_storning(app)
    with pytest.raises(InvalidInput, match=message):
        services.add_incident(
            app, "alice", at(0), doc["ref"], at=start, ends_at=end,
            kind="noise", text="Musik",
        )  # fmt: skip
    assert services.show_case(app, "alice", at(0), doc["ref"])["version"] == doc["version"]


def test_an_officer_corrects_an_incident_and_the_report_shows_it(app):
    ref = open_storning(app)["ref"]
    doc = services.add_incident(
        app, "alice", at(0, 1), ref, at="2026-03-01T22:00", kind="noise", text="Fest",
        verified_by="jour", reporter="Greta Granne",
    )  # fmt: skip
    incident = doc["incidents"][-1]["id"]
    with pytest.raises(InvalidInput, match="Motiveringen saknas"):
        services.correct_incident(
            app, "alice", at(0, 2), ref, incident, reason="", changes={"text": "x"}
        )
    doc = services.correct_incident(
        app, "alice", at(0, 2), ref, incident, reason="Fel klockslag i jourrapporten",
        changes={"at": "2026-03-01T23:40", "text": "Fest med hög musik"},
    )  # fmt: skip
    fixed = doc["incidents"][-1]
    assert fixed["at"] == "2026-03-01T23:40:00+01:00" and fixed["text"] == "Fest med hög musik"
    assert fixed["corrected_by"] == "alice"
    entry = doc["journal"][-1]
    assert entry["event"] == "incident_corrected" and entry["actor"] == "alice"
    assert entry["params"]["before"] == {"at": "2026-03-01T22:00:00+01:00", "text": "Fest"}
    assert entry["params"]["reason"] == "Fel klockslag i jourrapporten"
    report = _text(services.compile_report(app, "alice", at(1), ref))
    assert "Rättade händelser" in report and "Fel klockslag i jourrapporten" in report
    assert "2026-03-01 22:00" in report and "2026-03-01 23:40" in report


def test_a_correction_of_the_reporter_never_writes_the_name_into_the_journal(app):
    ref = open_storning(app)["ref"]
    doc = services.add_incident(
        app, "alice", at(0, 1), ref, at="2026-03-01T22:00", kind="noise", text="Fest",
    )  # fmt: skip
    doc = services.correct_incident(
        app, "alice", at(0, 2), ref, doc["incidents"][-1]["id"], reason="Anmälaren var fel",
        changes={"reporter": "Hemlig Granne"},
    )  # fmt: skip
    assert "Hemlig Granne" not in str(doc["journal"])
    assert doc["journal"][-1]["params"]["reporter_changed"] is True
    reader = services.show_case(app, "lisa", at(1), ref)
    assert "Hemlig Granne" not in str(reader)


def test_a_sent_letter_keeps_its_text_after_a_correction(app):
    ref = open_storning(app)["ref"]
    doc = services.add_incident(
        app, "alice", at(0, 1), ref, at="2026-03-01T22:00", kind="noise", text="Fest i trapphuset",
        verified_by="jour",
    )  # fmt: skip
    doc = services.fire_event(app, "alice", at(0, 2), ref, "issue_uppmaning")
    uppmaning = letter_id(doc, "uppmaning")
    services.mark_letter_sent(app, "alice", at(1), uppmaning, method="rekommenderat")
    services.correct_incident(
        app, "alice", at(1, 1), ref, doc["incidents"][-1]["id"], reason="Stavfel",
        changes={"text": "Fest på gården"},
    )  # fmt: skip
    sent = _text(services.letter_pdf(app, "alice", at(2), uppmaning).data)
    assert "Fest i trapphuset" in sent and "Fest på gården" not in sent


def test_only_those_who_may_change_the_case_correct_its_incidents(app):
    ref = open_storning(app)["ref"]
    doc = services.add_incident(
        app, "alice", at(0, 1), ref, at="2026-03-01T22:00", kind="noise", text="Fest",
    )  # fmt: skip
    incident = doc["incidents"][-1]["id"]
    with pytest.raises(PermissionDenied):
        services.correct_incident(
            app, "lisa", at(1), ref, incident, reason="x", changes={"text": "y"}
        )
    with pytest.raises(NotFound):
        services.correct_incident(
            app, "bob", at(1), ref, incident, reason="x", changes={"text": "y"}
        )
    with pytest.raises(NotFound, match="ingen störning med id"):
        services.correct_incident(
            app, "alice", at(1), ref, incident + 1000, reason="x", changes={"text": "y"}
        )


def test_a_corrected_time_moves_an_incident_across_the_uppmaning(app):
    """12:42 1 st 9 p: only what happens after the uppmaning is a ground for forfeiture. An incident
    recorded as after it, then corrected to a time before it, is no longer a ground, and the
    termination is blocked; corrected back to after it, it is a ground again."""
    from storning.errors import GuardBlocked

    start = datetime(2026, 3, 2, 9, tzinfo=ZONE)
    ref = open_storning(app, now=start)["ref"]
    services.add_incident(
        app, "alice", start, ref, at="2026-03-01T23:00", kind="noise", text="Fest",
        verified_by="jour",
    )  # fmt: skip
    doc = services.fire_event(app, "alice", start + timedelta(minutes=5), ref, "issue_uppmaning")
    for template in ("uppmaning", "underrattelse_socialnamnd"):
        services.mark_letter_sent(
            app, "alice", start + timedelta(hours=1), letter_id(doc, template),
            method="rekommenderat", at="2026-03-02T10:00",
        )  # fmt: skip
    doc = services.add_incident(
        app, "alice", datetime(2026, 3, 5, 9, tzinfo=ZONE), ref, at="2026-03-04T23:30",
        kind="noise", text="Ny fest", verified_by="jour",
    )  # fmt: skip
    new_id = max(i["id"] for i in doc["incidents"])
    assert doc["tracks"]["legal"]["state"] == "termination_ready"
    assert new_id in doc["facts"]["ground_incidents"]

    # Corrected: it was the night before the uppmaning was sent (1 March 23:30 < 2 March 10:00).
    doc = services.correct_incident(
        app, "alice", datetime(2026, 3, 5, 10, tzinfo=ZONE), ref, new_id,
        changes={"at": "2026-03-01T23:30"}, reason="Fel datum i jourrapporten",
    )  # fmt: skip
    assert new_id not in doc["facts"].get("ground_incidents", [])
    with pytest.raises(GuardBlocked, match="efter att uppmaningen gavs"):
        services.fire_event(
            app, "alice", datetime(2026, 3, 5, 11, tzinfo=ZONE), ref, "terminate", reason=GROUNDS
        )

    # Corrected back to 4 March: a ground again.
    doc = services.correct_incident(
        app, "alice", datetime(2026, 3, 5, 12, tzinfo=ZONE), ref, new_id,
        changes={"at": "2026-03-04T23:30"}, reason="Jouren bekräftade 4 mars",
    )  # fmt: skip
    assert new_id in doc["facts"]["ground_incidents"]
    doc = services.fire_event(
        app, "alice", datetime(2026, 3, 5, 13, tzinfo=ZONE), ref, "terminate", reason=GROUNDS
    )
    assert doc["tracks"]["legal"]["state"] == "terminated"
