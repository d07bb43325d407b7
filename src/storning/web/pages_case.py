"""The case page (`/arenden/{ref}`) and the forms on it: actions, incidents, letters, reassignment.

Every form carries the case `version` it was rendered from (required); the service refuses a stale one
("Ärendet har ändrats…, ladda om") and the page is shown again with that message (HTTP 409). A success
redirects back to the page (POST/redirect/GET) with a one-line confirmation.

The handlers only translate: who may see or do what, what a typed date means, whether a fact is valid,
and the access log are the services' (DESIGN invariant 9).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from storning import services
from storning.clock import fact_instant, local_day
from storning.errors import InvalidInput, StorningError
from storning.readmodel import MAX_ID
from storning.services import case_outcome
from storning.services.common import MISSING_VERSION
from storning.web import labels
from storning.web.case_view import case_view
from storning.web.confirm import confirm_page, name_letters, step_groups
from storning.web.context import Ctx, checked_form, form_text, page_ctx
from storning.web.errors import status_of
from storning.web.forms import Parsed, parse_incident
from storning.web.idempotency import FormOnce
from storning.web.rendering import flash, render

router = APIRouter(route_class=FormOnce)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


def show(
    request: Request,
    ctx: Ctx,
    ref: str,
    *,
    status: int = 200,
    error: str | None = None,
    error_title: str | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    app = ctx.app
    page = services.case_page(app, ctx.principal.username, ctx.now, ref)
    document, workflow = page.document, page.workflow
    titles = labels.letter_titles(app.settings.letters_dir)
    view = case_view(document, workflow, titles)
    name_letters(view, workflow, document, titles)
    context = {
        **view,
        "nav": "case",
        "owners": page.owners,
        "evidence": page.evidence,
        "diary_links": page.diary_links,
        "step_groups": step_groups(view["letters"]),
        "new_letters": _new_letters(app.settings.letters_dir, document["type"]),
        "error": error,
        "error_title": error_title,
        "values": values or {},
        "errors": errors or {},
        "today": local_day(ctx.now, app.zone).isoformat(),
    }
    return render(request, "case.html", context, status=status)


@router.get("/arenden/{ref}")
def case_page(request: Request, ref: str) -> Response:
    return show(request, page_ctx(request), ref)


async def _posted(request: Request) -> tuple[Ctx, FormData]:
    ctx = await run_in_threadpool(page_ctx, request)
    form = await checked_form(request)
    return ctx, form


def _version(form: FormData) -> int:
    """The case version the officer saw: every form carries it, so a stale edit is always refused
    (a missing or garbled one is passed on as missing; the service refuses it after deciding access)."""
    text = form_text(form, "version", 12)
    version = int(text) if text.isdigit() else MISSING_VERSION
    return version if 1 <= version <= MAX_ID else MISSING_VERSION


def _done(request: Request, ref: str, message: str, anchor: str) -> Response:
    flash(request, message)
    return RedirectResponse(f"/arenden/{ref.strip().upper()}#{anchor}", status_code=303)


def _failed(request: Request, ctx: Ctx, ref: str, error: StorningError, **extra: Any) -> Response:
    title = labels.ERROR_TITLES.get(error.code, "Det gick inte att spara")
    return show(
        request, ctx, ref, status=status_of(error), error=str(error), error_title=title, **extra
    )


# --- actions --------------------------------------------------------------------------------------


@router.post("/arenden/{ref}/atgard")
async def fire(request: Request, ref: str) -> Response:
    ctx, form = await _posted(request)
    return await run_in_threadpool(_fire, request, ctx, ref, form)


def _fire(request: Request, ctx: Ctx, ref: str, form: FormData) -> Response:
    """Do the officer's event. One that drafts letters (the form says `preview`, from the workflow
    definition) is first shown as the letters it would draft, to confirm (`confirmed`)."""
    event, track = form_text(form, "event", 60), form_text(form, "track", 20) or None
    params = {
        key[len("param_") :]: form_text(form, key, 100_000)
        for key in form
        if key.startswith("param_") and form_text(form, key)
    }
    given: dict[str, Any] = {
        "track": track,
        "params": params or None,
        "reason": form_text(form, "reason", 100_000) or None,
        "override": form_text(form, "override", 100_000) or None,
        "expected_version": _version(form),
    }
    if form_text(form, "preview") and not form_text(form, "confirmed"):
        try:
            shown = confirm_page(request, ctx, ref, event, given)
        except StorningError as error:
            return _failed(request, ctx, ref, error)
        if shown is not None:
            return shown
    try:
        document = services.fire_event(
            ctx.app, ctx.principal.username, ctx.now, ref, event, **given
        )
    except StorningError as error:
        return _failed(request, ctx, ref, error)
    done = [e["track"] for e in document["journal"] if e["event"] == event]
    label = _label_of(ctx, document, done[-1] if done else track, event) or event
    return _done(request, ref, f"Utfört: {label}.", "spar")


def _label_of(ctx: Ctx, document: dict[str, Any], track: str | None, event: str) -> str | None:
    with ctx.app.db.read() as session:
        workflow = ctx.app.registry.get(session, document["type"], document["workflow_version"])
    if track is None or track not in workflow.tracks:
        return None
    return next((t.label for t in workflow.tracks[track].transitions if t.event == event), None)


# --- the case's details -----------------------------------------------------------------------------


@router.post("/arenden/{ref}/uppgifter")
async def update_details(request: Request, ref: str) -> Response:
    ctx, form = await _posted(request)
    return await run_in_threadpool(_update_details, request, ctx, ref, form)


def _update_details(request: Request, ctx: Ctx, ref: str, form: FormData) -> Response:
    changes = {
        name: form_text(form, name, 100_000) for name in services.EDITABLE_FIELDS if name in form
    }
    try:
        services.update_case(
            ctx.app,
            ctx.principal.username,
            ctx.now,
            ref,
            changes,
            expected_version=_version(form),
        )
    except StorningError as error:  # the form comes back open, with what was typed
        return _failed(request, ctx, ref, error, values={**changes, "case_update": True})
    return _done(request, ref, "Uppgifterna är sparade.", "arende")


@router.post("/arenden/{ref}/hushall")
async def update_household(request: Request, ref: str) -> Response:
    """Issue 14: the number of children in the household and where the complaint came from."""
    ctx, form = await _posted(request)
    return await run_in_threadpool(_update_household, request, ctx, ref, form)


def _update_household(request: Request, ctx: Ctx, ref: str, form: FormData) -> Response:
    children, source = form_text(form, "children", 10), form_text(form, "source", 20)
    try:
        case_outcome.update_household(
            ctx.app,
            ctx.principal.username,
            ctx.now,
            ref,
            children=children or None,
            source=source or None,
            clear_children=not children,
            expected_version=_version(form),
        )
    except StorningError as error:
        return _failed(request, ctx, ref, error, values={"children": children, "source": source})
    return _done(request, ref, "Uppgifterna om hushållet är sparade.", "arende")


# --- incidents ------------------------------------------------------------------------------------


@router.post("/arenden/{ref}/storningar")
async def add_incident(request: Request, ref: str) -> Response:
    ctx, form = await _posted(request)
    return await run_in_threadpool(_add_incident, request, ctx, ref, form)


def _add_incident(request: Request, ctx: Ctx, ref: str, form: FormData) -> Response:
    parsed = Parsed()
    incident = parse_incident(form, "", ctx.app.zone, ctx.now, parsed, required=True)
    try:
        if incident is None:  # (the page shown again is refused to whoever may not read the case)
            error = InvalidInput("Störningen är inte sparad. Rätta de markerade fälten.")
            return _failed(request, ctx, ref, error, values=parsed.values, errors=parsed.errors)
        services.add_incident(
            ctx.app, ctx.principal.username, ctx.now, ref, at=incident.at,
            kind=incident.kind, text=incident.text, verified_by=incident.verified_by,
            reporter=incident.reporter, place=incident.place, ends_at=incident.ends_at,
            expected_version=_version(form), document=False,
        )  # fmt: skip
    except StorningError as error:
        return _failed(request, ctx, ref, error, values=parsed.values)
    kind = labels.INCIDENT_KINDS[incident.kind].lower()
    return _done(request, ref, f"Störningen ({kind}) är registrerad.", "storningar")


@router.post("/arenden/{ref}/storningar/ratta")
async def correct_incident(request: Request, ref: str) -> Response:
    ctx, form = await _posted(request)
    return await run_in_threadpool(_correct_incident, request, ctx, ref, form)


def _correct_incident(request: Request, ctx: Ctx, ref: str, form: FormData) -> Response:
    changes = {
        name: form_text(form, f"fix_{name}")
        for name in ("at", "ends_at", "text")
        if form_text(form, f"fix_{name}")
    }
    if "at" in changes and form.get("fix_time_unknown") == "on":
        changes["at"] = changes["at"][:10]  # only the day is known: "tid okänd"
    incident = form_text(form, "incident_id", 12)
    try:
        services.correct_incident(
            ctx.app,
            ctx.principal.username,
            ctx.now,
            ref,
            int(incident) if incident.isdigit() else 0,
            reason=form_text(form, "fix_reason"),
            changes=changes,
            expected_version=_version(form),
        )
    except StorningError as error:
        return _failed(request, ctx, ref, error)
    return _done(request, ref, "Störningen är rättad; rättelsen är journalförd.", "storningar")


# --- letters --------------------------------------------------------------------------------------


def _title(ctx: Ctx, letter: dict[str, Any]) -> str:
    """The letter's title as the officer knows it."""
    return labels.letter_titles(ctx.app.settings.letters_dir).get(letter["template"], "Brevet")


@router.post("/arenden/{ref}/brev/{letter_id}/skickat")
async def letter_sent(request: Request, ref: str, letter_id: Id) -> Response:
    ctx, form = await _posted(request)
    return await run_in_threadpool(_letter_sent, request, ctx, ref, form, letter_id)


def _letter_sent(request: Request, ctx: Ctx, ref: str, form: FormData, letter_id: int) -> Response:
    try:
        result = services.mark_letter_sent(
            ctx.app,
            ctx.principal.username,
            ctx.now,
            letter_id,
            method=form_text(form, "method"),
            at=form_text(form, "date") or None,
            delivered_on=form_text(form, "delivered_on") or None,
            expected_version=_version(form),
            ref=ref,
        )
    except StorningError as error:
        return _failed(request, ctx, ref, error)
    return _done(request, ref, f"{_title(ctx, result)} är markerat som skickat.", "brev")


@router.post("/arenden/{ref}/brev/{letter_id}/skickat-alla")
async def step_letters_sent(request: Request, ref: str, letter_id: Id) -> Response:
    ctx, form = await _posted(request)
    return await run_in_threadpool(_step_letters_sent, request, ctx, ref, form, letter_id)


def _step_letters_sent(
    request: Request, ctx: Ctx, ref: str, form: FormData, letter_id: int
) -> Response:
    """Every unsent letter of the step that drafted `letter_id`, sent on one day with one method."""
    try:
        result = services.mark_step_letters_sent(
            ctx.app,
            ctx.principal.username,
            ctx.now,
            letter_id,
            method=form_text(form, "method"),
            at=form_text(form, "date") or None,
            expected_version=_version(form),
            ref=ref,
        )
    except StorningError as error:
        return _failed(request, ctx, ref, error)
    titles = list(dict.fromkeys(_title(ctx, letter) for letter in result))
    message = f"{len(result)} brev är markerade som skickade: {'; '.join(titles)}."
    return _done(request, ref, message, "brev")


@router.post("/arenden/{ref}/brev/{letter_id}/delgivet")
async def letter_served(request: Request, ref: str, letter_id: Id) -> Response:
    ctx, form = await _posted(request)
    return await run_in_threadpool(_letter_served, request, ctx, ref, form, letter_id)


def _letter_served(
    request: Request, ctx: Ctx, ref: str, form: FormData, letter_id: int
) -> Response:
    try:
        result = services.mark_letter_served(
            ctx.app,
            ctx.principal.username,
            ctx.now,
            letter_id,
            at=form_text(form, "date") or local_day(ctx.now, ctx.app.zone).isoformat(),
            proof=form_text(form, "proof", 100_000) or None,
            expected_version=_version(form),
            ref=ref,
        )
    except StorningError as error:
        return _failed(request, ctx, ref, error)
    return _done(request, ref, f"{_title(ctx, result)} är registrerat som delgivet.", "brev")


@router.post("/arenden/{ref}/brev/{letter_id}/nytt-utkast")
async def letter_reissue(request: Request, ref: str, letter_id: Id) -> Response:
    ctx, form = await _posted(request)
    return await run_in_threadpool(_letter_reissue, request, ctx, ref, form, letter_id)


def _letter_reissue(
    request: Request, ctx: Ctx, ref: str, form: FormData, letter_id: int
) -> Response:
    try:
        result = services.reissue_letter(
            ctx.app,
            ctx.principal.username,
            ctx.now,
            letter_id,
            expected_version=_version(form),
            ref=ref,
        )
    except StorningError as error:
        return _failed(request, ctx, ref, error)
    message = f"{_title(ctx, result)}: ett nytt utkast daterat i dag (brev {result['id']})."
    return _done(request, ref, message, "brev")


@router.get("/arenden/{ref}/brev/{letter_id}.pdf")
def letter_pdf(request: Request, ref: str, letter_id: Id) -> Response:
    ctx = page_ctx(request)
    return pdf_response(ctx, letter_id, ref=ref)


def pdf_response(ctx: Ctx, letter_id: int, *, ref: str | None = None) -> Response:
    """The letter's PDF as a download (the service decides who may have it and logs the read)."""
    pdf = services.letter_pdf(ctx.app, ctx.principal.username, ctx.now, letter_id, ref=ref)
    headers = {
        "Content-Disposition": f'attachment; filename="{pdf.filename}"',
        "X-Sha256": pdf.sha256,
    }
    return Response(pdf.data, media_type="application/pdf", headers=headers)


# --- letters on the officer's own initiative, and the report ----------------------------------------


@router.post("/arenden/{ref}/brev")
async def letter_new(request: Request, ref: str) -> Response:
    ctx, form = await _posted(request)
    return await run_in_threadpool(_letter_new, request, ctx, ref, form)


def _letter_new(request: Request, ctx: Ctx, ref: str, form: FormData) -> Response:
    """A meeting invitation, a diary form, a contact letter, or one holder's own uppmaning or
    termination (e.g. for a co-tenant added later): the service decides what may be made."""
    values = {
        name: form_text(form, name, 2000)
        for name in ("template", "holder", "complainant_id", "meeting_at", "place", "purpose")
    }
    meeting: dict[str, Any] | None = None
    if values["meeting_at"] or values["place"]:
        if not (values["meeting_at"] and values["place"]):
            error = InvalidInput("En kallelse behöver både tid och plats.")
            return _failed(request, ctx, ref, error, values={**values, "letter_new": True})
        meeting = {
            "at": values["meeting_at"],
            "place": values["place"],
            "purpose": values["purpose"] or DEFAULT_MEETING_PURPOSE,
            "participants": [
                line.strip()
                for line in form_text(form, "participants", 2000).splitlines()
                if line.strip()
            ],
        }
    complainant = values["complainant_id"]
    try:
        if meeting is not None:  # the typed time as the landlord's local time
            typed = str(meeting["at"])
            meeting["at"] = fact_instant(typed, ctx.app.zone, ctx.now, "observation").isoformat()
        result = services.create_letter(
            ctx.app,
            ctx.principal.username,
            ctx.now,
            ref,
            values["template"],
            meeting=meeting,
            complainant_id=int(complainant) if complainant.isdigit() else None,
            holder=values["holder"] or None,
            expected_version=_version(form),
        )
    except StorningError as error:
        return _failed(request, ctx, ref, error, values={**values, "letter_new": True})
    return _done(
        request, ref, f"{_title(ctx, result)}: ett nytt utkast (brev {result['id']}).", "brev"
    )


# Letters an officer makes by hand, per case type: the rest come from the workflow's events.
BY_HAND = {
    "storning": ("kallelse", "kontaktbrev", "storningsdagbok", "bekraftelse", "uppmaning",
                 "uppsagning", "uppsagning_hyrestid"),
    "hyresskuld": ("kallelse", "paminnelse", "uppsagning_hyresskuld"),
}  # fmt: skip


def _new_letters(letters_dir: Any, case_type: str) -> list[dict[str, Any]]:
    from storning.letters.catalog import load_catalog

    catalog = load_catalog(letters_dir)
    return [
        {
            "template": name,
            "title": catalog[name].title,
            "each_holder": catalog[name].each_holder,
            "complainant": catalog[name].audience == "complainant",
        }
        for name in BY_HAND.get(case_type, ())
        if name in catalog
    ]


DEFAULT_MEETING_PURPOSE = "att prata om situationen i boendet och vilket stöd du kan behöva"


@router.get("/arenden/{ref}/rapport.pdf")
def report_pdf(request: Request, ref: str) -> Response:
    """The compiled disturbance report, reporters pseudonymised (a read: logged by the service)."""
    ctx = page_ctx(request)
    data = services.compile_report(ctx.app, ctx.principal.username, ctx.now, ref)
    return _report_response(ref, data)


@router.post("/arenden/{ref}/rapport")
async def report_disclosed(request: Request, ref: str) -> Response:
    """The report naming the reporters: a chef's decision, journaled by the service."""
    ctx, _form = await _posted(request)
    data = await run_in_threadpool(
        lambda: services.compile_report(
            ctx.app, ctx.principal.username, ctx.now, ref, disclose=True
        )
    )
    return _report_response(ref, data, disclosed=True)


def _report_response(ref: str, data: bytes, *, disclosed: bool = False) -> Response:
    name = f"{ref.strip().upper()}-rapport{'-med-namn' if disclosed else ''}.pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- reassignment ---------------------------------------------------------------------------------


@router.post("/arenden/{ref}/handlaggare")
async def reassign(request: Request, ref: str) -> Response:
    ctx, form = await _posted(request)
    return await run_in_threadpool(_reassign, request, ctx, ref, form)


def _reassign(request: Request, ctx: Ctx, ref: str, form: FormData) -> Response:
    try:
        document = services.reassign_case(
            ctx.app,
            ctx.principal.username,
            ctx.now,
            ref,
            form_text(form, "owner", 80),
            expected_version=_version(form),
        )
    except StorningError as error:
        return _failed(request, ctx, ref, error)
    return _done(request, ref, f"Ärendet har nu {document['owner']} som handläggare.", "arende")
