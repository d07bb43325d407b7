"""Errors become a Swedish sentence on a page or `{"error": {"code", "message"}}` from the API, with a
fitting 4xx status; never a traceback. Anything that is not a `StorningError` is a bug: logged, and
answered with a plain 500 page that says nothing about the inside.

A database that is down, slow or busy is not a bug: the answer is 503 with `Retry-After` (the services
raise an error with the code `unavailable`; a driver error that gets past them is answered the same
way). `DatabaseGate` keeps the server responsive meanwhile: requests that use the database take one of
a bounded number of slots, fewer than the threads that serve requests, so the login page and static
files always find a free thread, and a request that finds no slot within the pool timeout gets 503.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import anyio
import anyio.lowlevel
import anyio.to_thread
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

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
    "idempotency_key_reused": 422,
    "idempotency_key_in_use": 409,
    "unavailable": 503,
}
UNAVAILABLE_TITLE = "Tjänsten är inte tillgänglig just nu"
# A driver error that got past the services (they raise `unavailable` errors with their own sentence).
DATABASE_ERRORS = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)
DATABASE_DOWN = "Databasen går inte att nå just nu; försök igen om en stund."
BUSY = "Servern har för många samtidiga förfrågningar just nu; försök igen om en stund."
RETRY_AFTER = 5  # seconds, when the error does not say

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


def unavailable(request: Request, message: str, retry_after: int) -> Response:
    """503 with Retry-After: the Swedish page, or the API's JSON error."""
    response: Response
    if is_api(request):
        response = error_json(503, "unavailable", message)
    else:
        again = request.url.path if request.method == "GET" else "/"
        context = {"title": UNAVAILABLE_TITLE, "message": message, "again": again}
        response = render(request, "unavailable.html", context, status=503)
    response.headers["Retry-After"] = str(max(1, retry_after))
    return response


def install(app: FastAPI) -> None:
    """Register the handlers and the database gate on the FastAPI app."""
    settings = app.state.storning.settings
    app.add_middleware(DatabaseGate, wait=float(settings.db_pool_timeout))

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _error: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(StorningError)
    async def _storning(request: Request, error: StorningError) -> Response:
        status = status_of(error)
        if status == 503:
            return unavailable(request, str(error), getattr(error, "retry_after", RETRY_AFTER))
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

    async def _database(request: Request, error: Exception) -> Response:
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, error)
        return unavailable(request, DATABASE_DOWN, RETRY_AFTER)

    for kind in DATABASE_ERRORS:
        app.add_exception_handler(kind, _database)

    @app.exception_handler(Exception)
    async def _bug(request: Request, error: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        message = (
            "Ett oväntat fel inträffade. Försök igen; kvarstår felet, kontakta administratören."
        )
        if is_api(request):
            return error_json(500, "internal", message)
        return Response(message, status_code=500, media_type="text/plain; charset=utf-8")


# Paths that never touch the database: they pass the gate, so they answer while it is full.
def _needs_database(scope: Scope) -> bool:
    path = str(scope.get("path", ""))
    if path.startswith("/static/") or path == "/openapi.json":
        return False
    return not (path == "/login" and scope.get("method") in ("GET", "HEAD"))


# Threads kept free of database work for the login page and static files.
RESERVED_THREADS = 2


class DatabaseGate:
    """ASGI middleware: a request that uses the database waits (on the event loop, not in a thread)
    for one of `threads - RESERVED_THREADS` slots, at most `wait` seconds, else gets 503. A hung
    database can then hold at most that many threads, never the last ones."""

    def __init__(self, app: ASGIApp, wait: float) -> None:
        self.app = app
        self.wait = wait
        # one semaphore per event loop (a test client runs its own loop)
        self._slots: anyio.lowlevel.RunVar[anyio.Semaphore] = anyio.lowlevel.RunVar(
            f"storning_database_slots_{id(self)}"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _needs_database(scope):
            await self.app(scope, receive, send)
            return
        slots = self._slots_of_this_loop()
        acquired = False
        with anyio.move_on_after(self.wait):
            await slots.acquire()
            acquired = True
        if not acquired:
            response = unavailable(Request(scope, receive), BUSY, max(1, round(self.wait)))
            await response(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            slots.release()

    def _slots_of_this_loop(self) -> anyio.Semaphore:
        """The semaphore of the running event loop, sized from its thread limiter (which the
        application's lifespan sets to STORNING_WEB_THREADS)."""
        try:
            return self._slots.get()
        except LookupError:
            threads = int(anyio.to_thread.current_default_thread_limiter().total_tokens)
            semaphore = anyio.Semaphore(max(1, threads - RESERVED_THREADS))
            self._slots.set(semaphore)
            return semaphore


# Pydantic's error types in Swedish (what is wrong and what to do); anything else keeps its own text.
_PYDANTIC_SWEDISH = {
    "missing": "saknas; ange ett värde",
    "string_too_long": "är för långt (högst {max_length} tecken)",  # "fältet" is neuter
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
        context = dict(error.get("ctx") or {})
        if "expected" in context:  # pydantic writes "'json' or 'pdf'"
            context["expected"] = str(context["expected"]).replace(" or ", " eller ")
        try:
            what = template.format(**context)
        except (KeyError, IndexError):
            what = template
    elif kind == "value_error":
        what = str(error.get("msg", "ogiltigt värde")).removeprefix("Value error, ")
    else:
        what = "har ett ogiltigt värde"
    field = f"Fältet {where}" if where else "Förfrågan"
    return f"{field} {what}."
