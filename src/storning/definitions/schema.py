"""The shape of a workflow YAML file, as pydantic models. See workflows/README.md for the prose."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

TRACKS: tuple[str, ...] = ("legal", "authority", "customer")
ANY_STATE = "*"
# Transition keys that only say how an event is offered on screen: changing them changes no rule, so a
# stored definition may take them over without a new version (`WorkflowRegistry.install`).
PRESENTATION_KEYS: frozenset[str] = frozenset({"confirm"})


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class StateDef(Strict):
    label: str
    final: bool = False
    timers: list[str] = Field(default_factory=list)


class ParamDef(Strict):
    label: str
    type: Literal["text", "date", "datetime", "amount", "int", "bool", "choice"] = "text"
    required: bool = False
    choices: list[str] | None = None
    # a date of something that has happened (a decision, a notice received): never in the future
    past: bool = False


class TransitionDef(Strict):
    event: str
    label: str | None = None
    sources: list[str] = Field(alias="from")
    dest: str | None = Field(default=None, alias="to")
    guards: list[str] = Field(default_factory=list)
    effects: list[dict[str, Any]] = Field(default_factory=list)
    when: dict[str, Any] = Field(default_factory=dict)
    system: bool = False
    requires_reason: bool = False
    # How the officer's screen offers the event (no rule: the engine does not look at it).
    confirm: bool = False
    params: dict[str, ParamDef] = Field(default_factory=dict)

    @field_validator("sources", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class TimerDef(Strict):
    label: str = Field(max_length=200)  # stored with every timer row (timers.label)
    after: str
    start: str = Field(default="now", alias="from")
    calendar: Literal["statutory", "working_days"] = "working_days"
    fires: str | None = None
    reminds: list[Literal["owner", "supervisor"]] = Field(default_factory=list)
    before: list[str] = Field(default_factory=list)
    escalate: list[Literal["owner", "supervisor"]] = Field(default_factory=list)
    every: str | None = None
    scope: Literal["state", "case"] = "state"
    deadline_fact: str | None = None


class TrackDef(Strict):
    title: str
    initial: str
    states: dict[str, StateDef]
    transitions: list[TransitionDef]
    timers: dict[str, TimerDef] = Field(default_factory=dict)
    on_open: list[dict[str, Any]] = Field(default_factory=list)


class FactDef(Strict):
    label: str
    type: Literal["text", "date", "datetime", "amount", "int", "bool", "list"] = "text"


class WorkflowDef(Strict):
    id: str
    version: int
    title: str
    ref_prefix: str
    tracks: dict[str, TrackDef]
    facts: dict[str, FactDef] = Field(default_factory=dict)

    @field_validator("tracks")
    @classmethod
    def _three_tracks(cls, value: dict[str, TrackDef]) -> dict[str, TrackDef]:
        if sorted(value) != sorted(TRACKS):
            raise ValueError(f"must define exactly the tracks {', '.join(TRACKS)}")
        return value
