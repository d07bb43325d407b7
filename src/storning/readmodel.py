"""The read model: the queries behind every list (the worklist with filters and search, pending
timers, people, teams, case types; what is due for one officer is `due_lists`). They never write:
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
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, false, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from storning.access import (
    ACTING_ROLES,
    CaseScope,
    Principal,
    may_act_at_all,
    principal_of,
    team_only,
    visibility,
)
from storning.app import App
from storning.clock import iso, local_day
from storning.due import when
from storning.store.models import (
    Case,
    CaseTrack,
    Complainant,
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
    seen = visibility(principal)
    if seen == "all":
        return true()
    if seen == "none":
        return false()
    me = _user_id(principal.username)
    if seen == "own":
        return Case.owner_id == me
    if team_only(principal):
        return Case.team == principal.team
    return or_(Case.team == principal.team, Case.owner_id == me)


def _sees_protected(session: Session, principal: Principal) -> ColumnElement[bool]:
    """The cases whose protected complainants the principal may see (`access.can_see_protected`,
    which is `can_act`: an admin every case, an officer or chef their own and their team's)."""
    if principal.is_admin:
        return true()
    if not may_act_at_all(principal):
        return false()
    me = _user_id(principal.username)
    if principal.team is None:
        return Case.owner_id == me
    return or_(Case.team == principal.team, Case.owner_id == me)


# --- the one definition of what is due -------------------------------------------------------------


# --- the worklist ------------------------------------------------------------------------------------


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _equal(column: Any, text: str) -> ColumnElement[bool]:
    """Equal whatever the letter case (SQLite's lower() folds only ASCII, so the exact text too)."""
    return or_(column == text, func.lower(column) == text.lower())


def _matches(session: Session, principal: Principal, text: str) -> ColumnElement[bool]:
    """The search: the reference or part of it, tenant, address, apartment number, contract number,
    and a complainant's name, phone or e-mail (a protected one only where the principal may see it)."""
    words = " ".join(text.split())
    pattern = _like(words)
    complainant = (
        select(Complainant.id)
        .where(
            Complainant.case_id == Case.id,
            or_(
                Complainant.name.ilike(pattern, escape="\\"),
                Complainant.phone.ilike(pattern, escape="\\"),
                Complainant.email.ilike(pattern, escape="\\"),
            ),
            or_(Complainant.protected.is_(False), _sees_protected(session, principal)),
        )
        .correlate(Case)
        .exists()
    )
    return or_(
        Case.ref.ilike(pattern, escape="\\"),
        Case.tenant_name.ilike(pattern, escape="\\"),
        Case.address.ilike(pattern, escape="\\"),
        _equal(Case.apartment, words),
        Case.contract.ilike(pattern, escape="\\"),
        complainant,
    )


def _filtered(session: Session, principal: Principal, wanted: WorklistFilter) -> Any:
    owner = OWNER
    query = (
        select(*ROW_COLUMNS, owner.username.label("owner"), Case.next_due.label("next_due"))
        .join(owner, owner.id == Case.owner_id)
        .where(_visible(session, principal))
    )
    if wanted.scope == "mine":
        query = query.where(Case.owner_id == user_id_now(session, principal.username))
    if not wanted.include_closed:
        query = query.where(Case.status == "open")
    if wanted.case_type:
        query = query.where(Case.case_type == wanted.case_type)
    if wanted.team:
        query = query.where(Case.team == wanted.team)
    if wanted.owner:
        query = query.where(owner.username == wanted.owner)
    if wanted.state and ":" in wanted.state:
        track, state = wanted.state.split(":", 1)
        in_state = select(CaseTrack.case_id).where(
            CaseTrack.case_id == Case.id, CaseTrack.track == track, CaseTrack.state == state
        )
        query = query.where(in_state.exists())
    text = clean(wanted.q)
    if text:
        query = query.where(_matches(session, principal, text))
    return query


def worklist_in(
    session: Session, app: App, principal: Principal, now: datetime, wanted: WorklistFilter
) -> WorklistPage:
    """One page of the cases the principal may see that match, by next deadline (so overdue first;
    cases with nothing due last), in the caller's transaction."""
    today = local_day(now, app.zone)
    query = _filtered(session, principal, wanted)
    if wanted.overdue:
        query = query.where(Case.status == "open", Case.next_due < today)
    page = max(wanted.page, 1)
    rows = _by_next_due(session, query, (page - 1) * wanted.page_size, wanted.page_size + 1)
    shown = rows[: wanted.page_size]
    states = _states(session, [row.id for row in shown])
    result = [_row(app, session, row, states.get(row.id, {}), today) for row in shown]
    return WorklistPage(result, len(rows) > wanted.page_size)


def _by_next_due(session: Session, query: Any, skip: int, count: int) -> list[Any]:
    """`count` rows of `query` from the `skip`th on, by next deadline and then id, cases with none
    last (by id).

    The dated and the undated cases are two statements, the second only when the page reaches past
    the dated ones. Each is ordered as an index on (owner, status, next_due) is, so with one the
    database reads a page's rows and stops; one statement ordered NULLS LAST cannot use it on SQLite
    (which sorts NULLs first) and sorts every matching case to show fifty."""
    dated = query.where(Case.next_due.is_not(None))
    rows = list(
        session.execute(dated.order_by(Case.next_due, Case.id).limit(count).offset(skip)).all()
    )
    if len(rows) == count:
        return rows
    if rows or not skip:
        before = skip + len(rows)  # every dated case is on this page or an earlier one
    else:
        before = session.scalar(select(func.count()).select_from(dated.subquery())) or 0
    undated = (
        query.where(Case.next_due.is_(None))
        .order_by(Case.id)
        .limit(count - len(rows))
        .offset(max(0, skip - before))
    )
    # (on PostgreSQL the two statements may see different commits: a case whose last deadline was
    # removed in between is shown once)
    dated_ids = {row.id for row in rows}
    return rows + [row for row in session.execute(undated).all() if row.id not in dated_ids]


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


def _row(
    app: App, session: Session, case: Any, states: dict[str, str], today: date
) -> dict[str, Any]:
    workflow = app.registry.get(session, case.case_type, case.workflow_version)
    due: date | None = case.next_due
    return {
        "ref": case.ref,
        "type": case.case_type,
        "status": case.status,
        "tenant": case.tenant_name,
        "address": case.address,
        "apartment": case.apartment,
        "owner": case.owner,
        "team": case.team,
        "opened_at": iso(case.opened_at, app.zone),
        "tracks": {
            name: {"state": state, "label": workflow.tracks[name].label(state)}
            for name, state in sorted(states.items())
        },
        "next_due": due.isoformat() if due else None,
        "when": when(due, today) if due else None,
        "overdue": bool(due and when(due, today) == "overdue"),
    }


# The track states of a page of cases: the ids as one expanding parameter, not fifty bound values
# to coerce per request.
_STATES = select(CaseTrack.case_id, CaseTrack.track, CaseTrack.state).where(
    CaseTrack.case_id.in_(bindparam("ids", expanding=True))
)


def _states(session: Session, ids: list[int]) -> dict[int, dict[str, str]]:
    result: dict[int, dict[str, str]] = {}
    if ids:
        for case_id, track, state in session.execute(_STATES, {"ids": ids}):
            result.setdefault(case_id, {})[track] = state
    return result


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
