"""Everything the case page shows, read in one transaction before the view is logged (issue 13).

The page used to ask six services, each with its own transaction, its own look-up of the actor and
of the case: the document, the workflow, whom the case may be handed to, the evidence files and the
diary links (and, through the menu, two counts). This asks once and decides every right once:
the diary links are read only for someone who may act on the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storning import access, readmodel
from storning.access import Principal
from storning.app import App
from storning.definitions.model import Workflow
from storning.services.common import scope_of, viewing_case
from storning.services.diary import links_of
from storning.services.evidence import evidence_of


@dataclass(frozen=True)
class CasePage:
    """The case document as the viewer may see it, its workflow, the officers the viewer may hand
    it to (none for most), its evidence files, and its diary links (None: not the viewer's to see)."""

    document: dict[str, Any]
    workflow: Workflow
    owners: list[Principal]
    evidence: list[dict[str, Any]]
    diary_links: list[dict[str, Any]] | None


def case_page(app: App, actor: str, now: datetime, ref: str) -> CasePage:
    """What the case page shows `actor`; the view is written to the access log (`case_view`)."""
    with viewing_case(app, actor, now, ref) as viewed:
        session, case, principal = viewed.session, viewed.case, viewed.principal
        workflow = app.registry.get(session, case.case_type, case.workflow_version)
        scope = scope_of(case)
        acts = access.can_act(principal, scope)
        evidence = evidence_of(app, session, case)
        diary_links = links_of(app, session, case, now) if acts else None
        overrides = access.can_override(principal, scope)
    document = viewed.document
    owners: list[Principal] = []
    if overrides:
        pool = readmodel.people(app, None if principal.is_admin else principal.team)
        owners = [p for p in pool if access.can_reassign(principal, scope, p)]
    return CasePage(document, workflow, owners, evidence, diary_links)
