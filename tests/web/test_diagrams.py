"""The process maps (issue 12 item 8): Swedish only, the current state marked, sized to the page.

Every track of every workflow in workflows/ is drawn in every state and its text read back: no state
or event id, no "(letter_sent)". The picture carries a viewBox and a natural width no wider than the
page's content; the case page shows the path each track has taken and the map as text. A browser
check (`-m browser`) loads a case page at 1280 px and at 390 px: nothing scrolls sideways and the
current state is on screen.

Set STORNING_SCREENSHOTS to a folder to keep the browser check's screenshots.
"""

from __future__ import annotations

import os
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import ROOT, at
from tests.helpers import letter_id, open_storning
from tests.web.conftest import PASSWORD
from tests.web.test_browser import _login, page, server  # noqa: F401  (the browser fixtures)

from storning import services
from storning.definitions import load_directory
from storning.definitions.graph import compact_dot, transition_label
from storning.definitions.model import Workflow
from storning.web import diagrams
from storning.web.labels import letter_titles

SVG = "{http://www.w3.org/2000/svg}"
# The widest the page's content gets (`.wrap`: 84rem less its padding, the diagram box's padding).
CONTENT_WIDTH = 1280
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz (dot) is not installed"
)

WORKFLOWS = load_directory(ROOT / "workflows", ROOT / "letters")
TITLES = letter_titles(ROOT / "letters")


def _ids(workflow: Workflow) -> set[str]:
    ids = set()
    for track in workflow.tracks.values():
        ids |= set(track.states) | {t.event for t in track.transitions} | {track.name}
        ids |= set(track.timers)
    return ids


def _texts(picture: str) -> list[str]:
    root = ET.fromstring(picture)
    return [" ".join(el.itertext()).strip() for el in root.iter(f"{SVG}text")]


def _every_picture() -> list[tuple[Workflow, str, str]]:
    return [
        (wf, name, state)
        for wf in WORKFLOWS
        for name, track in wf.tracks.items()
        for state in ["", *track.states]
    ]


@needs_dot
@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[f"{wf.id}-v{wf.version}" for wf in WORKFLOWS])
def test_every_track_in_every_state_is_drawn_in_swedish_only(workflow):
    ids = _ids(workflow)
    for name, track in workflow.tracks.items():
        for state in ["", *track.states]:
            picture = diagrams.track_svg(workflow, name, state, TITLES)
            assert picture.startswith("<svg"), (name, state)
            texts = _texts(picture)
            assert texts, (name, state)
            for text in texts:
                assert text not in ids, (name, state, text)
                for found in re.findall(r"\(([^)]*)\)", text):
                    assert found not in ids, (name, state, text)
                assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), (name, state, text)
            # Graphviz's node names, titles (shown as tooltips), comments and element ids are gone.
            assert "<title" not in picture and "<!--" not in picture and ' id="' not in picture
            for label in (s.label for s in track.states.values()):
                first_word = label.split()[0]
                assert any(first_word in t for t in texts), (name, label)


def test_a_system_event_is_named_in_swedish():
    storning = next(wf for wf in WORKFLOWS if wf.id == "storning")
    letter_sent = next(
        t for t in storning.tracks["authority"].transitions if t.event == "letter_sent"
    )
    assert transition_label(storning, letter_sent) == "Brev skickat"
    assert (
        transition_label(storning, letter_sent, TITLES)
        == "Brev skickat: Underrättelse till socialnämnden"
    )
    incident = next(
        t for t in storning.tracks["legal"].transitions if t.event == "incident_recorded"
    )
    assert transition_label(storning, incident) == "Störning registrerad"
    debt = next(wf for wf in WORKFLOWS if wf.id == "hyresskuld")
    settle = next(t for t in debt.tracks["legal"].transitions if t.event == "settle")
    assert transition_label(debt, settle).startswith("Automatiskt efter: Registrera betalning")


def test_the_web_picture_leaves_out_what_keeps_the_state_and_joins_from_every_state():
    storning = next(wf for wf in WORKFLOWS if wf.id == "storning")
    text = compact_dot(storning, storning.tracks["legal"], "assessment", TITLES)
    assert "Registrera vem som stört" not in text  # an action that keeps the state
    # One arrow from a box "Från varje pågående läge", one from a box naming the six states it may
    # be withdrawn from, instead of an arrow from each.
    assert text.count("Hyresgästen har") == 1 and text.count("Från varje pågående läge") == 1
    assert text.count("Återkalla") == 1 and "Från Uppsagd, delgivning pågår;" in text


@needs_dot
def test_the_current_state_is_marked_and_named():
    storning = next(wf for wf in WORKFLOWS if wf.id == "storning")
    picture = diagrams.track_svg(storning, "legal", "monitoring", TITLES)
    root = ET.fromstring(picture)
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Processkarta: Hyresjuridisk process, nu Bevakning"
    current = [g for g in root.iter(f"{SVG}g") if "current" in (g.get("class") or "").split()]
    assert len(current) == 1
    assert " ".join(current[0].itertext()).split() == ["Bevakning", "(nu)"]
    assert any(p.get("fill") == "#ffe08a" for p in current[0].iter(f"{SVG}path"))
    assert diagrams.track_svg(storning, "legal", "monitoring", TITLES) is picture  # cached


@needs_dot
@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[wf.id for wf in WORKFLOWS])
def test_every_picture_has_a_viewbox_and_fits_the_content_width(workflow):
    for name, track in workflow.tracks.items():
        for state in ["", *track.states]:
            root = ET.fromstring(diagrams.track_svg(workflow, name, state, TITLES))
            assert len(root.get("viewBox", "").split()) == 4
            width, height = root.get("width", ""), root.get("height", "")
            assert width.isdigit() and height.isdigit(), (name, state, width, height)
            assert int(width) <= diagrams.MAX_WIDTH <= CONTENT_WIDTH - 80, (name, state, width)


def test_the_map_as_text_lists_every_state_and_marks_the_current_one():
    storning = next(wf for wf in WORKFLOWS if wf.id == "storning")
    text = diagrams.track_text(storning, "legal", "uppmaning_issued", TITLES)
    labels = [s["label"] for s in text["states"]]
    assert labels[:3] == ["Bedömning", "Uppmaning given", "Bevakning"]
    current = [s for s in text["states"] if s["current"]]
    assert [s["label"] for s in current] == ["Uppmaning given"]
    steps = {(x["label"], x["to"], x["automatic"]) for x in current[0]["steps"]}
    assert ("Rättelse har skett", "Bevakning", False) in steps
    assert ("Störning registrerad", "Grund för uppsägning föreligger", True) in steps
    assert ("Hyresgästen har flyttat", "Avslutat", False) in {
        (x["label"], x["to"], x["automatic"]) for x in text["from_any"]
    }


def _case_with_a_past(app: Any) -> str:
    """A disturbance case whose legal track went Bedömning → Uppmaning given → Grund för uppsägning."""
    ref = open_storning(app, now=at(-3))["ref"]
    services.add_incident(app, "alice", at(-3, 1), ref, at=at(-4), kind="noise",
                          text="Hög musik nattetid", verified_by="staff")  # fmt: skip
    doc = services.fire_event(app, "alice", at(-3, 2), ref, "issue_uppmaning")
    services.mark_letter_sent(app, "alice", at(-2), letter_id(doc, "uppmaning"),
                              method="rekommenderat")  # fmt: skip
    services.add_incident(app, "alice", at(-1), ref, at=at(-1, -2), kind="noise",
                          text="Ny fest", verified_by="staff")  # fmt: skip
    return ref


@needs_dot
def test_the_case_page_shows_the_path_taken_and_the_map_in_swedish(app, client, as_alice):
    ref = _case_with_a_past(app)
    html = client.get(f"/arenden/{ref}").text
    box = html[html.index('id="kartor"') :]
    legal = box[: box.index("</details>")]
    path = re.search(r'<ol class="path"[^>]*>(.*?)</ol>', legal, re.S)
    assert path
    steps = re.findall(r'<span class="path-state">([^<]*)</span>', path.group(1))
    assert steps == ["Bedömning", "Uppmaning given", "Grund för uppsägning föreligger"]
    assert re.search(r'aria-current="step"><span class="path-state">Grund för', path.group(1))
    assert 'class="node state current"' in legal and "Processkartan som text" in legal
    assert "nu Grund för uppsägning föreligger" in legal
    assert not re.search(r"\((letter_sent|letter_served|incident_recorded)\)", html)


@needs_dot
def test_the_workflows_page_draws_every_track_in_swedish(client, as_alice):
    html = client.get("/arbetsfloden").text
    pictures = re.findall(r"<svg\b.*?</svg>", html, re.S)
    assert len(pictures) == sum(len(wf.tracks) for wf in WORKFLOWS)
    ids = set().union(*(_ids(wf) for wf in WORKFLOWS))
    for picture in pictures:
        assert "viewBox" in picture
        for text in _texts(picture):
            assert text not in ids and not re.search(r"\b[a-z]+_[a-z_]+\b", text), text


WIDTHS = ({"width": 1280, "height": 900}, {"width": 390, "height": 844})


@pytest.mark.browser
@needs_dot
def test_the_maps_fit_the_screen_with_the_current_state_in_view(server, page, sqlite_app):  # noqa: F811
    base = server["url"]
    ref = _case_with_a_past(sqlite_app)
    _login(page, base, "alice", PASSWORD)
    shots = os.environ.get("STORNING_SCREENSHOTS")
    for size in WIDTHS:
        page.set_viewport_size(size)
        page.goto(f"{base}/arenden/{ref}")
        for summary in page.locator("details.diagram-box > summary").all():
            if summary.locator("xpath=..").get_attribute("open") is None:
                summary.click()
        page.locator("#kartor").scroll_into_view_if_needed()
        width = page.evaluate("window.innerWidth")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, size
        current = page.locator("svg.diagram g.current")
        assert current.count() == 3  # one per track
        for i in range(3):
            box = current.nth(i).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, size
        for svg in page.locator("svg.diagram").all():
            box = svg.bounding_box()
            assert box is not None and box["x"] + box["width"] <= width, size
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.locator("section[aria-labelledby=kartor]").screenshot(
                path=f"{shots}/case-{size['width']}.png"
            )
            page.screenshot(path=f"{shots}/case-page-{size['width']}.png", full_page=True)
            for i, svg in enumerate(page.locator("details.diagram-box").all()):
                svg.screenshot(path=f"{shots}/box-{size['width']}-{i}.png")
        page.goto(f"{base}/arbetsfloden")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, size
        assert page.locator("svg.diagram").count() == sum(len(wf.tracks) for wf in WORKFLOWS)
        if shots:
            page.screenshot(path=f"{shots}/workflows-{size['width']}.png", full_page=True)
