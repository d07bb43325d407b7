"""Preview and confirm on the case page (issue 12 item 5): the page that shows the letters an action
would draft before it is done, which actions draft letters, and which letters were drafted in one step
and may be marked sent together. The decisions are the services' (`services.preview_event`,
`services.letters_of_event`, the letters' `step`); this module only arranges them for the templates.
"""

from __future__ import annotations

import base64
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from storning import services
from storning.definitions.model import Workflow
from storning.web.context import Ctx
from storning.web.rendering import render


def confirm_page(
    request: Request, ctx: Ctx, ref: str, event: str, given: dict[str, Any]
) -> Response | None:
    """The page that shows the letters the event would draft (nothing is stored) and asks to
    confirm, carrying what was typed (`given`: the arguments of `services.fire_event`); None when it
    drafts no letter this time (e.g. a contact by phone), so the event is done at once. A refusal
    is raised, as firing would raise it."""
    preview = services.preview_event(ctx.app, ctx.principal.username, ctx.now, ref, event, **given)
    if not preview["letters"]:
        return None
    carried = [
        ("event", event),
        ("track", preview["track"]),
        ("version", str(preview["version"])),
        *((f"param_{name}", value) for name, value in (given["params"] or {}).items()),
        ("reason", given["reason"] or ""),
        ("override", given["override"] or ""),
    ]
    letters = [
        {**letter, "images": [_image(page) for page in letter.get("pages", [])]}
        for letter in preview["letters"]
    ]
    context = {
        "nav": "case",
        "ref": preview["ref"],
        "preview": preview,
        "letters": letters,
        "carried": [(name, value) for name, value in carried if value],
        "reason": given["reason"],
        "override": given["override"],
    }
    return render(request, "confirm.html", context)


def _image(png: bytes) -> dict[str, Any]:
    """A PNG page as an inline image (the pages' CSP allows `data:` images), with its size."""
    return {
        "src": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        "width": int.from_bytes(png[16:20], "big"),  # the IHDR chunk
        "height": int.from_bytes(png[20:24], "big"),
    }


def name_letters(
    view: dict[str, Any], workflow: Workflow, document: dict[str, Any], titles: dict[str, str]
) -> None:
    """Each action that may draft letters names them (by the workflow definition): its form asks
    for a preview before the event is done."""
    states = {name: track["state"] for name, track in document["tracks"].items()}
    for track in view["tracks"]:
        for action in track["actions"]:
            templates = services.letters_of_event(
                workflow, states, action["track"], action["event"]
            )
            action["letters"] = [titles.get(t, t) for t in templates]


def step_groups(letters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Letters drafted in one step and not yet sent, two or more: they may be marked sent together."""
    steps: dict[int, list[dict[str, Any]]] = {}
    for letter in letters:
        if letter.get("step") is not None and not letter["sent_at"]:
            steps.setdefault(letter["step"], []).append(letter)
    return [{"first": group[0]["id"], "letters": group} for group in steps.values() if group[1:]]
