"""The JSON API of issue 16: the tenancy register (`/api/register/contracts`), the night-patrol
reports (`/api/jour/reports`) and the intake queue (`/api/intake`). Thin over `services.register`
and `services.intake`; errors are `{"error": {"code", "message"}}` with a 4xx status.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from storning.intake.jour import records_of
from storning.services import intake as intake_service
from storning.services import night_patrol
from storning.services import register as register_service
from storning.web.api_common import ERRORS, Auth
from storning.web.idempotency import ApiOnce

router = APIRouter(prefix="/api", tags=["intag"], responses=ERRORS, route_class=ApiOnce)
Contract = Annotated[str, Path(min_length=1, max_length=80, pattern=r"^[^/\x00-\x1f]+$")]
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class ContractFields(BaseModel):
    """A contract as the register holds it (dates ÅÅÅÅ-MM-DD; co-tenants "Namn" or
    "Namn, ÅÅÅÅMMDD-NNNN")."""

    model_config = ConfigDict(extra="forbid")
    tenant: str = Field(max_length=200)
    address: str = Field(max_length=200)
    apartment: str = Field(max_length=40)
    personnummer: str | None = Field(default=None, max_length=13)
    co_tenants: list[Annotated[str, Field(max_length=220)]] = Field(
        default_factory=list, max_length=20
    )
    postal_code: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=100)
    municipality: str | None = Field(default=None, max_length=100)
    property: str | None = Field(default=None, max_length=100)
    move_in: str | None = Field(default=None, max_length=10)
    move_out: str | None = Field(default=None, max_length=10)


class ContractIn(ContractFields):
    contract: str = Field(min_length=1, max_length=80)


class ContractsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contracts: list[ContractIn] = Field(max_length=register_service.MAX_API_CONTRACTS)
    dry_run: bool = False


class DismissIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=4000)


class AttachIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$")
    expected_version: int | None = Field(default=None, ge=1)


class OpenIn(BaseModel):
    """A new case from an item: what is not given comes from the register (by the item's contract
    or address and apartment) and from the item."""

    model_config = ConfigDict(extra="forbid")
    type: str = Field(default="storning", pattern="^(storning|hyresskuld)$")
    tenant: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=200)
    apartment: str | None = Field(default=None, max_length=40)
    contract: str | None = Field(default=None, max_length=80)


@router.put(
    "/register/contracts/{contract}",
    summary="Lägg in eller uppdatera ett kontrakt i hyresregistret (efter kontraktsnummer)",
)
def put_contract(ctx: Auth, contract: Contract, body: ContractFields) -> dict[str, Any]:
    record = {"contract": contract, **body.model_dump()}
    return register_service.upsert_contracts(
        ctx.app, ctx.principal.username, ctx.now, [record], client=ctx.principal.username
    )


@router.post(
    "/register/contracts",
    summary="Lägg in eller uppdatera många kontrakt (allt eller inget)",
)
def post_contracts(ctx: Auth, body: ContractsIn) -> dict[str, Any]:
    return register_service.upsert_contracts(
        ctx.app,
        ctx.principal.username,
        ctx.now,
        [c.model_dump() for c in body.contracts],
        client=ctx.principal.username,
        dry_run=body.dry_run,
    )


@router.get(
    "/register/log", summary="Hyresregistrets logg: vad som ändrades, från vilken fil eller klient"
)
def register_log(
    ctx: Auth,
    contract: Annotated[str, Query(max_length=80)] = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    return register_service.register_log(
        ctx.app, ctx.principal.username, ctx.now, contract=contract or None, limit=limit
    )


@router.get("/register/contracts/{contract}", summary="Vad hyresregistret vet om ett kontrakt")
def get_contract(ctx: Auth, contract: Contract) -> dict[str, Any]:
    return register_service.lookup_contract(ctx.app, ctx.principal.username, ctx.now, contract)


@router.post(
    "/jour/reports",
    summary='Störningsjourens rapporter: en, en lista eller {"reports": [...]}',
)
def post_jour_reports(
    ctx: Auth,
    body: Annotated[Any, Body(description="En rapport, en lista av rapporter eller {reports}")],
    dry_run: bool = False,
) -> dict[str, Any]:
    records = records_of(body, "förfrågan")
    return night_patrol.import_jour(
        ctx.app,
        ctx.principal.username,
        ctx.now,
        records,
        source=f"api:{ctx.principal.username}",
        dry_run=dry_run,
    )


@router.get("/intake", summary="Inkorgen: poster som du får se")
def list_intake(
    ctx: Auth, status: Annotated[str, Query(max_length=20)] = "open"
) -> list[dict[str, Any]]:
    return intake_service.list_items(ctx.app, ctx.principal.username, ctx.now, status=status)


@router.get("/intake/{item_id}", summary="En post i inkorgen")
def show_intake(ctx: Auth, item_id: ItemId) -> dict[str, Any]:
    return intake_service.show_item(ctx.app, ctx.principal.username, ctx.now, item_id)


@router.post("/intake/{item_id}/attach", summary="Koppla en post till ett ärende")
def attach_intake(ctx: Auth, item_id: ItemId, body: AttachIn) -> dict[str, Any]:
    return intake_service.attach_item(
        ctx.app,
        ctx.principal.username,
        ctx.now,
        item_id,
        body.case,
        expected_version=body.expected_version,
    )


@router.post("/intake/{item_id}/dismiss", summary="Avfärda en post med en motivering")
def dismiss_intake(ctx: Auth, item_id: ItemId, body: DismissIn) -> dict[str, Any]:
    return intake_service.dismiss_item(
        ctx.app, ctx.principal.username, ctx.now, item_id, body.reason
    )


@router.post(
    "/intake/{item_id}/open", status_code=201, summary="Öppna ett nytt ärende från en post"
)
def open_from_intake(ctx: Auth, item_id: ItemId, body: OpenIn) -> dict[str, Any]:
    new = intake_service.new_case_for_item(
        ctx.app, ctx.principal.username, ctx.now, item_id, body.model_dump()
    )
    return intake_service.open_case_from_item(
        ctx.app, ctx.principal.username, ctx.now, item_id, new
    )
