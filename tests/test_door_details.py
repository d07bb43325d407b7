"""Smaller rules that must hold whatever the door (found by breaking issue 9 as a user would)."""

from __future__ import annotations

import pytest

from storning import services
from storning.errors import InvalidInput, NotFound
from tests.conftest import at
from tests.helpers import letter_id, open_storning


def test_a_time_typed_with_a_foreign_offset_is_kept_in_the_landlords_zone(app):
    """20:30 at UTC-5 on 2 March is 02:30 on 3 March in Stockholm (UTC+1 in winter): the fact and the
    letter show the same Stockholm time whichever way the instant was typed."""
    doc = open_storning(app)
    ref = doc["ref"]
    services.add_incident(
        app, "alice", at(0, 1), ref, at="2026-03-01T22:00", kind="noise", text="Fest",
        verified_by="jour",
    )  # fmt: skip
    doc = services.fire_event(app, "alice", at(0, 2), ref, "issue_uppmaning")
    services.mark_letter_sent(
        app, "alice", at(2), letter_id(doc, "uppmaning"), method="rekommenderat",
        at="2026-03-02T20:30-05:00",
    )  # fmt: skip
    doc = services.show_case(app, "alice", at(2), ref)
    assert doc["facts"]["uppmaning_given_at"] == "2026-03-03T02:30:00+01:00"
    [uppmaning] = [x for x in doc["letters"] if x["template"] == "uppmaning"]
    assert uppmaning["sent_at"] == "2026-03-03T02:30:00+01:00"


def test_a_letter_cannot_be_served_before_the_moment_it_was_sent(app):
    """Sent on the bare date 2 March (the end of that day, 23:59:59); served 2 March at 12:00 would be
    before it was sent: refused, nothing written. Served on the bare date 2 March is the same moment."""
    doc = open_storning(app, complainants=[("Greta Granne", False)])
    letter = letter_id(doc, "bekraftelse")
    services.mark_letter_sent(app, "alice", at(1), letter, method="vanligt", at="2026-03-02")
    before = services.show_case(app, "alice", at(1), doc["ref"])["version"]
    with pytest.raises(InvalidInput, match="före tidpunkten då brevet skickades"):
        services.mark_letter_served(app, "alice", at(1, 1), letter, at="2026-03-02T12:00")
    assert services.show_case(app, "alice", at(1, 1), doc["ref"])["version"] == before
    served = services.mark_letter_served(app, "alice", at(1, 2), letter, at="2026-03-02")
    assert served["status"] == "served"


def test_a_readers_case_document_offers_no_action_as_allowed(app):
    """lisa reads team norr's cases: she sees what could be done, marked as not hers to do."""
    ref = open_storning(app)["ref"]
    doc = services.show_case(app, "lisa", at(1), ref)
    assert doc["actions"] and not any(a["allowed"] for a in doc["actions"])
    assert all("read_only" in {b["guard"] for b in a["blocked_by"]} for a in doc["actions"])
    assert doc["permissions"] == {
        "act": False,
        "override": False,
        "see_protected": False,
        "disclose": False,
    }
    mine = services.show_case(app, "alice", at(1), ref)
    assert any(a["allowed"] for a in mine["actions"])  # the owner may act


def test_a_letter_id_reveals_nothing_about_a_case_one_may_not_read(app):
    """bob (team syd) asks for a letter of team norr's case: the answer is the same sentence as for a
    letter that does not exist, without the case's reference."""
    doc = open_storning(app)
    letter = letter_id(doc, "bekraftelse")
    with pytest.raises(NotFound) as hidden:
        services.letter_pdf(app, "bob", at(1), letter)
    with pytest.raises(NotFound) as unknown:
        services.letter_pdf(app, "bob", at(1), 999_999)
    assert doc["ref"] not in str(hidden.value)
    assert str(hidden.value) == str(unknown.value).replace("999999", str(letter))
    with pytest.raises(NotFound) as changing:
        services.mark_letter_sent(app, "bob", at(1), letter, method="vanligt")
    assert doc["ref"] not in str(changing.value)


def test_control_characters_are_refused_in_every_text_field(app):
    with pytest.raises(InvalidInput, match="styrtecken"):
        open_storning(app, tenant="Kim\x01 Hyresgäst")
    ref = open_storning(app)["ref"]
    with pytest.raises(InvalidInput, match="styrtecken"):
        services.update_case(app, "alice", at(1), ref, {"address": "Storgatan\x1b 1"})
    # Line breaks and tabs are text.
    services.add_incident(
        app, "alice", at(1), ref, at="2026-03-01T22:00", kind="noise",
        text="Musik\n\tfrån lgh 1102", verified_by="jour",
    )  # fmt: skip


def test_a_rent_debt_cannot_fall_due_in_the_future(app):
    with pytest.raises(InvalidInput, match="Förfallodagen 2026-03-25 ligger i framtiden"):
        services.open_case(
            app,
            "alice",
            at(0),  # Monday 2 March 2026
            services.NewCase(
                case_type="hyresskuld",
                tenant="Kim",
                address="Storgatan 1",
                apartment="1",
                facts={"due_date": "2026-03-25", "amount": "8450"},
            ),
        )


def test_a_character_no_font_prints_is_refused_at_entry(app):
    """U+E000 (private use) would stop every letter later; it is refused when typed, naming it."""
    ref = open_storning(app)["ref"]
    with pytest.raises(InvalidInput, match="U\\+E000"):
        services.add_incident(
            app, "alice", at(1), ref, at="2026-03-01T22:00", kind="noise", text="Musik \ue000"
        )
    # Scripts and emoji are text: they render (issue 10 item 6).
    services.add_incident(
        app, "alice", at(1), ref, at="2026-03-01T22:00", kind="noise", text="Fest 🎉 محمد 王"
    )


def test_a_postal_code_is_stored_the_way_letters_print_it(app):
    ref = open_storning(app, postal_code="60220")["ref"]
    assert services.show_case(app, "alice", at(0), ref)["tenant"]["postal_code"] == "602 20"
    with pytest.raises(InvalidInput, match="fem siffror"):
        services.update_case(app, "alice", at(1), ref, {"postal_code": "６０２２０"})


def test_a_letter_to_the_tenant_needs_a_whole_address(app):
    """Every letter to the tenant goes by post: postal code and city are needed for its window."""
    doc = open_storning(app, postal_code=None, city=None)
    assert {"postal_code", "city"} <= {g["field"] for g in doc["letter_gaps"]}
    kontakt = [g for g in doc["letter_gaps"] if g["field"] == "postal_code"][0]
    assert "Vi vill gärna prata med dig" in kontakt["letters"]
