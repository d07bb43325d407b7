"""The case page's retention section: place or lift a legal hold (gallringsspärr).

The handlers only translate the form; who may hold a case (a chef of the team or an administrator) and
the refusal of a hold on an erased case are the services' (`storning.services.retention`).
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from storning.errors import StorningError
from storning.services import retention
from storning.web.context import Ctx, form_text
from storning.web.idempotency import FormOnce
from storning.web.pages_case import _done, _failed, _posted, _version

router = APIRouter(route_class=FormOnce)
ANCHOR = "gallring"


@router.post("/arenden/{ref}/gallringsspar")
async def place_hold(request: Request, ref: str) -> Response:
    ctx, form = await _posted(request)
    return await run_in_threadpool(_place, request, ctx, ref, form)


def _place(request: Request, ctx: Ctx, ref: str, form: FormData) -> Response:
    reason = form_text(form, "hold_reason", 5000)
    try:
        retention.place_hold(
            ctx.app, ctx.principal.username, ctx.now, ref, reason, expected_version=_version(form)
        )
    except StorningError as error:
        return _failed(
            request,
            ctx,
            ref,
            error,
            values={"hold_reason": reason, "hold_form": True},
            errors={"hold_reason": str(error)},
        )
    return _done(request, ref, "Gallringsspärren är lagd.", ANCHOR)


@router.post("/arenden/{ref}/gallringsspar/hav")
async def release_hold(request: Request, ref: str) -> Response:
    ctx, form = await _posted(request)
    return await run_in_threadpool(_release, request, ctx, ref, form)


def _release(request: Request, ctx: Ctx, ref: str, form: FormData) -> Response:
    try:
        retention.release_hold(
            ctx.app, ctx.principal.username, ctx.now, ref, expected_version=_version(form)
        )
    except StorningError as error:
        return _failed(request, ctx, ref, error)
    return _done(request, ref, "Gallringsspärren är hävd.", ANCHOR)
