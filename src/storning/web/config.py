"""The web interface's own objects, derived from `storning.config.Settings` (which reads and checks the
`STORNING_*` variables: `STORNING_SECRET_KEY`, `STORNING_SECURE_COOKIES`, `STORNING_SESSION_HOURS`,
`STORNING_WEB_THREADS`; see docs/settings.md), and its clock.

Without `STORNING_SECRET_KEY` a key is generated once and kept in a file readable only by its owner:
next to a SQLite database file (`storning.db.secret-key`), else in `$XDG_STATE_HOME/storning/secret-key`
(default `~/.local/state/storning/secret-key`). It is never written into the repository's code.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from storning.clock import parse_instant, system_now
from storning.config import Settings
from storning.errors import InvalidInput

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class WebSettings:
    secret_key: str
    secure_cookies: bool
    session_max_age: int = 8 * 3600
    login_max_failures: int = 5
    login_window_seconds: int = 15 * 60
    threads: int = 8

    @classmethod
    def from_settings(
        cls, settings: Settings, environ: Mapping[str, str] | None = None
    ) -> WebSettings:
        """The web's settings from the checked `settings`; `environ` (default: the process
        environment) is consulted only for `XDG_STATE_HOME`, where a generated key may live."""
        if settings.secure_cookies is None:
            secure = settings.base_url.lower().startswith("https://")
        else:
            secure = settings.secure_cookies
        env = os.environ if environ is None else environ
        return cls(
            secret_key=settings.secret_key or stored_secret(settings.db_url, env),
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


def secret_path(db_url: str, environ: Mapping[str, str]) -> Path:
    """Where a generated key lives: beside a SQLite file, else in the user's state folder."""
    url = make_url(db_url)
    if url.drivername.startswith("sqlite") and url.database not in (None, "", ":memory:"):
        database = Path(str(url.database)).expanduser().resolve()
        return database.with_name(database.name + ".secret-key")
    state = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "storning" / "secret-key"


def stored_secret(db_url: str, environ: Mapping[str, str]) -> str:
    """Read the generated key, creating it (mode 0600) the first time; safe when two start at once."""
    path = secret_path(db_url, environ)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first; read theirs
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
    key = path.read_text().strip()
    if len(key) < 32:
        raise InvalidInput(f"Nyckelfilen {path} är för kort; ta bort den så skapas en ny.")
    return key


def make_clock(settings: Settings) -> Clock:
    """`STORNING_NOW` fixes the time of every request (tests, demos); otherwise the system clock."""
    if settings.now.strip():
        fixed = parse_instant(settings.now, settings.zone)
        return lambda: fixed
    return system_now
