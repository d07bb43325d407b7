"""Compiled, immutable workflow definitions and their cached state machines.

One flat `transitions.Machine` per (workflow version, track), built once, with no models attached: the
engine fires `machine.events[event].trigger(model, transition.index)` on a request-local object. Each
transition carries a condition that accepts only its own index, so the engine (which has already chosen
the transition by source state and `when`) decides, and the machine does the bookkeeping and refuses an
event that has no transition from the current state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from transitions import Machine

from storning.definitions.schema import ANY_STATE, FactDef, ParamDef, StateDef, TimerDef


@dataclass(frozen=True)
class EffectCall:
    name: str
    arg: Any
    when: dict[str, Any]


@dataclass(frozen=True)
class Transition:
    index: int
    event: str
    label: str
    sources: tuple[str, ...]
    dest: str | None
    guards: tuple[str, ...]
    effects: tuple[EffectCall, ...]
    when: dict[str, Any]
    system: bool
    requires_reason: bool
    params: dict[str, ParamDef]
    confirm: bool = False  # the officer confirms in a second step (irreversible steps)


class _OnlyIndex:
    """A transition condition that accepts only the transition the engine chose."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __call__(self, chosen: int) -> bool:
        return chosen == self.index


@dataclass
class Track:
    name: str
    title: str
    initial: str
    states: dict[str, StateDef]
    transitions: tuple[Transition, ...]
    timers: dict[str, TimerDef]
    on_open: tuple[EffectCall, ...]
    _by_source: dict[tuple[str, str], list[Transition]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for transition in self.transitions:
            for source in self.expand(transition.sources):
                self._by_source.setdefault((transition.event, source), []).append(transition)

    @cached_property
    def states_with_scoped_timers(self) -> frozenset[str]:
        """States in which a state-scoped timer can be pending (leaving any other needs no cancel)."""

        def scoped(calls: tuple[EffectCall, ...]) -> bool:
            return any(c.name == "timer" and self.timers[c.arg].scope == "state" for c in calls)

        result = {name for name, state in self.states.items() if state.timers}
        for transition in self.transitions:
            if scoped(transition.effects):
                if transition.dest is not None:
                    result.add(transition.dest)
                else:
                    result.update(self.expand(transition.sources))
        if scoped(self.on_open):
            result.add(self.initial)
        return frozenset(result)

    def expand(self, sources: tuple[str, ...]) -> list[str]:
        """`*` means every state that is not final."""
        if ANY_STATE in sources:
            return [s for s, d in self.states.items() if not d.final]
        return list(sources)

    def candidates(self, event: str, state: str) -> list[Transition]:
        return self._by_source.get((event, state), [])

    def events_from(self, state: str) -> list[Transition]:
        """User (non-system) transitions leaving `state`, in definition order, one per event."""
        seen: set[str] = set()
        result = []
        for transition in self.transitions:
            if transition.system or transition.event in seen:
                continue
            if state in self.expand(transition.sources):
                seen.add(transition.event)
                result.append(transition)
        return result

    def needs_confirmation(self, event: str, state: str) -> bool:
        """Whether firing `event` from `state` asks the officer to confirm (`confirm: true`)."""
        return any(t.confirm for t in self.candidates(event, state))

    def has_event(self, event: str) -> bool:
        return any(t.event == event for t in self.transitions)

    def is_final(self, state: str) -> bool:
        return self.states[state].final

    def label(self, state: str) -> str:
        return self.states[state].label

    def event_label(self, event: str) -> str:
        """The officer's name of an event ("Registrera kontakt"); "" when it has none."""
        return next((t.label for t in self.transitions if t.event == event and t.label), "")

    @cached_property
    def machine(self) -> Machine:
        machine = Machine(
            model=None,
            states=list(self.states),
            initial=self.initial,
            auto_transitions=False,
            send_event=False,
        )
        for transition in self.transitions:
            for source in self.expand(transition.sources):
                machine.add_transition(
                    transition.event,
                    source,
                    transition.dest if transition.dest is not None else None,
                    conditions=[_OnlyIndex(transition.index)],
                )
        return machine


@dataclass
class Workflow:
    id: str
    version: int
    title: str
    ref_prefix: str
    tracks: dict[str, Track]
    facts: dict[str, FactDef]
    source: str
    source_file: str
    digest: str

    @property
    def key(self) -> tuple[str, int]:
        return (self.id, self.version)

    def track(self, name: str) -> Track:
        return self.tracks[name]
