"""'My open cases with something due this week': the benchmarked worklist query (DESIGN §8).

"Due", "this week" and "overdue" are the read model's definitions (`storning.readmodel`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storning.clock import local_day
from storning.due import open_item, week_end, when
from storning.engine import Engine
from storning.store.models import Case, Timer, User


def due_this_week(
    session: Session, engine: Engine, user: User, now: datetime
) -> list[dict[str, Any]]:
    """'My open cases with something due this week': the open items of the open cases `user` owns
    due on or before the coming Sunday (overdue included), one row per case, soonest first."""
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
            Timer.owner_id == user.id,  # its index (owner, status, day) finds the few rows at once
            Case.owner_id == user.id,
            Case.status == "open",
            Timer.due_on <= week_end(today),
            open_item(),
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
            "overdue": when(due, today) == "overdue",
        }
        for ref, tenant, due, items in session.execute(query)
    ]
