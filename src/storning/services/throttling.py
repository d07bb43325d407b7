"""Login throttling, shared by every web process through the database (`login_attempts`).

A password attempt is checked and reserved in one short, serialised transaction *before* the password
is hashed (argon2 costs 64 MiB and tens of milliseconds: a refused attempt must cost nothing), and
settled as `ok` or `failed` afterwards; an attempt in flight counts as a failure, so parallel requests
cannot slip past a limit. Three limits apply, each with exponential back-off: after `free` failures
within `window`, the next attempt must wait `first`, then twice that for each further failure, at most
`longest`, counted from the latest failure. Refused attempts are not counted (hammering does not
lengthen the wait), and a successful login clears the account's count but not the address's or the
global one.

| limit   | counts failures of         | window | free | first wait | longest |
|---------|----------------------------|--------|------|------------|---------|
| account | the typed user name (any address) | 1 h | 5 | 1 min | 15 min |
| address | the client address (any name)     | 1 h | 20 | 1 min | 15 min |
| global  | everyone                          | 1 min | 120 | 1 s | 30 s |

Unknown user names are counted exactly like known ones, so a refusal says nothing about whether an
account exists. The global limit bounds the hashing work a spray from many addresses can cause (about
two hashes a second); while it holds, everyone waits a few seconds. Refused API tokens are counted per
address on their own door (`token`), so a mistyped password never locks out an integration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from storning.errors import StorningError
from storning.store.models import LoginAttempt

Door = Literal["password", "token"]
KEEP = timedelta(days=1)  # attempts older than this are deleted (longer than every window)
_LOCK_KEY = 0x53_54_4F_52_4E  # PostgreSQL advisory lock serialising the password checks ("STORN")


@dataclass(frozen=True)
class Limit:
    scope: Literal["account", "address", "global"]
    window: timedelta
    free: int
    first: timedelta
    longest: timedelta

    def until(self, failures: int, last: datetime | None) -> datetime | None:
        """When the next attempt may be made, or None when it may be made now."""
        if failures < self.free or last is None:
            return None
        wait = self.first * (1 << min(failures - self.free, 30))
        return last + min(wait, self.longest)


PASSWORD_LIMITS = (
    Limit("account", timedelta(hours=1), 5, timedelta(minutes=1), timedelta(minutes=15)),
    Limit("address", timedelta(hours=1), 20, timedelta(minutes=1), timedelta(minutes=15)),
    Limit("global", timedelta(minutes=1), 120, timedelta(seconds=1), timedelta(seconds=30)),
)
TOKEN_LIMIT = Limit("address", timedelta(hours=1), 20, timedelta(minutes=1), timedelta(minutes=15))


class Throttled(StorningError):
    """Too many failed attempts: refused before any password was checked. `retry_after` in seconds."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def reserve_password_attempt(session: Session, account: str, address: str, now: datetime) -> int:
    """Check the limits for a password attempt and, when none holds, record it as pending (in the
    caller's write transaction); the attempt's id, for `settle`. Raises `Throttled` otherwise."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_LOCK_KEY)))
    waits = [_until(session, limit, "password", account, address, now) for limit in PASSWORD_LIMITS]
    until = max((moment for moment in waits if moment is not None), default=None)
    if until is not None and until > now:
        wait = _wait(until, now)
        raise Throttled(
            f"För många misslyckade inloggningar. Vänta {_spoken(wait)} och försök igen.", wait
        )
    attempt = LoginAttempt(
        at=now, door="password", account_key=account, address=address, outcome="pending"
    )
    session.add(attempt)
    session.flush()
    if attempt.id % 100 == 0:  # now and then, forget what no window looks at any more
        session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - KEEP))
    return attempt.id


def settle(session: Session, attempt_id: int, *, ok: bool) -> None:
    session.execute(
        update(LoginAttempt)
        .where(LoginAttempt.id == attempt_id)
        .values(outcome="ok" if ok else "failed")
    )


def check_token_door(session: Session, address: str, now: datetime) -> None:
    """Raise `Throttled` when this address has presented too many unknown API tokens."""
    until = _until(session, TOKEN_LIMIT, "token", None, address, now)
    if until is not None and until > now:
        wait = _wait(until, now)
        raise Throttled(
            "För många försök med ogiltig API-token från din adress. "
            f"Försök igen om {_spoken(wait)}.",
            wait,
        )


def record_token_failure(session: Session, address: str, now: datetime) -> None:
    session.add(LoginAttempt(at=now, door="token", address=address, outcome="failed"))


def _until(
    session: Session,
    limit: Limit,
    door: Door,
    account: str | None,
    address: str,
    now: datetime,
) -> datetime | None:
    failed = (
        LoginAttempt.door == door,
        LoginAttempt.outcome != "ok",
        LoginAttempt.at > now - limit.window,
    )
    query = select(func.count(LoginAttempt.id), func.max(LoginAttempt.at)).where(*failed)
    if limit.scope == "account":
        last_ok = (
            select(func.coalesce(func.max(LoginAttempt.id), 0))
            .where(
                LoginAttempt.account_key == account,
                LoginAttempt.door == door,
                LoginAttempt.outcome == "ok",
            )
            .scalar_subquery()
        )
        query = query.where(LoginAttempt.account_key == account, LoginAttempt.id > last_ok)
    elif limit.scope == "address":
        query = query.where(LoginAttempt.address == address)
    count, last = session.execute(query).one()
    latest: datetime | None = last
    return limit.until(int(count or 0), latest)


def _wait(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def _spoken(seconds: int) -> str:
    """ "45 sekunder", "en minut", "3 minuter"."""
    if seconds < 60:
        return "en sekund" if seconds == 1 else f"{seconds} sekunder"
    minutes = math.ceil(seconds / 60)
    return "en minut" if minutes == 1 else f"{minutes} minuter"
