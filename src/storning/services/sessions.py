"""Web sessions kept in the database (`web_sessions`), one row per logged-in browser.

The browser holds only a random token (in a signed cookie); the row holds its sha256, the user, when it
was made, last seen and when it ends at the latest, and, once ended, when and why (`logout`,
`password`, `disabled`, `rotated`, `admin`). A session is valid while it is not revoked, before its
absolute end (STORNING_SESSION_HOURS after login), within the idle limit of its last use
(STORNING_SESSION_IDLE_MINUTES) and while its user is active — checked on every request, in every
process, so a logout, a password change or a disabled account ends it at the next request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from storning.access import Principal
from storning.app import App
from storning.config import Settings
from storning.security import new_session_token, token_hash
from storning.services.common import SYSTEM_USER, log_access
from storning.store.models import User, WebSession, role_set
from storning.store.prepared import Prepared

# Every page asks it: one prepared statement (store.prepared), the columns the check needs
_CURRENT = Prepared(
    select(
        WebSession.id,
        WebSession.revoked_at,
        WebSession.expires_at,
        WebSession.last_seen_at,
        WebSession.flash,
        User.username,
        User.roles,
        User.team,
        User.name,
        User.active,
    )
    .join(User, User.id == WebSession.user_id)
    .where(WebSession.token_hash == bindparam("token"))
)
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often per session
FORGET_AFTER = timedelta(days=30)  # ended sessions are deleted this long after their end


@dataclass(frozen=True)
class Client:
    """Where a request comes from, as the web saw it (after trusted proxies)."""

    address: str
    user_agent: str = ""


@dataclass(frozen=True)
class Current:
    """A valid session: who it belongs to and the message waiting for its next page."""

    principal: Principal
    flash: str | None


def limits(settings: Settings) -> tuple[timedelta, timedelta]:
    """(idle, absolute) lifetimes of a session."""
    return timedelta(minutes=settings.session_idle_minutes), timedelta(hours=settings.session_hours)


def start(session: Session, app: App, user: User, now: datetime, client: Client) -> str:
    """A new session for `user` (in the caller's transaction); its token, for the cookie only."""
    _idle, absolute = limits(app.settings)
    token = new_session_token()
    session.add(
        WebSession(
            token_hash=token_hash(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + absolute,
            client_address=client.address[:64],
            user_agent=client.user_agent[:200],
        )
    )
    session.execute(delete(WebSession).where(WebSession.expires_at < now - FORGET_AFTER))
    return token


def current(app: App, token: str, now: datetime) -> Current | None:
    """The session's user and waiting message, or None when the token opens nothing (unknown,
    revoked, expired, idle too long, or its user is disabled). Notes the use, at most once a minute."""
    idle, _absolute = limits(app.settings)
    with app.db.read() as session:
        found = _CURRENT.rows(session, {"token": token_hash(token)})
    if not found:
        return None
    session_id, revoked_at, expires_at, last_seen_at, flash, username, roles, team, name, active = (
        found[0]
    )
    valid = (
        revoked_at is None
        and now < expires_at
        and now < last_seen_at + idle
        and active
        and username != SYSTEM_USER
    )
    if not valid:
        return None
    principal = Principal(username, role_set(roles), team, name)
    result = Current(principal, flash)
    if now - last_seen_at >= TOUCH_EVERY:
        with app.db.write() as session:
            session.execute(
                update(WebSession)
                .where(WebSession.id == session_id, WebSession.revoked_at.is_(None))
                .values(last_seen_at=now)
            )
    return result


def end(app: App, token: str, now: datetime, *, session_now: datetime | None = None) -> None:
    """Log out: the session is revoked for good (a copy of the cookie opens nothing). `now` dates the
    access-log row, `session_now` (default `now`) the session's end."""
    with app.db.write() as session:
        row = session.scalar(select(WebSession).where(WebSession.token_hash == token_hash(token)))
        if row is None or row.revoked_at is not None:
            return
        row.revoked_at, row.revoked_reason = session_now or now, "logout"
        user = session.get(User, row.user_id)
        if user is not None:
            log_access(session, user.username, now, None, "logout", f"från {row.client_address}")


def revoke(session: Session, token: str, now: datetime, reason: str) -> None:
    """End one session by its token (in the caller's transaction)."""
    session.execute(
        update(WebSession)
        .where(WebSession.token_hash == token_hash(token), WebSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )


def revoke_all(session: Session, user_id: int, now: datetime, reason: str) -> int:
    """End every open session of a user (in the caller's transaction); how many there were."""
    result = session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def set_flash(app: App, token: str, message: str | None) -> None:
    """Keep (or, with None, clear) the message shown once on the session's next page."""
    with app.db.write() as session:
        session.execute(
            update(WebSession)
            .where(WebSession.token_hash == token_hash(token))
            .values(flash=message[:1000] if message else None)
        )


def open_counts(session: Session, app: App, now: datetime) -> dict[int, int]:
    """Valid sessions per user id (for the administrator's list of accounts)."""
    idle, _absolute = limits(app.settings)
    rows = session.execute(
        select(WebSession.user_id, func.count(WebSession.id))
        .where(
            WebSession.revoked_at.is_(None),
            WebSession.expires_at > now,
            WebSession.last_seen_at > now - idle,
        )
        .group_by(WebSession.user_id)
    ).all()
    return {user_id: int(count) for user_id, count in rows}
