"""Logging in and API tokens: who is asking, as an `access.Principal`. Imports no web framework, so the
CLI (`storning user …`) uses it too.

Passwords are argon2 hashes (`storning.security`); an API token is shown once and stored as a sha256
hash in `users.api_token_hash`. An inactive user is nobody.

Service gap: `set_api_token` and `set_password` write the users table here because `services` has no
such use case yet (see docs/web.md); they touch nothing else.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storning.access import Principal
from storning.app import App
from storning.errors import InvalidInput, NotFound
from storning.security import hash_password, new_token, token_hash, verify_password
from storning.store.models import User

# Verified against when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = hash_password("storning-dummy-password")


def principal_of(user: User) -> Principal:
    return Principal(user.username, user.role_set, user.team, user.name)


def principal_by_username(app: App, username: str) -> Principal | None:
    """The active user of that name (cached for a few seconds by `App.actor`), else None."""
    with app.db.read() as session:
        user = app.actor(session, username)
    if user is None or not user.active or username == "system":
        return None
    return principal_of(user)


def authenticate(app: App, username: str, password: str) -> Principal | None:
    """The user if the password matches an active account; None otherwise (no hint which part failed)."""
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


def set_api_token(app: App, username: str) -> str:
    """Make a new token for the user, replacing any old one; the token itself is returned only here."""
    token = new_token()
    with app.db.write() as session:
        user = _user(session, username)
        user.api_token_hash = token_hash(token)
    app.forget_actor(username)
    return token


def set_password(app: App, username: str, password: str) -> None:
    check_password(password)
    with app.db.write() as session:
        _user(session, username).password_hash = hash_password(password)
    app.forget_actor(username)


def check_password(password: str) -> None:
    if len(password) < 10:
        raise InvalidInput("Lösenordet måste ha minst 10 tecken.")


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"Okänd användare '{username}'; lägg till den med 'storning user add'.")
    return user
