"""Use cases of retention (gallring, DOMAIN §7): place and lift a legal hold on a case, show what a
gallring run would do, and run it.

Who may do what (decided here, for every door):
- a legal hold (gallringsspärr) is placed or lifted by a chef of the case's team or an administrator
  (`access.can_override`); everyone who may read the case sees that it is held, by whom and why;
- a hold on a case whose personal data has already been erased is refused: there is nothing left to keep;
- a gallring run, or its dry run, is an administrator's (or the data protection officer's, role
  `dataskydd`) decision; the worker runs it daily as the system.

The rules themselves (the policy file, what is due, what is erased) are `storning.records.gallring`'s.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storning import access, validation
from storning.access import principal_of
from storning.app import App
from storning.errors import EventNotAvailable, InvalidInput, PermissionDenied, StorningError
from storning.records import gallring
from storning.records.policy import Policy
from storning.services.common import _actor, _change, _record, refuse, scope_of, unit
from storning.store.models import Case, LegalHold, User

RUNNING_ROLES = frozenset({"admin", "dataskydd"})
HOLD_RIGHT = (
    "Endast chef i ärendets team eller administratör får lägga eller häva en gallringsspärr."
)


def policy(app: App) -> Policy:
    """The retention policy in force (refused with file, line and path when it is invalid)."""
    return gallring.current_policy(app.settings)


def place_hold(
    app: App,
    actor: str,
    now: datetime,
    ref: str,
    reason: str,
    *,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Place a legal hold on a case: gallring leaves it alone until the hold is lifted."""
    why = validation.text("reason", reason, required=True)

    def hold(session: Session, case: Case, user: User) -> None:
        _may_hold(case, user, "legal_hold_place")
        if case.erased_at is not None:
            raise InvalidInput(
                f"Ärendet {case.ref} är redan gallrat; en gallringsspärr kan inte läggas på "
                "personuppgifter som inte längre finns."
            )
        if gallring.active_hold(session, case.id) is not None:
            raise EventNotAvailable(
                f"Ärendet {case.ref} har redan en gallringsspärr; häv den först om den ska ersättas."
            )
        session.add(LegalHold(case_id=case.id, reason=why, placed_by=user.username, placed_at=now))
        _record(session, case, user, now, "legal_hold_placed", {})

    return _change(app, actor, now, ref, expected_version, hold, action="legal_hold_place")


def release_hold(
    app: App, actor: str, now: datetime, ref: str, *, expected_version: int | None = None
) -> dict[str, Any]:
    """Lift a case's legal hold (who and when are kept); gallring may then erase it when due."""

    def release(session: Session, case: Case, user: User) -> None:
        _may_hold(case, user, "legal_hold_release")
        held = gallring.active_hold(session, case.id)
        if held is None:
            raise EventNotAvailable(f"Ärendet {case.ref} har ingen gallringsspärr att häva.")
        held.lifted_by = user.username
        held.lifted_at = now
        _record(session, case, user, now, "legal_hold_lifted", {})

    return _change(app, actor, now, ref, expected_version, release, action="legal_hold_release")


def _may_hold(case: Case, user: User, action: str) -> None:
    if not access.can_override(principal_of(user), scope_of(case)):
        raise refuse(PermissionDenied(HOLD_RIGHT), user.username, case.id, action)


def records_status(app: App, session: Session, case: Case) -> dict[str, Any]:
    """What the case page shows about retention: whether the personal data is erased (when, under
    which decision), the legal hold in force, and whether a dispute holds the case automatically."""
    zone = app.zone
    held = gallring.active_hold_row(session, case.id)
    try:
        kind = policy(app).case_types.get(case.case_type)
    except StorningError:  # an invalid policy must not take the case page down; the run reports it
        kind = None
    legal = case.track_state("legal").state
    dispute = legal if kind is not None and legal in kind.dispute_states else None
    return {
        "erased_at": case.erased_at.astimezone(zone).date().isoformat() if case.erased_at else None,
        "erasure_decision": case.erasure_decision,
        "hold": None
        if held is None
        else {
            "reason": held.reason,
            "placed_by": held.placed_by,
            "placed_at": held.placed_at.astimezone(zone).isoformat(),
        },
        "dispute_hold": dispute,
    }


def gallra(app: App, actor: str, now: datetime, *, dry_run: bool = False) -> dict[str, Any]:
    """Run gallring (or, with `dry_run`, list what it would do and change nothing)."""
    with unit(app, write=False) as session:
        user = _actor(app, session, actor)
        if not RUNNING_ROLES & user.role_set:
            raise PermissionDenied(
                "Endast administratör eller dataskyddsombud får köra gallringen."
            )
        rules = policy(app)
        if dry_run:
            plan = gallring.plan(session, rules, now)
    if dry_run:
        return {
            "dry_run": True,
            "at": now.astimezone(app.zone).isoformat(),
            "policy": rules.file,
            "policy_sha256": rules.digest,
            "decision": rules.decision,
            "due": [d.as_dict(app.zone) for d in plan.due],
            "held": [h.as_dict(app.zone) for h in plan.held],
            "access_log_expired": plan.access_log_expired,
            "outbox_expired": plan.outbox_expired,
            "intake_expired": plan.intake_expired,
            "unruled_types": plan.unruled,
        }
    return {"dry_run": False, **gallring.run(app, rules, user.username, now)}
