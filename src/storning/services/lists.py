"""Use cases that list: the worklist and search, what is due, pending timers, people to hand a case to.

Every list holds only what the principal may read (the read model filters by `access.visibility`),
and each list read is written to the access log with what was asked and how much was shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storning import access, due_lists, readmodel, worklist_page
from storning.access import Principal
from storning.app import App
from storning.errors import NotFound, cli
from storning.readmodel import WorklistFilter, WorklistPage
from storning.services.accounts import principal_by_username, principal_in
from storning.services.common import _case, authorize, log_access, unit


def principal(app: App, actor: str) -> Principal:
    """The acting user as a principal (an unknown or disabled user is refused)."""
    found = principal_by_username(app, actor)
    if found is None:
        raise _unknown(actor)
    return found


def _principal_in(app: App, session: Session, actor: str) -> Principal:
    """`principal` in the caller's transaction."""
    found = principal_in(app, session, actor)
    if found is None:
        raise _unknown(actor)
    return found


def _unknown(actor: str) -> NotFound:
    return NotFound(
        f"Okänd användare '{actor}'" + cli("; lägg till den med 'storning user add'") + "."
    )


def worklist(app: App, actor: str, now: datetime, wanted: WorklistFilter) -> WorklistPage:
    """One page of the cases the actor may read that match `wanted`, overdue first."""
    with unit(app, write=False) as session:
        who = _principal_in(app, session, actor)
        page = worklist_page.worklist_in(session, app, who, now, wanted)
    _log_list(app, who, now, wanted, page)
    return page


def _log_list(
    app: App, who: Principal, now: datetime, wanted: WorklistFilter, page: WorklistPage
) -> None:
    """The list's access-log line, in a transaction of its own after the reads: on SQLite a
    transaction that writes holds the database's one write lock from its start, and a search over
    100,000 cases reads for a few hundred milliseconds, during which no one else could write."""
    with unit(app) as session:
        log_access(session, who.username, now, None, "case_list", _described(wanted, page))


@dataclass(frozen=True)
class WorklistView:
    """What the worklist page shows: the page of cases, and the first items of each part of what
    is due (`due_lists.due_overview_in`) with how many each part has."""

    page: WorklistPage
    due: dict[str, list[dict[str, Any]]]
    due_counts: dict[str, int]


def worklist_view(
    app: App, actor: str, now: datetime, wanted: WorklistFilter, due_shown: int
) -> WorklistView:
    """`worklist` and what is due (`due_lists.due_overview_in`) read in one transaction, then
    logged as `worklist` is (the web's worklist page: one lookup of the actor, two transactions,
    not four)."""
    with unit(app, write=False) as session:
        who = _principal_in(app, session, actor)
        me = readmodel.user_id_now(session, who.username)
        page = worklist_page.worklist_in(session, app, who, now, wanted, me=me)
        due, counts = due_lists.due_overview_in(session, app, who, now, due_shown, me=me)
    _log_list(app, who, now, wanted, page)
    return WorklistView(page, due, counts)


def list_cases(
    app: App,
    actor: str,
    now: datetime,
    *,
    open_only: bool = False,
    mine: bool = False,
    overdue: bool = False,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """The CLI's `case list`: the same rows as the worklist, without paging."""
    wanted = WorklistFilter(
        scope="mine" if mine else "team",
        include_closed=not (open_only or overdue),
        overdue=overdue,
        page_size=limit,
    )
    return worklist(app, actor, now, wanted).rows


def due_items(app: App, actor: str, now: datetime) -> list[dict[str, Any]]:
    """What the actor has to do this week on their own cases (`due_lists.due_items`), overdue
    first; each item's `when` is overdue, today or week, as the worklist's badges and filter."""
    return due_lists.due_items(app, principal(app, actor), now)


def open_cases_like(
    app: App,
    actor: str,
    now: datetime,
    *,
    tenant: str = "",
    address: str = "",
    apartment: str = "",
    contract: str = "",
) -> list[dict[str, Any]]:
    """Before a complaint is registered: the open cases the actor may read about the same tenant,
    apartment (address and number) or contract, so the intake can warn and link them. Cases the
    actor may not read are never mentioned; the lookup is written to the access log."""
    who = principal(app, actor)
    clean = readmodel.clean
    found = readmodel.open_cases_matching(
        app,
        who,
        tenant=clean(tenant, 200),
        address=clean(address, 200),
        apartment=clean(apartment, 40),
        contract=clean(contract, 80),
    )
    if found:
        with unit(app) as session:
            refs = ", ".join(row["ref"] for row in found)
            log_access(session, who.username, now, None, "case_duplicates", refs[:500])
    return found


def list_timers(
    app: App,
    actor: str,
    now: datetime,
    *,
    due_only: bool = False,
    mine: bool = False,
    everything: bool = False,
    ref: str | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Timers on cases the actor may read: pending ones on open cases, or with `everything` every
    timer whatever its status; `ref` restricts to one case (refused like an unknown case if the actor
    may not read it)."""
    who = principal(app, actor)
    case_id = None
    if ref is not None:
        with unit(app) as session:
            case = _case(session, ref)
            authorize(who, case, "read", "timers")
            case_id = case.id
    rows = readmodel.timers(
        app,
        who,
        now,
        due_only=due_only,
        mine=mine,
        limit=limit,
        everything=everything,
        case_id=case_id,
    )
    with unit(app) as session:
        log_access(session, who.username, now, case_id, "timer_list", f"{len(rows)} frister")
    return rows


def owner_candidates(app: App, actor: str) -> list[Principal]:
    """The officers the actor may open a case for (oneself first)."""
    who = principal(app, actor)
    pool = readmodel.people(app, None if who.is_admin else who.team)
    return [p for p in pool if access.can_open_for(who, p)]


def _described(wanted: WorklistFilter, page: WorklistPage) -> str:
    """What was listed, in words for the access log: "25 ärenden; mina, sida 1, sökning …"."""
    parts = ["mina" if wanted.scope == "mine" else "teamets"]
    for label, value in (
        ("typ", wanted.case_type),
        ("läge", wanted.state),
        ("team", wanted.team),
        ("handläggare", wanted.owner),
        ("sökning", wanted.q),
    ):
        if value:  # printable only: a NUL typed into the search cannot be stored in the log
            parts.append(f"{label} {''.join(c for c in value if c.isprintable())[:100]}")
    if wanted.include_closed:
        parts.append("med avslutade")
    if wanted.overdue:
        parts.append("förfallna")
    parts.append(f"sida {wanted.page}")
    count = len(page.rows)
    return f"{count} {'ärende' if count == 1 else 'ärenden'}; {', '.join(parts)}"[:500]
