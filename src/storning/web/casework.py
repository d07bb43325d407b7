"""The web-side parts of use cases `storning.services` does not have yet, kept to one place so they can
move there unchanged (see docs/web.md, "Service gaps"):

- `log_access`: one AccessLog row per case page read and per PDF download (GDPR art. 5.2, 32);
- `redact`: the case document without protected complainants' identity, for those who may not see it.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from storning.app import App
from storning.store.models import AccessLog

PROTECTED = "Skyddad identitet"


def log_access(
    app: App, actor: str, now: datetime, case_id: int | None, action: str, detail: str | None = None
) -> None:
    """Record that `actor` read or exported something of a case (its own small transaction)."""
    with app.db.write() as session:
        session.add(AccessLog(at=now, actor=actor, case_id=case_id, action=action, detail=detail))


def redact(document: dict[str, Any], *, see_protected: bool) -> dict[str, Any]:
    """A copy of the case document in which protected complainants (and the reporters of incidents,
    who are often the same people) are replaced by "Skyddad identitet" unless `see_protected`."""
    if see_protected:
        return document
    result = copy.copy(document)
    result["complainants"] = [
        {**c, "name": PROTECTED, "contact": None, "address": None} if c.get("protected") else c
        for c in document.get("complainants", [])
    ]
    result["incidents"] = [
        {**i, "reporter": PROTECTED if i.get("reporter") else None}
        for i in document.get("incidents", [])
    ]
    return result
