"""A letter can always be produced, or the gap is named at once (issue 10 item 5).

The case's own details that letters need (postal code, city, contract number, municipality) are
checked against the letters the workflow may draft: the gaps are listed on the case document
(`letter_gaps`), every action that would draft a letter with a gap is shown as blocked, and firing it
is refused with what to complete and how.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from storning.definitions.model import Transition, Workflow
from storning.errors import BlockedReason, cli
from storning.letters import TEMPLATE_CATALOG
from storning.letters.catalog import SUFFIX, resolve_dir
from storning.letters.requirements import DETAILS, Detail, needed_by_templates
from storning.store.models import Case

GUARD_ID = "letter_data"


def _missing(case: Case, detail: Detail) -> bool:
    return not (getattr(case, detail.path.removeprefix("tenant."), None) or "").strip()


def drafted_by(workflow: Workflow, states: Mapping[str, str], transition: Transition) -> list[str]:
    """The letters a transition may draft (a letter under a `when` counts), with those of the events
    it emits (one level), from the tracks' current `states`."""
    templates: list[str] = []
    for call in transition.effects:
        if call.name == "letter":
            templates.append(str(call.arg))
        elif call.name == "emit":
            track, event = str(call.arg).split(".")
            for emitted in workflow.tracks[track].events_from(states[track]):
                if emitted.event == event:
                    templates += [str(c.arg) for c in emitted.effects if c.name == "letter"]
    return templates


def _drafted_by(workflow: Workflow, case: Case, transition: Transition) -> list[str]:
    if not any(call.name in ("letter", "emit") for call in transition.effects):
        return []
    states = {name: case.track_state(name).state for name in workflow.tracks}
    return drafted_by(workflow, states, transition)


def title_of(template: str) -> str:
    """The letter's title as officers know it (its id when the catalogue lacks it)."""
    entry = TEMPLATE_CATALOG.get(template)
    return entry.title if entry else template


def letter_gaps(workflow: Workflow, case: Case, letters_dir: Any) -> list[dict[str, Any]]:
    """Each missing detail with the letters of this workflow that need it and how to complete it."""
    templates = sorted(
        {
            str(c.arg)
            for track in workflow.tracks.values()
            for t in track.transitions
            for c in t.effects
            if c.name == "letter"
        }
    )
    if not templates or not any(_missing(case, detail) for detail in DETAILS):
        return []
    needs = _needs(templates, letters_dir)
    gaps: dict[str, dict[str, Any]] = {}
    for template, details in needs.items():
        for detail in details:
            if _missing(case, detail):
                gap = gaps.setdefault(
                    detail.path,
                    {
                        "field": detail.path.removeprefix("tenant."),
                        "label": detail.label,
                        "letters": [],
                        "fix": f"storning case update {case.ref} {detail.option} …",
                    },
                )
                gap["letters"].append(title_of(template))
    return list(gaps.values())


def blocking_reason(
    workflow: Workflow, case: Case, transition: Transition, letters_dir: Any
) -> BlockedReason | None:
    """Why the transition cannot be done yet: the details its letters lack, and what to do."""
    templates = _drafted_by(workflow, case, transition)
    # Checked on every event: most draft no letter, and a case with every detail has no gap whatever
    # its letters need, so the templates are asked (file checks, cached probes) only when it matters.
    if not templates or not any(_missing(case, detail) for detail in DETAILS):
        return None
    needs = _needs(templates, letters_dir)
    missing: list[Detail] = []
    letters: list[str] = []
    for template, details in needs.items():
        lacking = [d for d in details if _missing(case, d)]
        if lacking:
            letters.append(title_of(template))
            missing += [d for d in lacking if d not in missing]
    if not missing:
        return None
    labels = _joined([d.label for d in missing])
    options = " ".join(f"{d.option} …" for d in missing)
    return BlockedReason(
        GUARD_ID,
        f"Brevet {_joined(letters)} kan inte skapas förrän ärendet har {labels}; komplettera i "
        "formuläret Ändra uppgifter på ärendets sida"
        + cli(f" eller med 'storning case update {case.ref} {options}'"),
        None,
        False,
    )


def gap_for_event(
    workflow: Workflow, case: Case, track: str, event: str, letters_dir: Any
) -> BlockedReason | None:
    """The gap (if any) of the first transition of `event` from `track`'s current state."""
    if track not in workflow.tracks:
        return None
    state = case.track_state(track).state
    for transition in workflow.tracks[track].events_from(state):
        if transition.event == event:
            return blocking_reason(workflow, case, transition, letters_dir)
    return None


def mark_actions(
    workflow: Workflow, case: Case, actions: list[dict[str, Any]], letters_dir: Any
) -> None:
    """Block, in the case document, each action whose letters lack a detail."""
    for action in actions:
        reason = gap_for_event(workflow, case, action["track"], action["event"], letters_dir)
        if reason is not None:
            action["allowed"] = False
            action["blocked_by"] = [*action["blocked_by"], reason.as_dict()]


def _needs(templates: list[str], letters_dir: Any) -> dict[str, tuple[Detail, ...]]:
    """`needed_by_templates`, remembered while the catalog and the templates' files are unchanged
    (their modification times, read with one `stat` each, are part of the key)."""
    directory = str(resolve_dir(letters_dir))
    names = ("catalog.yaml", *(f"{template}{SUFFIX}" for template in templates))
    stamps = tuple(_stamp(os.path.join(directory, name)) for name in names)
    return _needs_of(tuple(templates), directory, stamps)


@lru_cache(maxsize=256)
def _needs_of(
    templates: tuple[str, ...], directory: str, _stamps: tuple[int, ...]
) -> dict[str, tuple[Detail, ...]]:
    return needed_by_templates(list(templates), Path(directory))


def _stamp(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


def _joined(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " och " + items[-1]
