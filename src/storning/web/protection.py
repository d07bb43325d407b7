"""Protections every response and every form gets: security headers, server-side sessions, CSRF tokens.

- Headers: a Content-Security-Policy that allows only this origin (no inline scripts or styles), no
  framing, no MIME sniffing, no referrer to other sites, and no caching of pages with personal data.
- Sessions (`ServerSessions`): the cookie carries one opaque random token, signed with the secret key,
  and nothing else. A logged-in browser's token names a row in `web_sessions` (looked up by
  `storning.web.context.session_principal` through `services.sessions`, which decides whether it is
  still valid); a visitor who has not logged in gets an anonymous token that is never stored. A login
  replaces the token, a logout drops it. The one-shot message (`flash`) of a logged-in browser is kept
  in its row.
- CSRF: the token of a form is an HMAC of the session token, so it changes with every login and is
  compared in constant time on every form POST. API calls with a bearer token are exempt (a browser
  never sends one on its own); an API call riding on the session cookie must send the token in the
  `X-CSRF-Token` header, and counts only while the session is valid.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterator, MutableMapping
from typing import Any, Literal

import anyio.to_thread
from itsdangerous import BadSignature, Signer
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storning.errors import StorningError
from storning.services import sessions

log = logging.getLogger("storning.web")

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeaders:
    """ASGI middleware adding `HEADERS` to every HTTP response, and `Cache-Control: no-store` to every
    response that is not a static file."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                if not static:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, add_headers)


# --- CSRF -----------------------------------------------------------------------------------------


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's token, made on first use."""
    token = session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_ok(session: MutableMapping[str, Any], given: object) -> bool:
    expected = session.get("csrf")
    if not isinstance(expected, str) or not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


# --- server-side sessions -------------------------------------------------------------------------

ANONYMOUS = "a."  # the prefix of a token that was never stored (no session token contains a dot)


class SessionState(MutableMapping[str, Any]):
    """`request.session`: the token from the cookie, and what the pages keep between requests.

    `csrf` is derived from the token (an anonymous token is made when a form needs one); `flash` is
    the one-shot message, stored with a logged-in session. Other keys last for this request only."""

    def __init__(self, token: str | None, csrf_key: bytes) -> None:
        self.token = token
        self._csrf_key = csrf_key
        self._values: dict[str, Any] = {}
        self.cookie: Literal["keep", "set", "clear"] = "keep"
        self.flash_changed = False

    @property
    def server_token(self) -> str | None:
        """The token of a (claimed) logged-in session, else None."""
        if self.token is None or self.token.startswith(ANONYMOUS):
            return None
        return self.token

    def csrf(self) -> str:
        if self.token is None:
            self.token = ANONYMOUS + secrets.token_urlsafe(32)
            self.cookie = "set"
        digest = hmac.new(self._csrf_key, self.token.encode(), hashlib.sha256).digest()
        return base64url(digest)

    def begin(self, token: str) -> None:
        """A new logged-in session (after a login): a new token, so a new CSRF token too."""
        flash = self._values.get("flash")
        self.token, self.cookie = token, "set"
        self._values.clear()
        if flash is not None:
            self["flash"] = flash

    def end(self) -> None:
        """No session any more (logged out, or it was no longer valid)."""
        self.token, self.cookie = None, "clear"
        self._values.clear()
        self.flash_changed = False

    def load_flash(self, message: str | None) -> None:
        """The stored one-shot message of the session, as looked up (not a change)."""
        if message is not None and not self.flash_changed:
            self._values["flash"] = message

    def __getitem__(self, key: str) -> Any:
        if key == "csrf":
            return self.csrf()
        return self._values[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if key == "csrf":
            return  # derived from the token, never set
        if key == "flash":
            self.flash_changed = True
        self._values[key] = value

    def __delitem__(self, key: str) -> None:
        if key == "flash" and key in self._values:
            self.flash_changed = True
        del self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class ServerSessions:
    """ASGI middleware: `request.session` is a `SessionState` read from the signed cookie; after the
    handler, a changed token is written to the cookie and a changed message to the session's row.

    The cookie is `HttpOnly`, `SameSite=Lax`, and, with `secure`, `Secure` and named with the
    `__Host-` prefix (so no other site or path can set it)."""

    def __init__(
        self, app: ASGIApp, *, secret_key: str, cookie_name: str, max_age: int, secure: bool
    ) -> None:
        self.app = app
        self.signer = Signer(secret_key, salt="storning.session")
        self.csrf_key = hmac.new(secret_key.encode(), b"storning.csrf", hashlib.sha256).digest()
        self.name = ("__Host-" if secure else "") + cookie_name
        flags = "; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")
        self.flags, self.max_age = flags, max_age

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        state = SessionState(self._token(scope), self.csrf_key)
        scope["session"] = state

        async def finish(message: Message) -> None:
            if message["type"] == "http.response.start":
                await self._store_flash(scope, state)
                cookie = self._cookie(state)
                if cookie is not None:
                    MutableHeaders(scope=message).append("Set-Cookie", cookie)
            await send(message)

        await self.app(scope, receive, finish)

    def _token(self, scope: Scope) -> str | None:
        raw = HTTPConnection(scope).cookies.get(self.name)
        if not raw or len(raw) > 300:
            return None
        try:
            return self.signer.unsign(raw).decode()
        except (BadSignature, UnicodeDecodeError):
            return None

    def _cookie(self, state: SessionState) -> str | None:
        if state.cookie == "set" and state.token is not None:
            value = self.signer.sign(state.token).decode()
            return f"{self.name}={value}{self.flags}; Max-Age={self.max_age}"
        if state.cookie == "clear":
            return f'{self.name}=""{self.flags}; Max-Age=0'
        return None

    @staticmethod
    async def _store_flash(scope: Scope, state: SessionState) -> None:
        token = state.server_token
        if not state.flash_changed or token is None:
            return
        app = scope["app"].state.storning
        message = state.get("flash")
        state.flash_changed = False
        try:
            await anyio.to_thread.run_sync(sessions.set_flash, app, token, message)
        except (SQLAlchemyError, StorningError) as error:
            # the response itself is ready: a one-shot message lost to a database hiccup is no reason
            # to answer with an error
            log.warning("could not keep the message of a session: %s", error)
