"""The statutory paths of a disturbance case (DOMAIN.md §2), walked the way an officer walks them."""

from __future__ import annotations

import pytest

from storning import services
from storning.errors import EventNotAvailable, GuardBlocked, InvalidInput
from tests.conftest import at
from tests.helpers import GROUNDS, action, letter_id, open_storning, states


def test_it_opens_a_case_with_three_tracks_in_their_initial_states(app):
    doc = open_storning(app)
    assert doc["ref"] == "S-2026-0001"
    assert doc["status"] == "open"
    assert states(doc) == {
        "legal": "assessment",
        "authority": "not_notified",
        "customer": "contact_pending",
    }
    assert [letter["template"] for letter in doc["letters"]] == ["bekraftelse"]
    first_contact = [
        t for t in doc["timers"] if t["name"] == "first_contact" and t["kind"] == "reminds"
    ]
    assert first_contact[0]["due_on"] == "2026-03-09"  # five working days after Monday 2 March
    assert first_contact[0]["due_at"] == "2026-03-09T07:00:00+01:00"


def test_it_numbers_cases_per_prefix_and_year(app):
    assert open_storning(app)["ref"] == "S-2026-0001"
    assert open_storning(app)["ref"] == "S-2026-0002"
    assert open_storning(app, now=at(400))["ref"] == "S-2027-0001"


def test_it_blocks_an_uppmaning_without_any_incident(app):
    ref = open_storning(app)["ref"]
    with pytest.raises(GuardBlocked) as blocked:
        services.fire_event(app, "alice", at(1), ref, "issue_uppmaning")
    assert [r.guard for r in blocked.value.reasons] == ["has_incident", "own_verification"]
    assert "12 kap. 25 a § jordabalken" in str(blocked.value)
    # the action is named as the officer knows it, with the code the CLI takes
    assert str(blocked.value).startswith(
        "Åtgärden 'Skicka uppmaning (rättelseanmaning)' (issue_uppmaning) är spärrad:"
    )


def test_an_action_not_open_in_the_current_state_is_named_as_the_officer_knows_it(app):
    ref = open_storning(app)["ref"]
    services.fire_event(app, "alice", at(1), ref, "record_contact", params={"channel": "phone"})
    with pytest.raises(EventNotAvailable) as refused:  # contact is taken: not a second time
        services.fire_event(app, "alice", at(2), ref, "record_contact", params={"channel": "sms"})
    assert str(refused.value).startswith(
        "Åtgärden 'Registrera kontakt' (record_contact) kan inte utföras i läget 'Kontakt tagen' "
        "(kundprocess); se ärendets möjliga åtgärder"
    )


def test_it_blocks_an_uppmaning_resting_only_on_a_neighbours_report_unless_a_chef_overrides(app):
    ref = open_storning(app)["ref"]
    doc = services.add_incident(
        app, "alice", at(1), ref, at=at(0.5), kind="noise", text="Hög musik"
    )
    blocked = action(doc, "issue_uppmaning")
    assert not blocked["allowed"]
    assert blocked["blocked_by"] == [
        {
            "guard": "own_verification",
            "message": blocked["blocked_by"][0]["message"],
            "law": "RH 2018:23",
            "overridable": True,
        }
    ]
    with pytest.raises(GuardBlocked):
        services.fire_event(app, "alice", at(1), ref, "issue_uppmaning")
    from storning.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.fire_event(
            app, "alice", at(1), ref, "issue_uppmaning", override="Grannen är trovärdig"
        )
    doc = services.fire_event(
        app, "carl", at(1), ref, "issue_uppmaning", override="Uppmaning given muntligen"
    )
    assert states(doc)["legal"] == "uppmaning_issued"
    entry = [e for e in doc["journal"] if e["event"] == "issue_uppmaning"][0]
    assert entry["override"] == "Uppmaning given muntligen"
    assert entry["overridden"] == ["own_verification"]
    assert doc["facts"]["uppmaning_given_orally"] is True


def test_an_uppmaning_drafts_the_notice_to_socialnamnden_in_the_authority_track(app):
    ref = open_storning(app)["ref"]
    services.add_incident(
        app, "alice", at(1), ref, at=at(0.6), kind="noise", text="Skrik", verified_by="jour"
    )
    doc = services.fire_event(app, "alice", at(1, 1), ref, "issue_uppmaning")
    assert states(doc)["authority"] == "notice_drafted"
    assert {x["template"] for x in doc["letters"]} >= {"uppmaning", "underrattelse_socialnamnd"}
    emitted = [e for e in doc["journal"] if e["event"] == "notify_social_services"][0]
    assert (emitted["from"], emitted["to"]) == ("not_notified", "notice_drafted")
    follow_up = [t for t in doc["timers"] if t["name"] == "uppmaning_follow_up"][0]
    assert follow_up["due_on"] == "2026-03-24"  # 15 working days after Tuesday 3 March


def test_it_does_not_draft_a_second_notice_when_one_was_already_given(app):
    ref = open_storning(app)["ref"]
    services.fire_event(app, "alice", at(0, 1), ref, "notify_social_services")
    services.add_incident(
        app, "alice", at(1), ref, at=at(0.6), kind="noise", text="Skrik", verified_by="jour"
    )
    doc = services.fire_event(app, "alice", at(1, 1), ref, "issue_uppmaning")
    notices = [x for x in doc["letters"] if x["template"] == "underrattelse_socialnamnd"]
    assert len(notices) == 1


def _uppmaning_given(app, ref):
    services.add_incident(
        app, "alice", at(1), ref, at=at(0.6), kind="noise", text="Fest till 03", verified_by="jour"
    )
    doc = services.fire_event(app, "alice", at(1, 1), ref, "issue_uppmaning")
    services.mark_letter_sent(
        app, "alice", at(1, 2), letter_id(doc, "uppmaning"), method="rekommenderat"
    )
    return services.show_case(app, "alice", at(1, 2), ref)


def test_a_disturbance_before_the_uppmaning_was_sent_is_not_a_ground(app):
    ref = open_storning(app)["ref"]
    services.add_incident(
        app, "alice", at(1), ref, at=at(0.6), kind="noise", text="Fest", verified_by="jour"
    )
    services.fire_event(app, "alice", at(1, 1), ref, "issue_uppmaning")
    doc = services.add_incident(
        app, "alice", at(2), ref, at=at(1.5), kind="noise", text="Igen", verified_by="jour"
    )
    assert states(doc)["legal"] == "uppmaning_issued"  # the letter has not been sent yet


def test_the_full_statutory_path_from_uppmaning_to_kronofogden(app):
    ref = open_storning(app)["ref"]
    doc = _uppmaning_given(app, ref)
    assert doc["facts"]["uppmaning_given_at"].startswith("2026-03-03T11:00")
    doc = services.add_incident(
        app, "alice", at(5), ref, at=at(4, 14), kind="noise", text="Ny fest", verified_by="staff"
    )
    assert states(doc)["legal"] == "termination_ready"
    assert doc["facts"]["ground_incidents"]
    # Termination is blocked until the notice to socialnämnden has been *sent* (12:42 3 st).
    terminate = action(doc, "terminate")
    assert not terminate["allowed"]
    assert terminate["blocked_by"][0]["guard"] == "social_services_notified"
    assert terminate["blocked_by"][0]["law"] == "12 kap. 42 § tredje stycket jordabalken"
    assert terminate["blocked_by"][0]["overridable"] is False
    with pytest.raises(GuardBlocked, match="42 § tredje stycket"):
        services.fire_event(app, "carl", at(5, 1), ref, "terminate", override="Vi vill ändå")
    services.mark_letter_sent(
        app,
        "alice",
        at(5, 2),
        letter_id(doc, "underrattelse_socialnamnd"),
        method="rekommenderat",
        at=at(5),
    )
    doc = services.show_case(app, "alice", at(5, 2), ref)
    assert states(doc)["authority"] == "notified"
    assert doc["facts"]["social_services_notified_on"] == "2026-03-07"
    doc = services.fire_event(app, "alice", at(6), ref, "terminate", reason=GROUNDS)
    assert states(doc)["legal"] == "terminated"
    # Service must be recorded on the termination letter before record_service (12:8).
    assert not action(doc, "record_service")["allowed"]
    uppsagning = letter_id(doc, "uppsagning")
    services.mark_letter_sent(app, "alice", at(6, 1), uppsagning, method="rekommenderat")
    doc = services.show_case(app, "alice", at(6, 1), ref)
    assert not action(doc, "record_service")["allowed"], "a registered letter alone is not service"
    services.mark_letter_served(
        app, "alice", at(9), uppsagning, at=at(8), proof="Stämningsmannens intyg"
    )
    doc = services.fire_event(app, "alice", at(9, 1), ref, "record_service")
    assert states(doc)["legal"] == "terminated_served"
    doc = services.fire_event(app, "alice", at(10), ref, "apply_eviction")
    assert states(doc)["legal"] == "kronofogden"
    assert "ansokan_avhysning" in {x["template"] for x in doc["letters"]}
    doc = services.fire_event(app, "alice", at(40), ref, "record_eviction")
    assert states(doc)["legal"] == "evicted"
    assert doc["status"] == "closed"
    assert doc["actions"] == []
    assert all(t["status"] != "pending" for t in doc["timers"])


def test_a_particularly_serious_case_needs_no_uppmaning_but_sends_a_copy_to_socialnamnden(app):
    ref = open_storning(app)["ref"]
    services.add_incident(
        app,
        "alice",
        at(1),
        ref,
        at=at(0.7),
        kind="violence",
        text="Misshandel av granne",
        verified_by="police",
    )
    doc = services.fire_event(app, "alice", at(1, 1), ref, "classify_severe")
    assert states(doc)["legal"] == "severe_review"
    doc = services.fire_event(app, "alice", at(2), ref, "terminate", reason=GROUNDS)
    assert states(doc)["legal"] == "terminated"
    assert states(doc)["authority"] == "not_notified"
    templates = [x["template"] for x in doc["letters"]]
    assert "uppsagning" in templates and "kopia_uppsagning" in templates
    uppsagning = letter_id(doc, "uppsagning")
    services.mark_letter_served(
        app, "alice", at(4), uppsagning, at=at(3), proof="Delgivningskvitto"
    )
    services.fire_event(app, "alice", at(4, 1), ref, "record_service")
    doc = services.show_case(app, "alice", at(4, 1), ref)
    blocked = action(doc, "apply_eviction")
    assert (
        not blocked["allowed"]
        and blocked["blocked_by"][0]["guard"] == "social_services_notified_or_copy"
    )
    services.mark_letter_sent(
        app, "alice", at(4, 2), letter_id(doc, "kopia_uppsagning"), method="rekommenderat"
    )
    doc = services.fire_event(app, "alice", at(4, 3), ref, "apply_eviction")
    assert states(doc)["legal"] == "kronofogden"


def test_an_approved_subtenant_always_needs_uppmaning_and_notice(app):
    ref = open_storning(app)["ref"]
    services.add_incident(
        app,
        "alice",
        at(1),
        ref,
        at=at(0.7),
        kind="threat",
        text="Hot mot granne",
        verified_by="staff",
    )
    services.fire_event(app, "alice", at(1, 1), ref, "classify_severe")
    services.fire_event(
        app, "alice", at(1, 2), ref, "record_culprit", params={"approved_subtenant": "true"}
    )
    with pytest.raises(GuardBlocked, match="fjärde stycket"):
        services.fire_event(app, "alice", at(2), ref, "terminate", reason=GROUNDS)
    doc = services.fire_event(
        app,
        "alice",
        at(2, 1),
        ref,
        "reclassify",
        reason="Andrahandshyresgäst: uppmaning och underrättelse krävs",
    )
    assert states(doc)["legal"] == "assessment" and "severe" not in doc["facts"]
    assert action(doc, "issue_uppmaning")["allowed"]


def test_severe_classification_without_a_severe_incident_is_blocked_but_overridable(app):
    ref = open_storning(app)["ref"]
    services.add_incident(
        app, "alice", at(1), ref, at=at(0.7), kind="noise", text="Buller", verified_by="staff"
    )
    with pytest.raises(GuardBlocked, match="severe_incident"):
        services.fire_event(app, "alice", at(1, 1), ref, "classify_severe")
    doc = services.fire_event(
        app, "carl", at(1, 1), ref, "classify_severe", override="Hot mot personal"
    )
    assert states(doc)["legal"] == "severe_review"


def test_rectification_removes_the_ground_and_a_new_disturbance_returns_to_assessment(app):
    ref = open_storning(app)["ref"]
    _uppmaning_given(app, ref)
    doc = services.fire_event(app, "alice", at(20), ref, "mark_rectified")
    assert states(doc)["legal"] == "monitoring"
    assert [
        a["event"] for a in doc["actions"] if a["track"] == "legal" and a["event"] == "terminate"
    ] == []
    pending = {t["name"] for t in doc["timers"] if t["status"] == "pending"}
    assert "uppmaning_follow_up" not in pending and "monitoring_end" in pending
    doc = services.add_incident(
        app, "alice", at(30), ref, at=at(29), kind="noise", text="Igen", verified_by="jour"
    )
    assert states(doc)["legal"] == "assessment"


def test_termination_to_the_end_of_the_term_sets_the_referral_deadline(app):
    ref = open_storning(app)["ref"]
    doc = _uppmaning_given(app, ref)
    services.mark_letter_sent(
        app, "alice", at(2), letter_id(doc, "underrattelse_socialnamnd"), method="rekommenderat"
    )
    doc = services.fire_event(
        app, "alice", at(3), ref, "terminate_term_end", reason=GROUNDS
    )  # Thursday 5 March 2026
    assert states(doc)["legal"] == "term_end_terminated"
    assert doc["facts"]["lease_end_on"] == "2026-06-30"  # 12:4: the turn of the month after 5 June
    assert (
        doc["facts"]["referral_deadline"] == "2026-07-30"
    )  # 12:49: one month after the end of the term
    reminders = sorted(
        t["due_on"]
        for t in doc["timers"]
        if t["name"] == "referral_deadline" and t["kind"] == "before"
    )
    assert reminders == ["2026-07-10", "2026-07-27"]
    doc = services.fire_event(app, "alice", at(150), ref, "refer_to_hyresnamnd")  # 30 July
    assert states(doc)["legal"] == "hyresnamnd"


def test_a_referral_after_the_deadline_is_refused(app):
    ref = open_storning(app)["ref"]
    doc = _uppmaning_given(app, ref)
    services.mark_letter_sent(
        app, "alice", at(2), letter_id(doc, "underrattelse_socialnamnd"), method="rekommenderat"
    )
    services.fire_event(app, "alice", at(3), ref, "terminate_term_end", reason=GROUNDS)
    with pytest.raises(GuardBlocked, match="49 §"):
        services.fire_event(app, "alice", at(151), ref, "refer_to_hyresnamnd")  # 31 July


def test_withdrawal_needs_a_reason(app):
    ref = open_storning(app)["ref"]
    services.add_incident(
        app, "alice", at(1), ref, at=at(0.7), kind="violence", text="Slag", verified_by="police"
    )
    services.fire_event(app, "alice", at(1, 1), ref, "classify_severe")
    services.fire_event(app, "alice", at(2), ref, "terminate", reason=GROUNDS)
    with pytest.raises(InvalidInput, match="motivering"):
        services.fire_event(app, "alice", at(3), ref, "withdraw")
    doc = services.fire_event(
        app, "alice", at(3), ref, "withdraw", reason="Förlikning i hyresnämnden"
    )
    assert states(doc)["legal"] == "monitoring"
    assert doc["facts"]["withdrawn_reason"] == "Förlikning i hyresnämnden"


def test_closing_needs_the_other_tracks_final_and_tenant_moved_closes_at_once(app):
    ref = open_storning(app)["ref"]
    with pytest.raises(GuardBlocked, match="other_tracks_final"):
        services.fire_event(app, "alice", at(1), ref, "close", track="legal")
    services.fire_event(app, "alice", at(1), ref, "close", track="authority")
    services.fire_event(app, "alice", at(1, 1), ref, "record_contact", params={"channel": "phone"})
    services.fire_event(app, "alice", at(1, 2), ref, "resolve")
    doc = services.fire_event(
        app, "alice", at(2), ref, "close", track="legal", params={"outcome": "dialog"}
    )
    assert doc["status"] == "closed"
    other = open_storning(app)["ref"]
    doc = services.fire_event(app, "alice", at(3), other, "tenant_moved")
    assert doc["status"] == "closed" and states(doc)["legal"] == "closed"
    assert all(t["status"] == "cancelled" for t in doc["timers"])
    with pytest.raises(EventNotAvailable):
        services.fire_event(
            app, "alice", at(4), other, "record_contact", params={"channel": "phone"}
        )


def test_a_contact_by_letter_creates_the_contact_letter_and_unreachable_reminds_the_supervisor(app):
    ref = open_storning(app)["ref"]
    with pytest.raises(InvalidInput, match="channel"):
        services.fire_event(app, "alice", at(1), ref, "record_contact")
    with pytest.raises(InvalidInput, match="en av"):
        services.fire_event(app, "alice", at(1), ref, "record_contact", params={"channel": "fax"})
    doc = services.fire_event(
        app, "alice", at(1), ref, "record_contact", params={"channel": "letter"}
    )
    assert "kontaktbrev" in {x["template"] for x in doc["letters"]}
    assert all(t["status"] == "cancelled" for t in doc["timers"] if t["name"] == "first_contact")
    doc = services.fire_event(app, "alice", at(2), ref, "mark_unreachable")
    from sqlalchemy import select

    from storning.store.models import Outbox, User

    with app.db.read() as session:
        carl = session.scalar(select(User).where(User.username == "carl"))
        rows = list(session.scalars(select(Outbox).where(Outbox.user_id == carl.id)))
    assert rows and "Hyresgästen nås inte" in rows[0].subject


def test_consent_opens_collaboration(app):
    ref = open_storning(app)["ref"]
    services.fire_event(app, "alice", at(0, 1), ref, "notify_social_services")
    doc = services.show_case(app, "alice", at(0, 1), ref)
    services.mark_letter_sent(
        app, "alice", at(0, 2), letter_id(doc, "underrattelse_socialnamnd"), method="vanligt"
    )
    doc = services.show_case(app, "alice", at(0, 2), ref)
    assert action(doc, "start_collaboration")["blocked_by"][0]["guard"] == "consent_recorded"
    services.fire_event(
        app,
        "alice",
        at(1),
        ref,
        "record_consent",
        params={"scope": "Socialtjänsten, boendestöd", "expires_on": "2026-09-01"},
    )
    doc = services.fire_event(app, "alice", at(1, 1), ref, "start_collaboration")
    assert states(doc)["authority"] == "collaboration"
    doc = services.fire_event(
        app, "alice", at(1, 2), ref, "record_support", params={"kind": "boendestod"}
    )
    assert doc["facts"]["support"] == ["boendestod"]
    expiry = [t for t in doc["timers"] if t["name"] == "consent_expiry"]
    assert expiry[0]["due_on"] == "2026-09-01"


# --- found in review ---------------------------------------------------------------------------------


def test_an_override_text_with_nothing_blocked_still_needs_a_chef_and_is_journaled(app):
    from storning.errors import PermissionDenied

    ref = open_storning(app)["ref"]
    services.add_incident(
        app, "alice", at(1), ref, at=at(0.6), kind="noise", text="Fest", verified_by="jour"
    )
    with pytest.raises(PermissionDenied):
        services.fire_event(
            app, "alice", at(1, 1), ref, "issue_uppmaning", override="Given muntligen"
        )
    doc = services.fire_event(
        app, "carl", at(1, 1), ref, "issue_uppmaning", override="Given muntligen i dörren"
    )
    entry = [e for e in doc["journal"] if e["event"] == "issue_uppmaning"][0]
    assert entry["override"] == "Given muntligen i dörren" and entry["overridden"] is None
    assert doc["facts"]["uppmaning_given_orally"] is True


def test_a_notice_sent_after_the_authority_track_was_closed_still_counts(app):
    ref = open_storning(app)["ref"]
    services.fire_event(app, "alice", at(0, 1), ref, "close", track="authority")
    services.add_incident(
        app, "alice", at(1), ref, at=at(0.6), kind="noise", text="Fest", verified_by="jour"
    )
    doc = services.fire_event(app, "alice", at(1, 1), ref, "issue_uppmaning")
    assert "underrattelse_socialnamnd" not in {x["template"] for x in doc["letters"]}
    notice = services.create_letter(app, "alice", at(1, 2), ref, "underrattelse_socialnamnd")
    services.mark_letter_sent(app, "alice", at(1, 3), notice["id"], method="rekommenderat")
    doc = services.show_case(app, "alice", at(1, 3), ref)
    assert doc["facts"]["social_services_notified_on"] == "2026-03-03"


def test_a_same_evening_incident_after_the_uppmaning_grounds_a_termination_letter(app):
    ref = open_storning(app)["ref"]
    services.add_incident(
        app, "alice", at(1), ref, at=at(0.6), kind="noise", text="Fest", verified_by="jour"
    )
    doc = services.fire_event(app, "alice", at(1, 1), ref, "issue_uppmaning")
    services.mark_letter_sent(
        app, "alice", at(1, 2), letter_id(doc, "uppmaning"), method="rekommenderat"
    )
    services.mark_letter_sent(
        app, "alice", at(1, 3), letter_id(doc, "underrattelse_socialnamnd"), method="vanligt"
    )
    doc = services.add_incident(
        app,
        "alice",
        at(1, 14),
        ref,
        at=at(1, 12),
        kind="noise",
        text="Samma kväll",
        verified_by="jour",
    )  # 21:00 the same day as the uppmaning was sent
    assert states(doc)["legal"] == "termination_ready"
    doc = services.fire_event(app, "alice", at(2), ref, "terminate", reason=GROUNDS)
    pdf = services.letter_pdf(app, "alice", at(2, 1), letter_id(doc, "uppsagning")).data
    assert pdf.startswith(b"%PDF")


def test_withdrawing_a_termination_clears_its_service_and_severity(app):
    ref = open_storning(app)["ref"]
    services.add_incident(
        app, "alice", at(1), ref, at=at(0.7), kind="violence", text="Slag", verified_by="police"
    )
    services.fire_event(app, "alice", at(1, 1), ref, "classify_severe")
    doc = services.fire_event(app, "alice", at(2), ref, "terminate", reason=GROUNDS)
    services.mark_letter_served(app, "alice", at(3), letter_id(doc, "uppsagning"), at=at(3))
    doc = services.fire_event(app, "alice", at(4), ref, "withdraw", reason="Förlikning")
    for fact in ("severe", "termination_served_on", "terminated_on", "uppsagning_served_on"):
        assert fact not in doc["facts"], fact
