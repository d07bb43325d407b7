"""Load workflow YAML into compiled `Workflow`s, reporting every problem as one sentence that names the
file, the line and the path inside the document (a landlord's admin edits these files)."""

from __future__ import annotations

import hashlib
import json
from collections import deque
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

import storning.arrears  # noqa: F401  (registers the rent-arrears guards and effects)
from storning.calendar import parse_period
from storning.definitions.model import EffectCall, Track, Transition, Workflow
from storning.definitions.schema import ANY_STATE, PRESENTATION_KEYS, TrackDef, WorkflowDef
from storning.definitions.yamlsource import (
    SAFE_LOADER,
    DuplicateKey,
    LocatedDocument,
    load_located,
)
from storning.effects import EFFECTS, LoadScope, validate_when
from storning.errors import DefinitionError
from storning.guards import GUARDS


def load_text(text: str, file: str, letters_dir: Path) -> Workflow:
    """Parse, validate and compile one definition; raise DefinitionError listing every problem."""
    try:
        doc = load_located(text, file)
    except DuplicateKey as error:
        raise DefinitionError([f"{file}, rad {error.line}: {error}."]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(error, "problem", None) or str(error)
        raise DefinitionError([f"{file}, rad {line}: invalid YAML: {problem}."]) from None
    try:
        definition = WorkflowDef.model_validate(doc.data)
    except ValidationError as error:
        raise DefinitionError([_pydantic_problem(doc, e) for e in error.errors()]) from None
    problems = _cross_check(doc, definition, letters_dir)
    if problems:
        raise DefinitionError(problems)
    return _compile(definition, text, file)


def load_file(path: Path, letters_dir: Path) -> Workflow:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DefinitionError([f"{path}: cannot read the file ({error.strerror})."]) from None
    except UnicodeDecodeError:
        raise DefinitionError([f"{path}: the file is not UTF-8 text (is it YAML?)."]) from None
    return load_text(text, str(path), letters_dir)


def load_directory(directory: Path, letters_dir: Path) -> list[Workflow]:
    """Every `*.yaml` in `directory`; all problems across all files are reported together."""
    workflows, problems = [], []
    for path in sorted(directory.glob("*.yaml")):
        try:
            workflows.append(load_file(path, letters_dir))
        except DefinitionError as error:
            problems.extend(error.problems)
    if problems:
        raise DefinitionError(problems)
    return workflows


def _pydantic_problem(doc: LocatedDocument, error: Any) -> str:
    path = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown key (check the spelling against workflows/README.md)"
    elif error["type"] == "missing":
        message = "required key is missing"
    return f"{doc.where(path)}: {message}."


def _cross_check(doc: LocatedDocument, wf: WorkflowDef, letters_dir: Path) -> list[str]:
    problems: list[str] = []

    def problem(path: tuple[Any, ...], message: str) -> None:
        problems.append(f"{doc.where(path)}: {message}.")

    for name, track in wf.tracks.items():
        base: tuple[Any, ...] = ("tracks", name)
        scope = LoadScope(wf, name, letters_dir)
        if track.initial not in track.states:
            problem((*base, "initial"), f"unknown state '{track.initial}'")
        for state_name, state in track.states.items():
            for i, timer_ref in enumerate(state.timers):
                if timer_ref not in track.timers:
                    problem(
                        (*base, "states", state_name, "timers", i), f"unknown timer '{timer_ref}'"
                    )
        for timer_name, timer in track.timers.items():
            _check_timer(problem, (*base, "timers", timer_name), timer, track, wf)
        _check_effects(problem, (*base, "on_open"), track.on_open, scope)
        seen: dict[tuple[str, str, str], int] = {}
        for i, transition in enumerate(track.transitions):
            path = (*base, "transitions", i)
            _check_transition(problem, path, transition, track, scope)
            for source in _expand(track, transition.sources):
                key = (transition.event, source, repr(sorted(transition.when.items())))
                if key in seen:
                    problem(
                        (*path, "event"),
                        f"duplicate event '{transition.event}' from state '{source}' "
                        f"(also transitions[{seen[key]}])",
                    )
                seen[key] = i
        for state_name in _unreachable(track):
            problem((*base, "states", state_name), f"state '{state_name}' is unreachable")
    return problems


def _check_transition(
    problem: Any, path: tuple[Any, ...], t: Any, track: TrackDef, scope: Any
) -> None:
    for j, source in enumerate(t.sources):
        if source != ANY_STATE and source not in track.states:
            problem((*path, "from", j), f"unknown state '{source}'")
        elif source in track.states and track.states[source].final:
            problem((*path, "from", j), f"state '{source}' is final and cannot be left")
    if t.dest is not None and t.dest not in track.states:
        problem((*path, "to"), f"unknown state '{t.dest}'")
    if not t.system and not t.label:
        problem(path, f"event '{t.event}' needs a Swedish label")
    if t.system and t.confirm:
        problem((*path, "confirm"), "only an event officers fire can ask for a confirmation")
    for j, guard_id in enumerate(t.guards):
        if guard_id not in GUARDS:
            problem(
                (*path, "guards", j),
                f"unknown guard '{guard_id}' (known: {', '.join(sorted(GUARDS))})",
            )
    for message in validate_when(t.when):
        problem((*path, "when"), message)
    _check_effects(problem, (*path, "effects"), t.effects, scope)


def _check_effects(
    problem: Any, path: tuple[Any, ...], effects: list[dict[str, Any]], scope: Any
) -> None:
    for j, raw in enumerate(effects):
        names = [k for k in raw if k != "when"]
        if len(names) != 1:
            problem((*path, j), "an effect is one 'name: argument' pair, optionally with 'when'")
            continue
        name = names[0]
        if name not in EFFECTS:
            problem(
                (*path, j, name), f"unknown effect '{name}' (known: {', '.join(sorted(EFFECTS))})"
            )
            continue
        for message in EFFECTS[name].validate(raw[name], scope):
            problem((*path, j, name), message)
        for message in validate_when(raw.get("when", {})):
            problem((*path, j, "when"), message)


def _check_timer(
    problem: Any, path: tuple[Any, ...], timer: Any, track: TrackDef, wf: WorkflowDef
) -> None:
    for key in ("after", "every"):
        value = getattr(timer, key)
        if value is not None:
            try:
                parse_period(value)
            except ValueError as error:
                problem((*path, key), str(error).rstrip("."))
    for j, before in enumerate(timer.before):
        try:
            parse_period(before)
        except ValueError as error:
            problem((*path, "before", j), str(error).rstrip("."))
    if timer.fires is not None and not any(t.event == timer.fires for t in track.transitions):
        problem((*path, "fires"), f"the track has no event '{timer.fires}'")
    if timer.fires is None and not timer.reminds:
        problem(path, "a timer must either fire an event or remind someone")
    if timer.start != "now" and timer.start not in wf.facts:
        problem((*path, "from"), f"'{timer.start}' is neither 'now' nor a declared fact")


def _expand(track: TrackDef, sources: list[str]) -> list[str]:
    if ANY_STATE in sources:
        return [s for s, d in track.states.items() if not d.final]
    return [s for s in sources if s in track.states]


def _unreachable(track: TrackDef) -> list[str]:
    if track.initial not in track.states:
        return []
    seen, queue = {track.initial}, deque([track.initial])
    while queue:
        state = queue.popleft()
        for t in track.transitions:
            if t.dest and t.dest not in seen and state in _expand(track, t.sources):
                seen.add(t.dest)
                queue.append(t.dest)
    return [s for s in track.states if s not in seen]


def rules_digest(text: str) -> str:
    """A digest of what a definition decides: its document without comments, layout and the
    presentation-only transition keys (`PRESENTATION_KEYS`). Two texts with the same rules digest
    treat every case alike."""
    data = yaml.load(text, Loader=SAFE_LOADER)
    for track in (data.get("tracks") or {}).values():
        for transition in (track or {}).get("transitions") or []:
            for key in PRESENTATION_KEYS:
                transition.pop(key, None)
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _effect_calls(raw_effects: list[dict[str, Any]]) -> tuple[EffectCall, ...]:
    calls = []
    for raw in raw_effects:
        name = next(k for k in raw if k != "when")
        calls.append(EffectCall(name, raw[name], dict(raw.get("when", {}))))
    return tuple(calls)


def _compile(wf: WorkflowDef, text: str, file: str) -> Workflow:
    tracks = {}
    for name, track in wf.tracks.items():
        transitions = tuple(
            Transition(
                index=i,
                event=t.event,
                label=t.label or t.event,
                sources=tuple(t.sources),
                dest=t.dest,
                guards=tuple(t.guards),
                effects=_effect_calls(t.effects),
                when=dict(t.when),
                system=t.system,
                requires_reason=t.requires_reason,
                params=dict(t.params),
                confirm=t.confirm,
            )
            for i, t in enumerate(track.transitions)
        )
        tracks[name] = Track(
            name=name,
            title=track.title,
            initial=track.initial,
            states=dict(track.states),
            transitions=transitions,
            timers=dict(track.timers),
            on_open=_effect_calls(track.on_open),
        )
    digest = hashlib.sha256(text.encode()).hexdigest()
    return Workflow(
        wf.id, wf.version, wf.title, wf.ref_prefix, tracks, dict(wf.facts), text, file, digest
    )
