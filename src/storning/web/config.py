"""The web interface's own objects, derived from `storning.config.Settings` (which reads and checks the
`STORNING_*` variables: `STORNING_SECRET_KEY`, `STORNING_SECURE_COOKIES`, `STORNING_SESSION_HOURS`,
`STORNING_WEB_THREADS`; see docs/settings.md), and its clock.

Without `STORNING_SECRET_KEY` the key is empty here, and `storning.web.app.create_app` takes the one
stored in the database (made on first use, shared by every process using that database).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from storning.clock import parse_instant, system_now
from storning.config import Settings

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class WebSettings:
    secret_key: str
    secure_cookies: bool
    session_max_age: int = 8 * 3600  # the cookie's Max-Age; the server ends sessions itself
    threads: int = 8

    @classmethod
    def from_settings(
        cls, settings: Settings, environ: Mapping[str, str] | None = None
    ) -> WebSettings:
        """The web's settings from the checked `settings` (`environ` is not consulted: every
        variable is read by `Settings`). An empty `secret_key`: use the database's."""
        del environ
        if settings.secure_cookies is None:
            secure = settings.base_url.lower().startswith("https://")
        else:
            secure = settings.secure_cookies
        return cls(
            secret_key=settings.secret_key,
            secure_cookies=secure,
            session_max_age=int(settings.session_hours * 3600),
            threads=settings.web_threads,
        )

    @classmethod
    def from_env(cls, settings: Settings, environ: Mapping[str, str] | None = None) -> WebSettings:
        """As `from_settings`, with the `STORNING_*` variables given in `environ` read over `settings`
        (parsed and checked by `Settings`, the one reader of those variables)."""
        if environ is not None:
            settings = settings.with_env(environ)
        return cls.from_settings(settings, environ)


def make_clock(settings: Settings) -> Clock:
    """`STORNING_NOW` fixes the time of every request (tests, demos); otherwise the system clock."""
    if settings.now.strip():
        fixed = parse_instant(settings.now, settings.zone)
        return lambda: fixed
    return system_now
