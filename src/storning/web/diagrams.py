"""Track diagrams as inline SVG (Graphviz, through `definitions.graph.compact_dot`), with the current
state marked, and the same map as text.

The picture is Swedish only: states by their label, arrows by the transition's label (a system event
by its Swedish name), the current state filled, bold and marked "(nu)". It is laid out top to bottom
and carries a viewBox, so the stylesheet lets it shrink to the width of the page (`max-width: 100%`);
its own width is its natural size (13 pt state labels at 17 px), never more than `MAX_WIDTH`. Graphviz's node names, titles,
comments and element ids are removed: nothing of the definition's ids reaches the page, and three
pictures on one page do not repeat an id.

A picture and its text depend only on (workflow, version, track, current state), so each is drawn once
per process and kept: `dot` costs tens of milliseconds, a cached picture nothing. The letter titles an arrow may
name ("Brev skickat: Underrättelse till socialnämnden") come from the letter catalogue, which does not
change while the process runs.
"""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from storning.definitions.graph import compact_dot, outline, svg
from storning.definitions.model import Workflow
from storning.errors import InvalidInput

_cache: dict[tuple[str, int, str, str], str] = {}
# The map as text, kept like the pictures (the templates only read it).
_text_cache: dict[tuple[str, int, str, str], dict[str, Any]] = {}
_html_cache: dict[tuple[str, int, str, str], Markup] = {}
_lock = threading.Lock()
_PROLOGUE = re.compile(r"^.*?(?=<svg\b)", re.S)
_COMMENT = re.compile(r"<!--.*?-->\n?", re.S)
_TITLE = re.compile(r"<title>.*?</title>\n?", re.S)
_ID = re.compile(r'\s(?:id|xmlns:xlink)="[^"]*"')
PX_PER_PT = 4 / 3
MAX_WIDTH = 1200  # px: the case page's content at its widest (`.wrap`, less the diagram box)
_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')


def track_svg(
    workflow: Workflow, track: str, current: str = "", titles: Mapping[str, str] | None = None
) -> str:
    """The SVG element (no XML prologue) for one track; "" without Graphviz."""
    key = (workflow.id, workflow.version, track, current)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    spec = workflow.tracks[track]
    try:
        raw = svg(compact_dot(workflow, spec, current, titles))
    except (InvalidInput, OSError, subprocess.SubprocessError):
        return ""
    picture = _PROLOGUE.sub("", raw, count=1)
    picture = _COMMENT.sub("", picture)
    picture = _TITLE.sub("", picture)
    picture = _ID.sub("", picture)
    name = f"Processkarta: {spec.title}"
    if current in spec.states:
        name += f", nu {spec.label(current)}"
    # A point is 4/3 of a CSS pixel (13 pt state labels are 17 px); the width is at most what the
    # page's content is wide, and the stylesheet (svg.diagram) shrinks the picture further to the
    # page, keeping the proportions of the viewBox.
    picture = _SIZE.sub(
        lambda m: _open_tag(name, float(m.group(1)), float(m.group(2))), picture, count=1
    )
    with _lock:
        if len(_cache) > 2000:
            _cache.clear()
        _cache[key] = picture
    return picture


def track_text(
    workflow: Workflow, track: str, current: str = "", titles: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The map as text (what the picture shows, for a screen reader and a small screen): each state
    with the steps that lead out of it, the current one marked, the steps from any open state, and
    `next`: the steps that lead out of the current state."""
    key = (workflow.id, workflow.version, track, current)
    cached = _text_cache.get(key)
    if cached is not None:
        return cached
    spec = workflow.tracks[track]
    states, from_any = outline(workflow, spec, titles)
    here = next((s for s in states if s["state"] == current), None)
    following = []
    if here is not None and not here["final"]:
        following = here["steps"] + [x for x in from_any if x["dest"] != current]
    text = {
        "states": [{**s, "current": s["state"] == current} for s in states],
        "from_any": from_any,
        "next": following,
    }
    with _lock:
        if len(_text_cache) > 2000:
            _text_cache.clear()
        _text_cache[key] = text
    return text


def track_text_html(
    workflow: Workflow, track: str, current: str = "", titles: Mapping[str, str] | None = None
) -> Markup:
    """`track_text` as `_diagram_text.html` shows it, rendered once per process and kept like the
    picture (it depends on nothing else: no request, principal or token)."""
    key = (workflow.id, workflow.version, track, current)
    cached = _html_cache.get(key)
    if cached is not None:
        return cached
    from storning.web.rendering import ENV  # (rendering is the pages' module, not the diagrams')

    values = {
        "title": workflow.tracks[track].title,
        "map_text": track_text(workflow, track, current, titles),
    }
    html = Markup(ENV.get_template("_diagram_text.html").render(t=values))
    with _lock:
        if len(_html_cache) > 2000:
            _html_cache.clear()
        _html_cache[key] = html
    return html


def path_taken(document: dict[str, Any], workflow: Workflow, track: str) -> list[dict[str, Any]]:
    """The states one track of a case has been in, oldest first, each with when it was entered (from
    the journal; the initial state from when the case was opened); the last is the current state."""
    spec = workflow.tracks[track]
    steps = [
        {"state": spec.initial, "label": spec.label(spec.initial), "at": document["opened_at"]}
    ]
    for entry in document["journal"]:
        if entry.get("track") != track or not entry.get("to") or entry["to"] == entry.get("from"):
            continue
        if entry["to"] in spec.states:
            steps.append(
                {"state": entry["to"], "label": spec.label(entry["to"]), "at": entry["at"]}
            )
    current = document["tracks"][track]["state"]
    if steps[-1]["state"] != current and current in spec.states:  # a journal the reader may not see
        steps.append({"state": current, "label": spec.label(current), "at": None})
    for i, step in enumerate(steps):
        step["current"] = i == len(steps) - 1
    return steps


def _open_tag(name: str, width_pt: float, height_pt: float) -> str:
    scale = min(PX_PER_PT, MAX_WIDTH / width_pt) if width_pt else PX_PER_PT
    return (
        f'<svg role="img" aria-label="{_attr(name)}" class="diagram" focusable="false"'
        f' width="{round(width_pt * scale)}" height="{round(height_pt * scale)}"'
    )


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
