"""Errors become a Swedish sentence on a page or `{"error": {"code", "message"}}` from the API, with a
fitting 4xx status; never a traceback. Anything that is not a `StorningError` is a bug: logged, and
answered with a plain 500 page that says nothing about the inside.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from storning.errors import StorningError
from storning.web.context import LoginRequired
from storning.web.labels import ERROR_TITLES
from storning.web.rendering import render

log = logging.getLogger("storning.web")

STATUS: dict[str, int] = {
    "not_found": 404,
    "invalid_input": 400,
    "definition_error": 400,
    "blocked": 409,
    "stale": 409,
    "clock": 409,
    "event_not_available": 409,
    "forbidden": 403,
    "csrf": 403,
    "unauthenticated": 401,
    "rate_limited": 429,
}

HTTP_MESSAGES: dict[int, str] = {
    404: "Sidan finns inte.",
    405: "Metoden är inte tillåten för den här adressen.",
    413: "Förfrågan är för stor.",
}


def status_of(error: StorningError) -> int:
    return STATUS.get(error.code, 400)


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def error_json(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def error_page(request: Request, status: int, code: str, message: str) -> Response:
    title = ERROR_TITLES.get(code, "Något gick fel")
    context = {"title": title, "message": message, "code": code}
    return render(request, "error.html", context, status=status)


def install(app: FastAPI) -> None:
    """Register the handlers on the FastAPI app."""

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _error: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(StorningError)
    async def _storning(request: Request, error: StorningError) -> Response:
        status = status_of(error)
        if is_api(request):
            response: Response = error_json(status, error.code, str(error))
            if status == 401:
                response.headers["WWW-Authenticate"] = "Bearer"
            return response
        return error_page(request, status, error.code, str(error))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> Response:
        message = " ".join(_describe(e) for e in error.errors()[:5]) or "Ogiltig förfrågan."
        if is_api(request):
            return error_json(422, "invalid_input", message)
        return error_page(request, 400, "invalid_input", message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        message = HTTP_MESSAGES.get(error.status_code, str(error.detail))
        code = "not_found" if error.status_code == 404 else "http_error"
        if is_api(request):
            return error_json(error.status_code, code, message)
        return error_page(request, error.status_code, code, message)

    @app.exception_handler(Exception)
    async def _bug(request: Request, error: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        message = (
            "Ett oväntat fel inträffade. Försök igen; kvarstår felet, kontakta administratören."
        )
        if is_api(request):
            return error_json(500, "internal", message)
        return Response(message, status_code=500, media_type="text/plain; charset=utf-8")


# Pydantic's error types in Swedish (what is wrong and what to do); anything else keeps its own text.
_PYDANTIC_SWEDISH = {
    "missing": "saknas; ange ett värde",
    "string_too_long": "är för lång (högst {max_length} tecken)",
    "string_too_short": "är för kort (minst {min_length} tecken)",
    "int_parsing": "ska vara ett heltal",
    "int_type": "ska vara ett heltal",
    "greater_than_equal": "ska vara minst {ge}",
    "less_than_equal": "får vara högst {le}",
    "literal_error": "ska vara en av {expected}",
    "extra_forbidden": "är inte ett känt fält; ta bort det",
    "bool_parsing": "ska vara true eller false",
    "bool_type": "ska vara true eller false",
    "string_type": "ska vara text",
    "list_type": "ska vara en lista",
    "dict_type": "ska vara ett objekt",
    "json_invalid": "är inte giltig JSON",
    "model_attributes_type": "ska vara ett JSON-objekt",
    "date_from_datetime_parsing": "ska vara ett datum (ÅÅÅÅ-MM-DD)",
    "date_parsing": "ska vara ett datum (ÅÅÅÅ-MM-DD)",
    "float_parsing": "ska vara ett tal",
    "decimal_parsing": "ska vara ett tal",
}


def _describe(error: Any) -> str:
    """One Swedish phrase for a request that does not match the API's form: the field, then what is
    wrong with it."""
    where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "path", "query"))
    kind = error.get("type", "")
    template = _PYDANTIC_SWEDISH.get(kind)
    if template is not None:
        try:
            what = template.format(**(error.get("ctx") or {}))
        except (KeyError, IndexError):
            what = template
    elif kind == "value_error":
        what = str(error.get("msg", "ogiltigt värde")).removeprefix("Value error, ")
    else:
        what = "har ett ogiltigt värde"
    field = f"Fältet {where}" if where else "Förfrågan"
    return f"{field} {what}."
