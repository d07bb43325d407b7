"""The read model: the queries behind every list (pending timers, people, teams, case types, the
worklist's filter and the cases like a new complaint's; the worklist's page of cases is
`worklist_page`, what is due for one officer `due_lists`). They never write:
they run in `Database.read`, which the database itself holds to reading.

Each list is restricted to what the principal may read (`access.visibility`); the services call these
for a principal and write the access log, and every door (CLI, web, API) gets the same rows.

The three words of the worklist are defined once (`due`), and every list, count, filter, sort and badge
uses these definitions:

- an **open item** of a case (`open_item`): a pending deadline or reminder (`DUE_KINDS`), or a
  reminder already sent whose task is still open (the track is still in the state that started it:
  "take first contact" stays until contact is recorded);
- a case's **next deadline** (`next_due`): the earliest day of its open items;
- **overdue**: a next deadline (an item's day) before today; **this week**: from today through the
  coming Sunday (today on a Sunday), days in the landlord's zone (`week_end`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, false, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from storning.access import (
    ACTING_ROLES,
    CaseScope,
    Principal,
    principal_of,
    team_only,
    visibility,
)
from storning.app import App
from storning.clock import iso, local_day
from storning.store.models import (
    Case,
    Letter,
    Timer,
    User,
    WorkflowVersion,
)
from storning.store.prepared import Prepared

PAGE_SIZE = 50
# The worklist reads these columns only (not whole ORM objects: it is the busiest page).
ROW_COLUMNS = (
    Case.id,
    Case.ref,
    Case.case_type,
    Case.workflow_version,
    Case.status,
    Case.tenant_name,
    Case.address,
    Case.apartment,
    Case.team,
    Case.opened_at,
)
MAX_ID = 2**31 - 1  # the largest id an INTEGER column holds
# The case's owner in the lists' statements: one alias for the process (a new one per request made
# every statement new to SQLAlchemy's statement cache).
OWNER = aliased(User, name="owner_user")


@dataclass(frozen=True)
class CaseRef:
    id: int
    ref: str
    scope: CaseScope


@dataclass(frozen=True)
class WorklistFilter:
    """What the officer asked for on the worklist; every field is optional."""

    scope: str = "mine"  # mine | team
    case_type: str = ""
    state: str = ""  # "track:state", e.g. "legal:assessment"
    team: str = ""
    owner: str = ""
    q: str = ""
    include_closed: bool = False
    overdue: bool = False
    page: int = 1
    page_size: int = PAGE_SIZE


@dataclass
class WorklistPage:
    rows: list[dict[str, Any]] = field(default_factory=list)
    has_next: bool = False


REF = re.compile(r"[A-Za-z0-9-]{1,40}")


def clean(text: str, limit: int = 100) -> str:
    """A filter value as the database may compare it: no NUL characters, bounded length."""
    return text.replace("\x00", "").strip()[:limit]


def case_ref(app: App, ref: str) -> CaseRef | None:
    """The case's id, owner and team, for the access rules; None when there is no such case."""
    if not REF.fullmatch(ref.strip()):
        return None
    with app.db.read() as session:
        row = session.execute(
            select(Case.id, Case.ref, User.username, Case.team)
            .join(User, User.id == Case.owner_id)
            .where(Case.ref == ref.strip().upper())
        ).first()
    return None if row is None else CaseRef(row[0], row[1], CaseScope(row[2], row[3]))


def letter_case(app: App, letter_id: int) -> CaseRef | None:
    """The case a letter belongs to; None when there is no such letter."""
    if not 1 <= letter_id <= MAX_ID:
        return None
    with app.db.read() as session:
        row = session.execute(
            select(Case.id, Case.ref, User.username, Case.team)
            .join(Letter, Letter.case_id == Case.id)
            .join(User, User.id == Case.owner_id)
            .where(Letter.id == letter_id)
        ).first()
    return None if row is None else CaseRef(row[0], row[1], CaseScope(row[2], row[3]))


def case_version(app: App, case_id: int) -> int | None:
    with app.db.read() as session:
        return session.scalar(select(Case.version).where(Case.id == case_id))


def people(app: App, team: str | None = None) -> list[Principal]:
    """Active users who may own cases (an acting role), optionally of one team, by name."""
    with app.db.read() as session:
        query = select(User).where(User.active.is_(True), User.username != "system")
        if team is not None:
            query = query.where(User.team == team)
        users = [principal_of(u) for u in session.scalars(query.order_by(User.name))]
    return [u for u in users if u.roles & ACTING_ROLES]


def teams(app: App) -> list[str]:
    with app.db.read() as session:
        rows = session.scalars(select(User.team).where(User.team.is_not(None)).distinct())
        return sorted(t for t in rows if t)


def case_types(app: App) -> dict[str, str]:
    """Installed workflow ids with their titles (the latest version's)."""
    with app.db.read() as session:
        rows = session.execute(
            select(WorkflowVersion.workflow_id, WorkflowVersion.title).order_by(
                WorkflowVersion.workflow_id, WorkflowVersion.version
            )
        ).all()
    return {workflow_id: title for workflow_id, title in rows}


def _user_id(username: str) -> ColumnElement[int]:
    """The user's id as a scalar subquery (-1, no one's id, for an unknown user): part of the list's
    one statement instead of a round trip of its own."""
    return func.coalesce(select(User.id).where(User.username == username).scalar_subquery(), -1)


_USER_ID = Prepared(select(User.id).where(User.username == bindparam("username")))


def user_id_now(session: Session, username: str) -> int:
    """The user's id looked up first (-1 for an unknown user): a plain number lets the planner use
    the owner indexes (timers and cases by owner), which a subquery in the statement does not."""
    found = _USER_ID.rows(session, {"username": username})
    return int(found[0][0]) if found else -1


def _visible(session: Session, principal: Principal) -> ColumnElement[bool]:
    return whose(seeing(principal), _user_id(principal.username), principal.team)


def seeing(principal: Principal) -> str:
    """Which cases a principal's lists hold (`access.visibility`), with "team" told apart:
    `team_only` (a reader: their team's cases) or `team_or_own` (an officer or chef: also their own
    elsewhere). The other kinds are `all`, `own` and `none`."""
    seen = visibility(principal)
    if seen == "team":
        return "team_only" if team_only(principal) else "team_or_own"
    return seen


def whose(
    kind: str, me: ColumnElement[int], team: str | ColumnElement[str] | None
) -> ColumnElement[bool]:
    """The cases of a kind of seeing (`seeing`), for the user whose id is `me` and whose team is
    `team` (values, SQL expressions or bound parameters): the one visibility clause of every list."""
    if kind == "all":
        return true()
    if kind == "own":
        return Case.owner_id == me
    if kind == "team_only":
        return Case.team == team
    if kind == "team_or_own":
        return or_(Case.team == team, Case.owner_id == me)
    return false()


# --- the worklist ------------------------------------------------------------------------------------


def like_pattern(text: str) -> str:
    """`text` as a LIKE pattern that matches it anywhere, its wildcards escaped (ESCAPE '\\')."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _equal(column: Any, text: str) -> ColumnElement[bool]:
    return equal_folded(column, text, text.lower())


def equal_folded(column: Any, text: Any, lowered: Any) -> ColumnElement[bool]:
    """Equal to `text` whatever the letter case, `lowered` being `text` in lower case (values or
    bound parameters): SQLite's lower() folds only ASCII, so the exact text is compared too."""
    return or_(column == text, func.lower(column) == lowered)


def open_cases_matching(
    app: App, principal: Principal, *, tenant: str, address: str, apartment: str, contract: str
) -> list[dict[str, Any]]:
    """The open cases the principal may read about the same tenant (the name, whatever its case and
    spacing), the same apartment (address and apartment number) or the same contract, oldest first."""

    def same(column: Any, value: str) -> ColumnElement[bool]:
        return _equal(column, " ".join(value.split()))

    wanted: list[ColumnElement[bool]] = []
    if tenant.strip():
        wanted.append(same(Case.tenant_name, tenant))
    if address.strip() and apartment.strip():
        wanted.append(and_(same(Case.address, address), same(Case.apartment, apartment)))
    if contract.strip():
        wanted.append(same(Case.contract, contract))
    if not wanted:
        return []
    owner = OWNER
    with app.db.read() as session:
        query = (
            select(*ROW_COLUMNS, Case.contract, owner.name.label("owner_name"))
            .join(owner, owner.id == Case.owner_id)
            .where(_visible(session, principal), Case.status == "open", or_(*wanted))
            .order_by(Case.opened_at, Case.id)
            .limit(20)
        )
        rows = session.execute(query).all()
    return [
        {
            "ref": row.ref,
            "type": row.case_type,
            "tenant": row.tenant_name,
            "address": row.address,
            "apartment": row.apartment,
            "owner": row.owner_name,
            "opened_on": local_day(row.opened_at, app.zone).isoformat(),
            "same": _same_parts(row, tenant, address, apartment, contract),
        }
        for row in rows
    ]


def _same_parts(row: Any, tenant: str, address: str, apartment: str, contract: str) -> list[str]:
    """What a found case shares with the one being registered: tenant, apartment, contract."""
    parts = {
        "tenant": _same_text(row.tenant_name, tenant),
        "apartment": _same_text(row.address, address) and _same_text(row.apartment, apartment),
        "contract": _same_text(row.contract, contract),
    }
    return [name for name, same in parts.items() if same]


def _same_text(stored: str | None, typed: str) -> bool:
    typed = " ".join(typed.split()).lower()
    return bool(typed) and stored is not None and " ".join(stored.split()).lower() == typed


def timers(
    app: App,
    principal: Principal,
    now: datetime,
    *,
    due_only: bool,
    mine: bool,
    limit: int,
    everything: bool = False,
    case_id: int | None = None,
) -> list[dict[str, Any]]:
    """Timers on cases the principal may see, soonest first: pending ones on open cases, or every
    timer whatever its status with `everything`; `due_only`: those due at `now`."""
    with app.db.read() as session:
        query = (
            select(Timer, Case.ref, User.username)
            .join(Case, Case.id == Timer.case_id)
            .join(User, User.id == Case.owner_id)
            .where(_visible(session, principal))
        )
        if not everything:
            query = query.where(Timer.status == "pending", Case.status == "open")
        if case_id is not None:
            query = query.where(Timer.case_id == case_id)
        if due_only:
            query = query.where(Timer.due_at <= now)
        if mine:
            query = query.where(and_(User.username == principal.username))
        rows = session.execute(query.order_by(Timer.due_at, Timer.id).limit(limit)).all()
    return [
        {
            "id": t.id,
            "ref": ref,
            "case": ref,
            "owner": owner,
            "track": t.track,
            "name": t.name,
            "label": t.label,
            "kind": t.kind,
            "due_on": t.due_on.isoformat(),
            "due_at": iso(t.due_at, app.zone),
            "status": t.status,
            "fires": t.fires,
            "recipients": t.recipients,
        }
        for t, ref, owner in rows
    ]
