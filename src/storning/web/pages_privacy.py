"""The privacy pages (Dataskydd): who read what (`/dataskydd/atkomst`, with a CSV export),
registerutdrag under GDPR art. 15 (`/dataskydd/registerutdrag`) and the redacted release of a case
file (`/dataskydd/utlamnande/{ref}`).

The handlers only translate: who may, what an extract holds, what is proposed and must be masked, and
the access log are decided in `services.privacy`. A person's name is posted in a form, never put in
a URL (URLs end up in server logs and browser history).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from storning.services import privacy
from storning.web.context import checked_form, form_text, page_ctx
from storning.web.rendering import ENV, render

router = APIRouter()
HOME = "/dataskydd"
_LOG_PARAMS = {
    "arende": "ref",
    "anvandare": "user",
    "fran": "start",
    "till": "end",
    "atgard": "action",
}


@router.get(HOME)
def home(request: Request) -> Response:
    ctx = page_ctx(request)
    privacy.require_privacy(ctx.app, ctx.principal.username)
    return render(request, "privacy_home.html", {"nav": "privacy"})


@router.post(f"{HOME}/utlamnande")
async def release_choose(request: Request) -> Response:
    """The home page's "release a case" form: on to the case's release page."""
    await run_in_threadpool(page_ctx, request)
    form = await checked_form(request)
    ref = "".join(ch for ch in form_text(form, "ref", 40).upper() if ch.isalnum() or ch == "-")
    return RedirectResponse(f"{HOME}/utlamnande/{ref or '-'}", status_code=303)


# --- who read what ----------------------------------------------------------------------------------


def _log_query(request: Request) -> tuple[privacy.LogQuery, dict[str, str]]:
    typed = {k: request.query_params.get(k, "").strip()[:100] for k in _LOG_PARAMS}
    query = privacy.LogQuery(
        ref=typed["arende"] or None,
        user=typed["anvandare"] or None,
        start=typed["fran"] or None,
        end=typed["till"] or None,
        action=typed["atgard"] or None,
    )
    return query, typed


@router.get(f"{HOME}/atkomst")
def access_log(request: Request) -> Response:
    ctx = page_ctx(request)
    query, typed = _log_query(request)
    result = privacy.read_access_log(ctx.app, ctx.principal.username, ctx.now, query)
    context = {"nav": "privacy", "log": result, "typed": typed, "query": _query_string(typed)}
    return render(request, "privacy_accesslog.html", context)


@router.get(f"{HOME}/atkomst.csv")
def access_log_csv(request: Request) -> Response:
    ctx = page_ctx(request)
    query, _typed = _log_query(request)
    text = privacy.access_log_csv(ctx.app, ctx.principal.username, ctx.now, query)
    name = f"atkomstlogg-{ctx.now.date().isoformat()}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    # a byte-order mark so that spreadsheet programs read the Swedish letters as UTF-8
    return Response("\ufeff" + text, media_type="text/csv; charset=utf-8", headers=headers)


def _query_string(typed: dict[str, str]) -> str:
    return urlencode({k: v for k, v in typed.items() if v})


# --- registerutdrag ---------------------------------------------------------------------------------


@router.get(f"{HOME}/registerutdrag")
def extract_form(request: Request) -> Response:
    ctx = page_ctx(request)
    privacy.require_privacy(ctx.app, ctx.principal.username, "ta fram registerutdrag")
    return render(request, "privacy_extract.html", {"nav": "privacy", "who": "", "extract": None})


@router.post(f"{HOME}/registerutdrag")
async def extract_result(request: Request) -> Response:
    ctx = await run_in_threadpool(page_ctx, request)
    form = await checked_form(request)
    who = form_text(form, "who", 300)
    if form.get("format") == "pdf":
        pdf = await run_in_threadpool(
            privacy.register_extract_pdf, ctx.app, ctx.principal.username, ctx.now, who
        )
        headers = {"Content-Disposition": 'attachment; filename="registerutdrag.pdf"'}
        return Response(pdf, media_type="application/pdf", headers=headers)
    found = await run_in_threadpool(
        privacy.register_extract, ctx.app, ctx.principal.username, ctx.now, who
    )
    context = {"nav": "privacy", "who": who, "extract": found}
    return await run_in_threadpool(render, request, "privacy_extract.html", context)


# --- redacted release -------------------------------------------------------------------------------


@router.get(HOME + "/utlamnande/{ref}")
def release_form(request: Request, ref: str) -> Response:
    ctx = page_ctx(request)
    offered = privacy.release_proposal(ctx.app, ctx.principal.username, ctx.now, ref)
    chosen = {f["field"]: f["reason"] for f in offered["fields"] if f["proposed"]}
    context = {"nav": "privacy", "p": offered, "chosen": chosen, "request_ref": ""}
    return render(request, "privacy_release.html", context)


@router.post(HOME + "/utlamnande/{ref}")
async def release_post(request: Request, ref: str) -> Response:
    ctx = await run_in_threadpool(page_ctx, request)
    form = await checked_form(request)
    masks = _masks(form)
    request_ref = form_text(form, "request_ref", 200)
    result = await run_in_threadpool(
        privacy.release_case, ctx.app, ctx.principal.username, ctx.now, ref, request_ref, masks
    )
    name = f"utlamnande-{result.ref}-{result.id}.pdf"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "X-Sha256": result.sha256}
    return Response(result.pdf, media_type="application/pdf", headers=headers)


def _masks(form: FormData) -> dict[str, str]:
    """Checked fields (`mask` = field id), each with its chosen reason (`reason:<field id>`)."""
    masks: dict[str, str] = {}
    for value in form.getlist("mask")[:1000]:
        if isinstance(value, str) and value.strip():
            field = value.strip()[:100]
            masks[field] = form_text(form, f"reason:{field}", 40) or "osl_21_7"
    return masks


# The menu in base.html and the case page ask these (they skip them when not registered).
ENV.globals["shows_privacy"] = privacy.shows_privacy
ENV.globals["shows_case_privacy"] = privacy.shows_case_privacy
