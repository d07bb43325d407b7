"""The scripted courses of the made-up cases of `storning.outcomes.history`: what happens in each
(a step is one journal row, with the state its track reaches), how often, and how it ends; and the
vocabulary the generator draws from (sources, incident kinds, made-up names and streets).

`check_paths` walks every path through its workflow as the journal's replay does, so a path the
workflow does not allow is found before a row is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from storning.definitions.model import Workflow


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Which complaint sources come how often, and how each verifies its incident (DESIGN §4).
SOURCES = (("granne", 46), ("storningsjour", 22), ("personal", 18), ("polis", 6), ("annan", 8))
VERIFIED_BY = {"granne": None, "storningsjour": "jour", "personal": "staff", "polis": "police"}
KINDS = (
    ("noise", "Buller nattetid från lägenheten", 40),
    ("harassment", "Trakasserier mot grannar i trapphuset", 12),
    ("smell", "Stark lukt från lägenheten", 8),
    ("clutter", "Sopor och saker i trapphuset", 10),
    ("neglect", "Vanvård av lägenheten", 7),
    ("common_areas", "Störningar i tvättstugan", 9),
    ("threat", "Hot mot granne", 5),
    ("drugs", "Misstänkt narkotikahandel", 4),
    ("violence", "Våld i trapphuset, polisanmält", 3),
    ("other", "Övriga störningar", 2),
)
SEVERE_KINDS = ("threat", "violence")
SUPPORT = ("boendestod", "hemtjanst", "psykiatri", "god_man", "missbruksvard")
FIRST_NAMES = _words(
    "Alva Ebba Elsa Maja Wilma Alice Astrid Saga Freja Olivia Hugo Liam Noah William Oscar "
    "Lucas Elias Adam Leo Viktor Amina Yusuf Leyla Omar Sara Hanna Jonas Mikael Anders Karin"
)
LAST_NAMES = _words(
    "Johansson Andersson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson "
    "Gustafsson Pettersson Jonsson Jansson Hansson Bengtsson Lindberg Lindström Lindqvist "
    "Ali Mohammed Hassan Berglund Sandberg Lundin Holm Åberg Ek Strand Fors Björk"
)
STREETS = _words(
    "Ringdansen Navestad Hageby Skarpåkersgatan Klockaregatan Marielund Kvarngärdet "
    "Ektorpsgatan Sandbyhov Vilbergen Brännkyrkagatan Lagergatan"
)


@dataclass(frozen=True)
class Step:
    """One journal row of a path: `track` None for a case-level record (incident, letter, outcome);
    `to` the track's state after it (None: stays). `gap` (min, max) working days after the last step;
    `params` what the journal row carries (callables are given the random generator)."""

    track: str | None
    event: str
    to: str | None = None
    gap: tuple[int, int] = (0, 0)
    params: dict[str, Any] = field(default_factory=dict)
    incident: bool = (
        False  # an incident is recorded with this step (and `incident_added` journaled)
    )
    reason: str | None = None


@dataclass(frozen=True)
class Path:
    """A scripted course of a case: its type, its steps and the outcome when it closes."""

    name: str
    case_type: str
    weight: int
    steps: tuple[Step, ...]
    outcome: str | None = None
    severe: bool = False


def _letter(template: str, **more: Any) -> Step:
    return Step(
        None, "letter_sent", params={"template": template, "method": "rekommenderat", **more}
    )


# The complaint's incident: recorded with the opening of every disturbance case.
OPENING_INCIDENT = Step(None, "incident_added", incident=True)
_CONTACT = Step("customer", "record_contact", "contacted", (0, 6), {"channel": "phone"})
_UPPMANING = (
    Step("legal", "issue_uppmaning", "uppmaning_issued", (1, 10)),
    Step("authority", "notify_social_services", "notice_drafted"),
    _letter("uppmaning"),
    Step(
        "legal",
        "letter_sent",
        "uppmaning_issued",
        params={"template": "uppmaning", "all_sent": True},
    ),
    _letter("underrattelse_socialnamnd"),
    Step(
        "legal", "letter_sent", "uppmaning_issued", params={"template": "underrattelse_socialnamnd"}
    ),
    Step("authority", "letter_sent", "notified", params={"template": "underrattelse_socialnamnd"}),
)
_NEW_INCIDENT = (
    Step(None, "incident_added", gap=(5, 40), incident=True),
    Step("legal", "incident_recorded", "termination_ready"),
)
GROUND = "Nya störningar efter uppmaningen att vidta rättelse; grund för förverkande."
_TERMINATION = (
    Step("legal", "terminate", "terminated", (1, 8), reason=GROUND),
    Step(
        None,
        "letter_served",
        gap=(2, 10),
        params={"template": "uppsagning", "proof": "Delgivningskvitto"},
    ),
    Step(
        "legal",
        "letter_served",
        "terminated",
        params={"template": "uppsagning", "all_served": True},
    ),
    Step("legal", "record_service", "terminated_served"),
)
_CLOSE_ALL = (
    Step("customer", "resolve", "resolved", (1, 10)),
    Step("authority", "close", "closed"),
    Step("legal", "close", "closed"),
)
_CLOSE_ALL_FROM_MONITORING = (
    Step("legal", "mark_rectified", "monitoring", (5, 25)),
    Step("customer", "resolve", "resolved", (20, 90)),
    Step("authority", "close", "closed"),
    Step("legal", "close", "closed"),
)


def _support() -> tuple[Step, ...]:
    return (
        Step(
            "authority",
            "record_consent",
            "notified",
            (1, 8),
            {"scope": "Socialtjänsten", "expires_on": "+180"},
        ),
        Step("authority", "start_collaboration", "collaboration", (1, 5)),
        Step("authority", "record_support", "collaboration", (1, 10), {"kind": SUPPORT}),
    )


def _storning_paths() -> list[Path]:
    return [
        Path(
            "dialog",
            "storning",
            26,
            (
                OPENING_INCIDENT,
                _CONTACT,
                Step("customer", "hold_meeting", "dialogue", (1, 8)),
                Step("customer", "resolve", "resolved", (3, 20)),
                Step("authority", "close", "closed"),
                Step("legal", "close", "closed"),
            ),
            "dialog",
        ),
        Path(
            "rattelse",
            "storning",
            24,
            (OPENING_INCIDENT, _CONTACT, *_UPPMANING, *_CLOSE_ALL_FROM_MONITORING),
            "rattelse",
        ),
        Path(
            "rattelse_med_stod",
            "storning",
            8,
            (OPENING_INCIDENT, _CONTACT, *_UPPMANING, *_support(), *_CLOSE_ALL_FROM_MONITORING),
            "rattelse",
        ),
        Path(
            "flyttat",
            "storning",
            8,
            (
                OPENING_INCIDENT,
                _CONTACT,
                *_UPPMANING,
                Step("legal", "tenant_moved", "closed", (10, 60)),
            ),
            "flyttat",
        ),
        Path(
            "aterkallad",
            "storning",
            7,
            (
                OPENING_INCIDENT,
                _CONTACT,
                *_UPPMANING,
                *_NEW_INCIDENT,
                *_TERMINATION,
                *_support(),
                Step(
                    "legal",
                    "withdraw",
                    "monitoring",
                    (10, 40),
                    reason="Hyresgästen har tagit emot stöd och störningarna har upphört.",
                ),
                *_CLOSE_ALL,
            ),
            "uppsagning_aterkallad",
        ),
        Path(
            "avhyst",
            "storning",
            3,
            (
                OPENING_INCIDENT,
                _CONTACT,
                *_UPPMANING,
                *_NEW_INCIDENT,
                *_TERMINATION,
                Step("legal", "apply_eviction", "kronofogden", (5, 20)),
                Step("legal", "record_eviction", "evicted", (20, 60)),
            ),
            "avhyst",
        ),
        Path(
            "allvarlig",
            "storning",
            3,
            (
                OPENING_INCIDENT,
                Step("legal", "classify_severe", "severe_review", (0, 3)),
                Step(
                    "legal",
                    "terminate",
                    "terminated",
                    (1, 5),
                    reason="Våld mot granne; särskilt allvarlig störning.",
                ),
                Step("authority", "notify_social_services", "notice_drafted"),
                _letter("underrattelse_socialnamnd"),
                Step(
                    "authority",
                    "letter_sent",
                    "notified",
                    params={"template": "underrattelse_socialnamnd"},
                ),
                Step("legal", "tenant_moved", "closed", (10, 45)),
            ),
            "flyttat",
            severe=True,
        ),
    ]


def _arrears_paths() -> list[Path]:
    paid = (
        Step("legal", "record_payment", "overdue", (2, 15), {"amount": "full"}),
        Step("legal", "settle", "paid"),
    )
    terminated = (
        Step("legal", "forfeit", "forfeited", (5, 8)),
        Step(
            "legal",
            "terminate",
            "terminated",
            (1, 6),
            reason="Hyran är obetald sedan förfallodagen; hyresrätten är förverkad.",
        ),
        Step(
            None,
            "letter_served",
            gap=(2, 8),
            params={"template": "uppsagning_hyresskuld", "proof": "Delgivningskvitto"},
        ),
        Step(
            "legal",
            "letter_served",
            "terminated",
            params={"template": "uppsagning_hyresskuld", "all_served": True},
        ),
        _letter("meddelande_socialnamnd_44"),
        Step(
            "legal", "letter_sent", "terminated", params={"template": "meddelande_socialnamnd_44"}
        ),
        Step(
            "authority", "letter_sent", "notified", params={"template": "meddelande_socialnamnd_44"}
        ),
        Step("legal", "record_service", "recovery_period"),
    )
    return [
        Path(
            "betald",
            "hyresskuld",
            14,
            (Step("customer", "send_reminder", "contact_pending", (1, 3)), *paid),
            "rattelse",
        ),
        Path(
            "avbetalning",
            "hyresskuld",
            8,
            (
                _CONTACT,
                Step("customer", "agree_payment_plan", "plan_agreed", (1, 5), {"count": "3"}),
                Step("customer", "record_instalment", "plan_agreed", (18, 24)),
                Step("customer", "record_instalment", "plan_agreed", (18, 24)),
                *paid,
            ),
            "rattelse",
        ),
        Path(
            "avbetalning_bruten",
            "hyresskuld",
            3,
            (
                _CONTACT,
                Step("customer", "agree_payment_plan", "plan_agreed", (1, 5), {"count": "4"}),
                Step("customer", "miss_instalment", "plan_broken", (18, 24)),
                *terminated,
                Step("legal", "social_services_commitment", "recovered", (3, 12)),
            ),
            "atervunnen",
        ),
        Path(
            "atervunnen",
            "hyresskuld",
            6,
            (*terminated, Step("legal", "social_services_commitment", "recovered", (3, 12))),
            "atervunnen",
        ),
        Path(
            "avhyst",
            "hyresskuld",
            2,
            (
                *terminated,
                Step("legal", "recovery_expires", "recovery_expired", (15, 16)),
                Step("legal", "apply_eviction", "kronofogden", (3, 10)),
                Step("legal", "record_eviction", "evicted", (20, 50)),
            ),
            "avhyst",
        ),
        Path(
            "flyttat",
            "hyresskuld",
            2,
            (_CONTACT, Step("legal", "tenant_moved", "closed", (5, 30))),
            "flyttat",
        ),
    ]


PATHS: tuple[Path, ...] = (*_storning_paths(), *_arrears_paths())
FINAL_LEGAL = frozenset({"closed", "evicted", "paid", "recovered"})


def check_paths(workflows: dict[str, Workflow], paths: Sequence[Path] = PATHS) -> None:
    """Walk every path through its workflow as the journal's replay would (`replay_states`): each
    track step must be a transition from the state the track is in to the state the step names.
    Raises ValueError naming the first step that is not."""
    for path in paths:
        workflow = workflows[path.case_type]
        states = {name: track.initial for name, track in workflow.tracks.items()}
        for index, step in enumerate(path.steps):
            if step.track is None:
                continue
            track = workflow.tracks[step.track]
            source = states[step.track]
            dest = step.to or source
            if not any((t.dest or source) == dest for t in track.candidates(step.event, source)):
                raise ValueError(
                    f"path {path.name} step {index}: no {step.track}.{step.event} "
                    f"{source} -> {dest} in {workflow.id} v{workflow.version}"
                )
            states[step.track] = dest
        if states["legal"] not in FINAL_LEGAL:
            raise ValueError(f"path {path.name} does not end the case ({states['legal']})")
