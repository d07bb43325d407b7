"""The web interface's own settings and its clock, read once when the app is built.

| variable | default | meaning |
|---|---|---|
| `STORNING_SECRET_KEY` | generated | signs the session cookie; set it when several processes or hosts serve |
| `STORNING_SECURE_COOKIES` | `true` when `STORNING_BASE_URL` is https | send the cookie only over TLS |
| `STORNING_SESSION_HOURS` | `8` | how long a login lasts |
| `STORNING_WEB_THREADS` | `8` | worker threads for page and API requests in one process |

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
    def from_env(cls, settings: Settings, environ: Mapping[str, str] | None = None) -> WebSettings:
        env = os.environ if environ is None else environ
        secure_text = env.get("STORNING_SECURE_COOKIES", "")
        if secure_text.strip():
            secure = _bool("STORNING_SECURE_COOKIES", secure_text)
        else:
            secure = settings.base_url.lower().startswith("https://")
        hours_text = env.get("STORNING_SESSION_HOURS", "8")
        try:
            hours = float(hours_text)
        except ValueError:
            raise InvalidInput(f"STORNING_SESSION_HOURS='{hours_text}' är inte ett tal.") from None
        threads_text = env.get("STORNING_WEB_THREADS", "8")
        if not threads_text.isdigit() or not 1 <= int(threads_text) <= 200:
            raise InvalidInput(f"STORNING_WEB_THREADS='{threads_text}' ska vara ett heltal 1–200.")
        key = env.get("STORNING_SECRET_KEY", "").strip() or stored_secret(settings.db_url, env)
        return cls(
            secret_key=key,
            secure_cookies=secure,
            session_max_age=int(hours * 3600),
            threads=int(threads_text),
        )


def _bool(name: str, text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "ja", "on"}:
        return True
    if lowered in {"0", "false", "no", "nej", "off"}:
        return False
    raise InvalidInput(f"Inställningen {name}='{text}' är inte true eller false.")


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
