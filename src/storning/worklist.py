"""The officer's worklist: cases with their states and the next thing due, overdue first."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storning.clock import iso, local_day
from storning.engine import Engine
from storning.store.models import Case, CaseTrack, Timer, User


def worklist(
    session: Session,
    engine: Engine,
    user: User,
    now: datetime,
    *,
    open_only: bool,
    mine: bool,
    overdue: bool,
    limit: int,
) -> list[dict[str, Any]]:
    today = local_day(now, engine.zone)
    next_due = (
        select(Timer.case_id, func.min(Timer.due_on).label("next_due"))
        .where(Timer.status == "pending")
        .group_by(Timer.case_id)
        .subquery()
    )
    query = select(Case, next_due.c.next_due).outerjoin(next_due, next_due.c.case_id == Case.id)
    if open_only or overdue:
        query = query.where(Case.status == "open")
    if mine:
        query = query.where(Case.owner_id == user.id)
    if overdue:
        query = query.where(next_due.c.next_due < today)
    query = query.order_by(next_due.c.next_due.is_(None), next_due.c.next_due, Case.id).limit(limit)
    rows = session.execute(query).all()
    states = _states(session, [case.id for case, _ in rows])
    result = []
    for case, due in rows:
        workflow = engine.workflow_of(session, case)
        result.append(
            {
                "ref": case.ref,
                "type": case.case_type,
                "status": case.status,
                "tenant": case.tenant_name,
                "address": case.address,
                "apartment": case.apartment,
                "owner": case.owner.username,
                "opened_at": iso(case.opened_at, engine.zone),
                "tracks": {
                    name: {"state": state, "label": workflow.tracks[name].label(state)}
                    for name, state in states.get(case.id, {}).items()
                },
                "next_due": due.isoformat() if due else None,
                "overdue": bool(due and due < today),
            }
        )
    return result


def _states(session: Session, ids: list[int]) -> dict[int, dict[str, str]]:
    result: dict[int, dict[str, str]] = {}
    if not ids:
        return result
    for row in session.scalars(select(CaseTrack).where(CaseTrack.case_id.in_(ids))):
        result.setdefault(row.case_id, {})[row.track] = row.state
    return result


def due_this_week(
    session: Session, engine: Engine, user: User, now: datetime
) -> list[dict[str, Any]]:
    """'My open cases with something due this week': pending timers owned by `user` due on or before
    seven days from today (overdue included), one row per case, soonest first."""
    today = local_day(now, engine.zone)
    query = (
        select(
            Case.ref,
            Case.tenant_name,
            func.min(Timer.due_on).label("due_on"),
            func.count().label("items"),
        )
        .join(Case, Case.id == Timer.case_id)
        .where(
            Timer.owner_id == user.id,
            Timer.status == "pending",
            Timer.due_on <= today + timedelta(days=7),
            Case.status == "open",
        )
        .group_by(Case.ref, Case.tenant_name)
        .order_by(func.min(Timer.due_on), Case.ref)
        .limit(200)
    )
    return [
        {
            "ref": ref,
            "tenant": tenant,
            "due_on": due.isoformat(),
            "items": items,
            "overdue": due < today,
        }
        for ref, tenant, due, items in session.execute(query)
    ]
