"""Take effect once, at the door (issue 11 item 6; the rules are `storning.services.idempotency`).

- API: a POST or PATCH with an `Idempotency-Key` header is reserved for the caller (the sha256 of their
  bearer token or session cookie) and request (method, path, query, body); sent again, it gets the
  first response back with `Idempotent-Replayed: true`.
- Pages: every form carries a one-time `form_token` (the template global `form_token()`). A form
  submitted twice — a double click, a reload of the result — runs once; the second copy waits for the
  first and is sent where the first was (its redirect). A form that comes back with errors frees its
  token, so the corrected form can be sent.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from storning.services import idempotency

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
CHANGING = ("POST", "PATCH", "PUT", "DELETE")
FORM_FIELD = "form_token"


def new_form_token() -> str:
    return secrets.token_urlsafe(18)


def _owner(request: Request) -> str:
    """The caller, as the sha256 of their bearer token or session cookie (never stored in clear)."""
    cookie = next((v for k, v in request.cookies.items() if k.endswith("storning_session")), "")
    return idempotency.digest(request.headers.get("authorization") or cookie)


class ApiOnce(APIRoute):
    """An API route honouring `Idempotency-Key`."""

    def get_route_handler(self) -> Handler:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            key = request.headers.get("idempotency-key")
            if request.method not in CHANGING or key is None:
                return await original(request)
            key = idempotency.check_key(key)
            body = await request.body()
            fingerprint = idempotency.digest(
                request.method, request.url.path, request.url.query, body
            )
            app, owner, now = request.app.state.storning, _owner(request), request.app.state.clock()
            replay = await run_in_threadpool(
                idempotency.begin, app, owner, "api", key, fingerprint, now
            )
            if replay is not None:
                return Response(
                    replay.body,
                    status_code=replay.status,
                    media_type="application/json",
                    headers={"Idempotent-Replayed": "true"},
                )
            try:
                response = await original(request)
            except BaseException:
                await run_in_threadpool(idempotency.abandon, app, owner, "api", key)
                raise
            stored = _replayable(response)
            if response.status_code >= 500 or stored is None:
                await run_in_threadpool(idempotency.abandon, app, owner, "api", key)
            else:
                await run_in_threadpool(
                    idempotency.finish,
                    app,
                    owner,
                    "api",
                    key,
                    response.status_code,
                    stored,
                    now,
                )
            return response

        return handler


def _replayable(response: Response) -> str | None:
    """The body to hand back on a repeat: only a JSON answer (a file, such as a PDF, is made again)."""
    media = (response.headers.get("content-type") or "").split(";")[0].strip()
    if media != "application/json":
        return None
    try:
        return bytes(response.body).decode()
    except (AttributeError, UnicodeDecodeError):  # a streamed body, or not text
        return None


class FormOnce(APIRoute):
    """A page route whose forms carry a one-time `form_token`."""

    def get_route_handler(self) -> Handler:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            if request.method != "POST":
                return await original(request)
            form = await request.form()  # kept on the request: the route reads the same form
            token = form.get(FORM_FIELD)
            if not isinstance(token, str) or not token:
                return await original(request)
            key = idempotency.check_key(token)
            fingerprint = idempotency.digest(request.url.path)
            app, owner, now = request.app.state.storning, _owner(request), request.app.state.clock()
            replay = await run_in_threadpool(
                idempotency.wait, app, owner, "form", key, fingerprint, now
            )
            if replay is not None:  # the first copy's result: where it sent the browser
                return RedirectResponse(replay.body or "/", status_code=303)
            try:
                response = await original(request)
            except BaseException:
                await run_in_threadpool(idempotency.abandon, app, owner, "form", key)
                raise
            location = response.headers.get("location")
            if response.status_code in (302, 303) and location:
                await run_in_threadpool(
                    idempotency.finish, app, owner, "form", key, 303, location, now
                )
            else:  # shown again with errors, or refused: the corrected form may be sent
                await run_in_threadpool(idempotency.abandon, app, owner, "form", key)
            return response

        return handler
