"""Pages of issue 16: the complainant's own diary form (`/dagbok/{token}`, no account), the officer's
diary-link buttons on the case's complainant section, and evidence files on the case page (upload as
a multipart form, download as an attachment).

The handlers translate; the link's validity, the rate limits, who may issue, revoke, upload or
download, and the access log are the services' (`services.diary`, `services.evidence`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from storning.errors import InvalidInput, StorningError
from storning.intake import evidence as evidence_rules
from storning.services import diary, evidence
from storning.services.throttling import Throttled
from storning.web.context import (
    Ctx,
    app_of,
    checked_form,
    client_address,
    form_text,
    page_ctx,
    request_now,
)
from storning.web.errors import error_page
from storning.web.idempotency import FormOnce
from storning.web.labels import INCIDENT_KINDS
from storning.web.pages_case import Id, _done, _failed, _posted, _version
from storning.web.rendering import ENV, render

router = APIRouter()
# The officer's buttons carry a one-time form token (a double click issues one link).
officer = APIRouter(route_class=FormOnce)
ANCHOR = "anmalare"
UPLOAD_OVERHEAD = 64 * 1024  # the multipart envelope and the other fields of the upload form

KINDS_EN = {
    "noise": "Noise",
    "harassment": "Harassment",
    "threat": "Threats",
    "violence": "Violence",
    "crime": "Crime",
    "drugs": "Drugs",
    "arson": "Arson",
    "smell": "Smell",
    "neglect": "Neglect of the flat",
    "clutter": "Litter",
    "vermin": "Vermin",
    "common_areas": "Common areas",
    "other": "Other",
}
TEXTS: dict[str, dict[str, str]] = {
    "sv": {
        "title": "Störningsdagbok",
        "other": "In English",
        "intro": "Skriv ner varje störning här, så snart du kan. Ärende {ref}. Länken är personlig "
        "och gäller till och med {expires}; dela den inte.",
        "thanks": "Tack! Din anteckning är skickad till handläggaren.",
        "day": "Datum",
        "starts": "Från klockan",
        "ends": "Till klockan",
        "next_day": "nästa dag",
        "kind": "Vad slags störning",
        "text": "Vad hände? Vad hörde eller såg du?",
        "place": "Var hördes eller syntes det (t.ex. lägenheten ovanför, trapphuset)",
        "disturbed": "Vem stördes",
        "witnesses": "Vittnen (om någon annan hörde eller såg)",
        "police_ref": "Polisens diarienummer (om du ringde polisen)",
        "send": "Skicka",
        "privacy": "Det du skriver läses av hyresvärdens handläggare. Ditt namn visas inte för den "
        "som störningen gäller.",
        "earlier": "Dina tidigare anteckningar",
        "none": "Du har inte skrivit något ännu.",
    },
    "en": {
        "title": "Disturbance diary",
        "other": "På svenska",
        "intro": "Write down each disturbance here as soon as you can. Case {ref}. This link is "
        "personal and valid until {expires}; please do not share it.",
        "thanks": "Thank you! Your note has been sent to the housing officer.",
        "day": "Date",
        "starts": "From",
        "ends": "Until",
        "next_day": "the next day",
        "kind": "Kind of disturbance",
        "text": "What happened? What did you hear or see?",
        "place": "Where was it heard or seen (e.g. the flat above, the stairwell)",
        "disturbed": "Who was disturbed",
        "witnesses": "Witnesses (if anyone else heard or saw it)",
        "police_ref": "Police reference number (if you called the police)",
        "send": "Send",
        "privacy": "What you write is read by the landlord's housing officer. Your name is not "
        "shown to the person the disturbance is about.",
        "earlier": "Your earlier notes",
        "none": "You have not written anything yet.",
    },
}
FIELDS = ("day", "starts", "ends", "kind", "text", "place", "disturbed", "witnesses", "police_ref")


def _lang(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else "sv"


# --- the complainant's form -----------------------------------------------------------------------


@router.get("/dagbok/{token}")
def diary_page(request: Request, token: str) -> Response:
    lang = _lang(request)
    app = app_of(request)
    try:
        view = diary.open_diary(app, token, request_now(request), client_address(request))
    except diary.LinkUnusable as error:
        return _unusable(request, error, lang)
    sent = request.query_params.get("sent") == "1"
    return _form(request, token, lang, view, values={"kind": "noise"}, sent=sent)


@router.post("/dagbok/{token}")
async def diary_post(request: Request, token: str) -> Response:
    form = await checked_form(request)
    return await run_in_threadpool(_submit, request, token, form)


def _submit(request: Request, token: str, form: FormData) -> Response:
    lang = _lang(request)
    app = app_of(request)
    typed = {name: form_text(form, name) for name in FIELDS}
    entry = diary.DiaryForm(**typed)
    now, address = request_now(request), client_address(request)
    try:
        diary.submit_entry(app, token, now, address, entry)
    except diary.LinkUnusable as error:
        return _unusable(request, error, lang)
    except (InvalidInput, Throttled) as error:
        try:
            view = diary.open_diary(app, token, now, address)
        except diary.LinkUnusable as gone:
            return _unusable(request, gone, lang)
        status = 429 if isinstance(error, Throttled) else 400
        message = getattr(error, "english", None) if lang == "en" else None
        return _form(
            request, token, lang, view, values=typed, error=message or str(error), status=status
        )
    return RedirectResponse(f"/dagbok/{token}?lang={lang}&sent=1", status_code=303)


def _form(
    request: Request,
    token: str,
    lang: str,
    view: dict[str, Any],
    *,
    values: dict[str, str],
    sent: bool = False,
    error: str | None = None,
    status: int = 200,
) -> Response:
    context = {
        "lang": lang,
        "other_lang": "sv" if lang == "en" else "en",
        "t": TEXTS[lang],
        "token": token,
        "view": view,
        "values": {name: values.get(name, "") for name in FIELDS},
        "kinds": KINDS_EN if lang == "en" else INCIDENT_KINDS,
        "sent": sent,
        "error": error,
        "problem": None,
        "landlord": app_of(request).settings.landlord.name,
    }
    # the token is in the address: the site-wide Referrer-Policy (same-origin) keeps it on this site
    return render(request, "diary.html", context, status=status)


def _unusable(request: Request, error: diary.LinkUnusable, lang: str) -> Response:
    other = "sv" if lang == "en" else "en"
    context = {
        "lang": lang,
        "other_lang": other,
        "t": TEXTS[lang],
        "problem": error.problem,
        "message": diary.MESSAGES[error.problem][lang],
        "other_message": diary.MESSAGES[error.problem][other],
        "landlord": app_of(request).settings.landlord.name,
    }
    return render(request, "diary.html", context, status=error.status)


# --- the officer's buttons ------------------------------------------------------------------------


@officer.post("/arenden/{ref}/dagbok")
async def issue_link(request: Request, ref: str) -> Response:
    ctx, form = await _posted(request)
    return await run_in_threadpool(_issue, request, ctx, ref, form)


def _issue(request: Request, ctx: Ctx, ref: str, form: FormData) -> Response:
    complainant = form_text(form, "complainant")
    days_text = form_text(form, "days")
    delivery = form_text(form, "delivery") or "manual"
    try:
        if not complainant.isdigit():
            raise InvalidInput("Välj vilken anmälare som ska få länken.")
        if days_text and not days_text.isdigit():
            raise InvalidInput("Ange hur många dagar länken ska gälla som ett heltal.")
        made = diary.issue_link(
            ctx.app,
            ctx.principal.username,
            ctx.now,
            ref,
            int(complainant),
            days=int(days_text) if days_text else None,
            delivery=delivery,
            expected_version=_version(form),
        )
    except StorningError as error:
        return _failed(request, ctx, ref, error)
    how = {
        "email": "Den skickas till anmälarens e-post.",
        "letter": "Den skrivs ut som QR-kod på nästa bekräftelsebrev till anmälaren.",
    }.get(delivery, "Ge den till anmälaren.")
    return _done(request, ref, f"Dagbokslänk {made['id']} är skapad: {made['url']} {how}", ANCHOR)


@officer.post("/arenden/{ref}/dagbok/{link_id}/aterkalla")
async def revoke_link(request: Request, ref: str, link_id: Id) -> Response:
    ctx, form = await _posted(request)
    return await run_in_threadpool(_revoke, request, ctx, ref, link_id, _version(form))


def _revoke(request: Request, ctx: Ctx, ref: str, link_id: int, version: int) -> Response:
    try:
        diary.revoke_link(
            ctx.app, ctx.principal.username, ctx.now, link_id, expected_version=version, ref=ref
        )
    except StorningError as error:
        return _failed(request, ctx, ref, error)
    return _done(request, ref, f"Dagbokslänk {link_id} är återkallad.", ANCHOR)


# --- evidence files on the case page --------------------------------------------------------------


@router.post("/arenden/{ref}/bevis")
async def upload(request: Request, ref: str) -> Response:
    app = app_of(request)
    limit = evidence_rules.max_bytes(app.settings)
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        return error_page(
            request,
            411,
            "invalid_input",
            "Uppladdningen saknar längduppgift; ladda upp filen från formuläret på ärendesidan.",
        )
    if int(length) > limit + UPLOAD_OVERHEAD:
        return error_page(request, 413, "too_large", str(evidence_rules.too_large(app.settings)))
    ctx = await run_in_threadpool(page_ctx, request)
    try:  # the parsed form's spooled files are closed however the request ends
        form = await checked_form(request)
        file = form.get("file")
        if not isinstance(file, UploadFile) or not file.filename:
            return await run_in_threadpool(
                _failed, request, ctx, ref, InvalidInput("Välj en fil att ladda upp.")
            )
        incident = form_text(form, "incident")
        note = form_text(form, "note") or None
        if incident and not (incident.isdigit() and len(incident) <= 12):
            return await run_in_threadpool(
                _failed, request, ctx, ref, InvalidInput("Välj händelsen i listan.")
            )
        return await run_in_threadpool(
            _upload, request, ctx, ref, file, int(incident) if incident.isdigit() else None, note
        )
    finally:
        await request.close()


def _upload(
    request: Request, ctx: Ctx, ref: str, file: UploadFile, incident: int | None, note: str | None
) -> Response:
    def chunks() -> Iterator[bytes]:
        file.file.seek(0)
        while chunk := file.file.read(1024 * 1024):
            yield chunk

    try:
        made = evidence.add_evidence(
            ctx.app,
            ctx.principal.username,
            ctx.now,
            ref,
            file.filename or "",
            chunks(),
            declared_size=file.size,
            incident_id=incident,
            note=note,
        )
    except evidence_rules.TooLarge as error:
        return error_page(request, 413, error.code, str(error))
    except StorningError as error:
        return _failed(request, ctx, ref, error)
    return _done(request, ref, f"Bevisfil {made['id']} ({made['filename']}) är bifogad.", "bevis")


@router.get("/bevis/{evidence_id}")
def download(request: Request, evidence_id: Id) -> Response:
    ctx = page_ctx(request)
    meta, data = evidence.get_evidence(ctx.app, ctx.principal.username, ctx.now, evidence_id)
    return attachment(meta, data)


def attachment(meta: dict[str, Any], data: bytes) -> Response:
    """A file as a download, never rendered by the browser: attachment, no sniffing, a sandbox."""
    from urllib.parse import quote

    name = str(meta["filename"])
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return Response(
        data,
        media_type=str(meta["content_type"]),
        headers={
            "Content-Disposition": f'attachment; filename="{ascii_name}"; '
            f"filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "no-store",
        },
    )


# --- template globals --------------------------------------------------------------------------------


@pass_context
def evidence_limit_mb(context: Context) -> int:
    request: Any = context.get("request")
    return app_of(request).settings.evidence_max_mb if isinstance(request, Request) else 25


ENV.globals["evidence_limit_mb"] = evidence_limit_mb
ENV.globals["DIARY_DELIVERIES"] = {
    "manual": "Visa länken",
    "email": "Skicka med e-post",
    "letter": "QR-kod på bekräftelsebrevet",
}
