"""Setting up: the database and its workflows, users, and moving open cases to a new workflow version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from storning import validation
from storning.app import App
from storning.errors import InvalidInput, PermissionDenied
from storning.services.common import (
    ALL_ROLES,
    SYSTEM_USER,
    _actor,
    _finish,
    _record,
    _user,
    _user_or_none,
)
from storning.store.db import Database, WalCheckpointer
from storning.store.models import (
    Case,
    User,
)
from storning.store.schema import current_revision, head_revision, upgrade


def schema_revisions(app: App) -> tuple[str | None, str]:
    """(the schema's revision in the database, None when there is none; the newest one known)."""
    return current_revision(app.db.engine), head_revision()


def init_database(app: App, now: datetime) -> list[tuple[str, int, str]]:
    """Create or upgrade the schema, load the workflow definitions, make the admin and system users."""
    upgrade(app.db.engine)
    with app.db.write() as session:
        installed = app.registry.install(session, app.settings.workflows_dir, now)
        for username, name in (("admin", "Lokal administratör"), (SYSTEM_USER, "Systemet")):
            if _user_or_none(session, username) is None:
                session.add(
                    User(
                        username=username, name=name, roles=ALL_ROLES if username == "admin" else ""
                    )
                )
    return [(w.id, w.version, status) for w, status in installed]


def add_user(
    app: App,
    username: str,
    name: str,
    roles: list[str],
    *,
    email: str | None = None,
    team: str | None = None,
    supervisor: str | None = None,
    password_hash: str | None = None,
    phone: str | None = None,
) -> None:
    """A new account; `phone` is printed in the officer's letters (else the landlord's number)."""
    checked_phone = validation.phone(phone)
    from storning.services.accounts import check_roles  # (accounts imports common, as this does)

    roles = check_roles(roles)
    with app.db.write() as session:
        if _user_or_none(session, username) is not None:
            raise InvalidInput(f"Användaren '{username}' finns redan.")
        boss = _user(session, supervisor).id if supervisor else None
        session.add(
            User(
                username=username,
                name=name,
                roles=",".join(roles),
                email=email,
                phone=checked_phone,
                team=team,
                supervisor_id=boss,
                password_hash=password_hash,
            )
        )


# --- cases -------------------------------------------------------------------------------------------


def migrate_cases(
    app: App, actor: str, now: datetime, case_type: str, *, apply: bool
) -> dict[str, Any]:
    """Move open cases of `case_type` to the newest definition where every track's current state exists
    in it under the same id (states map one to one). A dry run (apply=False) only reports."""
    with app.db.write() as session:
        user = _actor(app, session, actor)
        if "admin" not in user.role_set:
            raise PermissionDenied(
                "Endast administratörer får flytta ärenden till en ny arbetsflödesversion."
            )
        target = app.registry.latest(session, case_type)
        query = (
            select(Case)
            .where(
                Case.case_type == case_type,
                Case.status == "open",
                Case.workflow_version < target.version,
            )
            .order_by(Case.id)
        )
        movable: list[tuple[Case, list[str]]] = []
        blocked: list[tuple[Case, list[str]]] = []
        for case in session.scalars(query):
            missing = [
                f"{t.track}:{t.state}"
                for t in case.tracks
                if t.state not in target.tracks[t.track].states
            ]
            (blocked if missing else movable).append((case, missing))
        if apply:
            for case, _ in movable:
                _record(
                    session,
                    case,
                    user,
                    now,
                    "workflow_migrated",
                    {"from_version": case.workflow_version, "to_version": target.version},
                )
                case.workflow_version = target.version
                _finish(session, case)
        return {
            "type": case_type,
            "to_version": target.version,
            "applied": apply,
            "movable": [c.ref for c, _ in movable],
            "blocked": [{"ref": c.ref, "unmapped_states": m} for c, m in blocked],
        }


def background_checkpoints(database: Database) -> WalCheckpointer:
    """Started: SQLite's write-ahead log copied into the database file in the background, for a
    process that serves or works for long (`store.db.WalCheckpointer`); `stop()` it at the end."""
    return WalCheckpointer(database).start()
