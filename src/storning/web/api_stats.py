"""The JSON API of the outcome measures (issue 14): `GET /api/stats` (JSON), `GET /api/stats.csv` and
`GET /api/stats.xlsx` (or `?format=`), the cases behind a number (`GET /api/stats/cases`), and the
household facts the measures need (`PATCH /api/cases/{ref}/household`).

Who may see which cases, names or pseudonyms, and the access log are decided in
`storning.services.outcomes`; this module only translates.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from storning.services import case_outcome, outcomes
from storning.web.api_common import ERRORS, Auth, Ref
from storning.web.api_models import MAX_INT
from storning.web.context import Ctx
from storning.web.idempotency import ApiOnce

router = APIRouter(prefix="/api", tags=["stats"], responses=ERRORS, route_class=ApiOnce)

From = Annotated[
    date | None, Query(alias="from", description="Periodens första dag (standard: 1 januari).")
]
To = Annotated[date | None, Query(alias="to", description="Periodens sista dag (standard: i dag).")]
Team = Annotated[str, Query(max_length=80, description="Bara ett team.")]
CaseType = Annotated[str, Query(max_length=40, description="storning eller hyresskuld.")]
Owner = Annotated[str, Query(max_length=80, description="Bara en handläggares ärenden.")]
MeasureKey = Annotated[str | None, Query(max_length=60, description="Ett måtts nyckel.")]
ValueKey = Annotated[str | None, Query(max_length=200, description="Ett av måttets värden.")]


def _filter(
    ctx: Ctx, start: date | None, end: date | None, team: str, case_type: str, owner: str
) -> Any:
    return outcomes.filter_from(
        ctx.app, ctx.now, start=start, end=end, team=team, case_type=case_type, owner=owner
    )


@router.get(
    "/stats",
    summary="Mått för vräkningsförebyggande arbete (JSON)",
    description="Varje mått med nyckel, benämning, definition, enhet och värden, över de ärenden "
    "du får se. `format=csv|xlsx` ger samma som /api/stats.csv och /api/stats.xlsx.",
    responses={
        200: {
            "content": {
                "application/json": {},
                "text/csv": {},
                outcomes.MEDIA_TYPES["xlsx"]: {},
            }
        }
    },
)
def stats(
    ctx: Auth,
    start: From = None,
    end: To = None,
    team: Team = "",
    type: CaseType = "",
    owner: Owner = "",
    format: Literal["json", "csv", "xlsx"] = "json",
    table: Literal["measures", "cases"] = "measures",
) -> Any:
    flt = _filter(ctx, start, end, team, type, owner)
    if format != "json":
        return _file(ctx, flt, format, table, None, None)
    from storning.outcomes.exports import stats_json

    result = outcomes.stats(ctx.app, ctx.principal.username, ctx.now, flt)
    return stats_json(result)


@router.get(
    "/stats.csv",
    summary="Måtten, eller ärendena bakom dem (`table=cases`), som CSV",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def stats_csv(
    ctx: Auth,
    start: From = None,
    end: To = None,
    team: Team = "",
    type: CaseType = "",
    owner: Owner = "",
    table: Literal["measures", "cases"] = "measures",
    measure: MeasureKey = None,
    value: ValueKey = None,
) -> Response:
    flt = _filter(ctx, start, end, team, type, owner)
    return _file(ctx, flt, "csv", table, measure, value)


@router.get(
    "/stats.xlsx",
    summary="Måtten, ärendena bakom dem och definitionerna som XLSX",
    response_class=Response,
    responses={200: {"content": {outcomes.MEDIA_TYPES["xlsx"]: {}}}},
)
def stats_xlsx(
    ctx: Auth,
    start: From = None,
    end: To = None,
    team: Team = "",
    type: CaseType = "",
    owner: Owner = "",
    measure: MeasureKey = None,
    value: ValueKey = None,
) -> Response:
    flt = _filter(ctx, start, end, team, type, owner)
    return _file(ctx, flt, "xlsx", "measures", measure, value)


@router.get(
    "/stats/cases",
    summary="Ärendena bakom ett tal (utan uppgifter om anmälare)",
    description="Samma åtkomstregler som arbetslistan. Hyresgästens namn bara för den som får "
    "handlägga ärendet; andra ser en pseudonym (H-…).",
)
def stats_cases(
    ctx: Auth,
    start: From = None,
    end: To = None,
    team: Team = "",
    type: CaseType = "",
    owner: Owner = "",
    measure: MeasureKey = None,
    value: ValueKey = None,
) -> list[dict[str, Any]]:
    flt = _filter(ctx, start, end, team, type, owner)
    rows = outcomes.case_rows(
        ctx.app, ctx.principal.username, ctx.now, flt, measure=measure, value=value
    )
    return [r.as_dict() for r in rows]


def _file(
    ctx: Ctx, flt: Any, fmt: str, table: str, measure: str | None, value: str | None
) -> Response:
    exported = outcomes.export(
        ctx.app,
        ctx.principal.username,
        ctx.now,
        flt,
        fmt,
        table=table,
        measure=measure,
        value=value,
    )
    return Response(
        exported.content,
        media_type=exported.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{exported.filename}"',
            "Cache-Control": "no-store",
        },
    )


class HouseholdIn(BaseModel):
    """The household facts the measures need (PATCH /api/cases/{ref}/household): only what is given
    changes; the journal keeps the values before and after (a count and a code, never names)."""

    model_config = ConfigDict(extra="forbid")

    children: int | None = Field(
        default=None, ge=0, le=30, description="Antal barn i hushållet (ett antal, aldrig namn)."
    )
    clear_children: bool = Field(default=False, description="Antalet barn är inte känt.")
    source: str | None = Field(
        default=None,
        max_length=20,
        description="Varifrån anmälan kom: granne, storningsjour, personal, polis eller annan.",
    )
    expected_version: int = Field(ge=1, le=MAX_INT, description="Ärendets version som du såg.")


@router.patch(
    "/cases/{ref}/household",
    summary="Registrera antal barn i hushållet och varifrån anmälan kom",
)
def update_household(ctx: Auth, ref: Ref, body: HouseholdIn) -> dict[str, Any]:
    return case_outcome.update_household(
        ctx.app,
        ctx.principal.username,
        ctx.now,
        ref,
        children=body.children,
        source=body.source,
        clear_children=body.clear_children,
        expected_version=body.expected_version,
    )
