"""What every use case shares: the acting principal and what it may do, the locked case, one
transaction per change, the access log and the redaction of protected identities.

Every decision about a principal is made here (DESIGN invariant 9), with the rules of
`storning.access`; the CLI, the web pages, the API and the worker only translate.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from storning import access
from storning.access import CaseScope, Principal, principal_of
from storning.app import App
from storning.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    Refusal,
    StaleCase,
    StorningError,
    cli,
)
from storning.journal import append_journal
from storning.outcomes.closing import decorate as decorate_outcome
from storning.presenters import case_document
from storning.store.cases import load_case, load_case_by_id, save_case
from storning.store.models import AccessLog, Case, User, table

ALL_ROLES = ",".join(sorted(access.ALL_ROLES))
SYSTEM_USER = "system"
PROTECTED = "Skyddad identitet"

REF = re.compile(r"[A-Z0-9-]{1,40}")
Need = Literal["read", "act", "override", "disclose"]
_INSERT_ACCESS = insert(table(AccessLog))


# --- the principal and what it may do ----------------------------------------------------------------


def scope_of(case: Case) -> CaseScope:
    return CaseScope(case.owner.username, case.team)


def refuse(error: StorningError, actor: str, case_id: int | None, action: str) -> StorningError:
    """Mark `error` as a refused attempt, so that `unit` writes it to the access log."""
    error.refusal = Refusal(actor, case_id, action, str(error))
    return error


# Beyond reading: what each need asks of the principal, and the sentence a refusal gives.
_NEEDS: dict[str, tuple[Callable[[Principal, CaseScope], bool], str]] = {
    "act": (access.can_act, "Du har bara läsbehörighet till ärendet {ref}."),
    "override": (
        access.can_override,
        "Endast chef eller administratör i teamet får åsidosätta en spärr.",
    ),
    "disclose": (
        access.can_disclose,
        "Endast chef eller administratör i teamet får lämna ut anmälarnas identitet.",
    ),
}


def authorize(
    principal: Principal, case: Case, need: Need, action: str, *, unknown: str | None = None
) -> None:
    """Raise unless `principal` may `need` the case. A case one may not read does not exist for one:
    the refusal reads exactly like an unknown reference (`unknown`: the sentence for an unknown
    letter, when the case was reached through one), so nothing about the case leaks."""
    scope = scope_of(case)
    error: StorningError | None = None
    if not access.can_read(principal, scope):
        error = NotFound(
            unknown or f"Det finns inget ärende '{case.ref}' som du har tillgång till."
        )
    elif need in _NEEDS and not _NEEDS[need][0](principal, scope):
        error = PermissionDenied(_NEEDS[need][1].format(ref=case.ref))
    if error is not None:
        raise refuse(error, principal.username, case.id, action)


def permissions(principal: Principal, case: Case) -> dict[str, bool]:
    """What the principal may do with the case, for the interfaces to show the right buttons."""
    scope = scope_of(case)
    return {
        "act": access.can_act(principal, scope),
        "override": access.can_override(principal, scope),
        "see_protected": access.can_see_protected(principal, scope),
        "disclose": access.can_disclose(principal, scope),
    }


# --- transactions and the access log -----------------------------------------------------------------


@contextmanager
def unit(app: App, *, write: bool = True) -> Iterator[Session]:
    """One use case's transaction. A refused attempt is written to the access log after the refused
    transaction has rolled back (its own small transaction), then the refusal is raised."""
    try:
        with app.db.write() if write else app.db.read() as session:
            yield session
    except StorningError as error:
        if error.refusal is not None:
            _log_refusal(app, error.refusal)
        raise


def _log_refusal(app: App, refusal: Refusal) -> None:
    from storning.clock import system_now

    with app.db.write() as session:
        session.connection().execute(
            _INSERT_ACCESS,
            {
                "at": system_now(),
                "actor": refusal.actor,
                "case_id": refusal.case_id,
                "action": f"{refusal.action}_refused"[:40],
                "detail": refusal.reason,
            },
        )


def log_access(
    session: Session,
    actor: str,
    now: datetime,
    case_id: int | None,
    action: str,
    detail: str | None = None,
) -> None:
    """One access-log row: who read or exported what of which case, when (GDPR art. 5.2 and 32)."""
    session.connection().execute(
        _INSERT_ACCESS,
        {"at": now, "actor": actor, "case_id": case_id, "action": action[:40], "detail": detail},
    )


# --- the case document as this principal may see it ------------------------------------------------


def redact(document: dict[str, Any], *, see_protected: bool) -> dict[str, Any]:
    """The case document without protected complainants' identity (and without the reporters of
    incidents, who are often the same people) for a principal who may not see it."""
    if see_protected:
        return document
    result = copy.copy(document)
    result["complainants"] = [
        {**c, "name": PROTECTED, "contact": None, "address": None, "phone": None, "email": None}
        if c.get("protected")
        else c
        for c in document.get("complainants", [])
    ]
    result["incidents"] = [
        {**i, "reporter": PROTECTED if i.get("reporter") else None}
        for i in document.get("incidents", [])
    ]
    return result


@dataclass(frozen=True)
class Viewed:
    """A case being shown: its transaction (which only reads), the case, the viewer, and the case
    document as the viewer may see it."""

    session: Session
    case: Case
    principal: Principal
    document: dict[str, Any]


@contextmanager
def viewing_case(app: App, actor: str, now: datetime, ref: str) -> Iterator[Viewed]:
    """Show the case `ref` to `actor`: the case and its document as the actor may see it, read in a
    transaction that only reads (the caller may read more in it); when the caller is done, the view
    is written to the access log (`case_view`) in a short transaction of its own. What showing a
    case always is. (On SQLite a transaction that writes holds the database's one write lock from
    its start: the reads would keep every officer's change waiting.) A refusal is logged as every
    refusal is; a view that fails is not logged as shown."""
    with unit(app, write=False) as session:
        user = _actor(app, session, actor)
        principal = principal_of(user)
        case = _case(session, ref)
        authorize(principal, case, "read", "case_view")
        document = document_for(app, session, case, user, principal, now)
        yield Viewed(session, case, principal, document)
        case_id = case.id
    with unit(app) as session:
        log_access(session, principal.username, now, case_id, "case_view")


def document_for(
    app: App, session: Session, case: Case, user: User, principal: Principal, now: datetime
) -> dict[str, Any]:
    """The case document (DESIGN §7) as `principal` may see it, with what it may do."""
    from storning.services.gaps import letter_gaps, mark_actions

    may = permissions(principal, case)
    document = case_document(session, app.engine, case, user, now)
    document["permissions"] = may
    if case.status == "open":
        workflow = app.engine.workflow_of(session, case)
        document["letter_gaps"] = letter_gaps(workflow, case, app.settings.letters_dir)
        mark_actions(workflow, case, document["actions"], app.settings.letters_dir)
    else:
        document["letter_gaps"] = []
    if not may["act"]:  # a reader sees what could be done, and that it is not theirs to do
        for action in document["actions"]:
            action["allowed"] = False
            action["blocked_by"] = [*action["blocked_by"], READ_ONLY]
    decorate_outcome(document, case)  # issue 14: source, children, outcome; close asks for it
    from storning.services.retention import records_status  # (retention imports this module)

    document["records"] = records_status(app, session, case)  # issue 15: erased, legal hold
    return redact(document, see_protected=may["see_protected"])


READ_ONLY = {
    "guard": "read_only",
    "message": "Du har bara läsbehörighet till ärendet",
    "law": None,
    "overridable": False,
}


# --- changes -----------------------------------------------------------------------------------------


# What a form or an API call that lost its version passes: refused once access has been decided, so a
# principal who may not touch the case learns nothing more than "not found" or "not allowed".
MISSING_VERSION = 0


def check_version(case: Case, expected_version: int | None) -> None:
    """Refuse a change made from a stale page (inside the change's own transaction). `None` is the
    CLI's immediate command, which acts on the case as it is."""
    if expected_version == MISSING_VERSION:
        raise InvalidInput(
            "Uppgiften om vilken version av ärendet du såg saknas; ladda om sidan och försök igen."
        )
    if expected_version is not None and expected_version != case.version:
        raise StaleCase(
            f"Ärendet {case.ref} har ändrats av någon annan sedan du öppnade det "
            f"(version {expected_version}, nu {case.version}); ladda om och försök igen."
        )


def _change(
    app: App,
    actor: str,
    now: datetime,
    ref: str,
    expected_version: int | None,
    work: Callable[[Session, Case, User], object],
    *,
    document: bool = True,
    need: Need = "act",
    action: str = "change",
) -> dict[str, Any]:
    probe = app.engine.probe  # the benchmark's breakdown of where the time goes (None: off)
    if probe is not None:
        probe.switch("load")
    try:
        with unit(app) as session:
            user = _actor(app, session, actor)
            principal = principal_of(user)
            case = _case(session, ref, lock=True)
            authorize(principal, case, "act", action)
            if need != "act":
                authorize(principal, case, need, action)
            check_version(case, expected_version)
            app.engine.check_clock(case, now)
            if probe is not None:  # the use case's own work; the engine switches to its phases
                probe.switch("service")
            work(session, case, user)
            if probe is not None:
                probe.switch("commit")
            _finish(session, case)
            result = document_for(app, session, case, user, principal, now) if document else {}
            # save_case wrote everything; detach so the commit does not re-inspect the written rows.
            session.expunge_all()
            return result
    except StaleDataError:
        raise StaleCase(
            f"Ärendet {ref} ändrades samtidigt av någon annan; ladda om och försök igen."
        ) from None
    finally:
        if probe is not None:
            probe.switch(None)  # after the commit


def _finish(session: Session, case: Case) -> None:
    """One version step per committed change, whatever the change touched (invariant 8)."""
    save_case(session, case)


def _record(
    session: Session, case: Case, user: User, now: datetime, event: str, params: dict[str, Any]
) -> int:
    """A case-level journal entry (incident added, letter sent, …); returns its id."""
    entry_id = append_journal(session, case.id, now, user.username, event, params=params)
    case.updated_at = now
    case.last_event_at = max(case.last_event_at, now)
    return entry_id


def _user_or_none(session: Session, username: str) -> User | None:
    if "\x00" in username or len(username) > 80:
        return None
    return session.scalar(select(User).where(User.username == username))


def _actor(app: App, session: Session, username: str) -> User:
    user = app.actor(session, username)
    if user is None or not user.active:
        raise NotFound(
            f"Okänd användare '{username}'" + cli("; lägg till den med 'storning user add'") + "."
        )
    return user


def _user(session: Session, username: str) -> User:
    user = _user_or_none(session, username)
    if user is None or not user.active:
        raise NotFound(
            f"Okänd användare '{username}'" + cli("; lägg till den med 'storning user add'") + "."
        )
    return user


def _case(session: Session, ref: str, *, lock: bool = False) -> Case:
    wanted = ref.strip().upper()
    case = load_case(session, wanted, lock=lock) if REF.fullmatch(wanted) else None
    if case is None:
        raise NotFound(f"Det finns inget ärende '{ref}'" + cli("; se 'storning case list'") + ".")
    return case


def _locked_case(session: Session, case_id: int) -> Case:
    case = load_case_by_id(session, case_id)
    assert case is not None
    return case
