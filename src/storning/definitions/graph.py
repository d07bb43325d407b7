"""Diagrams of a workflow's tracks: Mermaid, Graphviz dot, or SVG (through Graphviz's `dot`).

Generated from the compiled definition so the picture always matches what the engine runs; Swedish
labels on states and transitions, final states drawn double, the current state (if given) highlighted.
"""

from __future__ import annotations

import shutil
import subprocess

from storning.definitions.model import Track, Workflow
from storning.errors import InvalidInput


def render_graph(
    workflow: Workflow, track: str | None, fmt: str, current: dict[str, str] | None = None
) -> str:
    tracks = [workflow.tracks[track]] if track else list(workflow.tracks.values())
    if fmt == "mermaid":
        return "\n\n".join(mermaid(t) for t in tracks)
    dot_text = dot(workflow, tracks, current or {})
    if fmt == "dot":
        return dot_text
    return svg(dot_text)


def _edges(track: Track) -> list[tuple[str, str, str]]:
    edges = []
    for transition in track.transitions:
        for source in track.expand(transition.sources):
            dest = transition.dest or source
            label = transition.label if not transition.system else f"({transition.event})"
            edges.append((source, dest, label))
    return edges


def mermaid(track: Track) -> str:
    lines = ["stateDiagram-v2", f"    %% {track.title}"]
    for name, state in track.states.items():
        lines.append(f"    {name} : {state.label}")
    lines.append(f"    [*] --> {track.initial}")
    for source, dest, label in _edges(track):
        lines.append(f"    {source} --> {dest} : {label.replace(':', ' ')}")
    for name, state in track.states.items():
        if state.final:
            lines.append(f"    {name} --> [*]")
    return "\n".join(lines)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


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
        for source, dest, label in _edges(track):
            lines.append(
                f"    {track.name}__{source} -> {track.name}__{dest} [label={_quote(label)}];"
            )
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines)


def svg(dot_text: str) -> str:
    executable = shutil.which("dot")
    if executable is None:
        raise InvalidInput("SVG kräver Graphviz (programmet 'dot'); installera paketet graphviz.")
    result = subprocess.run(
        [executable, "-Tsvg"], input=dot_text.encode(), capture_output=True, check=True
    )
    return result.stdout.decode()
