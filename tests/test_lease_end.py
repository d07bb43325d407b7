"""Termination to the end of the term: the lease end and the referral deadline count from the day the
termination is made (issue 10 item 1), and a letter is dated the day it is drafted (item 3).

The statute (../shared/reference/jb12-extract.txt, DOMAIN §4):
- 12:8: a termination sent by registered letter is made the day it is posted; one that is served, the
  day it is served.
- 12:4: an indefinite-term dwelling lease ends at the turn of the month nearest after three months from
  the termination, i.e. the last day of the month in which "termination + 3 months" falls (lag
  1930:173 1 §: a day that does not exist in the target month is its last day).
- 12:49: the dispute must be referred to the hyresnämnd no later than one month after the end of the
  term (1930:173 1 §: same clamping; 2 §: a last day on a Saturday, Sunday or holiday moves to the next
  weekday).
Every expected date below is derived in a comment from these rules, never from the product's output.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pypdf import PdfReader

from storning import services
from storning.errors import GuardBlocked, InvalidInput
from tests.conftest import ZONE
from tests.helpers import GROUNDS, letter_id, open_storning, states


def moment(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=ZONE)


def _terminated_to_term_end(app, drafted_on: str) -> tuple[str, int]:
    """A case terminated to the end of the term on `drafted_on` (09:00): uppmaning given and the notice
    to socialnämnden sent a week before. Returns (ref, the termination letter's id)."""
    start = moment(drafted_on) - timedelta(days=7)
    ref = open_storning(app, now=start)["ref"]
    services.add_incident(
        app, "alice", start + timedelta(hours=1), ref, at=start - timedelta(days=1),
        kind="noise", text="Fest till 03", verified_by="jour",
    )  # fmt: skip
    doc = services.fire_event(app, "alice", start + timedelta(hours=2), ref, "issue_uppmaning")
    for template in ("uppmaning", "underrattelse_socialnamnd"):
        services.mark_letter_sent(
            app, "alice", start + timedelta(hours=3), letter_id(doc, template),
            method="rekommenderat",
        )  # fmt: skip
    doc = services.fire_event(
        app, "alice", moment(drafted_on), ref, "terminate_term_end", reason=GROUNDS
    )
    assert states(doc)["legal"] == "term_end_terminated"
    return ref, letter_id(doc, "uppsagning_hyrestid")


def _text(app, letter: int, when: datetime) -> str:
    from io import BytesIO

    pdf = services.letter_pdf(app, "alice", when, letter).data
    return " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def test_drafted_29_january_posted_1_february_ends_31_may_and_referral_until_30_june(app):
    """The issue's case. Drafted Fri 29 Jan 2027: the draft assumes posting that day, 29 Jan + 3 months
    = 29 Apr, so the lease would end 30 Apr. Posted by registered letter Mon 1 Feb 2027: made that day
    (12:8); 1 Feb + 3 months = 1 May → the end of May, 31 May 2027 (12:4). The referral deadline is one
    month later: 31 May + 1 month → 30 June (June has no 31st), a Wednesday: 30 June 2027 (12:49)."""
    ref, letter = _terminated_to_term_end(app, "2027-01-29")
    doc = services.show_case(app, "alice", moment("2027-01-29", 10), ref)
    assert doc["facts"]["lease_end_on"] == "2027-04-30"  # provisional: the draft's own day
    assert "30 april 2027" in _text(app, letter, moment("2027-01-29", 10))

    # Recording the draft as posted on 1 Feb would tell the tenant to move a month early: refused.
    with pytest.raises(InvalidInput, match=r"31 maj 2027.*Nytt utkast"):
        services.mark_letter_sent(
            app, "alice", moment("2027-02-01", 10), letter, method="rekommenderat",
            at="2027-02-01",
        )  # fmt: skip
    after = services.show_case(app, "alice", moment("2027-02-01", 10), ref)
    assert after["version"] == doc["version"]  # nothing written

    # The officer reissues on 1 Feb: a new draft dated 1 Feb, counting from its own day.
    fresh = services.reissue_letter(app, "alice", moment("2027-02-01", 11), letter)["id"]
    doc = services.show_case(app, "alice", moment("2027-02-01", 11), ref)
    assert doc["facts"]["lease_end_on"] == "2027-05-31"
    assert doc["facts"]["referral_deadline"] == "2027-06-30"
    text = _text(app, fresh, moment("2027-02-01", 11))
    assert "31 maj 2027" in text and "30 april" not in text
    assert "1 februari 2027" in text  # dated the day it was drafted

    doc = services.mark_letter_sent(
        app, "alice", moment("2027-02-01", 16), fresh, method="rekommenderat", at="2027-02-01"
    )
    doc = services.show_case(app, "alice", moment("2027-02-01", 16), ref)
    assert doc["facts"]["termination_effective_on"] == "2027-02-01"
    assert doc["facts"]["lease_end_on"] == "2027-05-31"
    assert doc["facts"]["referral_deadline"] == "2027-06-30"
    deadline = [
        t for t in doc["timers"]
        if t["name"] == "referral_deadline" and t["status"] == "pending" and t["kind"] != "before"
    ]  # fmt: skip
    assert {t["due_on"] for t in deadline} == {"2027-06-30"}

    # A timely referral on the last day, 30 June 2027, is allowed.
    doc = services.fire_event(app, "alice", moment("2027-06-30", 15), ref, "refer_to_hyresnamnd")
    assert states(doc)["legal"] == "hyresnamnd"


@pytest.mark.parametrize(
    ("drafted", "lease_end", "referral"),
    [
        # 31 Jan 2027 + 3 months = 30 Apr (clamped) → end of April: 30 Apr; + 1 month = 30 May, a
        # Sunday → next weekday Mon 31 May 2027.
        ("2027-01-31", "2027-04-30", "2027-05-31"),
        # 28 Feb 2027 + 3 months = 28 May → end of May: 31 May; + 1 month = 30 June (clamped), Wed.
        ("2027-02-28", "2027-05-31", "2027-06-30"),
        # 29 Feb 2028 (leap day) + 3 months = 29 May → 31 May 2028; + 1 month = 30 June 2028, a Friday.
        ("2028-02-29", "2028-05-31", "2028-06-30"),
        # 30 Apr 2027 + 3 months = 30 July → 31 July 2027; + 1 month = 31 Aug 2027, a Tuesday.
        ("2027-04-30", "2027-07-31", "2027-08-31"),
    ],
)
def test_posted_the_day_it_is_drafted_over_month_ends(app, drafted, lease_end, referral):
    ref, letter = _terminated_to_term_end(app, drafted)
    services.mark_letter_sent(
        app, "alice", moment(drafted, 17), letter, method="rekommenderat", at=drafted
    )
    doc = services.show_case(app, "alice", moment(drafted, 17), ref)
    assert doc["facts"]["termination_effective_on"] == drafted
    assert doc["facts"]["lease_end_on"] == lease_end
    assert doc["facts"]["referral_deadline"] == referral


def test_a_served_termination_counts_from_the_service_day(app):
    """Drafted Mon 15 Mar 2027 and served by a stämningsman Wed 31 Mar 2027 (no registered posting):
    made on 31 Mar (12:8); 31 Mar + 3 months = 30 June (clamped) → 30 June 2027 (12:4); the draft,
    dated 15 Mar, says the same (15 Mar + 3 months = 15 June → 30 June), so service is accepted.
    Referral: 30 June + 1 month = 30 July 2027, a Friday (12:49)."""
    ref, letter = _terminated_to_term_end(app, "2027-03-15")
    services.mark_letter_served(
        app, "alice", moment("2027-04-01"), letter, at="2027-03-31", proof="Stämningsmannens intyg"
    )
    doc = services.show_case(app, "alice", moment("2027-04-01"), ref)
    assert doc["facts"]["termination_effective_on"] == "2027-03-31"
    assert doc["facts"]["lease_end_on"] == "2027-06-30"
    assert doc["facts"]["referral_deadline"] == "2027-07-30"


def test_an_ordinary_letter_or_e_mail_is_not_a_way_to_terminate(app):
    """12:8: a termination reaches the tenant by registered letter (made when posted) or by service;
    recording it as sent by ordinary letter or e-mail is refused, and nothing is written."""
    ref, letter = _terminated_to_term_end(app, "2027-03-15")
    before = services.show_case(app, "alice", moment("2027-03-16"), ref)["version"]
    for method in ("vanligt", "epost"):
        with pytest.raises(InvalidInput, match=r"12 kap\. 8 §"):
            services.mark_letter_sent(app, "alice", moment("2027-03-16"), letter, method=method)
    doc = services.show_case(app, "alice", moment("2027-03-16"), ref)
    assert doc["version"] == before and "termination_effective_on" not in doc["facts"]


def test_a_referral_after_the_recomputed_deadline_is_blocked(app):
    """Posted 1 Feb 2027 after a reissue: the deadline is 30 June 2027 (above); 1 July is too late."""
    ref, letter = _terminated_to_term_end(app, "2027-01-29")
    fresh = services.reissue_letter(app, "alice", moment("2027-02-01", 11), letter)["id"]
    services.mark_letter_sent(
        app, "alice", moment("2027-02-01", 16), fresh, method="rekommenderat", at="2027-02-01"
    )
    with pytest.raises(GuardBlocked, match="49"):
        services.fire_event(app, "alice", moment("2027-07-01", 9), ref, "refer_to_hyresnamnd")


def test_a_letter_is_dated_the_day_it_was_drafted_not_the_day_it_is_rendered(app):
    """Drafted Tue 2 Feb 2027 (the termination event drafts it); its PDF read on 10 Feb still says
    2 februari 2027. Posted by registered letter on 10 Feb: 10 Feb + 3 months = 10 May → 31 May, the
    same lease end as the draft's (2 Feb + 3 months = 2 May → 31 May), so it is accepted and frozen,
    and the archived PDF still says 2 februari 2027."""
    _ref, letter = _terminated_to_term_end(app, "2027-02-02")
    text = _text(app, letter, moment("2027-02-10"))
    assert "2 februari 2027" in text and "10 februari 2027" not in text
    services.mark_letter_sent(
        app, "alice", moment("2027-02-10", 10), letter, method="rekommenderat", at="2027-02-10"
    )
    frozen = _text(app, letter, moment("2027-02-11"))
    assert "2 februari 2027" in frozen and "10 februari 2027" not in frozen


def test_the_termination_letter_lists_each_incident_once(app):
    """An incident the same day as the uppmaning but after it was sent is a ground (after), not also
    one of the incidents before the uppmaning: the letter compares instants, not dates."""
    start = moment("2026-03-02")
    ref = open_storning(app, now=start)["ref"]
    services.add_incident(
        app, "alice", start + timedelta(hours=1), ref, at="2026-03-01T22:00", kind="noise",
        text="Fest före uppmaningen", verified_by="jour",
    )  # fmt: skip
    doc = services.fire_event(app, "alice", start + timedelta(hours=2), ref, "issue_uppmaning")
    services.mark_letter_sent(
        app, "alice", moment("2026-03-03", 10), letter_id(doc, "uppmaning"),
        method="rekommenderat", at="2026-03-03T10:00",
    )  # fmt: skip
    services.mark_letter_sent(
        app, "alice", moment("2026-03-03", 11), letter_id(doc, "underrattelse_socialnamnd"),
        method="rekommenderat",
    )  # fmt: skip
    doc = services.add_incident(
        app, "alice", moment("2026-03-03", 23), ref, at="2026-03-03T21:30", kind="noise",
        text="Samma kväll efter uppmaningen", verified_by="jour",
    )  # fmt: skip
    assert states(doc)["legal"] == "termination_ready"
    doc = services.fire_event(app, "alice", moment("2026-03-04"), ref, "terminate", reason=GROUNDS)
    text = _text(app, letter_id(doc, "uppsagning"), moment("2026-03-04"))
    assert text.count("Samma kväll efter uppmaningen") == 1
    assert text.count("Fest före uppmaningen") == 1
