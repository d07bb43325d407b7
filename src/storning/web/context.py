"""What a request handler needs: the App, the time of the request (read once), who is asking, and the
checks that end a request early (not logged in, CSRF, not allowed).

Pages raise `LoginRequired` (→ redirect to the login page) and `StorningError`s (→ a Swedish error page);
the API turns the same errors into `{"error": {"code", "message"}}`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from starlette.datastructures import FormData
from starlette.requests import Request

from storning import security
from storning.access import Principal
from storning.app import App
from storning.errors import PermissionDenied, StorningError
from storning.services import accounts, sessions
from storning.web.protection import SessionState, csrf_ok

T = TypeVar("T")


class LoginRequired(Exception):
    """No valid session: the page asks the visitor to log in."""


class Unauthenticated(StorningError):
    """An API call without a valid token or session."""

    code = "unauthenticated"


class CsrfFailed(PermissionDenied):
    """A form POST without the session's CSRF token."""

    code = "csrf"


@dataclass
class Ctx:
    """One request: the App, `now` (read once), the principal."""

    app: App
    now: datetime
    principal: Principal


def app_of(request: Request) -> App:
    app: App = request.app.state.storning
    return app


def request_now(request: Request) -> datetime:
    """The request's time, read once and kept on the request."""
    if not hasattr(request.state, "now"):
        request.state.now = request.app.state.clock()
    now: datetime = request.state.now
    return now


def session_now(request: Request) -> datetime:
    """The time sessions are measured by (real time, even when STORNING_NOW fixes `request_now`),
    read once and kept on the request."""
    if not hasattr(request.state, "session_now"):
        request.state.session_now = request.app.state.session_clock()
    now: datetime = request.state.session_now
    return now


def session_state(request: Request) -> SessionState:
    state = request.scope.get("session")
    if not isinstance(state, SessionState):
        raise RuntimeError("the ServerSessions middleware is not installed")
    return state


def session_principal(request: Request) -> Principal | None:
    """Who the session cookie belongs to, when the session is still valid (decided by
    `services.sessions` on every request); an invalid one is dropped from the browser."""
    known = getattr(request.state, "session_principal", _UNKNOWN)
    if known is not _UNKNOWN:
        return cast(Principal | None, known)
    state = session_state(request)
    principal: Principal | None = None
    token = state.server_token
    if token is not None:
        found = sessions.current(app_of(request), token, session_now(request))
        if found is None:
            state.end()
        else:
            principal = found.principal
            state.load_flash(found.flash)
    request.state.session_principal = principal
    return principal


_UNKNOWN = object()


def page_ctx(request: Request) -> Ctx:
    """For pages: the logged-in officer, else `LoginRequired`."""
    principal = session_principal(request)
    if principal is None:
        raise LoginRequired()
    request.state.principal = principal
    return Ctx(app_of(request), request_now(request), principal)


def api_ctx(request: Request) -> Ctx:
    """For the API: a bearer token (`Authorization: Bearer stn_…`), or the session cookie, in which case
    a request that changes something must carry the session's CSRF token in `X-CSRF-Token` (and the
    session must be valid: a revoked session's token is worth nothing). Too many unknown tokens from
    one address: `Throttled` (HTTP 429 with Retry-After), before the token is looked up."""
    app = app_of(request)
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    principal: Principal | None = None
    if scheme.lower() == "bearer" and token.strip():
        principal = accounts.principal_by_token(
            app, token.strip(), request_now(request), client_address(request)
        )
    elif not header:
        principal = session_principal(request)
        unsafe = request.method not in ("GET", "HEAD", "OPTIONS")
        given = request.headers.get("x-csrf-token")
        if principal is not None and unsafe and not csrf_ok(request.session, given):
            raise CsrfFailed("CSRF-token saknas eller är fel (huvudet X-CSRF-Token).")
    if principal is None:
        raise Unauthenticated("Logga in eller ange en giltig API-token (Authorization: Bearer …).")
    return Ctx(app, request_now(request), principal)


async def checked_form(request: Request) -> FormData:
    """The posted form, after checking its CSRF token against the session's."""
    form = await request.form()
    if not csrf_ok(request.session, form.get("csrf_token")):
        raise CsrfFailed(
            "Formuläret saknar giltig säkerhetskod (CSRF). Ladda om sidan och försök igen."
        )
    return form


class Reference:
    """Rarely changing lists the pages show (teams, people, case types, states), kept per process for
    `ttl` seconds so the busiest pages do not ask the database for them each time."""

    def __init__(self, ttl: float = 30.0) -> None:
        self.ttl = ttl
        self._values: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, load: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            cached = self._values.get(key)
        if cached is not None and now - cached[0] < self.ttl:
            value: T = cached[1]
            return value
        fresh = load()
        with self._lock:
            self._values[key] = (now, fresh)
        return fresh


def reference(request: Request, key: str, load: Callable[[], T]) -> T:
    cache: Reference = request.app.state.reference
    return cache.get(key, load)


def client_address(request: Request) -> str:
    """The client's address: the direct peer, or, when that is a trusted proxy
    (STORNING_TRUSTED_PROXIES), the nearest untrusted hop of `X-Forwarded-For`."""
    peer = request.client.host if request.client else None
    forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
    return security.client_address(peer, forwarded, app_of(request).settings.trusted_proxies)


def client_of(request: Request) -> sessions.Client:
    agent = request.headers.get("user-agent", "")
    return sessions.Client(client_address(request), agent[:200])


def form_text(form: FormData, name: str, limit: int = 100_000) -> str:
    """A field's text, trimmed, at most `limit` characters (a bound on memory, far above every field's
    own limit: the services refuse a text that is too long, or holds NUL or control characters)."""
    value: Any = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""
