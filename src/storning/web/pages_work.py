"""The officer's pages outside a single case: the worklist (Mina ärenden / Att göra), opening a case
(Nytt ärende) and the workflow definitions (Arbetsflöden)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from storning import access, due_lists, readmodel, services
from storning.clock import local_day
from storning.due import week_end
from storning.errors import PermissionDenied, StorningError
from storning.services import case_outcome
from storning.services.lists import open_cases_like
from storning.web import labels
from storning.web.context import Ctx, checked_form, page_ctx, reference
from storning.web.diagrams import track_svg, track_text
from storning.web.errors import status_of
from storning.web.forms import COMPLAINANT_ROWS, Parsed, parse_new_case
from storning.web.idempotency import FormOnce
from storning.web.rendering import flash, render

router = APIRouter(route_class=FormOnce)
Id = Annotated[int, Path(ge=1, le=readmodel.MAX_ID)]


def _filter(request: Request, ctx: Ctx) -> readmodel.WorklistFilter:
    q = request.query_params
    default_scope = "mine" if access.may_act_at_all(ctx.principal) else "team"
    try:
        page = int(q.get("sida", "1"))
    except ValueError:
        page = 1
    clean = readmodel.clean
    return readmodel.WorklistFilter(
        scope=q.get("visa", default_scope) if q.get("visa") in ("mine", "team") else default_scope,
        case_type=clean(q.get("typ", "")),
        state=clean(q.get("lage", "")),
        team=clean(q.get("team", "")),
        owner=clean(q.get("handlaggare", "")),
        q=clean(q.get("sok", "")),
        include_closed=q.get("avslutade") == "1",
        overdue=q.get("forsenade") == "1",
        page=max(1, min(page, 10_000)),
    )


def _state_options(ctx: Ctx) -> list[tuple[str, str]]:
    """Every (track:state, "Track – State") of the installed workflows, for the state filter."""
    options: dict[str, str] = {}
    with ctx.app.db.read() as session:
        for row in ctx.app.registry.all_versions(session):
            workflow = ctx.app.registry.get(session, row.workflow_id, row.version)
            for name, track in workflow.tracks.items():
                for state, spec in track.states.items():
                    options.setdefault(f"{name}:{state}", f"{track.title} – {spec.label}")
    return sorted(options.items(), key=lambda item: item[1])


@router.get("/")
def worklist(request: Request) -> Response:
    ctx = page_ctx(request)
    wanted = _filter(request, ctx)
    view = services.worklist_view(ctx.app, ctx.principal.username, ctx.now, wanted, DUE_SHOWN)
    page, due, due_counts = view.page, view.due, view.due_counts
    today = local_day(ctx.now, ctx.app.zone)
    context = {
        "nav": "worklist",
        "today": today,
        "week_end": week_end(today),
        "wanted": wanted,
        "page": page,
        "due_anything": any(due_counts.values()),
        "due_count_most": due_lists.DUE_COUNT_MOST,
        "due_groups": _due_groups(due, due_counts),
        "track_columns": TRACK_COLUMNS,
        "table_rows": _table_rows(page.rows),
        "case_types": reference(request, "case_types", lambda: readmodel.case_types(ctx.app)),
        "states": reference(request, "states", lambda: _state_options(ctx)),
        "teams": reference(request, "teams", lambda: readmodel.teams(ctx.app)),
        "owners": _people(request, ctx),
        "query": dict(request.query_params),
    }
    return render(request, "worklist.html", context)


# The worklist's groups of what is due (by the item's `when`), and its columns of track states.
DUE_GROUPS = (("overdue", "Försenat"), ("today", "I dag"), ("week", "Senare i veckan"))
# the items a group lists (the nearest first) under its true number: a busy officer has hundreds
# overdue, which no one reads as a list; the worklist's overdue filter shows every such case
DUE_SHOWN = 20
TRACK_COLUMNS = tuple(
    (track, labels.TRACK_TITLES.get(track, track)) for track in ("legal", "authority", "customer")
)


def _table_rows(
    rows: list[dict[str, Any]],
) -> list[tuple[dict[str, Any], str, list[tuple[str, str]]]]:
    """Each row of the table with its case type's name and its track columns' (title, state's
    label): looked up here once per row, not by a dozen function calls per row in the template."""
    types = labels.CASE_TYPES
    return [
        (
            row,
            types.get(row["type"], row["type"]),
            [
                (title, row["tracks"].get(track, {}).get("label", "–"))
                for track, title in TRACK_COLUMNS
            ],
        )
        for row in rows
    ]


def _due_groups(
    due: dict[str, list[dict[str, Any]]], counts: dict[str, int]
) -> list[tuple[str, str, list[dict[str, Any]], int]]:
    """(group, heading, its nearest items, how many it has) in the worklist's order."""
    return [
        (group, heading, due.get(group, []), counts.get(group, 0)) for group, heading in DUE_GROUPS
    ]


def _people(request: Request, ctx: Ctx) -> list[access.Principal]:
    """The acting officers of the principal's team (every team's for an admin)."""
    team = None if ctx.principal.is_admin else ctx.principal.team
    return reference(request, f"people:{team}", lambda: readmodel.people(ctx.app, team))


def _owners(request: Request, ctx: Ctx) -> list[access.Principal]:
    """Whom the principal may open a case for (itself first)."""
    allowed = services.owner_candidates(ctx.app, ctx.principal.username)
    me = [p for p in allowed if p.username == ctx.principal.username]
    return me + [p for p in allowed if p.username != ctx.principal.username]


def _duplicates(ctx: Ctx, values: dict[str, Any]) -> list[dict[str, Any]]:
    """Open cases (that the principal may read) about the tenant, apartment or contract typed."""
    return open_cases_like(
        ctx.app,
        ctx.principal.username,
        ctx.now,
        tenant=str(values.get("tenant") or ""),
        address=str(values.get("address") or ""),
        apartment=str(values.get("apartment") or ""),
        contract=str(values.get("contract") or ""),
    )


def _new_case_page(
    request: Request,
    ctx: Ctx,
    parsed: Parsed,
    status: int = 200,
    error: str | None = None,
    duplicates: list[dict[str, Any]] | None = None,
    checked: bool = False,
    register: dict[str, Any] | None = None,
) -> Response:
    if duplicates is None:
        duplicates = _duplicates(ctx, parsed.values) if parsed.values.get("tenant") else []
    context = {
        "nav": "new",
        "values": parsed.values,
        "errors": parsed.errors,
        "type_options": [
            (key, labels.CASE_TYPES.get(key, title))
            for key, title in readmodel.case_types(ctx.app).items()
        ],
        "owner_options": [(p.username, p.name or p.username) for p in _owners(request, ctx)],
        "source_options": list(case_outcome.source_choices().items()),  # issue 14
        "rows": range(1, COMPLAINANT_ROWS + 1),
        "error": error,
        "duplicates": duplicates,
        "checked": checked,
        "register": register,  # issue 16: "Hämta från hyresregistret"
    }
    return render(request, "case_new.html", context, status=status)


@router.get("/arenden/nytt")
def new_case_form(request: Request) -> Response:
    ctx = page_ctx(request)
    if not _owners(request, ctx):
        raise PermissionDenied("Du har bara läsbehörighet och kan inte öppna ärenden.")
    types = readmodel.case_types(ctx.app)
    default_type = "storning" if "storning" in types else next(iter(types), "")
    values: dict[str, Any] = {"case_type": request.query_params.get("typ", default_type)}
    register = _from_register(ctx, request.query_params.get("kontrakt", ""), values)  # issue 16
    return _new_case_page(request, ctx, Parsed(values=values), register=register)


def _from_register(ctx: Ctx, contract: str, values: dict[str, Any]) -> dict[str, Any] | None:
    """Fill `values` from the tenancy register ("Hämta från hyresregistret"); what it found, what
    it lacks, or why it could not (issue 16)."""
    from storning.services import register as register_service

    if not contract.strip():
        return None
    try:
        found = register_service.lookup_contract(
            ctx.app, ctx.principal.username, ctx.now, contract[:80]
        )
    except StorningError as error:
        values["contract"] = contract[:80]
        return {"error": str(error)}
    for name, value in found["values"].items():
        if value:
            values[name] = "\n".join(value) if isinstance(value, list) else value
    return found


@router.post("/arenden/nytt")
async def open_case(request: Request) -> Response:
    ctx = await run_in_threadpool(page_ctx, request)
    form = await checked_form(request)
    return await run_in_threadpool(_open_case, request, ctx, form)


def _open_case(request: Request, ctx: Ctx, form: Any) -> Response:
    owners = [p.username for p in _owners(request, ctx)]
    if not owners:
        raise PermissionDenied("Du har bara läsbehörighet och kan inte öppna ärenden.")
    types = readmodel.case_types(ctx.app)
    parsed = parse_new_case(form, ctx.app.zone, ctx.now, types, owners, ctx.principal.username)
    if parsed.new_case is None:
        message = "Ärendet är inte sparat. Rätta de markerade fälten."
        return _new_case_page(request, ctx, parsed, status=400, error=message)
    duplicates = _duplicates(ctx, parsed.values)
    try:
        document = services.open_case(ctx.app, ctx.principal.username, ctx.now, parsed.new_case)
    except StorningError as error:
        return _new_case_page(
            request, ctx, parsed, status=status_of(error), error=str(error), duplicates=duplicates
        )
    ref = document["ref"]
    message = f"Ärende {ref} är öppnat."
    if parsed.incident is not None:
        i = parsed.incident
        try:
            services.add_incident(
                ctx.app, ctx.principal.username, ctx.now, ref, at=i.at, kind=i.kind,
                text=i.text, verified_by=i.verified_by, reporter=i.reporter, place=i.place,
                ends_at=i.ends_at, document=False,
            )  # fmt: skip
            message = f"Ärende {ref} är öppnat och störningen är registrerad."
        except StorningError as error:
            message = f"Ärende {ref} är öppnat, men störningen kunde inte registreras: {error}"
    if duplicates:
        refs = ", ".join(row["ref"] for row in duplicates)
        message += f" Observera: samma hyresgäst eller lägenhet har redan öppna ärenden: {refs}."
    flash(request, message)
    return RedirectResponse(f"/arenden/{ref}", status_code=303)


@router.post("/arenden/nytt/kontroll")
async def check_new_case(request: Request) -> Response:
    """The intake form sent to look for open cases about the same tenant or apartment first: the
    form comes back as typed, with the cases found (nothing is saved)."""
    ctx = await run_in_threadpool(page_ctx, request)
    form = await checked_form(request)
    return await run_in_threadpool(_check_new_case, request, ctx, form)


def _check_new_case(request: Request, ctx: Ctx, form: Any) -> Response:
    owners = [p.username for p in _owners(request, ctx)]
    if not owners:
        raise PermissionDenied("Du har bara läsbehörighet och kan inte öppna ärenden.")
    types = readmodel.case_types(ctx.app)
    typed = parse_new_case(form, ctx.app.zone, ctx.now, types, owners, ctx.principal.username)
    values = typed.values
    duplicates = _duplicates(ctx, values)
    return _new_case_page(request, ctx, Parsed(values=values), duplicates=duplicates, checked=True)


@router.get("/arbetsfloden")
def workflows(request: Request) -> Response:
    ctx = page_ctx(request)
    items = []
    titles = labels.letter_titles(ctx.app.settings.letters_dir)  # "Brev skickat: <brevets titel>"
    with ctx.app.db.read() as session:
        for row in ctx.app.registry.all_versions(session):
            workflow = ctx.app.registry.get(session, row.workflow_id, row.version)
            items.append(
                {
                    "id": workflow.id,
                    "version": workflow.version,
                    "title": workflow.title,
                    "source_file": row.source_file,
                    "loaded_at": row.loaded_at,
                    "tracks": [
                        {
                            "name": name,
                            "title": track.title,
                            "states": [
                                (s, spec.label, spec.final) for s, spec in track.states.items()
                            ],
                            "svg": track_svg(workflow, name, titles=titles),
                            "map_text": track_text(workflow, name, titles=titles),
                        }
                        for name, track in workflow.tracks.items()
                    ],
                }
            )
    return render(request, "workflows.html", {"nav": "workflows", "workflows": items})
