"""Short ways to say common things in tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storning import services
from storning.app import App
from tests.conftest import at

# A termination's written reason (every termination requires one).
GROUNDS = "Störningarna har fortsatt efter uppmaningen att vidta rättelse."


def open_storning(
    app: App, actor: str = "alice", now: datetime | None = None, **overrides: Any
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "case_type": "storning",
        "tenant": "Kim Hyresgäst",
        "address": "Storgatan 1",
        "apartment": "1102",
        "municipality": "Norrköping",
        "contract": "123-456",
        "postal_code": "602 20",
        "city": "Norrköping",
        "complainants": [("Greta Granne", True)],
        "personnummer": "19850312-1231",  # made up (valid check digit): the Kronofogden application
    }
    fields.update(overrides)
    return services.open_case(app, actor, now or at(0), services.NewCase(**fields))


def action(doc: dict[str, Any], event: str, track: str | None = None) -> dict[str, Any]:
    for item in doc["actions"]:
        if item["event"] == event and (track is None or item["track"] == track):
            return item
    raise AssertionError(f"no action {event} in {[a['event'] for a in doc['actions']]}")


def states(doc: dict[str, Any]) -> dict[str, str]:
    return {name: track["state"] for name, track in doc["tracks"].items()}


def letter_id(doc: dict[str, Any], template: str) -> int:
    ids = [letter["id"] for letter in doc["letters"] if letter["template"] == template]
    assert ids, f"no letter {template} in {[x['template'] for x in doc['letters']]}"
    return ids[-1]
