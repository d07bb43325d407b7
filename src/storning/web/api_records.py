"""The JSON API for retention: place and lift a legal hold on a case (`/api/cases/{ref}/hold`).

Who may do it, and the refusal of a hold on an erased case, are the services'
(`storning.services.retention`); errors are `{"error": {"code", "message"}}` like the rest of `/api`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from storning.services import retention
from storning.web.api_common import ERRORS, Auth, Ref
from storning.web.api_models import MAX_INT, Body
from storning.web.idempotency import ApiOnce

router = APIRouter(prefix="/api", tags=["api"], responses=ERRORS, route_class=ApiOnce)


class HoldIn(Body):
    """A legal hold (POST /api/cases/{ref}/hold)."""

    reason: str = Field(
        min_length=1, max_length=4000, examples=["Tvist i tingsrätten, mål T 123-26"]
    )
    expected_version: int = Field(ge=1, le=MAX_INT, description="Ärendets version som du såg.")


@router.post(
    "/cases/{ref}/hold",
    summary="Lägg en gallringsspärr på ärendet (chef eller administratör)",
)
def place_hold(ctx: Auth, ref: Ref, body: HoldIn) -> dict[str, Any]:
    return retention.place_hold(
        ctx.app,
        ctx.principal.username,
        ctx.now,
        ref,
        body.reason,
        expected_version=body.expected_version,
    )


@router.delete(
    "/cases/{ref}/hold", summary="Häv ärendets gallringsspärr (chef eller administratör)"
)
def release_hold(
    ctx: Auth,
    ref: Ref,
    expected_version: Annotated[int, Query(ge=1, le=MAX_INT, description="Ärendets version.")],
) -> dict[str, Any]:
    return retention.release_hold(
        ctx.app, ctx.principal.username, ctx.now, ref, expected_version=expected_version
    )
