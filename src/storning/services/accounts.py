"""Accounts: who is asking (an `access.Principal`), and the life of an account.

Used by every door: the web's login form and session, the API's bearer tokens, `storning user …` and
the administrator's page. Passwords are argon2 hashes (`storning.security`); logging in is throttled
before any hashing (`services.throttling`) and starts a server-side session (`services.sessions`). API
tokens are shown once and stored as sha256 hashes in `api_tokens`, each with an optional expiry and the
time it was last used. An inactive user is nobody, and so is the internal `system` user; disabling an
account ends its sessions and revokes its tokens at once. Managing another person's account needs the
administrator role (`access.can_manage_users`); changing one's own password or listing and revoking
one's own tokens does not. Logins, failed logins of existing accounts, logouts and every change to an
account are written to the access log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from storning import access
from storning.access import Principal, principal_of
from storning.app import App
from storning.clock import iso, system_now
from storning.errors import InvalidInput, NotFound, PermissionDenied, StorningError
from storning.security import (
    TOKEN_PREFIX,
    account_key,
    hash_password,
    new_secret,
    new_token,
    token_hash,
    verify_password,
)
from storning.services import sessions, throttling
from storning.services.common import SYSTEM_USER, _user_or_none, log_access, refuse, unit
from storning.services.sessions import Client
from storning.store.models import ApiToken, AppSecret, User

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1000  # argon2 takes any length; this bounds the work one request can ask for
MAX_TOKEN_DAYS = 3650
TOKEN_TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per token
SESSION_KEY = "web_session_key"

# Verified against when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = hash_password("storning-dummy-password")


@dataclass(frozen=True)
class Login:
    """A successful login: who, and the new session's token (for the cookie, never shown)."""

    principal: Principal
    token: str


# --- logging in ------------------------------------------------------------------------------------


def principal_by_username(app: App, username: str) -> Principal | None:
    """The active user of that name (cached for a few seconds by `App.actor`), else None."""
    with app.db.read() as session:
        return principal_in(app, session, username)


def principal_in(app: App, session: Session, username: str) -> Principal | None:
    """`principal_by_username` in the caller's transaction."""
    user = app.actor(session, username)
    if user is None or not user.active or username == SYSTEM_USER:
        return None
    return principal_of(user)


def authenticate(app: App, username: str, password: str) -> Principal | None:
    """The user if the password matches an active account; None otherwise (no hint which part failed).
    Unthrottled: a door logs people in with `log_in`."""
    if "\x00" in username or len(username) > 80 or len(password) > MAX_PASSWORD_LENGTH:
        verify_password(_DUMMY_HASH, "x")  # the same cost as a wrong password
        return None
    with app.db.read() as session:
        user = session.scalar(select(User).where(User.username == username.strip()))
        usable = user is not None and user.active and user.username != SYSTEM_USER
        stored = user.password_hash if user is not None and usable else None
        principal = principal_of(user) if user is not None else None
    if stored is None:
        verify_password(_DUMMY_HASH, password + "x")
        return None
    return principal if verify_password(stored, password) else None


def log_in(
    app: App,
    username: str,
    password: str,
    client: Client,
    now: datetime,
    *,
    session_now: datetime | None = None,
    previous: str | None = None,
) -> Login | None:
    """Check the password and start a new session; None when the name or password is wrong.

    Raises `throttling.Throttled` — before any hashing — when too many attempts failed for this name,
    from this address or overall (`now` is the request's time, also the access-log row's). The
    session's own times run on `session_now` (default `now`). `previous`, the token of a session
    the browser already had, is revoked: a login always gets a new id."""
    started = session_now or now
    principal = _check_password(app, username, password, client, now)
    if principal is None:
        return None
    with app.db.write() as session:
        user = _account(session, principal.username)
        if previous:
            sessions.revoke(session, previous, started, "rotated")
        token = sessions.start(session, app, user, started, client)
        log_access(session, user.username, now, None, "login", _from(client))
    return Login(principal, token)


def _check_password(
    app: App, username: str, password: str, client: Client, now: datetime
) -> Principal | None:
    """The throttled password check: reserved before hashing, settled after; a failure for an
    existing account is written to the access log."""
    with app.db.write() as session:
        attempt = throttling.reserve_password_attempt(
            session, account_key(username), client.address, now
        )
    principal = authenticate(app, username, password) if username and password else None
    with app.db.write() as session:
        throttling.settle(session, attempt, ok=principal is not None)
        if principal is None:
            user = _user_or_none(session, username.strip())
            if user is not None:
                log_access(session, user.username, now, None, "login_failed", _from(client))
    return principal


def _from(client: Client) -> str:
    return f"från {client.address}"


# --- API tokens ------------------------------------------------------------------------------------


def principal_by_token(
    app: App, token: str, now: datetime | None = None, address: str = "okänd"
) -> Principal | None:
    """The active user holding this API token (`stn_…`), not revoked and not expired; else None, and
    the refusal counts against the address. Raises `throttling.Throttled` when the address has
    presented too many unknown tokens (checked before the token is looked up)."""
    when = now or system_now()
    usable = token.startswith(TOKEN_PREFIX) and len(token) <= 200
    with app.db.read() as session:
        throttling.check_token_door(session, address, when)
        found = None
        if usable:
            found = session.execute(
                select(ApiToken, User)
                .join(User, User.id == ApiToken.user_id)
                .where(ApiToken.token_hash == token_hash(token))
            ).first()
        principal, token_id, stale = None, 0, False
        if found is not None:
            row, user = found
            if _token_valid(row, user, when):
                principal, token_id = principal_of(user), row.id
                stale = row.last_used_at is None or when - row.last_used_at >= TOKEN_TOUCH_EVERY
    if principal is None:
        with app.db.write() as session:
            throttling.record_token_failure(session, address, when)
    elif stale:
        with app.db.write() as session:
            session.execute(
                update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=when)
            )
    return principal


def _token_valid(row: ApiToken, user: User, now: datetime) -> bool:
    return (
        row.revoked_at is None
        and (row.expires_at is None or now < row.expires_at)
        and user.active
        and user.username != SYSTEM_USER
    )


def set_api_token(
    app: App,
    username: str,
    *,
    actor: str | None = None,
    now: datetime | None = None,
    expires_in_days: int | None = None,
    keep_old: bool = False,
) -> str:
    """Make a new token for the user and return it (the only time it is seen). The user's other tokens
    are revoked unless `keep_old` (to switch an integration over without a gap). `actor`, when given,
    must be an administrator, or the user."""
    when = now or system_now()
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_TOKEN_DAYS:
        raise InvalidInput(f"Giltighetstiden ska vara 1–{MAX_TOKEN_DAYS} dagar.")
    token = new_token()
    with unit(app) as session:
        _require_manager(session, actor, username, "token_created", self_allowed=True)
        user = _account(session, username)
        if not user.active:
            raise InvalidInput(f"Kontot {username} är avstängt; aktivera det först.")
        if not keep_old:
            _revoke_tokens(session, user.id, when)
        expires = when + timedelta(days=expires_in_days) if expires_in_days else None
        row = ApiToken(
            user_id=user.id, token_hash=token_hash(token), created_at=when, expires_at=expires
        )
        session.add(row)
        session.flush()
        log_access(session, actor or username, when, None, "token_created", _about(user, row.id))
    return token


def list_tokens(
    app: App, username: str, *, actor: str | None = None, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The user's tokens, newest first: id, created, last used, expiry, revoked and status — never
    the token itself (only its hash is stored)."""
    when = now or system_now()
    with unit(app) as session:
        _require_manager(session, actor, username, "tokens_listed", self_allowed=True)
        user = _account(session, username)
        rows = session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
        return [
            {
                "id": row.id,
                "created_at": iso(row.created_at, app.zone),
                "last_used_at": iso(row.last_used_at, app.zone),
                "expires_at": iso(row.expires_at, app.zone),
                "revoked_at": iso(row.revoked_at, app.zone),
                "status": _token_status(row, when),
            }
            for row in rows
        ]


def _token_status(row: ApiToken, now: datetime) -> str:
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and now >= row.expires_at:
        return "expired"
    return "valid"


def revoke_tokens(
    app: App,
    username: str,
    token_id: int | None,
    *,
    actor: str | None = None,
    now: datetime | None = None,
) -> int:
    """Revoke one of the user's tokens (by id), or all of them (`token_id` None); how many were
    revoked now. A revoked token never works again."""
    when = now or system_now()
    with unit(app) as session:
        _require_manager(session, actor, username, "token_revoked", self_allowed=True)
        user = _account(session, username)
        if token_id is None:
            count = _revoke_tokens(session, user.id, when)
        else:
            row = session.get(ApiToken, token_id) if 0 < token_id < 2**63 else None
            if row is None or row.user_id != user.id:
                raise NotFound(f"Användaren {username} har ingen API-token nr {token_id}.")
            count = 0 if row.revoked_at is not None else 1
            row.revoked_at = row.revoked_at or when
        detail = _about(user, token_id) if token_id is not None else f"{user.username}: alla"
        log_access(session, actor or username, when, None, "token_revoked", detail)
    return count


def _revoke_tokens(session: Session, user_id: int, now: datetime) -> int:
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _about(user: User, token_id: int | None) -> str:
    return f"{user.username}: token {token_id}"


# --- passwords and the account's life-cycle -------------------------------------------------------


def set_password(
    app: App,
    username: str,
    password: str,
    *,
    actor: str | None = None,
    now: datetime | None = None,
) -> int:
    """Replace the user's password (checked against the password rule) and end every session of the
    user; how many sessions ended. `actor`, when given, must be an administrator, or the user. API
    tokens are not touched (revoke them with `revoke_tokens`)."""
    when = now or system_now()
    hashed = password_hash(password)
    with unit(app) as session:
        _require_manager(session, actor, username, "password_changed", self_allowed=True)
        user = _account(session, username)
        ended = _replace_password(session, user, hashed, when, actor or username)
    app.forget_actor(username)
    return ended


def _replace_password(session: Session, user: User, hashed: str, now: datetime, actor: str) -> int:
    user.password_hash = hashed
    ended = sessions.revoke_all(session, user.id, now, "password")
    log_access(session, actor, now, None, "password_changed", user.username)
    return ended


def change_own_password(
    app: App,
    username: str,
    current: str,
    new: str,
    client: Client,
    now: datetime,
    *,
    session_now: datetime | None = None,
) -> Login | None:
    """A person changes their own password, proving the current one (throttled like a login). Every
    session of theirs ends, and a new one is started for the browser that asked (returned). None
    when the current password is wrong."""
    hashed = password_hash(new)
    principal = _check_password(app, username, current, client, now)
    if principal is None:
        return None
    with unit(app) as session:
        user = _account(session, principal.username)
        _replace_password(session, user, hashed, now, user.username)
        started = session_now or now
        token = sessions.start(session, app, user, started, client)
    app.forget_actor(username)
    return Login(principal, token)


def set_active(
    app: App, username: str, active: bool, *, actor: str | None = None, now: datetime | None = None
) -> None:
    """Disable or enable an account. Disabling ends the user's sessions and revokes their API tokens
    at once (enabling again does not bring them back). An administrator may not disable themself."""
    when = now or system_now()
    action = "user_enabled" if active else "user_disabled"
    with unit(app) as session:
        _require_manager(session, actor, username, action, self_allowed=False)
        user = _account(session, username)
        if user.username == SYSTEM_USER:
            raise InvalidInput("Systemanvändaren kan inte stängas av eller aktiveras.")
        if not active and actor == user.username:
            raise InvalidInput("Du kan inte stänga av ditt eget konto; be en annan administratör.")
        user.active = active
        if not active:
            sessions.revoke_all(session, user.id, when, "disabled")
            _revoke_tokens(session, user.id, when)
        log_access(session, actor or SYSTEM_USER, when, None, action, user.username)
    app.forget_actor(username)


def list_users(app: App, actor: str, now: datetime) -> list[dict[str, Any]]:
    """Every account (not the system user), for an administrator: name, roles, team, active, and the
    number of valid sessions and tokens."""
    with unit(app) as session:
        _require_manager(session, actor, "", "users_listed", self_allowed=False)
        open_sessions = sessions.open_counts(session, app, now)
        tokens: dict[int, int] = {}
        for row in session.scalars(select(ApiToken).where(ApiToken.revoked_at.is_(None))):
            if row.expires_at is None or now < row.expires_at:
                tokens[row.user_id] = tokens.get(row.user_id, 0) + 1
        users = session.scalars(
            select(User).where(User.username != SYSTEM_USER).order_by(User.username)
        )
        return [
            {
                "username": u.username,
                "name": u.name,
                "roles": sorted(u.role_set),
                "team": u.team,
                "active": u.active,
                "has_password": bool(u.password_hash),
                "sessions": open_sessions.get(u.id, 0),
                "tokens": tokens.get(u.id, 0),
            }
            for u in users
        ]


def check_password(password: str) -> None:
    """The password rule, the same for every door."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Lösenordet måste ha minst {MIN_PASSWORD_LENGTH} tecken.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"Lösenordet får ha högst {MAX_PASSWORD_LENGTH} tecken.")


def check_roles(roles: list[str] | tuple[str, ...]) -> list[str]:
    """The roles of a new account, each one the product knows (`access.ALL_ROLES`, which includes
    the privacy officer `dataskydd`); refused with one sentence otherwise."""
    unknown = sorted({r for r in roles if r not in access.ALL_ROLES})
    if unknown:
        known = ", ".join(sorted(access.ALL_ROLES))
        raise InvalidInput(f"Okänd roll {', '.join(unknown)}; välj bland {known}.")
    return list(dict.fromkeys(roles))


def password_hash(password: str) -> str:
    """The stored form of a new password, after checking it against the password rule."""
    check_password(password)
    return hash_password(password)


def _require_manager(
    session: Session, actor: str | None, username: str, action: str, *, self_allowed: bool
) -> None:
    """`actor` (None: a trusted caller) may manage `username`'s account: an active administrator,
    or, where `self_allowed`, the user themself. The acting user is read afresh, not from a cache."""
    if actor is None:
        return
    acting = _user_or_none(session, actor)
    if acting is not None and acting.active and acting.username != SYSTEM_USER:
        if access.can_manage_users(principal_of(acting)):
            return
        if self_allowed and acting.username == username:
            return
    error = PermissionDenied(f"Användaren {actor} får inte hantera användarkonton.")
    raise refuse(error, actor[:80], None, action)


def _account(session: Session, username: str) -> User:
    """The account, active or not (an administrator manages both)."""
    user = _user_or_none(session, username)
    if user is None:
        raise NotFound(f"Okänd användare '{username}'; lägg till den med 'storning user add'.")
    return user


# --- the key that signs the session cookie --------------------------------------------------------


def session_secret(app: App, now: datetime) -> str:
    """The key that signs the web's session cookie, made once per database and shared by every
    process using it (STORNING_SECRET_KEY, when set, is used instead and this is not called)."""
    try:
        for _attempt in range(3):
            with app.db.read() as session:
                stored = session.get(AppSecret, SESSION_KEY)
                if stored is not None:
                    return stored.value
            try:
                with app.db.write() as session:
                    if session.get(AppSecret, SESSION_KEY) is None:
                        session.add(AppSecret(name=SESSION_KEY, value=new_secret(), created_at=now))
            except IntegrityError:
                continue  # another process made it first: read theirs
    except (SQLAlchemyError, StorningError):
        pass  # down, without its schema, or read-only: the sentence below says what to do
    raise InvalidInput(
        "Det finns ingen nyckel för inloggningskakan och databasen kan inte spara en: sätt "
        "STORNING_SECRET_KEY (minst 32 slumpmässiga tecken, samma i alla processer) eller se till "
        "att databasen är igång och skapad med 'storning init' och att den får skrivas."
    )
