"""Rent arrears (DOMAIN.md §3): forfeiture one week after the due date, the 44 § notices, the three-week
recovery period counted under lag (1930:173), two further weekdays before an eviction decision."""

from __future__ import annotations

from datetime import datetime

import pytest

from storning import services
from storning.errors import GuardBlocked
from storning.timers import run_due
from tests.conftest import ZONE
from tests.helpers import GROUNDS, action, letter_id, states


def day(text: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(text).replace(hour=hour, tzinfo=ZONE)


def open_arrears(app, due: str = "2026-11-30", amount: str = "8450", now: str = "2026-12-01"):
    new = services.NewCase(
        case_type="hyresskuld",
        tenant="Kim Hyresgäst",
        address="Storgatan 1",
        apartment="1102",
        municipality="Norrköping",
        contract="1102-01",
        postal_code="602 20",
        city="Norrköping",
        personnummer="19850312-1231",  # made up (valid check digit): the Kronofogden application
        facts={"due_date": due, "amount": amount},
    )
    return services.open_case(app, "alice", day(now), new)


def forfeited(app, due="2026-11-30", now="2026-12-01"):
    from datetime import timedelta

    doc = open_arrears(app, due=due, now=now)
    later = day(due) + timedelta(days=10)
    run_due(app, later)  # the forfeiture timer fires
    doc = services.show_case(app, "alice", later, doc["ref"])
    assert states(doc)["legal"] == "forfeited"
    return doc


def test_the_forfeiture_timer_fires_after_one_week_rolled_to_a_weekday(app):
    doc = open_arrears(app, due="2026-11-30")  # Monday: one week ends Monday 7 December
    assert doc["facts"]["forfeiture_last_day"] == "2026-12-07"
    fires = [t for t in doc["timers"] if t["name"] == "forfeiture"][0]
    assert fires["due_at"] == "2026-12-08T00:00:00+01:00"
    run_due(app, day("2026-12-07", 23))
    assert (
        states(services.show_case(app, "alice", day("2026-12-07", 23), doc["ref"]))["legal"]
        == "overdue"
    )
    run_due(app, datetime(2026, 12, 8, 0, 0, tzinfo=ZONE))
    assert (
        states(services.show_case(app, "alice", day("2026-12-08"), doc["ref"]))["legal"]
        == "forfeited"
    )


def test_a_due_date_week_ending_on_christmas_eve_rolls_to_the_next_weekday(app):
    doc = open_arrears(app, due="2026-12-17", now="2026-12-18")  # + 1 week = Thu 24 Dec (julafton)
    assert doc["facts"]["forfeiture_last_day"] == "2026-12-28"


def test_payment_in_full_before_the_forfeiture_closes_the_case_as_paid(app):
    ref = open_arrears(app)["ref"]
    doc = services.fire_event(
        app,
        "alice",
        day("2026-12-03"),
        ref,
        "record_payment",
        params={"amount": "8450", "paid_on": "2026-12-02"},
    )
    assert states(doc)["legal"] == "paid" and doc["status"] == "closed"


def test_payment_before_termination_cures_the_forfeiture(app):
    ref = forfeited(app)["ref"]
    doc = services.fire_event(
        app, "alice", day("2027-02-01"), ref, "record_payment", params={"amount": "8450"}
    )
    assert states(doc)["legal"] == "paid"


def test_a_partial_payment_does_not_cure_and_termination_uses_the_balance(app):
    ref = forfeited(app)["ref"]
    doc = services.fire_event(
        app, "alice", day("2027-02-01"), ref, "record_payment", params={"amount": "2000"}
    )
    assert states(doc)["legal"] == "forfeited"
    assert doc["facts"]["balance"] == "6450"
    doc = services.fire_event(app, "alice", day("2027-02-01", 10), ref, "terminate", reason=GROUNDS)
    assert states(doc)["legal"] == "terminated"
    assert states(doc)["authority"] == "notice_drafted"
    pdf = services.letter_pdf(
        app, "alice", day("2027-02-01", 11), letter_id(doc, "uppsagning_hyresskuld")
    ).data
    from io import BytesIO

    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    assert "6 450" in text.replace("\u00a0", " ").replace("\u202f", " ")


def _terminated(app):
    ref = forfeited(app)["ref"]
    return services.fire_event(app, "alice", day("2027-02-01"), ref, "terminate", reason=GROUNDS)


def test_the_recovery_period_counts_from_the_later_notice_and_rolls_over_christmas(app):
    """DOMAIN §5: served Thu 3 Dec 2026, socialnämnden Fri 4 Dec → Fri 25 Dec → Mon 28 Dec; earliest
    eviction decision Thu 31 Dec."""
    ref = forfeited(app, due="2026-11-02", now="2026-11-03")["ref"]
    doc = services.fire_event(app, "alice", day("2026-12-01"), ref, "terminate", reason=GROUNDS)
    services.mark_letter_served(
        app,
        "alice",
        day("2026-12-03", 16),
        letter_id(doc, "uppsagning_hyresskuld"),
        at=day("2026-12-03"),
        proof="Delgivningskvitto",
    )
    blocked = action(services.show_case(app, "alice", day("2026-12-03", 17), ref), "record_service")
    assert [b["guard"] for b in blocked["blocked_by"]] == ["social_services_notice_given"]
    services.mark_letter_sent(
        app,
        "alice",
        day("2026-12-04", 10),
        letter_id(doc, "meddelande_socialnamnd_44"),
        method="rekommenderat",
        at=day("2026-12-04"),
    )
    doc = services.fire_event(app, "alice", day("2026-12-04", 11), ref, "record_service")
    assert states(doc)["legal"] == "recovery_period"
    assert states(doc)["authority"] == "notified"
    assert doc["facts"]["recovery_deadline"] == "2026-12-28"
    assert doc["facts"]["earliest_eviction_decision"] == "2026-12-31"
    expiry = [t for t in doc["timers"] if t["name"] == "recovery_end" and t["kind"] == "fires"][0]
    assert expiry["due_at"] == "2026-12-29T00:00:00+01:00"


def test_the_period_starts_only_from_proven_service(app):
    doc = _terminated(app)
    ref = doc["ref"]
    services.mark_letter_sent(
        app,
        "alice",
        day("2027-02-02"),
        letter_id(doc, "uppsagning_hyresskuld"),
        method="rekommenderat",
    )
    services.mark_letter_sent(
        app,
        "alice",
        day("2027-02-02", 10),
        letter_id(doc, "meddelande_socialnamnd_44"),
        method="rekommenderat",
    )
    doc = services.show_case(app, "alice", day("2027-02-02", 11), ref)
    assert "recovery_deadline" not in doc["facts"]
    assert [b["guard"] for b in action(doc, "record_service")["blocked_by"]] == [
        "termination_served"
    ]


def _in_recovery(app):
    doc = _terminated(app)
    ref = doc["ref"]
    services.mark_letter_served(
        app,
        "alice",
        day("2027-02-03"),
        letter_id(doc, "uppsagning_hyresskuld"),
        at=day("2027-02-03"),
    )
    services.mark_letter_sent(
        app,
        "alice",
        day("2027-02-03", 10),
        letter_id(doc, "meddelande_socialnamnd_44"),
        method="rekommenderat",
        at=day("2027-02-02"),
        delivered_on=None,
    )
    return services.fire_event(app, "alice", day("2027-02-03", 11), ref, "record_service")


def test_payment_in_full_within_the_period_keeps_the_lease(app):
    doc = _in_recovery(app)
    assert doc["facts"]["recovery_deadline"] == "2027-02-24"  # Wed 3 Feb + 3 weeks
    doc = services.fire_event(
        app,
        "alice",
        day("2027-02-25"),
        doc["ref"],
        "record_payment",
        params={"amount": "8450", "paid_on": "2027-02-24"},
    )
    assert states(doc)["legal"] == "recovered"


def test_payment_after_the_period_does_not_recover(app):
    doc = _in_recovery(app)
    ref = doc["ref"]
    run_due(app, datetime(2027, 2, 25, 0, 0, tzinfo=ZONE))
    doc = services.fire_event(
        app, "alice", day("2027-02-26"), ref, "record_payment", params={"amount": "8450"}
    )
    assert states(doc)["legal"] == "recovery_expired"
    doc = services.fire_event(app, "alice", day("2027-02-26", 10), ref, "apply_eviction")
    assert states(doc)["legal"] == "kronofogden"


def test_a_partial_payment_within_the_period_does_not_recover(app):
    doc = _in_recovery(app)
    doc = services.fire_event(
        app, "alice", day("2027-02-10"), doc["ref"], "record_payment", params={"amount": "8000"}
    )
    assert states(doc)["legal"] == "recovery_period"


def test_socialnamndens_written_commitment_keeps_the_lease(app):
    doc = _in_recovery(app)
    with pytest.raises(GuardBlocked, match="efter återvinningsfristens utgång"):
        services.fire_event(
            app,
            "alice",
            day("2027-03-01"),
            doc["ref"],
            "social_services_commitment",
            params={"committed_on": "2027-02-25"},
        )
    doc = services.fire_event(
        app,
        "alice",
        day("2027-03-01"),
        doc["ref"],
        "social_services_commitment",
        params={"committed_on": "2027-02-20"},
    )
    assert states(doc)["legal"] == "recovered"


def test_a_corrected_notice_restarts_the_period_from_the_corrected_notice(app):
    """NJA 1985 s. 586: a notice with a wrong amount is corrected; the period counts from the new one."""
    doc = _in_recovery(app)
    ref = doc["ref"]
    doc = services.fire_event(
        app, "alice", day("2027-02-10"), ref, "correct_notice", reason="Fel belopp"
    )
    corrected = letter_id(doc, "meddelande_socialnamnd_44")
    services.mark_letter_sent(
        app,
        "alice",
        day("2027-02-11", 9),  # recorded when the receipt is known
        corrected,
        method="rekommenderat",
        at=day("2027-02-10", 10),
        delivered_on=datetime(2027, 2, 11).date(),
    )
    doc = services.show_case(app, "alice", day("2027-02-11"), ref)
    assert doc["facts"]["social_services_notified_on"] == "2027-02-11"
    assert doc["facts"]["recovery_deadline"] == "2027-03-04"
    pending = [
        t["due_on"]
        for t in doc["timers"]
        if t["name"] == "recovery_end" and t["status"] == "pending" and t["kind"] == "fires"
    ]
    assert pending == ["2027-03-04"]


def test_eviction_needs_both_notices_proven(app):
    doc = _terminated(app)
    assert "apply_eviction" not in [a["event"] for a in doc["actions"]]
    blocked = action(doc, "record_service")
    assert {b["guard"] for b in blocked["blocked_by"]} == {
        "termination_served",
        "social_services_notice_given",
    }


def test_a_payment_plan_schedules_instalments_and_a_missed_one_reminds(app):
    ref = open_arrears(app)["ref"]
    services.fire_event(
        app, "alice", day("2026-12-02"), ref, "record_contact", params={"channel": "phone"}
    )
    doc = services.fire_event(
        app,
        "alice",
        day("2026-12-02", 10),
        ref,
        "agree_payment_plan",
        params={"count": "3", "first_due_on": "2026-12-28"},
    )
    assert [i["amount"] for i in doc["facts"]["instalments"]] == ["2817", "2817", "2816"]
    assert [t["due_on"] for t in doc["timers"] if t["name"] == "instalment"] == [
        "2026-12-28",
        "2027-01-28",
        "2027-02-28",
    ]
    assert "avbetalningsplan" in {x["template"] for x in doc["letters"]}
    for n, paid in enumerate(("2026-12-28", "2027-01-28", "2027-02-26")):
        doc = services.fire_event(
            app,
            "alice",
            day(paid, 12 + n),
            ref,
            "record_instalment",
            params={"amount": doc["facts"]["instalments"][n]["amount"], "paid_on": paid},
        )
    assert states(doc)["legal"] == "paid"
    assert doc["facts"]["instalments_paid"] == 3


# --- found in review ---------------------------------------------------------------------------------


def test_a_payment_in_time_registered_after_the_period_ended_still_recovers(app):
    doc = _in_recovery(app)  # last day Wed 24 Feb 2027
    ref = doc["ref"]
    run_due(app, datetime(2027, 2, 25, 0, 0, tzinfo=ZONE))
    assert (
        states(services.show_case(app, "alice", day("2027-02-25"), ref))["legal"]
        == "recovery_expired"
    )
    doc = services.fire_event(
        app,
        "alice",
        day("2027-02-26"),
        ref,
        "record_payment",
        params={"amount": "8450", "paid_on": "2027-02-24"},
    )  # paid at the bank in time
    assert states(doc)["legal"] == "recovered"


def test_payments_count_by_payment_date_not_by_registration_order(app):
    doc = _in_recovery(app)
    ref = doc["ref"]
    services.fire_event(
        app,
        "alice",
        day("2027-03-01"),
        ref,
        "record_payment",
        params={"amount": "8000", "paid_on": "2027-02-28"},
    )  # late
    doc = services.fire_event(
        app,
        "alice",
        day("2027-03-01", 10),
        ref,
        "record_payment",
        params={"amount": "450", "paid_on": "2027-02-20"},
    )  # early, registered last
    assert doc["facts"]["settled_on"] == "2027-02-28"
    assert states(doc)["legal"] != "recovered"


def test_serving_again_moves_the_deadline_and_the_timer_with_it(app):
    doc = _terminated(app)
    ref = doc["ref"]
    notice = letter_id(doc, "meddelande_socialnamnd_44")
    services.mark_letter_sent(app, "alice", day("2027-02-02"), notice, method="rekommenderat")
    services.mark_letter_served(
        app,
        "alice",
        day("2027-02-03"),
        letter_id(doc, "uppsagning_hyresskuld"),
        at=day("2027-02-03"),
    )
    services.fire_event(app, "alice", day("2027-02-03", 11), ref, "record_service")
    doc = services.reissue_letter(
        app, "alice", day("2027-02-10"), letter_id(doc, "uppsagning_hyresskuld")
    )
    services.mark_letter_served(app, "alice", day("2027-02-11"), doc["id"], at=day("2027-02-10"))
    doc = services.show_case(app, "alice", day("2027-02-11"), ref)
    assert doc["facts"]["recovery_deadline"] == "2027-03-03"
    fires = [
        t["due_on"]
        for t in doc["timers"]
        if t["name"] == "recovery_end" and t["kind"] == "fires" and t["status"] == "pending"
    ]
    assert fires == ["2027-03-03"]


def test_a_late_receipt_date_moves_the_period_and_an_earlier_one_is_refused(app):
    doc = _terminated(app)
    ref = doc["ref"]
    notice = letter_id(doc, "meddelande_socialnamnd_44")
    services.mark_letter_served(
        app,
        "alice",
        day("2027-02-03"),
        letter_id(doc, "uppsagning_hyresskuld"),
        at=day("2027-02-03"),
    )
    services.mark_letter_sent(app, "alice", day("2027-02-03", 10), notice, method="rekommenderat")
    services.fire_event(app, "alice", day("2027-02-03", 11), ref, "record_service")
    from storning.errors import InvalidInput

    with pytest.raises(InvalidInput, match="före avsändningsdagen"):
        services.mark_letter_delivered(
            app, "alice", day("2027-02-04"), notice, on=datetime(2027, 2, 1).date()
        )
    services.mark_letter_delivered(
        app, "alice", day("2027-02-05"), notice, on=datetime(2027, 2, 5).date()
    )
    doc = services.show_case(app, "alice", day("2027-02-05", 10), ref)
    assert doc["facts"]["social_services_notified_on"] == "2027-02-05"
    assert doc["facts"]["recovery_deadline"] == "2027-02-26"


def test_a_withdrawn_termination_leaves_no_facts_for_the_next_one(app):
    doc = _in_recovery(app)
    ref = doc["ref"]
    services.fire_event(app, "alice", day("2027-02-10"), ref, "withdraw", reason="Förlikning")
    doc = services.fire_event(app, "alice", day("2027-03-01"), ref, "terminate", reason=GROUNDS)
    assert "termination_served_on" not in doc["facts"] and "recovery_deadline" not in doc["facts"]
    notices = [x for x in doc["letters"] if x["template"] == "meddelande_socialnamnd_44"]
    assert len(notices) == 2 and notices[-1]["status"] == "draft"
    assert {b["guard"] for b in action(doc, "record_service")["blocked_by"]} == {
        "termination_served",
        "social_services_notice_given",
    }


def test_a_commitment_before_the_period_starts_is_in_time(app):
    doc = _terminated(app)
    doc = services.fire_event(
        app,
        "alice",
        day("2027-02-02"),
        doc["ref"],
        "social_services_commitment",
        params={"committed_on": "2027-02-02"},
    )
    assert states(doc)["legal"] == "recovered"


def test_timers_run_does_not_spin_on_a_timer_it_must_defer(app):
    ref = open_arrears(app, due="2026-11-30")["ref"]
    services.fire_event(
        app, "alice", day("2026-12-20"), ref, "send_reminder"
    )  # an event after the clock
    result = run_due(
        app, day("2026-12-10")
    )  # the forfeiture is due, but the case has a later event
    # The forfeiture and the case's two reminders due by then all wait: the journal is ordered.
    assert result.fired == 0 and result.deferred == 3
