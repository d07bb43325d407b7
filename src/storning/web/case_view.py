"""The case page's view model: the case document (DESIGN §7) arranged for the template — tracks side by
side with their actions, each blocked action with its reasons, labels for every id, the journal as a
timeline, and the diagrams. Pure arrangement: no database access beyond the workflow definition.
"""

from __future__ import annotations

from typing import Any

from storning.definitions.model import Workflow
from storning.web import labels
from storning.web.diagrams import path_taken, track_svg, track_text, track_text_html

INPUT_TYPES = {"date": "date", "datetime": "datetime-local", "int": "number", "amount": "text"}


def _field(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    named = spec.get("choice_labels") or {}  # a service-added parameter names its choices
    choices = [(c, named.get(c) or labels.CHOICES.get(c, c)) for c in spec.get("choices") or []]
    kind = spec.get("type", "text")
    return {
        "name": name,
        "label": spec.get("label", name),
        "kind": kind,
        "input": INPUT_TYPES.get(kind, "text"),
        "required": bool(spec.get("required")),
        "choices": choices,
    }


def _action(action: dict[str, Any], may_override: bool, confirm: bool) -> dict[str, Any]:
    """One button. `confirm` (from the workflow's `confirm: true`): a step an officer should not take
    by a slip of the mouse opens behind a confirmation."""
    blocked = action["blocked_by"]
    overridable = bool(blocked) and all(b["overridable"] for b in blocked)
    return {
        **action,
        "id": f"{action['track']}-{action['event']}",
        "fields": [_field(n, s) for n, s in (action.get("params") or {}).items()],
        "overridable": overridable,
        "can_override": overridable and may_override,
        "confirm": confirm,
    }


def _event_labels(workflow: Workflow) -> dict[tuple[str, str], str]:
    result: dict[tuple[str, str], str] = {}
    for name, track in workflow.tracks.items():
        for t in track.transitions:
            if not t.system and t.label:
                result.setdefault((name, t.event), t.label)
    return result


REACTIONS = frozenset({"letter_sent", "letter_served", "incident_recorded"})


def _timer_labels(workflow: Workflow) -> dict[str, str]:
    return {name: spec.label for t in workflow.tracks.values() for name, spec in t.timers.items()}


def _journal(document: dict[str, Any], workflow: Workflow, titles: dict[str, str]) -> list[Any]:
    """The journal, oldest first. A track's reaction to a case-level record (a letter sent, an
    incident) is shown under that record as a state change instead of as a row of its own."""
    events = _event_labels(workflow)
    timers = _timer_labels(workflow)
    rows: list[dict[str, Any]] = []
    for e in document["journal"]:
        track = workflow.tracks.get(e["track"]) if e["track"] else None
        moved = bool(track and e["to"] and e["to"] != e["from"])
        change = (
            {"track": track.title, "from": track.label(e["from"]), "to": track.label(e["to"])}
            if track and moved
            else None
        )
        if track and e["event"] in REACTIONS and rows and rows[-1]["at"] == e["at"]:
            if change:
                rows[-1]["changes"].append(change)
            continue
        what = events.get((e["track"], e["event"])) or labels.CASE_EVENTS.get(
            e["event"], e["event"]
        )
        rows.append(
            {
                **e,
                "what": what,
                "track_title": track.title if track else "",
                "changes": [change] if change else [],
                "detail": _detail(e["event"], e.get("params") or {}, titles, timers),
            }
        )
    return rows


def _detail(
    event: str, params: dict[str, Any], titles: dict[str, str], timers: dict[str, str]
) -> str:
    template = params.get("template")
    if event in ("letter_sent", "letter_served") and template:
        method = labels.SENDING_METHODS.get(params.get("method") or "", "")
        day = params.get("sent_on") or params.get("served_on") or ""
        return ", ".join(x for x in (titles.get(template, template), method.lower(), day) if x)
    if event == "incident_added":
        return labels.INCIDENT_KINDS.get(params.get("kind", ""), "")
    if event == "case_reassigned":
        return f"{params.get('from')} → {params.get('to')}"
    if event == "complainant_added":
        return f"anmälare {params.get('complainant')}" + (
            ", skyddad identitet" if params.get("protected") else ""
        )
    if event == "complainant_updated":
        changed = [labels.COMPLAINANT_FIELDS.get(n, n) for n in params.get("changed", [])]
        return f"anmälare {params.get('complainant')}: {', '.join(changed)}"
    if event.startswith("timer_"):
        name = str(params.get("timer", ""))
        return f"{timers.get(name, name)} (senast {params.get('due_on', '')})"
    shown = {k: v for k, v in params.items() if k not in ("type", "version", "incident_id")}
    return ", ".join(
        f"{labels.CHOICES.get(str(v), v)}" for v in shown.values() if v not in (None, "")
    )


def _fact_label(name: str, workflow: Workflow, titles: dict[str, str]) -> str:
    spec = workflow.facts.get(name)
    if spec is not None:
        return spec.label
    for suffix, verb in (
        ("_sent_on", "skickat"),
        ("_served_on", "delgivet"),
        ("_pending", "väntar på"),
    ):
        if name.endswith(suffix) and name[: -len(suffix)] in titles:
            return f"{titles[name[: -len(suffix)]]}: {verb}"
    return name.replace("_", " ").capitalize()


def _incident_id(value: Any, incidents: dict[int, Any]) -> bool:
    """Whether a fact's list item names an incident (other lists hold payments, plans, names)."""
    return isinstance(value, int) and value in incidents


# Letters that must be served (12 kap. 8 § JB), not only sent: their pending service is shown too.
SERVED_LETTERS = ("uppsagning_pending", "uppsagning_hyresskuld_pending")


def _pending(name: str, value: dict[str, Any]) -> str:
    keys = [("unsent", "ej skickat till")]
    if name in SERVED_LETTERS:
        keys.append(("unserved", "ej delgivet"))
    keys.append(("wrong_date", "anger fel dag för hyrestidens slut – gör ett nytt utkast till"))
    return "; ".join(f"{what} {', '.join(value[k])}" for k, what in keys if value.get(k))


def _facts(
    document: dict[str, Any], workflow: Workflow, titles: dict[str, str]
) -> list[tuple[str, str]]:
    rows = []
    incidents = {i["id"]: i for i in document["incidents"]}
    for name, value in document["facts"].items():
        label = _fact_label(name, workflow, titles)
        if isinstance(value, dict):  # `<template>_pending`: whose letter is not yet sent or served
            shown = _pending(name, value)
            if not shown:
                continue
        elif isinstance(value, list) and value and all(_incident_id(v, incidents) for v in value):
            shown = "; ".join(
                f"{incidents[v]['at'][:16].replace('T', ' ')} ({incidents[v]['kind_label'].lower()})"
                for v in value
            )
        elif isinstance(value, bool):
            shown = "Ja" if value else "Nej"
        elif isinstance(value, list):
            shown = ", ".join(str(labels.CHOICES.get(str(v), v)) for v in value) or "–"
        else:
            shown = str(value).replace("T", " ")[:16] if "T" in str(value) else str(value)
        rows.append((label, shown))
    return rows


def case_view(
    document: dict[str, Any],
    workflow: Workflow,
    titles: dict[str, str],
) -> dict[str, Any]:
    """Everything the case template shows, from the case document as the services gave it to this
    principal (redacted, with `permissions`: what the principal may do)."""
    may_act = bool(document["permissions"]["act"])
    may_override = bool(document["permissions"]["override"])
    by_track: dict[str, list[dict[str, Any]]] = {name: [] for name in document["tracks"]}
    if may_act:
        for action in document["actions"]:
            track = workflow.tracks[action["track"]]
            state = document["tracks"][action["track"]]["state"]
            confirm = track.needs_confirmation(action["event"], state)
            by_track.setdefault(action["track"], []).append(_action(action, may_override, confirm))
    tracks = [
        {
            "name": name,
            **track,
            "actions": by_track.get(name, []),
            "svg": track_svg(workflow, name, track["state"], titles),
            "map_text": track_text(workflow, name, track["state"], titles),
            "map_html": track_text_html(workflow, name, track["state"], titles),
            "path": path_taken(document, workflow, name),
        }
        for name, track in document["tracks"].items()
    ]
    letters = [
        {**x, "title": titles.get(x["template"], x["template"])} for x in document["letters"]
    ]
    return {
        "doc": document,
        "tracks": tracks,
        "may_act": may_act,
        "may_override": may_override,
        "journal": _journal(document, workflow, titles),
        "facts": _facts(document, workflow, titles),
        "letters": letters,
        "timers": document["timers"],
        "pending_timers": [t for t in document["timers"] if t["status"] == "pending"],
        # whether a complainant added now gets a confirmation and update reminders (the workflow's
        # on_open effects that depend on complainants)
        "complainant_welcome": any(
            "complainants" in call.when for t in workflow.tracks.values() for call in t.on_open
        ),
    }
