"""Accounts: logging in, API tokens and passwords — who is asking, as an `access.Principal`.

Used by every door: the web's login form and session, the API's bearer tokens, and `storning user …`.
Passwords are argon2 hashes (`storning.security`); an API token is shown once and stored as a sha256
hash in `users.api_token_hash`. An inactive user is nobody, and so is the internal `system` user.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storning import access
from storning.access import Principal, principal_of
from storning.app import App
from storning.errors import InvalidInput, NotFound, PermissionDenied
from storning.security import hash_password, new_token, token_hash, verify_password
from storning.services.common import SYSTEM_USER, _user_or_none
from storning.store.models import User

MIN_PASSWORD_LENGTH = 10

# Verified against when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = hash_password("storning-dummy-password")


def principal_by_username(app: App, username: str) -> Principal | None:
    """The active user of that name (cached for a few seconds by `App.actor`), else None."""
    with app.db.read() as session:
        user = app.actor(session, username)
    if user is None or not user.active or username == SYSTEM_USER:
        return None
    return principal_of(user)


def authenticate(app: App, username: str, password: str) -> Principal | None:
    """The user if the password matches an active account; None otherwise (no hint which part failed)."""
    if "\x00" in username or len(username) > 80:
        verify_password(_DUMMY_HASH, password + "x")  # the same cost as a wrong password
        return None
    with app.db.read() as session:
        user = session.scalar(select(User).where(User.username == username.strip()))
        stored = user.password_hash if user is not None and user.active else None
        principal = principal_of(user) if user is not None else None
    if stored is None:
        verify_password(_DUMMY_HASH, password + "x")
        return None
    return principal if verify_password(stored, password) else None


def principal_by_token(app: App, token: str) -> Principal | None:
    """The active user holding this API token (`stn_…`), else None."""
    if not token.startswith("stn_"):
        return None
    with app.db.read() as session:
        user = session.scalar(select(User).where(User.api_token_hash == token_hash(token)))
        if user is None or not user.active:
            return None
        return principal_of(user)


def set_api_token(app: App, username: str, *, actor: str | None = None) -> str:
    """Make a new token for the user, replacing any old one; the token itself is returned only here.
    `actor`, when given, must be allowed to manage users (an admin)."""
    token = new_token()
    with app.db.write() as session:
        _require_user_manager(app, session, actor)
        user = _user(session, username)
        user.api_token_hash = token_hash(token)
    app.forget_actor(username)
    return token


def set_password(app: App, username: str, password: str, *, actor: str | None = None) -> None:
    """Replace the user's password (checked against the password rule). `actor`, when given, must be
    allowed to manage users (an admin)."""
    hashed = password_hash(password)
    with app.db.write() as session:
        _require_user_manager(app, session, actor)
        _user(session, username).password_hash = hashed
    app.forget_actor(username)


def check_password(password: str) -> None:
    """The password rule, the same for every door."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Lösenordet måste ha minst {MIN_PASSWORD_LENGTH} tecken.")


def password_hash(password: str) -> str:
    """The stored form of a new password, after checking it against the password rule."""
    check_password(password)
    return hash_password(password)


def _require_user_manager(app: App, session: Session, actor: str | None) -> None:
    if actor is None:
        return
    user = app.actor(session, actor)
    if user is None or not user.active or not access.can_manage_users(principal_of(user)):
        raise PermissionDenied(f"Användaren {actor} får inte hantera användarkonton.")


def _user(session: Session, username: str) -> User:
    """The account, active or not (an administrator manages both)."""
    user = _user_or_none(session, username)
    if user is None:
        raise NotFound(f"Okänd användare '{username}'; lägg till den med 'storning user add'.")
    return user
