"""Requests that take effect once (issue 11 item 6): an API call sent again with the same
`Idempotency-Key`, or an HTML form submitted twice (a double click, a reload), changes nothing twice.

A key is reserved before the request runs (`begin`, its own short transaction; the unique constraint
decides between two racing copies), and its response stored after (`finish`). The same key again:
- with the same request, after the first finished: the stored response (`Replay`);
- while the first is still running: `wait` polls until it finishes (a browser's double click shows the
  first one's result), or refuses after a while;
- with a different request: refused (422), the key is the caller's mistake.
A request that fails is forgotten (`abandon`), so it may be sent again. Keys live 24 hours.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from storning.app import App
from storning.errors import InvalidInput, StaleCase
from storning.store.conflicts import insert_if_new
from storning.store.models import IdempotencyKey, table

KEEP = timedelta(hours=24)
# A copy still pending after this long is taken to have died with its process: the key is free again.
ABANDONED_AFTER = timedelta(minutes=2)
MAX_KEY = 200

_KEYS = table(IdempotencyKey)


@dataclass(frozen=True)
class Replay:
    status: int
    body: str


class KeyReused(InvalidInput):
    code = "idempotency_key_reused"


class StillRunning(StaleCase):
    code = "idempotency_key_in_use"


def digest(*parts: bytes | str) -> str:
    """The sha256 of a credential or a request (method, path, body)."""
    hashed = hashlib.sha256()
    for part in parts:
        hashed.update(part.encode() if isinstance(part, str) else part)
        hashed.update(b"\x00")
    return hashed.hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY or not key.isprintable():
        raise InvalidInput(
            f"Idempotency-Key ska vara 1–{MAX_KEY} synliga tecken, t.ex. ett UUID för varje ny "
            "förfrågan."
        )
    return key


def begin(
    app: App, owner: str, scope: str, key: str, fingerprint: str, now: datetime
) -> Replay | None:
    """Reserve the key (None: go ahead), or the stored response of the finished first copy. Raises
    `KeyReused` for a different request with the key, `StillRunning` while the first still runs."""
    with app.db.write() as session:
        connection = session.connection()
        connection.execute(delete(_KEYS).where(_KEYS.c.created_at < now - KEEP))
        reserve = insert_if_new(_KEYS, connection.dialect.name).values(
            owner=owner,
            scope=scope,
            key=key,
            fingerprint=fingerprint,
            status="pending",
            created_at=now,
        )
        if connection.execute(reserve.returning(_KEYS.c.id)).first() is not None:
            return None
        row = connection.execute(
            select(_KEYS).where(_KEYS.c.owner == owner, _KEYS.c.scope == scope, _KEYS.c.key == key)
        ).one()
        if row.fingerprint != fingerprint:
            raise KeyReused(
                "Samma Idempotency-Key har redan använts för en annan förfrågan; skapa en ny nyckel "
                "för varje ny förfrågan."
            )
        if row.status == "done":
            return Replay(int(row.response_status or 200), row.response_body or "")
        if row.created_at < now - ABANDONED_AFTER:  # the first copy died: this one takes over
            connection.execute(update(_KEYS).where(_KEYS.c.id == row.id).values(created_at=now))
            return None
        raise StillRunning("En likadan förfrågan behandlas redan; vänta och försök igen.")


def wait(
    app: App,
    owner: str,
    scope: str,
    key: str,
    fingerprint: str,
    now: datetime,
    *,
    seconds: float = 10.0,
) -> Replay | None:
    """`begin`, waiting up to `seconds` for a first copy that is still running to finish."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return begin(app, owner, scope, key, fingerprint, now)
        except StillRunning:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.1)


def finish(
    app: App, owner: str, scope: str, key: str, status: int, body: str, now: datetime
) -> None:
    with app.db.write() as session:
        session.connection().execute(
            update(_KEYS)
            .where(_KEYS.c.owner == owner, _KEYS.c.scope == scope, _KEYS.c.key == key)
            .values(status="done", response_status=status, response_body=body, completed_at=now)
        )


def abandon(app: App, owner: str, scope: str, key: str) -> None:
    """Forget a reservation whose request failed: the same key may be sent again."""
    with app.db.write() as session:
        session.connection().execute(
            delete(_KEYS).where(
                _KEYS.c.owner == owner,
                _KEYS.c.scope == scope,
                _KEYS.c.key == key,
                _KEYS.c.status == "pending",
            )
        )
