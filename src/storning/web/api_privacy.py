"""The privacy API: the access log (`GET /api/accesslog`), registerutdrag (`POST
/api/registerutdrag`, the person in the body, never in the URL) and the redacted release of a case
file (`GET`/`POST /api/cases/{ref}/release`). Who may, what is masked and the access log are the
services' (`services.privacy`); errors are `{"error": {"code", "message"}}` as in the rest of the API.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.routing import APIRoute
from pydantic import Field
from starlette.responses import Response

from storning.services import privacy
from storning.web.api_common import ERRORS, Auth, Ref
from storning.web.api_models import Body
from storning.web.idempotency import ApiOnce

router = APIRouter(prefix="/api", tags=["dataskydd"], responses=ERRORS, route_class=ApiOnce)
# A registerutdrag is a read (POST only to keep the person out of the URL): no Idempotency-Key
# replay, which would keep the extract in the database for a day and hand it out again unlogged.
reads = APIRouter(prefix="/api", tags=["dataskydd"], responses=ERRORS, route_class=APIRoute)

Text = Annotated[str | None, Query(max_length=100)]
Day = Annotated[str | None, Query(max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$")]


class ExtractIn(Body):
    """Whom a registerutdrag is for: a name or a personnummer; `format` json (default) or pdf."""

    who: str = Field(max_length=200, examples=["Kim Hyresgäst", "19850312-1231"])
    format: Literal["json", "pdf"] = "json"


class ReleaseIn(Body):
    """A release decision: the request's reference and the fields to mask, each with the OSL
    provision (keys of `reasons` in the proposal). Fields that must be masked (a protected
    complainant's identity) are refused if left out."""

    request_ref: str = Field(max_length=100, examples=["Dnr 2026/17"])
    masks: dict[Annotated[str, Field(max_length=100)], Annotated[str, Field(max_length=20)]] = (
        Field(default_factory=dict, max_length=1000)
    )


@router.get(
    "/accesslog",
    summary="Åtkomstloggen: vem har läst eller exporterat vad (nyast först)",
    responses={200: {"content": {"text/csv": {}}, "description": "JSON eller CSV"}},
)
def access_log(
    ctx: Auth,
    case: Text = None,
    user: Text = None,
    start: Annotated[Day, Query(alias="from")] = None,
    end: Annotated[Day, Query(alias="to")] = None,
    action: Text = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
    format: Literal["json", "csv"] = "json",
) -> Any:
    query = privacy.LogQuery(ref=case, user=user, start=start, end=end, action=action, limit=limit)
    if format == "csv":
        text = privacy.access_log_csv(ctx.app, ctx.principal.username, ctx.now, query)
        return Response(text, media_type="text/csv; charset=utf-8")
    return privacy.read_access_log(ctx.app, ctx.principal.username, ctx.now, query)


@reads.post(
    "/registerutdrag",
    summary="Registerutdrag (art. 15) för en person, som JSON eller PDF",
    responses={200: {"content": {"application/pdf": {}}, "description": "JSON eller PDF"}},
)
def register_extract(ctx: Auth, body: ExtractIn) -> Any:
    if body.format == "pdf":
        pdf = privacy.register_extract_pdf(ctx.app, ctx.principal.username, ctx.now, body.who)
        return Response(pdf, media_type="application/pdf")
    return privacy.register_extract(ctx.app, ctx.principal.username, ctx.now, body.who)


@router.get("/cases/{ref}/release", summary="Förslag till maskering inför utlämnande")
def release_proposal(ctx: Auth, ref: Ref) -> dict[str, Any]:
    return privacy.release_proposal(ctx.app, ctx.principal.username, ctx.now, ref)


@router.post(
    "/cases/{ref}/release",
    status_code=201,
    summary="Lämna ut ärendet med valda fält maskerade (PDF som base64, beslutet loggas)",
)
def release_case(ctx: Auth, ref: Ref, body: ReleaseIn) -> dict[str, Any]:
    result = privacy.release_case(
        ctx.app, ctx.principal.username, ctx.now, ref, body.request_ref, body.masks
    )
    return {
        "id": result.id,
        "ref": result.ref,
        "sha256": result.sha256,
        "masked": result.masked,
        "pdf_base64": base64.b64encode(result.pdf).decode("ascii"),
    }
