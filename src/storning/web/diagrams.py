"""Track diagrams as inline SVG (Graphviz, through `definitions.graph.render_graph`), with the current
state highlighted. A picture depends only on (workflow, version, track, current state), so each is drawn
once per process and kept: `dot` costs tens of milliseconds, a cached picture nothing.
"""

from __future__ import annotations

import re
import subprocess
import threading

from storning.definitions.graph import render_graph
from storning.definitions.model import Workflow
from storning.errors import InvalidInput

_cache: dict[tuple[str, int, str, str], str] = {}
_lock = threading.Lock()
_PROLOGUE = re.compile(r"^.*?(?=<svg\b)", re.S)
_OPEN = re.compile(r"<svg\b")
_SIZE = re.compile(r'width="([\d.]+)pt" height="([\d.]+)pt"')


def track_svg(workflow: Workflow, track: str, current: str = "") -> str:
    """The SVG element (no XML prologue, natural size) for one track; "" without Graphviz."""
    key = (workflow.id, workflow.version, track, current)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    try:
        raw = render_graph(workflow, track, "svg", {track: current} if current else None)
    except (InvalidInput, OSError, subprocess.SubprocessError):
        return ""
    title = workflow.tracks[track].title
    svg = _PROLOGUE.sub("", raw, count=1)
    # Graphviz sizes in points; one pixel per point keeps labels legible (14 px) at three quarters
    # of the natural size, and the page scrolls the picture sideways when it is wider.
    svg = _SIZE.sub(lambda m: f'width="{m.group(1)}" height="{m.group(2)}"', svg, count=1)
    svg = _OPEN.sub(
        f'<svg role="img" aria-label="Processkarta: {_attr(title)}" class="diagram"', svg, count=1
    )
    with _lock:
        if len(_cache) > 2000:
            _cache.clear()
        _cache[key] = svg
    return svg


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
