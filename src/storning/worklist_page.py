"""The worklist's page of cases (`worklist_in`): the cases a principal may see that match the
officer's filters (`readmodel.WorklistFilter`), by next deadline, fifty at a time, with their track
states. The services call it for the CLI's `case list`, the web's worklist and the API; what is due
for the officer beside it is `due_lists`.

Its statements are built and compiled once per shape of request (`_Shape`: whose cases the principal
sees, which filters are given) and run as `Prepared` statements with the values bound per request: it
is the busiest page, and building and caching a statement of this size cost SQLAlchemy more than the
database needed to answer it (issue 13). A page's rows carry their three track states (`TRACKS`,
which every workflow has: `definitions.schema`), looked up by primary key in the same statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import BindParameter, ColumnElement, bindparam, func, or_, select
from sqlalchemy.orm import Session

from storning.access import Principal, may_act_at_all
from storning.app import App
from storning.clock import iso, local_day
from storning.definitions.model import Workflow
from storning.definitions.schema import TRACKS
from storning.due import when
from storning.readmodel import (
    OWNER,
    ROW_COLUMNS,
    WorklistFilter,
    WorklistPage,
    clean,
    equal_folded,
    like_pattern,
    seeing,
    user_id_now,
    whose,
)
from storning.store.models import Case, CaseTrack, Complainant
from storning.store.prepared import Prepared


class _Shape(NamedTuple):
    seen: str  # `readmodel.seeing`
    mine: bool
    open_only: bool
    overdue: bool
    case_type: bool
    team: bool
    owner: bool
    state: bool
    search: str | None  # None: no search; else whose protected complainants it may match


@dataclass(frozen=True)
class _WorklistStatements:
    dated: Prepared  # the cases with a next deadline, by it and then id (b_limit, b_offset)
    undated: Prepared  # the cases with none, by id
    dated_count: Prepared


def _kind_of_protected(principal: Principal) -> str:
    """Whose protected complainants the search may match (`access.can_see_protected`, which is
    `can_act`: an admin every case's, an officer or chef their own and their team's)."""
    if principal.is_admin:
        return "all"
    if not may_act_at_all(principal):
        return "none"
    return "own" if principal.team is None else "team_or_own"


def _whose(kind: str) -> ColumnElement[bool]:
    """`readmodel.whose` with the principal's id and team bound (b_me, b_my_team)."""
    me: BindParameter[int] = bindparam("b_me")
    my_team: BindParameter[str] = bindparam("b_my_team")
    return whose(kind, me, my_team)


def _search(protected: str) -> ColumnElement[bool]:
    """The search: the reference or part of it, tenant, address, apartment number, contract number,
    and a complainant's name, phone or e-mail (a protected one only where `protected` reaches); the
    typed text bound as b_pattern (LIKE), b_words and b_words_lower (the apartment is compared
    whole, whatever its letter case: SQLite's lower() folds only ASCII, so the exact text too)."""
    pattern: BindParameter[str] = bindparam("b_pattern")
    words: BindParameter[str] = bindparam("b_words")
    lowered: BindParameter[str] = bindparam("b_words_lower")
    complainant = (
        select(Complainant.id)
        .where(
            Complainant.case_id == Case.id,
            or_(
                Complainant.name.ilike(pattern, escape="\\"),
                Complainant.phone.ilike(pattern, escape="\\"),
                Complainant.email.ilike(pattern, escape="\\"),
            ),
            or_(Complainant.protected.is_(False), _whose(protected)),
        )
        .correlate(Case)
        .exists()
    )
    return or_(
        Case.ref.ilike(pattern, escape="\\"),
        Case.tenant_name.ilike(pattern, escape="\\"),
        Case.address.ilike(pattern, escape="\\"),
        equal_folded(Case.apartment, words, lowered),
        Case.contract.ilike(pattern, escape="\\"),
        complainant,
    )


@lru_cache(maxsize=256)
def _worklist_statements(shape: _Shape) -> _WorklistStatements:
    owner = OWNER
    states = [
        select(CaseTrack.state)
        .where(CaseTrack.case_id == Case.id, CaseTrack.track == track)
        .correlate(Case)
        .scalar_subquery()
        .label(track)
        for track in TRACKS
    ]
    query = (
        select(
            *ROW_COLUMNS, owner.username.label("owner"), Case.next_due.label("next_due"), *states
        )
        .join(owner, owner.id == Case.owner_id)
        .where(_whose(shape.seen))
    )
    if shape.mine:
        query = query.where(Case.owner_id == bindparam("b_me"))
    if shape.open_only:
        query = query.where(Case.status == "open")
    if shape.overdue:
        query = query.where(Case.status == "open", Case.next_due < bindparam("b_today"))
    if shape.case_type:
        query = query.where(Case.case_type == bindparam("b_case_type"))
    if shape.team:
        query = query.where(Case.team == bindparam("b_team"))
    if shape.owner:
        query = query.where(owner.username == bindparam("b_owner"))
    if shape.state:
        in_state = select(CaseTrack.case_id).where(
            CaseTrack.case_id == Case.id,
            CaseTrack.track == bindparam("b_track"),
            CaseTrack.state == bindparam("b_state"),
        )
        query = query.where(in_state.exists())
    if shape.search is not None:
        query = query.where(_search(shape.search))
    dated = query.where(Case.next_due.is_not(None))
    limit: BindParameter[int] = bindparam("b_limit")
    offset: BindParameter[int] = bindparam("b_offset")
    return _WorklistStatements(
        dated=Prepared(dated.order_by(Case.next_due, Case.id).limit(limit).offset(offset)),
        undated=Prepared(
            query.where(Case.next_due.is_(None)).order_by(Case.id).limit(limit).offset(offset)
        ),
        dated_count=Prepared(select(func.count()).select_from(dated.subquery())),
    )


def worklist_in(
    session: Session,
    app: App,
    principal: Principal,
    now: datetime,
    wanted: WorklistFilter,
    *,
    me: int | None = None,
) -> WorklistPage:
    """One page of the cases the principal may see that match, by next deadline (so overdue first;
    cases with nothing due last), in the caller's transaction. `me`: the principal's id
    (`user_id_now`), when the caller has it."""
    today = local_day(now, app.zone)
    text = clean(wanted.q)
    state = wanted.state.split(":", 1) if ":" in wanted.state else None
    shape = _Shape(
        seen=seeing(principal),
        mine=wanted.scope == "mine",
        open_only=not wanted.include_closed,
        overdue=wanted.overdue,
        case_type=bool(wanted.case_type),
        team=bool(wanted.team),
        owner=bool(wanted.owner),
        state=state is not None,
        search=_kind_of_protected(principal) if text else None,
    )
    words = " ".join(text.split())
    values: dict[str, Any] = {
        "b_me": user_id_now(session, principal.username) if me is None else me,
        "b_my_team": principal.team,
        "b_today": today,
        "b_case_type": wanted.case_type,
        "b_team": wanted.team,
        "b_owner": wanted.owner,
        "b_track": state[0] if state else None,
        "b_state": state[1] if state else None,
        "b_pattern": like_pattern(words),
        "b_words": words,
        "b_words_lower": words.lower(),
    }
    page = max(wanted.page, 1)
    rows = _by_next_due(
        session,
        _worklist_statements(shape),
        values,
        (page - 1) * wanted.page_size,
        wanted.page_size + 1,
    )
    shown = rows[: wanted.page_size]
    workflows: dict[tuple[str, int], Workflow] = {}
    result = [_row(app, session, row, today, workflows) for row in shown]
    return WorklistPage(result, len(rows) > wanted.page_size)


def _by_next_due(
    session: Session,
    statements: _WorklistStatements,
    values: dict[str, Any],
    skip: int,
    count: int,
) -> list[Any]:
    """`count` rows from the `skip`th on, by next deadline and then id, cases with none last (by id).

    The dated and the undated cases are two statements, the second only when the page reaches past
    the dated ones. Each is ordered as an index on (owner, status, next_due) is, so with one the
    database reads a page's rows and stops; one statement ordered NULLS LAST cannot use it on SQLite
    (which sorts NULLs first) and sorts every matching case to show fifty."""
    rows = statements.dated.named_rows(session, {**values, "b_limit": count, "b_offset": skip})
    if len(rows) == count:
        return rows
    if rows or not skip:
        before = skip + len(rows)  # every dated case is on this page or an earlier one
    else:
        before = statements.dated_count.scalar(session, values)
    undated = statements.undated.named_rows(
        session, {**values, "b_limit": count - len(rows), "b_offset": max(0, skip - before)}
    )
    # (on PostgreSQL the two statements may see different commits: a case whose last deadline was
    # removed in between is shown once)
    dated_ids = {row.id for row in rows}
    return rows + [row for row in undated if row.id not in dated_ids]


def _row(
    app: App,
    session: Session,
    case: Any,
    today: date,
    workflows: dict[tuple[str, int], Workflow],
) -> dict[str, Any]:
    key = (case.case_type, case.workflow_version)
    workflow = workflows.get(key)
    if workflow is None:
        workflow = workflows[key] = app.registry.get(session, *key)
    due = case.next_due
    part = when(due, today) if due else None
    tracks = workflow.tracks
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
            name: {"state": state, "label": tracks[name].label(state)}
            for name, state in (
                ("authority", case.authority),
                ("customer", case.customer),
                ("legal", case.legal),
            )
            if state is not None
        },
        "next_due": due.isoformat() if due else None,
        "when": part,
        "overdue": part == "overdue",
    }


__all__ = ["worklist_in"]
