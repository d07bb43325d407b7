"""What the case document shows of the outcome facts (issue 14): the complaint's source, the number of
children and the outcome, and the outcome choice on the legal `close` action (a service rule that
holds for every workflow version, so it is added here rather than declared in the YAML)."""

from __future__ import annotations

from typing import Any, Protocol

from storning.vocabulary import COMPLAINT_SOURCES, OUTCOMES

OUTCOME_PARAM: dict[str, Any] = {
    "label": "Utfall",
    "type": "choice",
    "required": True,
    "choices": list(OUTCOMES),
    "choice_labels": dict(OUTCOMES),
}


class _HasOutcomeFacts(Protocol):
    @property
    def source(self) -> str | None: ...

    @property
    def children(self) -> int | None: ...

    @property
    def outcome(self) -> str | None: ...


def decorate(document: dict[str, Any], case: _HasOutcomeFacts) -> dict[str, Any]:
    """Add `source`, `children` and `outcome` (codes, with Swedish labels) to a case document, and the
    required outcome parameter to its legal `close` action."""
    document["source"] = case.source
    document["source_label"] = COMPLAINT_SOURCES.get(case.source or "")
    document["children"] = case.children
    document["outcome"] = case.outcome
    document["outcome_label"] = OUTCOMES.get(case.outcome or "")
    for action in document.get("actions", []):
        if action.get("track") == "legal" and action.get("event") == "close":
            action["params"] = {**(action.get("params") or {}), "outcome": dict(OUTCOME_PARAM)}
    return document
