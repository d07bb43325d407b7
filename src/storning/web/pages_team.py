"""The chef's and the reader's team overview (Översikt) and everyone's reminders (Påminnelser).

The pages translate only: who may see the overview, what it holds, how reminders are grouped, what is
unread and what "mark all read" marks are decided in `services.overview` and
`services.reminders_inbox`.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path
from jinja2 import pass_context
from jinja2.runtime import Context
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from storning import readmodel
from storning.access import Principal
from storning.errors import StorningError
from storning.services import menu, overview, reminders_inbox
from storning.services.menu import MenuCounts
from storning.web.context import app_of, checked_form, form_text, page_ctx
from storning.web.idempotency import FormOnce
from storning.web.rendering import ENV, flash, render

router = APIRouter(route_class=FormOnce)
Id = Annotated[int, Path(ge=1, le=readmodel.MAX_ID)]
OVERVIEW = "/oversikt"


def landing_path(principal: Principal, target: str = "/") -> str:
    """Where a person goes after logging in: chefs and readers of a team to the team overview when
    no other page was asked for (`target` "/"), everyone else to `target`."""
    if target == "/" and overview.lands_on_team_overview(principal):
        return OVERVIEW
    return target


# --- Översikt ---------------------------------------------------------------------------------------


@router.get(OVERVIEW)
def team_overview(request: Request) -> Response:
    ctx = page_ctx(request)
    team = request.query_params.get("team", "")
    found = overview.team_overview(ctx.app, ctx.principal.username, ctx.now, team)
    context = {"nav": "overview", "o": found}
    return render(request, "team.html", context)


# --- Påminnelser ------------------------------------------------------------------------------------


@router.get("/paminnelser")
def reminders(request: Request) -> Response:
    ctx = page_ctx(request)
    show_read = request.query_params.get("lasta") == "1"
    groups = reminders_inbox.inbox(ctx.app, ctx.principal.username, ctx.now, include_read=show_read)
    context = {
        "nav": "reminders",
        "groups": groups,
        "unread": sum(g["unread"] for g in groups),
        "newest": reminders_inbox.newest_id(groups),
        "show_read": show_read,
    }
    return render(request, "reminders.html", context)


@router.post("/paminnelser/alla-lasta")
async def all_read(request: Request) -> Response:
    ctx = await run_in_threadpool(page_ctx, request)
    form = await checked_form(request)
    up_to = form_text(form, "upto", 20)
    newest = int(up_to) if up_to.isdigit() and int(up_to) <= readmodel.MAX_ID else None
    done = await run_in_threadpool(
        reminders_inbox.mark_all_read, ctx.app, ctx.principal.username, ctx.now, newest
    )
    flash(request, f"{done} påminnelser är markerade som lästa." if done else "Inget att markera.")
    return RedirectResponse("/paminnelser", status_code=303)


@router.post("/paminnelser/{reminder_id}/last")
async def reminder_read(request: Request, reminder_id: Id) -> Response:
    ctx = await run_in_threadpool(page_ctx, request)
    await checked_form(request)
    await run_in_threadpool(
        reminders_inbox.mark_read, ctx.app, ctx.principal.username, ctx.now, reminder_id
    )
    flash(request, "Påminnelsen är markerad som läst.")
    return RedirectResponse("/paminnelser", status_code=303)


# --- the menu's numbers -------------------------------------------------------------------------------


@pass_context
def menu_counts(context: Context) -> MenuCounts | None:
    """The menu's unread reminders and open inbox items (`base.html`), in one read; None when they
    cannot be told without harm: no one logged in, or the page is rendered on the event loop (error
    pages, where a database query would block every request, or wait for a database that is down)."""
    principal: Any = context.get("principal")
    request: Any = context.get("request")
    if principal is None or not isinstance(request, Request) or _on_event_loop():
        return None
    try:
        return menu.menu_counts(app_of(request), principal.username)
    except (StorningError, SQLAlchemyError):
        return None


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


# The menu in base.html asks these on every page (it skips them when they are not registered).
ENV.globals["menu_counts"] = menu_counts
ENV.globals["shows_team_overview"] = overview.may_see_team_overview
