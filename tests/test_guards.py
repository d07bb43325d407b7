"""Every guard on both sides: the facts that let it pass and the facts that block it, with its message.

The guards are predicates over the event context; here they get a small stand-in context so each rule is
checked on its own. The statutory paths that use them end to end are in test_disturbance_path.py and
test_arrears.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from storning.guards import GUARDS

ZONE = ZoneInfo("Europe/Stockholm")
TODAY = date(2026, 3, 10)


@dataclass
class FakeContext:
    facts: dict[str, Any] = field(default_factory=dict)
    incidents: list[Any] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    incident: Any = None
    states: dict[str, str] = field(default_factory=dict)
    severe_kinds: frozenset[str] = frozenset({"violence", "threat", "arson", "crime"})
    today: date = TODAY

    def fact_date(self, name: str) -> date | None:
        value = self.facts.get(name)
        return date.fromisoformat(value[:10]) if value else None

    def fact_instant(self, name: str) -> datetime | None:
        value = self.facts.get(name)
        return datetime.fromisoformat(value) if value else None

    def state_of(self, track: str) -> str:
        return self.states[track]

    @property
    def track(self) -> Any:
        return SimpleNamespace(name="legal")

    @property
    def workflow(self) -> Any:
        final = {"closed", "resolved"}
        track = SimpleNamespace(is_final=lambda state: state in final)
        return SimpleNamespace(tracks={"legal": track, "authority": track, "customer": track})


def incident(
    kind: str = "noise", verified_by: str | None = None, at: str = "2026-03-05T22:00:00+01:00"
) -> Any:
    return SimpleNamespace(kind=kind, verified_by=verified_by, at=datetime.fromisoformat(at))


PAID = {"amount": "8450", "payments": [{"on": "2026-03-01", "amount": "8450"}]}
OWED = {"amount": "8450", "payments": [{"on": "2026-03-01", "amount": "450"}]}

CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    # guard: (context that passes, context that blocks)
    "has_incident": ({"incidents": [incident()]}, {}),
    "own_verification": (
        {"incidents": [incident(verified_by="jour")]},
        {"incidents": [incident(verified_by="police"), incident()]},
    ),
    "severe_incident": ({"incidents": [incident("violence")]}, {"incidents": [incident("noise")]}),
    "social_services_notified": (
        {"facts": {"social_services_notified_on": "2026-03-09"}},
        {"facts": {"social_services_notified_on": "2026-03-11"}},
    ),
    "not_approved_subtenant": ({}, {"facts": {"culprit_approved_subtenant": True}}),
    "termination_served": ({"facts": {"termination_served_on": "2026-03-10"}}, {}),
    "before_referral_deadline": (
        {"facts": {"referral_deadline": "2026-03-10"}},
        {"facts": {"referral_deadline": "2026-03-09"}},
    ),
    "social_services_notified_or_copy": ({"facts": {"kopia_uppsagning_sent_on": "2026-03-02"}}, {}),
    "other_tracks_final": (
        {"states": {"legal": "assessment", "authority": "closed", "customer": "resolved"}},
        {"states": {"legal": "assessment", "authority": "closed", "customer": "contacted"}},
    ),
    "consent_recorded": (
        {"facts": {"consent_expires_on": "2026-03-10"}},
        {"facts": {"consent_expires_on": "2026-03-09"}},
    ),
    "incident_after_uppmaning": (
        {"facts": {"uppmaning_given_at": "2026-03-05T10:00:00+01:00"}, "incident": incident()},
        {"facts": {"uppmaning_given_at": "2026-03-06T10:00:00+01:00"}, "incident": incident()},
    ),
    # 12:42 1 st 9 p: an incident at 22:00 on 5 March is after an uppmaning given at 10:00 that day,
    # not after one given at 23:00
    "ground_after_uppmaning": (
        {"facts": {"uppmaning_given_at": "2026-03-05T10:00:00+01:00"}, "incidents": [incident()]},
        {"facts": {"uppmaning_given_at": "2026-03-05T23:00:00+01:00"}, "incidents": [incident()]},
    ),
    # forfeiture for disturbances: a ground after the uppmaning, or a severe case (42 § 4 st)
    "forfeiture_ground": (
        {"facts": {"severe": True}},
        {"facts": {"uppmaning_given_at": "2026-03-05T23:00:00+01:00"}, "incidents": [incident()]},
    ),
    "forfeiture_period_passed": (
        {"facts": {**OWED, "forfeiture_last_day": "2026-03-09"}},
        {"facts": {**OWED, "forfeiture_last_day": "2026-03-10"}},
    ),
    "rent_unpaid": ({"facts": OWED}, {"facts": PAID}),
    "social_services_notice_given": ({"facts": {"social_services_notified_on": "2026-03-02"}}, {}),
    "paid_within_recovery_period": (
        {"facts": {"recovery_deadline": "2026-03-09", "settled_on": "2026-03-09"}},
        {"facts": {"recovery_deadline": "2026-03-09", "settled_on": "2026-03-10"}},
    ),
    "recovery_period_open": (
        {"facts": {"recovery_deadline": "2026-03-10"}},
        {"facts": {"recovery_deadline": "2026-03-09"}},
    ),
    "within_recovery_period": (
        {"facts": {"recovery_deadline": "2026-03-09"}, "params": {"committed_on": "2026-03-09"}},
        {"facts": {"recovery_deadline": "2026-03-09"}},
    ),
    "recovery_notices_proven": (
        {
            "facts": {
                "termination_served_on": "2026-03-02",
                "social_services_notified_on": "2026-03-03",
            }
        },
        {"facts": {"termination_served_on": "2026-03-02"}},
    ),
    "eviction_date_computed": ({"facts": {"earliest_eviction_decision": "2026-03-12"}}, {}),
}


def test_every_registered_guard_is_covered_here():
    assert set(CASES) == set(GUARDS)


@pytest.mark.parametrize("guard_id", sorted(CASES))
def test_the_guard_passes_and_blocks_on_the_facts_the_law_names(guard_id):
    passing, blocking = CASES[guard_id]
    guard = GUARDS[guard_id]
    assert guard.check(FakeContext(**passing)) is True
    assert guard.check(FakeContext(**blocking)) is False


@pytest.mark.parametrize("guard_id", sorted(GUARDS))
def test_every_guard_explains_itself_in_swedish(guard_id):
    reason = GUARDS[guard_id].reason()
    assert reason.guard == guard_id
    assert (
        len(reason.message) > 20
        and reason.message[0].isupper()
        and not reason.message.endswith(".")
    )
    assert reason.law is None or any(word in reason.law for word in ("kap.", "RH ", "NJA", "lag"))
    sentence = reason.sentence()
    assert sentence.endswith(".") and (reason.law or "") in sentence


def test_only_practice_guards_may_be_overridden():
    overridable = {g for g, guard in GUARDS.items() if guard.overridable}
    assert overridable == {"own_verification", "severe_incident"}
