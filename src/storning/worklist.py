"""'My open cases with something due this week': the benchmarked worklist query (DESIGN §8)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storning.clock import local_day
from storning.engine import Engine
from storning.store.models import Case, Timer, User


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
