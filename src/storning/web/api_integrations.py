"""The JSON API of issue 16: the outbound event feed (`GET /api/events`), evidence files, the
complainant's diary links, and the webhook subscriptions (administrators). Thin over
`services.integrations`, `services.evidence` and `services.diary`; errors as in `storning.web.api`.

An evidence upload is the file itself as the request body (`Content-Type: application/octet-stream`
or the file's own type, `?filename=` naming it), streamed: a `Content-Length` over the limit is
refused with 413 before the body is read, and a body that grows past the limit is cut off with 413.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from storning.intake import evidence as evidence_rules
from storning.services import diary, evidence, integrations
from storning.web.api_common import ERRORS, Auth, Ref, RowId
from storning.web.api_models import MAX_INT, Body, ErrorBody
from storning.web.context import api_ctx
from storning.web.errors import error_json
from storning.web.idempotency import ApiOnce
from storning.web.pages_diary import attachment

router = APIRouter(prefix="/api", tags=["integrationer"], responses=ERRORS, route_class=ApiOnce)
# The upload streams its body, so it is not under ApiOnce (which reads the body for Idempotency-Key).
uploads = APIRouter(prefix="/api", tags=["integrationer"], responses=ERRORS, route_class=APIRoute)


# --- the event feed ------------------------------------------------------------------------------


@router.get(
    "/events",
    summary="Händelser ut: ärenden som öppnats, uppmaningar, underrättelser, uppsägningar, avslut",
    description="Händelser efter `after` (ett tidigare svars `next`), äldst först, bara för ärenden "
    "som du får se. Innehåller inga personuppgifter.",
)
def list_events(
    ctx: Auth,
    after: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
    limit: Annotated[int, Query(ge=1, le=integrations.MAX_LIMIT)] = 100,
) -> dict[str, Any]:
    return integrations.list_events(
        ctx.app, ctx.principal.username, ctx.now, after=after, limit=limit
    )


# --- evidence ------------------------------------------------------------------------------------


@uploads.post(
    "/cases/{ref}/evidence",
    status_code=201,
    summary="Bifoga en bevisfil (filen som kropp; typen läses ur innehållet)",
    description="Filen skickas som förfrågans kropp (`--data-binary @fil`, valfri Content-Type) med "
    "`?filename=` för namnet. Typen läses ur innehållet och måste stämma med namnets ändelse. "
    "En Content-Length över gränsen (STORNING_EVIDENCE_MAX_MB) avvisas med 413 innan något läses.",
    responses={413: {"description": "Filen är för stor", "model": ErrorBody}},
)
async def add_evidence(
    request: Request,
    ref: Ref,
    filename: Annotated[str, Query(min_length=1, max_length=255)],
    incident: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    note: Annotated[str | None, Query(max_length=1000)] = None,
) -> Response:
    ctx = await run_in_threadpool(api_ctx, request)
    app = ctx.app
    length = request.headers.get("content-length")
    declared = int(length) if length and length.isdigit() else None
    try:
        evidence_rules.check_declared(app.settings, declared)
    except evidence_rules.TooLarge as error:
        return error_json(413, error.code, str(error))
    await run_in_threadpool(
        evidence.check_attach, app, ctx.principal.username, ctx.now, ref, incident
    )
    # The body is read here (async), counted against the limit, into a spooled file; then stored.
    limit = evidence_rules.max_bytes(app.settings)
    spool = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                refusal = evidence_rules.too_large(app.settings)
                return error_json(413, refusal.code, str(refusal))
            spool.write(chunk)

        def chunks() -> Iterator[bytes]:
            spool.seek(0)
            while chunk := spool.read(1024 * 1024):
                yield chunk

        made = await run_in_threadpool(
            evidence.add_evidence,
            app,
            ctx.principal.username,
            ctx.now,
            ref,
            filename,
            chunks(),
            declared_size=size,
            incident_id=incident,
            note=note,
        )
    finally:
        spool.close()
    return JSONResponse(made, status_code=201)


@router.get("/cases/{ref}/evidence", summary="Ärendets bevisfiler (namn, typ, storlek, sha256)")
def list_evidence(ctx: Auth, ref: Ref) -> list[dict[str, Any]]:
    return evidence.list_evidence(ctx.app, ctx.principal.username, ctx.now, ref)


@router.get(
    "/evidence/{evidence_id}",
    summary="Hämta en bevisfil (alltid som bilaga; läsningen loggas)",
    response_class=Response,
    responses={200: {"content": {"*/*": {}}, "description": "Filen, som bilaga"}},
)
def get_evidence(ctx: Auth, evidence_id: RowId) -> Response:
    meta, data = evidence.get_evidence(ctx.app, ctx.principal.username, ctx.now, evidence_id)
    return attachment(meta, data)


# --- diary links ---------------------------------------------------------------------------------


class DiaryLinkIn(Body):
    complainant: int = Field(ge=1, le=MAX_INT, description="Anmälarens nummer i ärendet.")
    days: int | None = Field(default=None, ge=1, le=730, description="Giltighet i dagar.")
    delivery: Literal["manual", "email", "letter"] = "manual"
    expected_version: int | None = Field(
        default=None, ge=1, le=MAX_INT, description="Ärendets version som du såg (valfri)."
    )


@router.post("/cases/{ref}/diary-links", status_code=201, summary="Skapa en personlig dagbokslänk")
def issue_link(ctx: Auth, ref: Ref, body: DiaryLinkIn) -> dict[str, Any]:
    return diary.issue_link(
        ctx.app,
        ctx.principal.username,
        ctx.now,
        ref,
        body.complainant,
        days=body.days,
        delivery=body.delivery,
        expected_version=body.expected_version,
    )


@router.get("/cases/{ref}/diary-links", summary="Ärendets dagbokslänkar")
def list_links(ctx: Auth, ref: Ref) -> list[dict[str, Any]]:
    return diary.list_links(ctx.app, ctx.principal.username, ctx.now, ref)


@router.post("/diary-links/{link_id}/revoke", summary="Återkalla en dagbokslänk (gäller direkt)")
def revoke_link(ctx: Auth, link_id: RowId) -> dict[str, Any]:
    return diary.revoke_link(ctx.app, ctx.principal.username, ctx.now, link_id)


# --- webhooks (administrators) -------------------------------------------------------------------


class WebhookIn(Body):
    url: str = Field(min_length=8, max_length=500)
    secret: str | None = Field(default=None, min_length=16, max_length=200)
    description: str | None = Field(default=None, max_length=200)
    from_start: bool = False


@router.get("/webhooks", summary="Webhooks (utan hemligheter)")
def list_webhooks(ctx: Auth) -> list[dict[str, Any]]:
    return integrations.list_subscriptions(ctx.app, ctx.principal.username, ctx.now)


@router.post(
    "/webhooks", status_code=201, summary="Lägg till en webhook (hemligheten visas en gång)"
)
def add_webhook(ctx: Auth, body: WebhookIn) -> dict[str, Any]:
    return integrations.add_subscription(
        ctx.app,
        ctx.principal.username,
        ctx.now,
        body.url,
        secret=body.secret,
        description=body.description,
        from_start=body.from_start,
    )


@router.delete("/webhooks/{subscription_id}", summary="Ta bort en webhook")
def remove_webhook(ctx: Auth, subscription_id: RowId) -> dict[str, Any]:
    return integrations.remove_subscription(
        ctx.app, ctx.principal.username, ctx.now, subscription_id
    )


@router.get("/webhooks/deliveries", summary="Webhook-leveranser, nyaste först")
def list_deliveries(
    ctx: Auth,
    status: Literal["pending", "sending", "delivered", "dead", "cancelled"] | None = None,
) -> list[dict[str, Any]]:
    return integrations.list_deliveries(ctx.app, ctx.principal.username, ctx.now, status=status)


@router.post("/webhooks/deliveries/{delivery_id}/redeliver", summary="Skicka en leverans igen")
def redeliver(ctx: Auth, delivery_id: RowId) -> dict[str, Any]:
    return integrations.redeliver(ctx.app, ctx.principal.username, ctx.now, delivery_id)
