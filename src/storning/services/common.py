"""What every use case shares: the acting user, the locked case, one transaction per change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from storning.app import App
from storning.errors import NotFound, PermissionDenied, StaleCase
from storning.journal import append_journal
from storning.presenters import case_document
from storning.store.cases import load_case, load_case_by_id, save_case
from storning.store.models import (
    Case,
    User,
)

ALL_ROLES = "handlaggare,chef,admin,lasare"


SYSTEM_USER = "system"


def _change(
    app: App,
    actor: str,
    now: datetime,
    ref: str,
    expected_version: int | None,
    work: Any,
    *,
    document: bool = True,
) -> dict[str, Any]:
    try:
        with app.db.write() as session:
            user = _actor(app, session, actor)
            _require_acting(user)
            case = _case(session, ref, lock=True)
            if expected_version is not None and expected_version != case.version:
                raise StaleCase(
                    f"Ärendet {ref} har ändrats av någon annan sedan du öppnade det "
                    f"(version {expected_version}, nu {case.version}); ladda om och försök igen."
                )
            app.engine.check_clock(case, now)
            work(session, case, user)
            _finish(session, case)
            result = case_document(session, app.engine, case, user, now) if document else {}
            # save_case wrote everything; detach so the commit does not re-inspect the written rows.
            session.expunge_all()
            return result
    except StaleDataError:
        raise StaleCase(
            f"Ärendet {ref} ändrades samtidigt av någon annan; ladda om och försök igen."
        ) from None


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
    return session.scalar(select(User).where(User.username == username))


def _actor(app: App, session: Session, username: str) -> User:
    user = app.actor(session, username)
    if user is None or not user.active:
        raise NotFound(f"Okänd användare '{username}'; lägg till den med 'storning user add'.")
    return user


def _user(session: Session, username: str) -> User:
    user = _user_or_none(session, username)
    if user is None or not user.active:
        raise NotFound(f"Okänd användare '{username}'; lägg till den med 'storning user add'.")
    return user


def _require_acting(user: User) -> None:
    if not {"handlaggare", "chef", "admin"} & user.role_set:
        raise PermissionDenied(f"Användaren {user.username} får bara läsa ärenden.")


def _case(session: Session, ref: str, *, lock: bool = False) -> Case:
    case = load_case(session, ref, lock=lock)
    if case is None:
        raise NotFound(f"Det finns inget ärende '{ref}'; se 'storning case list'.")
    return case


def _locked_case(session: Session, case_id: int) -> Case:
    case = load_case_by_id(session, case_id)
    assert case is not None
    return case
