"""Named effects: what a transition does besides changing state, referred to by name in the YAML.

An effect in YAML is a one-key mapping `{name: argument}` with an optional `when:` condition. Each effect
here has a validator (run by the loader, so a typo fails at `workflow check`, not in front of an officer)
and an `apply` that acts through the engine's operations inside the event's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storning.context import EventContext

if TYPE_CHECKING:
    from storning.definitions.schema import WorkflowDef

VALUE_SOURCES = ("$now", "$today", "$reason", "$incident.at", "$incident.id")


@dataclass(frozen=True)
class LoadScope:
    """What a validator may look at: the whole definition, the track it sits in, the letters folder."""

    workflow: WorkflowDef
    track: str
    letters_dir: Path


@dataclass(frozen=True)
class Effect:
    name: str
    validate: Callable[[Any, LoadScope], list[str]]
    apply: Callable[[EventContext, Any], None]


EFFECTS: dict[str, Effect] = {}


def effect(
    name: str, validate: Callable[[Any, LoadScope], list[str]]
) -> Callable[[Callable[[EventContext, Any], None]], Callable[[EventContext, Any], None]]:
    def register(apply: Callable[[EventContext, Any], None]) -> Callable[[EventContext, Any], None]:
        EFFECTS[name] = Effect(name, validate, apply)
        return apply

    return register


# --- validators -------------------------------------------------------------------------------------


def _template_exists(arg: Any, scope: LoadScope) -> list[str]:
    if not isinstance(arg, str):
        return ["the letter effect takes a template name"]
    if not (scope.letters_dir / f"{arg}.typ.j2").is_file():
        return [f"letter template '{arg}' has no file {arg}.typ.j2 in {scope.letters_dir}"]
    return []


def _emit_target(arg: Any, scope: LoadScope) -> list[str]:
    if not isinstance(arg, str) or arg.count(".") != 1:
        return ["emit takes 'track.event', e.g. authority.notify_social_services"]
    track, event = arg.split(".")
    tracks = scope.workflow.tracks
    if track not in tracks:
        return [f"emit names the unknown track '{track}'"]
    if not any(t.event == event for t in tracks[track].transitions):
        return [f"emit names the event '{event}', which track '{track}' does not have"]
    return []


def _timer_name(arg: Any, scope: LoadScope) -> list[str]:
    timers = scope.workflow.tracks[scope.track].timers
    if arg not in timers:
        known = ", ".join(sorted(timers)) or "none"
        return [f"unknown timer '{arg}' (this track declares: {known})"]
    return []


def _fact_values(arg: Any, _scope: LoadScope) -> list[str]:
    if not isinstance(arg, dict) or not arg:
        return ["takes a mapping of fact name to value"]
    problems = []
    for name, value in arg.items():
        if isinstance(value, str) and value.startswith("$") and not _is_source(value):
            problems.append(
                f"fact '{name}': unknown value source '{value}' "
                f"(use {', '.join(VALUE_SOURCES)} or $param.NAME)"
            )
    return problems


def _is_source(value: str) -> bool:
    """`$now`, `$today`, `$reason`, `$incident.*`, `$param.NAME`, or alternatives `$a|$b` (first set)."""
    return all(part in VALUE_SOURCES or part.startswith("$param.") for part in value.split("|"))


def _recipients(arg: Any, _scope: LoadScope) -> list[str]:
    if not isinstance(arg, list) or not arg or not set(arg) <= {"owner", "supervisor"}:
        return ["notify takes a list of recipients: owner, supervisor"]
    return []


def _fact_name(arg: Any, _scope: LoadScope) -> list[str]:
    return [] if isinstance(arg, str) and arg else ["takes a fact name"]


def _months(arg: Any, _scope: LoadScope) -> list[str]:
    ok = (
        isinstance(arg, dict)
        and isinstance(arg.get("months", 3), int)
        and isinstance(arg.get("from", "$today"), str)
        and set(arg) <= {"months", "from"}
    )
    return [] if ok else ["compute_lease_end takes {months: N, from: $today | FACT}"]


# --- values -----------------------------------------------------------------------------------------


def resolve_value(ctx: EventContext, value: Any) -> Any:
    """A literal, or a `$source`: the event time, its day, the reason, a parameter, or the incident."""
    if not isinstance(value, str) or not value.startswith("$"):
        return value
    if "|" in value:
        for part in value.split("|"):
            resolved = resolve_value(ctx, part)
            if resolved is not None:
                return resolved
        return None
    if value == "$now":
        return ctx.now
    if value == "$today":
        return ctx.today
    if value == "$reason":
        return ctx.reason
    if value.startswith("$param."):
        return ctx.params.get(value.removeprefix("$param."))
    if ctx.incident is None:
        return None
    return ctx.incident.at if value == "$incident.at" else ctx.incident.id


# --- effects ----------------------------------------------------------------------------------------


@effect("letter", _template_exists)
def _letter(ctx: EventContext, template: str) -> None:
    ctx.operations.create_letter(ctx, template)


@effect("emit", _emit_target)
def _emit(ctx: EventContext, target: str) -> None:
    track, event = target.split(".")
    ctx.operations.emit(ctx, track, event)


@effect("timer", _timer_name)
def _timer(ctx: EventContext, name: str) -> None:
    ctx.operations.start_timer(ctx, name)


@effect("cancel_timer", _timer_name)
def _cancel_timer(ctx: EventContext, name: str) -> None:
    ctx.operations.cancel_timers(ctx, name)


@effect("set_fact", _fact_values)
def _set_fact(ctx: EventContext, values: dict[str, Any]) -> None:
    for name, value in values.items():
        ctx.set_fact(name, resolve_value(ctx, value))


@effect("append_fact", _fact_values)
def _append_fact(ctx: EventContext, values: dict[str, Any]) -> None:
    for name, value in values.items():
        resolved = resolve_value(ctx, value)
        ctx.set_fact(name, [*ctx.facts.get(name, []), resolved])


@effect("link_incident", _fact_name)
def _link_incident(ctx: EventContext, fact: str) -> None:
    if ctx.incident is not None:
        ctx.set_fact(fact, [*ctx.facts.get(fact, []), ctx.incident.id])


def _fact_names(arg: Any, _scope: LoadScope) -> list[str]:
    ok = isinstance(arg, list) and arg and all(isinstance(x, str) for x in arg)
    return [] if ok else ["clear_facts takes a list of fact names"]


@effect("clear_facts", _fact_names)
def _clear_facts(ctx: EventContext, names: list[str]) -> None:
    for name in names:
        ctx.set_fact(name, None)


@effect("increment_fact", _fact_name)
def _increment_fact(ctx: EventContext, fact: str) -> None:
    ctx.set_fact(fact, int(ctx.facts.get(fact) or 0) + 1)


@effect("compute_lease_end", _months)
def _compute_lease_end(ctx: EventContext, arg: dict[str, Any]) -> None:
    """12 kap. 4 §: the lease ends at the turn of the month nearest after three months from the day
    the termination is made (`from`: a date fact such as the posting or service day; by default the
    event's day, which is provisional until the letter is sent)."""
    source = arg.get("from", "$today")
    start = ctx.today if source == "$today" else ctx.fact_date(source)
    if start is not None:
        ctx.set_fact("lease_end_on", ctx.calendar.lease_end_12_4(start, arg.get("months", 3)))


@effect("notify", _recipients)
def _notify(ctx: EventContext, recipients: list[str]) -> None:
    label = ctx.transition.label if ctx.transition else ctx.event
    ctx.operations.notify(ctx, recipients, f"{ctx.case.ref}: {label}")


# --- conditions -------------------------------------------------------------------------------------

CONDITION_KEYS = ("override", "complainants")


def validate_when(when: dict[str, Any]) -> list[str]:
    problems = []
    for key, expected in when.items():
        if isinstance(expected, dict) and set(expected) != {"not"}:
            problems.append(f"condition '{key}': a mapping here must be {{not: VALUE}}")
        if key in CONDITION_KEYS or key.startswith(("param.", "fact.")):
            continue
        problems.append(
            f"unknown condition '{key}' (use override, complainants, param.NAME, fact.NAME)"
        )
    return problems


def matches(ctx: EventContext, when: dict[str, Any]) -> bool:
    """True when every condition holds; a list value means 'any of these', `{not: V}` 'anything but
    V' (`{not: null}`: the fact or parameter is set)."""
    for key, expected in when.items():
        if key == "override":
            actual: Any = bool(ctx.override)
        elif key == "complainants":
            actual = bool(ctx.complainants)
        elif key.startswith("param."):
            actual = ctx.params.get(key.removeprefix("param."))
        else:
            actual = ctx.facts.get(key.removeprefix("fact."))
        if isinstance(expected, dict):
            if actual == expected["not"]:
                return False
        elif isinstance(expected, list):
            if actual not in expected:
                return False
        elif actual != expected:
            return False
    return True
