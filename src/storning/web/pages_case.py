"""The case page (`/arenden/{ref}`) and the forms on it: actions, incidents, letters, reassignment.

Every form carries the case `version` it was rendered from; the service refuses a stale one ("Ärendet
har ändrats…, ladda om") and the page is shown again with that message (HTTP 409). A success redirects
back to the page (POST/redirect/GET) with a one-line confirmation. Reading the page and downloading a
PDF are written to the access log.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from storning import access, services
from storning.clock import local_day
from storning.errors import InvalidInput, NotFound, PermissionDenied, StaleCase, StorningError
from storning.web import labels, queries
from storning.web.case_view import case_view
from storning.web.casework import log_access, redact
from storning.web.context import (
    Ctx,
    actionable_case,
    checked_form,
    form_text,
    page_ctx,
    readable_case,
    readable_letter,
)
from storning.web.errors import status_of
from storning.web.forms import Parsed, parse_day, parse_incident
from storning.web.rendering import flash, render

router = APIRouter()
Id = Annotated[int, Path(ge=1, le=queries.MAX_ID)]


def show(
    request: Request,
    ctx: Ctx,
    found: queries.CaseRef,
    *,
    status: int = 200,
    error: str | None = None,
    error_title: str | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    app = ctx.app
    document = services.show_case(app, ctx.principal.username, ctx.now, found.ref)
    document = redact(document, see_protected=access.can_see_protected(ctx.principal, found.scope))
    with app.db.read() as session:
        workflow = app.registry.get(session, document["type"], document["workflow_version"])
    view = case_view(
        document,
        workflow,
        ctx.principal,
        found.scope,
        labels.letter_titles(app.settings.letters_dir),
    )
    owners: list[access.Principal] = []
    if access.can_override(ctx.principal, found.scope):
        pool = queries.people(app, None if ctx.principal.is_admin else ctx.principal.team)
        owners = [p for p in pool if access.can_reassign(ctx.principal, found.scope, p)]
    context = {
        **view,
        "nav": "case",
        "owners": owners,
        "error": error,
        "error_title": error_title,
        "values": values or {"at": ctx.now.astimezone(app.zone).strftime("%Y-%m-%dT%H:%M")},
        "errors": errors or {},
        "today": local_day(ctx.now, app.zone).isoformat(),
    }
    return render(request, "case.html", context, status=status)


@router.get("/arenden/{ref}")
def case_page(request: Request, ref: str) -> Response:
    ctx = page_ctx(request)
    found = readable_case(ctx, ref)
    log_access(ctx.app, ctx.principal.username, ctx.now, found.id, "case_view")
    return show(request, ctx, found)


async def _posted(request: Request, ref: str) -> tuple[Ctx, queries.CaseRef, FormData]:
    ctx = await run_in_threadpool(page_ctx, request)
    form = await checked_form(request)
    found = await run_in_threadpool(actionable_case, ctx, ref)
    return ctx, found, form


def _version(form: FormData) -> int | None:
    text = form_text(form, "version")
    try:
        return int(text) if text else None
    except ValueError:
        raise InvalidInput("Formuläret har en ogiltig ärendeversion; ladda om sidan.") from None


def _done(request: Request, found: queries.CaseRef, message: str, anchor: str) -> Response:
    flash(request, message)
    return RedirectResponse(f"/arenden/{found.ref}#{anchor}", status_code=303)


def _failed(
    request: Request, ctx: Ctx, found: queries.CaseRef, error: StorningError, **extra: Any
) -> Response:
    title = labels.ERROR_TITLES.get(error.code, "Det gick inte att spara")
    return show(
        request, ctx, found, status=status_of(error), error=str(error), error_title=title, **extra
    )


# --- actions --------------------------------------------------------------------------------------


@router.post("/arenden/{ref}/atgard")
async def fire(request: Request, ref: str) -> Response:
    ctx, found, form = await _posted(request, ref)
    return await run_in_threadpool(_fire, request, ctx, found, form)


def _fire(request: Request, ctx: Ctx, found: queries.CaseRef, form: FormData) -> Response:
    event, track = form_text(form, "event", 60), form_text(form, "track", 20) or None
    params = {
        key[len("param_") :]: form_text(form, key, 1000)
        for key in form
        if key.startswith("param_") and form_text(form, key)
    }
    override = form_text(form, "override") or None
    try:
        if override and not access.can_override(ctx.principal, found.scope):
            raise PermissionDenied(
                "Endast chef eller administratör i teamet får åsidosätta en spärr."
            )
        document = services.fire_event(
            ctx.app,
            ctx.principal.username,
            ctx.now,
            found.ref,
            event,
            track=track,
            params=params or None,
            reason=form_text(form, "reason") or None,
            override=override,
            expected_version=_version(form),
        )
    except StorningError as error:
        return _failed(request, ctx, found, error)
    done = [e["track"] for e in document["journal"] if e["event"] == event]
    label = _label_of(ctx, document, done[-1] if done else track, event) or event
    return _done(request, found, f"Utfört: {label}.", "spar")


def _label_of(ctx: Ctx, document: dict[str, Any], track: str | None, event: str) -> str | None:
    with ctx.app.db.read() as session:
        workflow = ctx.app.registry.get(session, document["type"], document["workflow_version"])
    if track is None or track not in workflow.tracks:
        return None
    return next((t.label for t in workflow.tracks[track].transitions if t.event == event), None)


# --- incidents ------------------------------------------------------------------------------------


@router.post("/arenden/{ref}/storningar")
async def add_incident(request: Request, ref: str) -> Response:
    ctx, found, form = await _posted(request, ref)
    return await run_in_threadpool(_add_incident, request, ctx, found, form)


def _add_incident(request: Request, ctx: Ctx, found: queries.CaseRef, form: FormData) -> Response:
    parsed = Parsed()
    incident = parse_incident(form, "", ctx.app.zone, ctx.now, parsed, required=True)
    if incident is None:
        error = InvalidInput("Störningen är inte sparad. Rätta de markerade fälten.")
        return _failed(request, ctx, found, error, values=parsed.values, errors=parsed.errors)
    try:
        services.add_incident(
            ctx.app, ctx.principal.username, ctx.now, found.ref, at=incident.at,
            kind=incident.kind, text=incident.text, verified_by=incident.verified_by,
            reporter=incident.reporter, place=incident.place,
            expected_version=_version(form), document=False,
        )  # fmt: skip
    except StorningError as error:
        return _failed(request, ctx, found, error, values=parsed.values)
    kind = labels.INCIDENT_KINDS[incident.kind].lower()
    return _done(request, found, f"Störningen ({kind}) är registrerad.", "storningar")


# --- letters --------------------------------------------------------------------------------------


def _letter_of_case(ctx: Ctx, found: queries.CaseRef, letter_id: int) -> None:
    owner = readable_letter(ctx, letter_id)
    if owner.id != found.id:
        raise NotFound(f"Ärendet {found.ref} har inget brev med id {letter_id}.")


def _same_version(ctx: Ctx, found: queries.CaseRef, form: FormData) -> None:
    """Letters' services take no version yet, so the web compares it before calling them."""
    expected = _version(form)
    if expected is None:
        return
    current = queries.case_version(ctx.app, found.id)
    if current != expected:
        raise StaleCase(
            f"Ärendet {found.ref} har ändrats av någon annan sedan du öppnade det "
            f"(version {expected}, nu {current}); ladda om och försök igen."
        )


def moment_of_day(text: str, ctx: Ctx, what: str) -> datetime:
    """A day from a form as an instant: today means now; an earlier day means the end of that day
    (so no incident of that day counts as "after" a letter sent then); a later day is refused."""
    chosen = parse_day(text) if text else local_day(ctx.now, ctx.app.zone)
    today = local_day(ctx.now, ctx.app.zone)
    if chosen > today:
        raise InvalidInput(f"{what} kan inte ligga i framtiden.")
    if chosen == today:
        return ctx.now
    end = datetime.combine(chosen + timedelta(days=1), time(0, 0), tzinfo=ctx.app.zone)
    return end - timedelta(seconds=1)


@router.post("/arenden/{ref}/brev/{letter_id}/skickat")
async def letter_sent(request: Request, ref: str, letter_id: Id) -> Response:
    ctx, found, form = await _posted(request, ref)
    return await run_in_threadpool(_letter_sent, request, ctx, found, form, letter_id)


def _letter_sent(
    request: Request, ctx: Ctx, found: queries.CaseRef, form: FormData, letter_id: int
) -> Response:
    try:
        _letter_of_case(ctx, found, letter_id)
        _same_version(ctx, found, form)
        delivered = form_text(form, "delivered_on")
        result = services.mark_letter_sent(
            ctx.app,
            ctx.principal.username,
            ctx.now,
            letter_id,
            method=form_text(form, "method"),
            at=moment_of_day(form_text(form, "date"), ctx, "Datumet då brevet skickades"),
            delivered_on=parse_day(delivered) if delivered else None,
        )
    except StorningError as error:
        return _failed(request, ctx, found, error)
    title = labels.letter_titles(ctx.app.settings.letters_dir).get(result["template"], "Brevet")
    return _done(request, found, f"{title} är markerat som skickat.", "brev")


@router.post("/arenden/{ref}/brev/{letter_id}/delgivet")
async def letter_served(request: Request, ref: str, letter_id: Id) -> Response:
    ctx, found, form = await _posted(request, ref)
    return await run_in_threadpool(_letter_served, request, ctx, found, form, letter_id)


def _letter_served(
    request: Request, ctx: Ctx, found: queries.CaseRef, form: FormData, letter_id: int
) -> Response:
    try:
        _letter_of_case(ctx, found, letter_id)
        _same_version(ctx, found, form)
        result = services.mark_letter_served(
            ctx.app,
            ctx.principal.username,
            ctx.now,
            letter_id,
            at=moment_of_day(form_text(form, "date"), ctx, "Delgivningsdagen"),
            proof=form_text(form, "proof") or None,
        )
    except StorningError as error:
        return _failed(request, ctx, found, error)
    title = labels.letter_titles(ctx.app.settings.letters_dir).get(result["template"], "Brevet")
    return _done(request, found, f"{title} är registrerat som delgivet.", "brev")


@router.get("/arenden/{ref}/brev/{letter_id}.pdf")
def letter_pdf(request: Request, ref: str, letter_id: Id) -> Response:
    ctx = page_ctx(request)
    found = readable_case(ctx, ref)
    _letter_of_case(ctx, found, letter_id)
    return pdf_response(ctx, found, letter_id, "letter_pdf")


def pdf_response(ctx: Ctx, found: queries.CaseRef, letter_id: int, action: str) -> Response:
    """The letter's PDF as a download, logged; a draft is issued first (only by someone who acts)."""
    data, sha256 = services.letter_pdf(ctx.app, ctx.principal.username, ctx.now, letter_id)
    log_access(ctx.app, ctx.principal.username, ctx.now, found.id, action, f"letter {letter_id}")
    name = f"{found.ref}-brev-{letter_id}.pdf"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "X-Sha256": sha256}
    return Response(data, media_type="application/pdf", headers=headers)


# --- reassignment ---------------------------------------------------------------------------------


@router.post("/arenden/{ref}/handlaggare")
async def reassign(request: Request, ref: str) -> Response:
    ctx, found, form = await _posted(request, ref)
    return await run_in_threadpool(_reassign, request, ctx, found, form)


def _reassign(request: Request, ctx: Ctx, found: queries.CaseRef, form: FormData) -> Response:
    wanted = form_text(form, "owner")
    try:
        pool = queries.people(ctx.app)
        target = next((p for p in pool if p.username == wanted), None)
        if target is None or not access.can_reassign(ctx.principal, found.scope, target):
            raise PermissionDenied(
                "Du får bara flytta ärenden inom ditt team, och bara om du är chef."
            )
        services.reassign_case(
            ctx.app,
            ctx.principal.username,
            ctx.now,
            found.ref,
            target.username,
            expected_version=_version(form),
        )
    except StorningError as error:
        return _failed(request, ctx, found, error)
    return _done(
        request,
        found,
        f"Ärendet har nu {target.name or target.username} som handläggare.",
        "arende",
    )
