"""The read model: the queries behind every list (the worklist with filters and search, what is due,
pending timers, people, teams, case types). They never write.

Each list is restricted to what the principal may read (`access.visibility`); the services call these
for a principal and write the access log, and every door (CLI, web, API) gets the same rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, literal_column, or_, select, true
from sqlalchemy.orm import Session, aliased

from storning.access import ACTING_ROLES, CaseScope, Principal, principal_of, team_only, visibility
from storning.app import App
from storning.clock import iso, local_day
from storning.store.models import Case, CaseTrack, Letter, Timer, User, WorkflowVersion

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
DUE_KINDS = ("reminds", "fires", "before")


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


def _user_id(session: Session, username: str) -> int | None:
    return session.scalar(select(User.id).where(User.username == username))


def _visible(session: Session, principal: Principal) -> ColumnElement[bool]:
    seen = visibility(principal)
    if seen == "all":
        return true()
    if seen == "none":
        return false()
    me = _user_id(session, principal.username) or -1
    if seen == "own":
        return Case.owner_id == me
    if team_only(principal):
        return Case.team == principal.team
    return or_(Case.team == principal.team, Case.owner_id == me)


def _filtered(session: Session, principal: Principal, wanted: WorklistFilter) -> Any:
    next_due = (
        select(func.min(Timer.due_on))
        .where(Timer.case_id == Case.id, Timer.status == "pending")
        .correlate(Case)
        .scalar_subquery()
        .label("next_due")
    )
    owner = aliased(User)
    query = (
        select(*ROW_COLUMNS, owner.username.label("owner"), next_due)
        .join(owner, owner.id == Case.owner_id)
        .where(_visible(session, principal))
    )
    if wanted.scope == "mine":
        query = query.where(owner.username == principal.username)
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
    text = wanted.q.strip()
    if text:
        pattern = f"%{text.replace('%', '').replace('_', '')}%"
        query = query.where(
            or_(
                Case.ref == text.upper(),
                Case.tenant_name.ilike(pattern),
                Case.address.ilike(pattern),
                Case.contract == text,
            )
        )
    return query


def worklist(app: App, principal: Principal, now: datetime, wanted: WorklistFilter) -> WorklistPage:
    """One page of the cases the principal may see that match, overdue first, then by next deadline."""
    today = local_day(now, app.zone)
    with app.db.read() as session:
        query = _filtered(session, principal, wanted)
        if wanted.overdue:
            query = query.where(query.selected_columns.next_due < today)
        page = max(wanted.page, 1)
        # Ordering by the label (not the expression) computes each case's next deadline once.
        next_due: ColumnElement[Any] = literal_column("next_due")
        query = (
            query.order_by(next_due.asc().nulls_last(), Case.id)
            .limit(wanted.page_size + 1)
            .offset((page - 1) * wanted.page_size)
        )
        rows = session.execute(query).all()
        shown = rows[: wanted.page_size]
        states = _states(session, [row.id for row in shown])
        result = [_row(app, session, row, states.get(row.id, {}), today) for row in shown]
    return WorklistPage(result, len(rows) > wanted.page_size)


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
        "overdue": bool(due and due < today),
    }


def _states(session: Session, ids: list[int]) -> dict[int, dict[str, str]]:
    result: dict[int, dict[str, str]] = {}
    if ids:
        query = select(CaseTrack.case_id, CaseTrack.track, CaseTrack.state).where(
            CaseTrack.case_id.in_(ids)
        )
        for case_id, track, state in session.execute(query):
            result.setdefault(case_id, {})[track] = state
    return result


def week_end(today: date) -> date:
    """The Sunday ending the working week in view: this week's, or next week's at the weekend."""
    sunday = today + timedelta(days=6 - today.weekday())
    return sunday + timedelta(days=7) if today.weekday() >= 5 else sunday


def due_items(app: App, principal: Principal, now: datetime) -> list[dict[str, Any]]:
    """What the principal has to do up to `week_end`, overdue first, at most 100: pending deadlines
    and reminders, and reminders already sent whose task is still open (the track is still in the
    state that started them — "take first contact" stays on the list until contact is recorded)."""
    today = local_day(now, app.zone)
    last = week_end(today)
    still_open = (
        select(CaseTrack.case_id)
        .where(
            CaseTrack.case_id == Timer.case_id,
            CaseTrack.track == Timer.track,
            CaseTrack.state == Timer.scope_state,
        )
        .exists()
    )
    with app.db.read() as session:
        me = _user_id(session, principal.username) or -1
        base = (
            select(
                Timer.id,
                Timer.label,
                Timer.kind,
                Timer.track,
                Timer.due_on,
                Case.ref,
                Case.tenant_name,
            )
            .join(Case, Case.id == Timer.case_id)
            .where(Timer.owner_id == me, Timer.due_on <= last, Case.status == "open")
            .order_by(Timer.due_on)  # the index order; ties are sorted below
            .limit(100)
        )
        # Two queries, each walking the (owner, status, due_on) index in order.
        pending = base.where(Timer.status == "pending", Timer.kind.in_(DUE_KINDS))
        sent = base.where(
            Timer.status == "fired", Timer.kind == "reminds", Timer.scope == "state", still_open
        )
        rows = sorted(
            [*session.execute(pending).all(), *session.execute(sent).all()],
            key=lambda row: (row.due_on, row.id),
        )[:100]
    return [
        {
            "id": row.id,
            "ref": row.ref,
            "tenant": row.tenant_name,
            "label": row.label,
            "kind": row.kind,
            "track": row.track,
            "due_on": row.due_on.isoformat(),
            "when": _when(row.due_on, today),
        }
        for row in rows
    ]


def _when(due: date, today: date) -> str:
    return "overdue" if due < today else "today" if due == today else "week"


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
