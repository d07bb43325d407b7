"""After the termination (issue 10 item 8 and the household): the application to Kronofogden after a
termination to the end of the term, Kronofogden's periods as reminders, and the spouse or sambo who is
not a contract holder.

Sources (DOMAIN §4, ../shared/reference/jb12-extract.txt):
- 16 kap. 3 § utsökningsbalken: an eviction should if possible take place within four weeks.
- 12 kap. 47 § and 49 § andra stycket JB: a spouse or sambo who is not a contract holder must be asked
  to move within one month after the tenancy ended (scope for forfeiture not settled: a reminder).
- lag 1930:173 1 §: a period in weeks ends on the same weekday, one in months on the same date (or the
  month's last day); 2 §: a last day on a Saturday, Sunday or holiday moves to the next weekday.
Every expected date is derived in a comment.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO

import pytest
from pypdf import PdfReader

from storning import services
from storning.errors import EventNotAvailable, GuardBlocked, InvalidInput
from tests.conftest import ZONE
from tests.helpers import GROUNDS, letter_id, open_storning, states


def moment(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=ZONE)


def pending(doc: dict, name: str) -> set[str]:
    return {
        t["due_on"]
        for t in doc["timers"]
        if t["name"] == name and t["status"] == "pending" and t["kind"] != "before"
    }


def _pdf_text(app, letter: int, when: datetime) -> str:
    pdf = services.letter_pdf(app, "alice", when, letter).data
    return " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def _uppmaning_and_notice(app, ref: str, when: datetime) -> None:
    services.add_incident(
        app, "alice", when, ref, at=when - timedelta(days=1), kind="noise", text="Fest till 03",
        verified_by="jour",
    )  # fmt: skip
    doc = services.fire_event(app, "alice", when + timedelta(minutes=5), ref, "issue_uppmaning")
    for template in ("uppmaning", "underrattelse_socialnamnd"):
        services.mark_letter_sent(
            app, "alice", when + timedelta(minutes=10), letter_id(doc, template),
            method="rekommenderat",
        )  # fmt: skip


def _severe_terminated(app, *, sambo: str | None = None, serve: bool = True) -> tuple[str, dict]:
    """A severe case (violence Tue 31 Aug 2027, police report) terminated Thu 2 Sep 2027 and, unless
    `serve` is false, served Fri 3 Sep 2027 and recorded as served Mon 6 Sep."""
    ref = open_storning(app, now=moment("2027-09-01"))["ref"]
    if sambo:
        services.fire_event(
            app, "alice", moment("2027-09-01", 9), ref, "record_household_member",
            params={"name": sambo},
        )  # fmt: skip
    services.add_incident(
        app, "alice", moment("2027-09-01", 10), ref, at=moment("2027-08-31", 23), kind="violence",
        text="Misshandel i trapphuset", verified_by="police",
    )  # fmt: skip
    services.fire_event(app, "alice", moment("2027-09-01", 11), ref, "classify_severe")
    doc = services.fire_event(app, "alice", moment("2027-09-02"), ref, "terminate", reason=GROUNDS)
    if serve:
        services.mark_letter_served(
            app, "alice", moment("2027-09-03", 15), letter_id(doc, "uppsagning"), at="2027-09-03",
            proof="Delgivningskvitto",
        )  # fmt: skip
        doc = services.fire_event(app, "alice", moment("2027-09-06"), ref, "record_service")
    return ref, doc


def test_application_after_a_term_end_termination_and_the_hyresnamnd(app):
    """Terminated to the end of the term and posted Mon 1 Feb 2027 → lease end 31 May 2027 (1 Feb +
    3 months = 1 May → end of May, 12:4); referred to the hyresnämnd Tue 1 June 2027. The application
    states the lease ended at the end of the term, not that it was forfeited, and needs no service day."""
    ref = open_storning(app, now=moment("2027-01-20"))["ref"]
    _uppmaning_and_notice(app, ref, moment("2027-01-20", 10))
    doc = services.fire_event(
        app, "alice", moment("2027-02-01"), ref, "terminate_term_end", reason=GROUNDS
    )
    services.mark_letter_sent(
        app, "alice", moment("2027-02-01", 15), letter_id(doc, "uppsagning_hyrestid"),
        method="rekommenderat", at="2027-02-01",
    )  # fmt: skip
    doc = services.fire_event(app, "alice", moment("2027-06-01"), ref, "refer_to_hyresnamnd")
    assert doc["facts"]["referred_to_hyresnamnd_on"] == "2027-06-01"
    # while the hyresnämnd has not decided, the lease has not ended: no application
    with pytest.raises(EventNotAvailable):
        services.fire_event(app, "alice", moment("2027-08-02"), ref, "apply_eviction")
    with pytest.raises(InvalidInput, match="framtiden"):
        services.fire_event(
            app, "alice", moment("2027-08-02"), ref, "hyresnamnd_terminates",
            params={"decided_on": "2027-08-20"},
        )  # fmt: skip
    services.fire_event(
        app, "alice", moment("2027-08-24"), ref, "hyresnamnd_terminates",
        params={"decided_on": "2027-08-20", "move_out_on": "2027-08-31"},
    )  # fmt: skip
    doc = services.fire_event(app, "alice", moment("2027-09-06"), ref, "apply_eviction")
    assert states(doc)["legal"] == "kronofogden"
    assert doc["facts"]["kronofogden_applied_on"] == "2027-09-06"
    text = _pdf_text(app, letter_id(doc, "ansokan_avhysning"), moment("2027-09-06", 10))
    assert "hyrestidens utgång" in text
    assert "31 maj 2027" in text and "1 juni 2027" in text
    assert "20 augusti 2027" in text and "31 augusti 2027" in text  # the decision, the move-out day
    assert "förverkad" not in text and "i förtid" not in text
    assert "19850312-1231" in text  # the tenant's personnummer, as Kronofogden requires

    # Kronofogden's periods as reminders, from the day given (16 kap. 3 § UB): decision Mon 4 Oct
    # 2027 + 4 weeks = Mon 1 Nov 2027, All Saints' Day is Sat 6 Nov that year, so a weekday: 1 Nov.
    doc = services.fire_event(
        app, "alice", moment("2027-10-05"), ref, "record_eviction_decision",
        params={"decided_on": "2027-10-04"},
    )  # fmt: skip
    assert pending(doc, "eviction_expected") == {"2027-11-01"}
    doc = services.fire_event(
        app, "alice", moment("2027-10-06"), ref, "record_eviction_date",
        params={"scheduled_on": "2027-10-27"},
    )  # fmt: skip
    assert pending(doc, "eviction_day") == {"2027-10-27"}
    assert doc["facts"]["eviction_scheduled_on"] == "2027-10-27"


def test_objection_gives_a_reminder_to_ask_for_transfer_to_the_district_court(app):
    """Told of the tenant's objection Wed 13 Oct 2027: + 4 weeks = Wed 10 Nov 2027, a weekday."""
    ref, doc = _severe_terminated(app)
    services.mark_letter_sent(
        app, "alice", moment("2027-09-06", 15), letter_id(doc, "kopia_uppsagning"),
        method="rekommenderat",
    )  # fmt: skip
    services.fire_event(app, "alice", moment("2027-09-07"), ref, "apply_eviction")
    doc = services.fire_event(
        app, "alice", moment("2027-10-13", 14), ref, "record_objection",
        params={"notified_on": "2027-10-13"},
    )  # fmt: skip
    assert doc["facts"]["court_transfer_deadline"] == "2027-11-10"
    assert pending(doc, "court_transfer") == {"2027-11-10"}


def test_a_sambo_who_is_not_a_contract_holder_gets_a_reminder_after_service(app):
    """Severe case served Fri 3 Sep 2027; a sambo is recorded. One month after the tenancy ended
    (12:49 2 st): 3 Sep + 1 month = Sun 3 Oct 2027 → the next weekday, Mon 4 Oct 2027 (1930:173 2 §)."""
    _ref, doc = _severe_terminated(app, sambo="Robin Sambo")
    assert [x["to"] for x in doc["letters"] if x["template"] == "uppsagning"] == ["Kim Hyresgäst"]
    assert doc["facts"]["household_member"] == "Robin Sambo"
    assert doc["facts"]["spouse_request_deadline"] == "2027-10-04"
    assert pending(doc, "spouse_request") == {"2027-10-04"}


def test_no_sambo_no_reminder(app):
    _ref, doc = _severe_terminated(app)
    assert not pending(doc, "spouse_request")


def test_kronofogden_dates_are_days_that_have_happened_written_as_days(app):
    ref, doc = _severe_terminated(app)
    services.mark_letter_sent(
        app, "alice", moment("2027-09-06", 15), letter_id(doc, "kopia_uppsagning"),
        method="rekommenderat",
    )  # fmt: skip
    services.fire_event(app, "alice", moment("2027-09-07"), ref, "apply_eviction")
    for bad in ("2027-10-05", "2027-01-31T25:00", 20270224, "igår"):
        with pytest.raises(InvalidInput):
            services.fire_event(
                app, "alice", moment("2027-10-01"), ref, "record_objection",
                params={"notified_on": bad},
            )  # fmt: skip


def test_a_sambo_recorded_after_service_still_gets_the_reminder(app):
    """Served Fri 3 Sep 2027; the sambo is recorded on 10 Sep: the reminder counts from the service,
    3 Sep + 1 month = Sun 3 Oct → Mon 4 Oct 2027 (1930:173 2 §), once."""
    ref, _doc = _severe_terminated(app)
    doc = services.fire_event(
        app, "alice", moment("2027-09-10"), ref, "record_household_member",
        params={"name": "Robin Sambo"},
    )  # fmt: skip
    assert pending(doc, "spouse_request") == {"2027-10-04"}
    reminders = [
        t for t in doc["timers"]
        if t["name"] == "spouse_request" and t["status"] == "pending" and t["kind"] == "reminds"
    ]  # fmt: skip
    assert len(reminders) == 1


def test_no_application_when_a_correction_took_away_the_only_ground(app):
    """12:42 1 st 9 p: forfeiture needs a disturbance after the uppmaning (or a severe one)."""
    start = moment("2026-09-01")
    ref = open_storning(app, now=start)["ref"]
    _uppmaning_and_notice(app, ref, start + timedelta(hours=1))
    doc = services.add_incident(
        app, "alice", moment("2026-09-05"), ref, at=moment("2026-09-04", 23), kind="noise",
        text="Fest", verified_by="jour",
    )  # fmt: skip
    ground = max(i["id"] for i in doc["incidents"])
    doc = services.fire_event(app, "alice", moment("2026-09-07"), ref, "terminate", reason=GROUNDS)
    services.mark_letter_served(
        app, "alice", moment("2026-09-08", 15), letter_id(doc, "uppsagning"), at="2026-09-08",
        proof="Kvitto",
    )  # fmt: skip
    services.fire_event(app, "alice", moment("2026-09-09"), ref, "record_service")
    services.correct_incident(
        app, "alice", moment("2026-09-10"), ref, ground, changes={"at": "2026-08-30T22:00"},
        reason="Fel datum",
    )  # fmt: skip
    with pytest.raises(GuardBlocked, match="forfeiture_ground"):
        services.fire_event(app, "alice", moment("2026-09-11"), ref, "apply_eviction")
