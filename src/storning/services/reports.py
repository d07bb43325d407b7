"""The compiled disturbance report as a use case: who may have it, disclosure, journal and access log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from storning.access import can_see_protected, principal_of
from storning.app import App
from storning.errors import PermissionDenied
from storning.journal import append_journal
from storning.letters import render_letter
from storning.reports import report_context
from storning.services.common import (
    _actor,
    _case,
    authorize,
    log_access,
    refuse,
    scope_of,
    unit,
)
from storning.store.models import Complainant


def compile_report(
    app: App, actor: str, now: datetime, ref: str, *, disclose: bool = False
) -> bytes:
    """The report as PDF for the actor. Reporters are pseudonymised unless `disclose` (a chef of the
    team or an admin; journaled). A case with a complainant under skyddad identitet is reported only
    to those who may see protected identities. Every export is written to the access log."""
    with unit(app) as session:
        user = _actor(app, session, actor)
        principal = principal_of(user)
        case = _case(session, ref, lock=disclose)
        authorize(principal, case, "disclose" if disclose else "read", "report")
        protected = session.scalar(
            select(Complainant.id).where(
                Complainant.case_id == case.id, Complainant.protected.is_(True)
            )
        )
        if protected is not None and not can_see_protected(principal, scope_of(case)):
            raise refuse(
                PermissionDenied(
                    f"Ärendet {case.ref} har en anmälare med skyddad identitet; bara "
                    "handläggare av ärendet får ta fram rapporten."
                ),
                user.username,
                case.id,
                "report",
            )
        if disclose:
            app.engine.check_clock(case, now)
        context = report_context(session, app, case, now, disclose=disclose)
        pdf = render_letter("rapport", context, letters_dir=app.settings.letters_dir).pdf
        log_access(
            session,
            user.username,
            now,
            case.id,
            "report",
            "disclosed" if disclose else "pseudonymised",
        )
        if disclose:
            append_journal(
                session, case.id, now, user.username, "report_disclosed", params={"disclosed": True}
            )
        return pdf
