"""Diagrams of a workflow's tracks: Mermaid, Graphviz dot, or SVG (through Graphviz's `dot`).

Generated from the compiled definition so the picture always matches what the engine runs; Swedish
labels on states and transitions (a system event by its YAML `label`, else a Swedish name for what the
product fires, never its id), final states drawn double, the current state (if given) highlighted.

`compact_dot` is the picture officers see on the web: top to bottom from the initial state, final
states at the bottom, and only the transitions that change the state (an action that keeps it is a
button on the case page, not an arrow). A step taken from `BOX_FROM` or more states starts from one
dashed box that names them ("Från varje pågående läge" for `from: "*"`) instead of a bundle of lines
across the page. `outline` is the same map as text.
"""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from storning.definitions.model import Track, Transition, Workflow
from storning.definitions.schema import ANY_STATE
from storning.errors import InvalidInput

# Swedish names of the system events the product fires into every track (workflows/README.md).
SYSTEM_EVENTS: dict[str, str] = {
    "incident_recorded": "Störning registrerad",
    "letter_sent": "Brev skickat",
    "letter_served": "Brev delgivet",
    "letter_delivered": "Brev mottaget",
    "letter_reissued": "Nytt utkast av brev",
}
AUTOMATIC = "Automatiskt"
FROM_ANY = "Från varje pågående läge"
CURRENT = "nu"
SOURCE_BOX = (
    'shape=box, style="rounded,dashed", color="#6b7680", fontcolor="#3d4750", fontsize=11,'
    ' class="from"'
)
BOX_FROM = 3  # an arrow from this many states starts from a box that names them


def render_graph(
    workflow: Workflow, track: str | None, fmt: str, current: dict[str, str] | None = None
) -> str:
    tracks = [workflow.tracks[track]] if track else list(workflow.tracks.values())
    if fmt == "mermaid":
        return "\n\n".join(mermaid(t, workflow) for t in tracks)
    dot_text = dot(workflow, tracks, current or {})
    if fmt == "dot":
        return dot_text
    return svg(dot_text)


def transition_label(
    workflow: Workflow,
    transition: Transition,
    titles: Mapping[str, str] | None = None,
    _seen: frozenset[str] = frozenset(),
) -> str:
    """The Swedish text of a transition: its `label`; for a system event without one, the Swedish
    name of the event (with the letter's title, when `titles` names the template it reacts to), or,
    for an event another transition emits, "Automatiskt efter: <that transition>"."""
    if not transition.system or transition.label != transition.event:
        return transition.label
    known = SYSTEM_EVENTS.get(transition.event)
    if known is not None:
        template = transition.when.get("param.template")
        if titles and isinstance(template, str) and template in titles:
            return f"{known}: {titles[template]}"
        return known
    emitters = []
    for other in _emitters(workflow, transition.event):
        if other.event in _seen:
            continue
        text = transition_label(workflow, other, None, _seen | {transition.event})
        if text not in emitters:
            emitters.append(text)
    if not emitters:
        return AUTOMATIC
    return f"{AUTOMATIC} efter: {' / '.join(emitters)}"


def _emitters(workflow: Workflow, event: str) -> list[Transition]:
    """The transitions, in any track, whose effects emit `event` into some track."""
    found = []
    for track in workflow.tracks.values():
        for transition in track.transitions:
            for call in transition.effects:
                if call.name == "emit" and str(call.arg).rpartition(".")[2] == event:
                    found.append(transition)
                    break
    return found


def _edges(workflow: Workflow, track: Track) -> list[tuple[str, str, str]]:
    edges = []
    for transition in track.transitions:
        label = transition_label(workflow, transition)
        for source in track.expand(transition.sources):
            edges.append((source, transition.dest or source, label))
    return edges


def mermaid(track: Track, workflow: Workflow | None = None) -> str:
    lines = ["stateDiagram-v2", f"    %% {track.title}"]
    for name, state in track.states.items():
        lines.append(f"    {name} : {state.label}")
    lines.append(f"    [*] --> {track.initial}")
    for transition in track.transitions:
        label = transition_label(workflow, transition) if workflow else transition.label
        for source in track.expand(transition.sources):
            dest = transition.dest or source
            lines.append(f"    {source} --> {dest} : {label.replace(':', ' ')}")
    for name, state in track.states.items():
        if state.final:
            lines.append(f"    {name} --> [*]")
    return "\n".join(lines)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _quote_lines(text: str, width: int) -> str:
    """A dot string wrapped at `width` characters, each line centred (`\\n`)."""
    lines = textwrap.wrap(text, width, break_on_hyphens=False) or [""]
    return "\\n".join(_quote(line)[1:-1] for line in lines).join('""')


def dot(workflow: Workflow, tracks: list[Track], current: dict[str, str]) -> str:
    lines = [
        f"digraph {workflow.id} {{",
        '  rankdir=LR; node [shape=box, style="rounded", fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for track in tracks:
        lines.append(f"  subgraph cluster_{track.name} {{ label={_quote(track.title)};")
        for name, state in track.states.items():
            attrs = [f"label={_quote(state.label)}"]
            if state.final:
                attrs.append("peripheries=2")
            if current.get(track.name) == name:
                attrs.append('style="rounded,filled,bold" fillcolor="#ffe08a"')
            lines.append(f"    {track.name}__{name} [{', '.join(attrs)}];")
        for source, dest, label in _edges(workflow, track):
            lines.append(
                f"    {track.name}__{source} -> {track.name}__{dest} [label={_quote(label)}];"
            )
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines)


@dataclass
class _Arrow:
    """State-changing transitions with one label into one destination, from `sources`."""

    label: str
    dest: str
    sources: list[str]
    system: bool
    from_any: bool


def _arrows(workflow: Workflow, track: Track, titles: Mapping[str, str] | None) -> list[_Arrow]:
    open_states = [s for s, d in track.states.items() if not d.final]
    arrows: dict[tuple[str, str], _Arrow] = {}
    for transition in track.transitions:
        label = transition_label(workflow, transition, titles)
        sources = track.expand(transition.sources)
        moving = [s for s in sources if transition.dest is not None and transition.dest != s]
        if not moving:
            continue  # keeps the state: an action on the case page, not an arrow
        dest = str(transition.dest)
        from_any = ANY_STATE in transition.sources or (
            len(moving) > 2 and set(moving) >= set(open_states) - {dest}
        )
        arrow = arrows.setdefault(
            (label, dest), _Arrow(label, dest, [], transition.system, from_any)
        )
        arrow.from_any = arrow.from_any or from_any
        arrow.system = arrow.system and transition.system
        arrow.sources.extend(s for s in moving if s not in arrow.sources)
    # Arrows with the same sources and destination are one arrow with both labels.
    merged: dict[tuple[tuple[str, ...], str, bool], _Arrow] = {}
    for arrow in arrows.values():
        key = (
            tuple(sorted(arrow.sources)) if not arrow.from_any else ("*",),
            arrow.dest,
            arrow.system,
        )
        if key in merged:
            merged[key].label += f" / {arrow.label}"
        else:
            merged[key] = arrow
    return list(merged.values())


def outline(
    workflow: Workflow, track: Track, titles: Mapping[str, str] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What `compact_dot` draws, as text: each state (in the definition's order) with the steps that
    lead out of it, and the steps open from every state that is not final."""
    arrows = _arrows(workflow, track, titles)

    def step(arrow: _Arrow) -> dict[str, Any]:
        return {
            "label": arrow.label,
            "dest": arrow.dest,
            "to": track.label(arrow.dest),
            "automatic": arrow.system,
        }

    states = [
        {
            "state": name,
            "label": spec.label,
            "final": spec.final,
            "steps": [step(a) for a in arrows if not a.from_any and name in a.sources],
        }
        for name, spec in track.states.items()
    ]
    return states, [step(a) for a in arrows if a.from_any]


def _depths(track: Track, arrows: list[_Arrow]) -> dict[str, int]:
    """Each state's distance from the initial state along the arrows (unreachable ones last)."""
    depth = {track.initial: 0}
    queue = [track.initial]
    while queue:
        state = queue.pop(0)
        for arrow in arrows:
            if (arrow.from_any or state in arrow.sources) and arrow.dest not in depth:
                depth[arrow.dest] = depth[state] + 1
                queue.append(arrow.dest)
    return {s: depth.get(s, len(track.states)) for s in track.states}


def compact_dot(
    workflow: Workflow,
    track: Track,
    current: str = "",
    titles: Mapping[str, str] | None = None,
) -> str:
    """The web's picture of one track (module docstring). Node names are neutral (`s0`, `s1`, …):
    nothing of the definition's ids reaches the picture."""
    names = {state: f"s{i}" for i, state in enumerate(track.states)}
    lines = _head()
    for state in track.states:
        lines.append(_state_node(track, state, names[state], current))
    finals = " ".join(names[s] for s, spec in track.states.items() if spec.final)
    if finals:
        lines.append(f"  {{rank=max; {finals};}}")  # where a track ends: at the bottom
    arrows = _arrows(workflow, track, titles)
    depth = _depths(track, arrows)
    boxes: dict[tuple[str, ...], str] = {}
    for arrow in arrows:
        style = ", style=dashed" if arrow.system else ""
        label = f"label={_quote_lines(arrow.label, 22)}"
        dest = names[arrow.dest]
        if not arrow.from_any and len(arrow.sources) < BOX_FROM:
            for source in arrow.sources:
                if depth[arrow.dest] < depth[source]:
                    # back to a state nearer the start: drawn upwards, the start stays on top
                    lines.append(f"  {dest} -> {names[source]} [dir=back, {label}{style}];")
                else:
                    lines.append(f"  {names[source]} -> {dest} [{label}{style}];")
            continue
        # From many states: the arrow starts from a box that names them (or says "every open
        # state"), so no bundle of lines crosses the page; one box for each set of states.
        key = ("*",) if arrow.from_any else tuple(arrow.sources)
        if key not in boxes:
            boxes[key] = f"b{len(boxes)}"
            text = FROM_ANY if arrow.from_any else "Från " + "; ".join(map(track.label, key))
            lines.append(f"  {boxes[key]} [label={_quote_lines(text, 34)}, {SOURCE_BOX}];")
        lines.append(f"  {boxes[key]} -> {dest} [{label}{style}];")
    lines.append("}")
    return "\n".join(lines)


def _head() -> list[str]:
    return [
        "digraph track {",
        '  graph [rankdir=TB, nodesep=0.25, ranksep=0.4, pad=0.05, bgcolor="transparent",'
        ' fontname="Helvetica"];',
        '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", color="#4a5560",'
        ' fontname="Helvetica", fontsize=13, margin="0.12,0.06"];',
        '  edge [fontname="Helvetica", fontsize=11, color="#4a5560", fontcolor="#26313b",'
        " arrowsize=0.7];",
    ]


def _state_node(track: Track, state: str, name: str, current: str) -> str:
    spec = track.states[state]
    label = f"{spec.label} ({CURRENT})" if state == current else spec.label
    attrs = [f"label={_quote_lines(label, 22)}"]
    classes = ["state"]
    if spec.final:
        attrs.append("peripheries=2")
        classes.append("final")
    if state == track.initial:
        classes.append("initial")
    if state == current:
        attrs.append(
            'fillcolor="#ffe08a", penwidth=2.5, color="#1d2730", fontname="Helvetica-Bold"'
        )
        classes.append("current")
    attrs.append(f"class={_quote(' '.join(classes))}")
    return f"  {name} [{', '.join(attrs)}];"


def svg(dot_text: str) -> str:
    executable = shutil.which("dot")
    if executable is None:
        raise InvalidInput("SVG kräver Graphviz (programmet 'dot'); installera paketet graphviz.")
    result = subprocess.run(
        [executable, "-Tsvg"], input=dot_text.encode(), capture_output=True, check=True
    )
    return result.stdout.decode()
