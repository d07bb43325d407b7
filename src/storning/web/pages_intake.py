"""The intake page `/inkorg` (Inkorgen): night-patrol reports and diary entries waiting for an
officer, with the three actions (attach to a case, open a new case, dismiss with a reason), and the
open cases whose tenant has moved out according to the tenancy register. The handlers translate the
forms; who sees and may do what is `services.intake`'s.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from storning.errors import StorningError
from storning.services import intake as intake_service
from storning.services import register as register_service
from storning.web.context import checked_form, form_text, page_ctx
from storning.web.errors import status_of
from storning.web.idempotency import FormOnce
from storning.web.rendering import flash, render

router = APIRouter(route_class=FormOnce)
PAGE = "/inkorg"


@router.get(PAGE)
def intake_page(request: Request) -> Response:
    ctx = page_ctx(request)
    return _show(request, ctx)


def _show(request: Request, ctx: Any, *, error: str | None = None, status: int = 200) -> Response:
    status_wanted = request.query_params.get("status", "open")
    if status_wanted not in ("open", "attached", "opened", "dismissed", "all"):
        status_wanted = "open"
    items = intake_service.list_items(
        ctx.app, ctx.principal.username, ctx.now, status=status_wanted
    )
    moved = register_service.moved_out_cases(ctx.app, ctx.principal.username, ctx.now)
    context = {
        "nav": "intake",
        "items": items,
        "moved_out": moved,
        "status": status_wanted,
        "error": error,
    }
    return render(request, "intake.html", context, status=status)


@router.get(PAGE + "/{item_id}/nytt")
def open_form(request: Request, item_id: int) -> Response:
    ctx = page_ctx(request)
    prefill = intake_service.prefill_for_item(ctx.app, ctx.principal.username, ctx.now, item_id)
    return render(request, "intake_open.html", {"nav": "intake", "p": prefill})


@router.post(PAGE + "/{item_id}/{action}")
async def act(request: Request, item_id: int, action: str) -> Response:
    ctx = await run_in_threadpool(page_ctx, request)
    form = await checked_form(request)
    return await run_in_threadpool(_act, request, ctx, item_id, action, form)


def _act(request: Request, ctx: Any, item_id: int, action: str, form: Any) -> Response:
    who = ctx.principal.username
    try:
        if action == "koppla":
            item = intake_service.attach_item(
                ctx.app, who, ctx.now, item_id, form_text(form, "case")
            )
            flash(request, f"Posten är kopplad till ärendet {item['case']}.")
        elif action == "avfarda":
            intake_service.dismiss_item(ctx.app, who, ctx.now, item_id, form_text(form, "reason"))
            flash(request, "Posten är avfärdad.")
        elif action == "oppna":
            given = {
                name: form_text(form, name)
                for name in (
                    "type", "tenant", "address", "apartment", "contract", "postal_code", "city",
                    "municipality",
                )
            }  # fmt: skip
            new = intake_service.new_case_for_item(ctx.app, who, ctx.now, item_id, given)
            document = intake_service.open_case_from_item(ctx.app, who, ctx.now, item_id, new)
            flash(request, f"Ärendet {document['ref']} är öppnat från inkorgen.")
            return RedirectResponse(f"/arenden/{document['ref']}", status_code=303)
        else:
            return RedirectResponse(PAGE, status_code=303)
    except StorningError as error:
        return _show(request, ctx, error=str(error), status=status_of(error))
    return RedirectResponse(PAGE, status_code=303)
