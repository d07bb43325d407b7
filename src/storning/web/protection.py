"""Protections every response and every form gets: security headers, CSRF tokens, login throttling.

- Headers: a Content-Security-Policy that allows only this origin (no inline scripts or styles), no
  framing, no MIME sniffing, no referrer to other sites, and no caching of pages with personal data.
- CSRF: one random token per session, put in every form as `csrf_token` and compared in constant time
  on every form POST. API calls with a bearer token are exempt (a browser never sends one on its own);
  an API call riding on the session cookie must send the token in the `X-CSRF-Token` header.
- Login: at most `max_failures` failed attempts per username and client address within `window`
  seconds; further attempts are refused (HTTP 429) until the oldest failure leaves the window.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import deque
from collections.abc import MutableMapping
from datetime import datetime, timedelta
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


# --- login throttling -----------------------------------------------------------------------------


class LoginThrottle:
    """Failed logins per (username, client address), in memory, per process."""

    def __init__(self, max_failures: int = 5, window_seconds: int = 15 * 60) -> None:
        self.max_failures = max_failures
        self.window = timedelta(seconds=window_seconds)
        self._failures: dict[tuple[str, str], deque[datetime]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(username: str, address: str) -> tuple[str, str]:
        return (username.strip().lower(), address)

    def _recent(self, key: tuple[str, str], now: datetime) -> deque[datetime]:
        times = self._failures.setdefault(key, deque())
        while times and (now - times[0] >= self.window or times[0] > now):
            times.popleft()
        return times

    def blocked(self, key: tuple[str, str], now: datetime) -> bool:
        with self._lock:
            return len(self._recent(key, now)) >= self.max_failures

    def failed(self, key: tuple[str, str], now: datetime) -> None:
        with self._lock:
            self._recent(key, now).append(now)
            if len(self._failures) > 10_000:  # bound memory under a spray of usernames
                oldest = next(iter(self._failures))
                del self._failures[oldest]

    def succeeded(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._failures.pop(key, None)
