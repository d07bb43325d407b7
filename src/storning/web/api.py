"""The JSON API under `/api`, for integrations (a störningsjour posting incidents, a property system
opening cases). It calls the same services as the pages and never writes state itself.

Authentication: `Authorization: Bearer stn_…` (from `storning user token USERNAME`), or the browser
session (then a POST needs the `X-CSRF-Token` header). Who may read or change what, redaction of
protected complainants, what a typed time means, validation and the access log are the services' (as for
the pages and the CLI); a case the caller may not read answers 404, exactly like an unknown one. Errors:
`{"error": {"code", "message"}}` with a 4xx status. Case documents follow DESIGN §7 (`case show --json`).
Every change carries `expected_version`, the case version the caller last saw.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import JSONResponse, Response

from storning import services
from storning.readmodel import WorklistFilter, clean
from storning.web.api_common import ERRORS, Auth, Ref, RowId
from storning.web.api_models import (
    CaseIn,
    ComplainantChangesIn,
    CorrectionIn,
    DetailsIn,
    EventIn,
    IncidentIn,
    NewComplainantIn,
    ReissueIn,
    SentIn,
    ServedIn,
    StepSentIn,
)
from storning.web.idempotency import ApiOnce
from storning.web.pages_case import pdf_response

router = APIRouter(prefix="/api", tags=["api"], responses=ERRORS, route_class=ApiOnce)

LetterId = RowId


@router.get("/cases", summary="Ärenden som du får se, förfallna först")
def list_cases(
    ctx: Auth,
    mine: bool = False,
    open: bool = True,
    overdue: bool = False,
    q: Annotated[str, Query(max_length=100)] = "",
    type: Annotated[str, Query(max_length=40)] = "",
    state: Annotated[str, Query(max_length=100, description="spår:läge")] = "",
    team: Annotated[str, Query(max_length=80)] = "",
    owner: Annotated[str, Query(max_length=80)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> list[dict[str, Any]]:
    wanted = WorklistFilter(
        scope="mine" if mine else "team",
        case_type=clean(type),
        state=clean(state),
        team=clean(team),
        owner=clean(owner),
        q=clean(q),
        include_closed=not open,
        overdue=overdue,
        page=page,
    )
    return services.worklist(ctx.app, ctx.principal.username, ctx.now, wanted).rows


@router.post("/cases", status_code=201, summary="Registrera ett klagomål som ett nytt ärende")
def open_case(ctx: Auth, body: CaseIn) -> dict[str, Any]:
    new = services.NewCase(
        case_type=body.type,
        tenant=body.tenant,
        address=body.address,
        apartment=body.apartment,
        municipality=body.municipality,
        contract=body.contract,
        postal_code=body.postal_code,
        city=body.city,
        co_tenants=body.co_tenants,
        complainants=[
            services.ComplainantDetails(**c.model_dump(include=_COMPLAINANT))
            for c in body.complainants
        ],
        facts={"due_date": body.due_date, "amount": body.amount},
        owner=body.owner,
        personnummer=body.personnummer,
        source=body.source,
        children=body.children,
    )
    return services.open_case(ctx.app, ctx.principal.username, ctx.now, new)


@router.get("/cases/{ref}", summary="Ett ärende (samma dokument som `case show --json`)")
def show_case(ctx: Auth, ref: Ref) -> dict[str, Any]:
    return services.show_case(ctx.app, ctx.principal.username, ctx.now, ref)


@router.patch(
    "/cases/{ref}", summary="Rätta eller komplettera hyresgästens och lägenhetens uppgifter"
)
def update_case(ctx: Auth, ref: Ref, body: DetailsIn) -> dict[str, Any]:
    given = body.model_dump(exclude_unset=True, exclude={"expected_version"})
    changes = {
        name: "\n".join(value) if name == "co_tenants" else value
        for name, value in given.items()
        if value is not None
    }
    return services.update_case(
        ctx.app,
        ctx.principal.username,
        ctx.now,
        ref,
        changes,
        expected_version=body.expected_version,
    )


_COMPLAINANT = {"name", "protected", "address", "phone", "email"}
ComplainantId = RowId


@router.post(
    "/cases/{ref}/complainants",
    status_code=201,
    summary="Lägg till en anmälare i ett öppet ärende",
)
def add_complainant(ctx: Auth, ref: Ref, body: NewComplainantIn) -> dict[str, Any]:
    return services.add_complainant(
        ctx.app,
        ctx.principal.username,
        ctx.now,
        ref,
        services.ComplainantDetails(**body.model_dump(include=_COMPLAINANT)),
        expected_version=body.expected_version,
    )


@router.patch(
    "/cases/{ref}/complainants/{complainant_id}",
    summary="Rätta eller komplettera en anmälares uppgifter",
)
def update_complainant(
    ctx: Auth, ref: Ref, complainant_id: ComplainantId, body: ComplainantChangesIn
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True, exclude={"expected_version"})
    if changes.get("name") is None:
        changes.pop("name", None)
    if changes.get("protected") is None:
        changes.pop("protected", None)
    return services.update_complainant(
        ctx.app,
        ctx.principal.username,
        ctx.now,
        ref,
        complainant_id,
        changes,
        expected_version=body.expected_version,
    )


@router.post("/cases/{ref}/events", summary="Utför en händelse i ett spår")
def fire_event(ctx: Auth, ref: Ref, body: EventIn) -> dict[str, Any]:
    return services.fire_event(
        ctx.app,
        ctx.principal.username,
        ctx.now,
        ref,
        body.event,
        track=body.track,
        params=body.params,
        reason=body.reason,
        override=body.override,
        expected_version=body.expected_version,
    )


@router.post(
    "/cases/{ref}/events/preview",
    summary="Förhandsgranska en händelse: breven den skulle skapa, utan att något sparas",
)
def preview_event(ctx: Auth, ref: Ref, body: EventIn) -> dict[str, Any]:
    """Each letter has `pdf_base64` (or `error`); `version` is the case version the preview was made
    from — post the event with it as `expected_version` to do exactly what was previewed."""
    preview = services.preview_event(
        ctx.app,
        ctx.principal.username,
        ctx.now,
        ref,
        body.event,
        track=body.track,
        params=body.params,
        reason=body.reason,
        override=body.override,
        expected_version=body.expected_version,
        output="pdf",
    )
    for letter in preview["letters"]:
        pdf = letter.pop("pdf", None)
        if pdf is not None:
            letter["pdf_base64"] = base64.b64encode(pdf).decode("ascii")
    return {**preview, "stored": False}


@router.post("/cases/{ref}/incidents", status_code=201, summary="Registrera en störning")
def add_incident(ctx: Auth, ref: Ref, body: IncidentIn) -> dict[str, Any]:
    return services.add_incident(
        ctx.app,
        ctx.principal.username,
        ctx.now,
        ref,
        at=body.at,
        kind=body.kind,
        text=body.text,
        verified_by=body.verified_by,
        reporter=body.reporter,
        place=body.place,
        ends_at=body.ends_at,
        expected_version=body.expected_version,
    )


@router.post(
    "/cases/{ref}/incidents/{incident_id}/correction", summary="Rätta en registrerad störning"
)
def correct_incident(
    ctx: Auth, ref: Ref, incident_id: LetterId, body: CorrectionIn
) -> dict[str, Any]:
    changes = body.model_dump(exclude={"reason", "expected_version"}, exclude_none=True)
    return services.correct_incident(
        ctx.app,
        ctx.principal.username,
        ctx.now,
        ref,
        incident_id,
        reason=body.reason,
        changes=changes,
        expected_version=body.expected_version,
    )


@router.get("/cases/{ref}/letters", summary="Ärendets brev, äldst först")
def list_letters(ctx: Auth, ref: Ref) -> list[dict[str, Any]]:
    return services.list_letters(ctx.app, ctx.principal.username, ctx.now, ref)


@router.post("/letters/{letter_id}/sent", summary="Markera ett brev som skickat")
def letter_sent(ctx: Auth, letter_id: LetterId, body: SentIn) -> dict[str, Any]:
    return services.mark_letter_sent(
        ctx.app,
        ctx.principal.username,
        ctx.now,
        letter_id,
        method=body.method,
        at=body.at,
        delivered_on=body.delivered_on,
        expected_version=body.expected_version,
    )


@router.post(
    "/letters/{letter_id}/step/sent",
    summary="Markera alla ej skickade brev från samma steg som brevet som skickade",
)
def step_letters_sent(ctx: Auth, letter_id: LetterId, body: StepSentIn) -> list[dict[str, Any]]:
    return services.mark_step_letters_sent(
        ctx.app,
        ctx.principal.username,
        ctx.now,
        letter_id,
        method=body.method,
        at=body.at,
        expected_version=body.expected_version,
    )


@router.post("/letters/{letter_id}/served", summary="Registrera delgivning av ett brev")
def letter_served(ctx: Auth, letter_id: LetterId, body: ServedIn) -> dict[str, Any]:
    return services.mark_letter_served(
        ctx.app,
        ctx.principal.username,
        ctx.now,
        letter_id,
        at=body.at,
        proof=body.proof,
        expected_version=body.expected_version,
    )


@router.post(
    "/letters/{letter_id}/reissue", status_code=201, summary="Gör ett nytt utkast av ett brev"
)
def letter_reissue(ctx: Auth, letter_id: LetterId, body: ReissueIn) -> dict[str, Any]:
    return services.reissue_letter(
        ctx.app,
        ctx.principal.username,
        ctx.now,
        letter_id,
        expected_version=body.expected_version,
    )


@router.get(
    "/letters/{letter_id}.pdf",
    summary="Brevets PDF (ett utkast visas som det skulle se ut i dag; det låses när det skickas)",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "PDF"}},
)
def letter_pdf(ctx: Auth, letter_id: LetterId) -> Response:
    return pdf_response(ctx, letter_id)


@router.get("/timers", summary="Väntande frister och påminnelser i ärenden du får se")
def list_timers(
    ctx: Auth,
    due: bool = False,
    mine: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    return services.list_timers(
        ctx.app, ctx.principal.username, ctx.now, due_only=due, mine=mine, limit=limit
    )


@router.get(
    "/due",
    summary="Att göra i dina ärenden denna vecka (som arbetslistan): försenat, i dag, denna vecka",
)
def due_this_week(ctx: Auth) -> list[dict[str, Any]]:
    return services.due_items(ctx.app, ctx.principal.username, ctx.now)


@router.get("/me", summary="Vem du är inloggad som")
def me(ctx: Auth) -> JSONResponse:
    p = ctx.principal
    body = {"username": p.username, "name": p.name, "roles": sorted(p.roles), "team": p.team}
    return JSONResponse(body)
