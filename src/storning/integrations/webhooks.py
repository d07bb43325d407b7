"""Webhooks: the event feed pushed to subscribed endpoints, signed, retried, never delivered twice.

The worker runs `run_webhooks` on every tick:

1. `enqueue`: for each active subscription, the events after its `cursor` become `webhook_deliveries`
   rows (unique per subscription and event: a second worker or a second run adds nothing), and the
   cursor moves on, in one transaction.
2. `deliver_due`: due rows are claimed (`sending`, committed before any HTTP call; SKIP LOCKED on
   PostgreSQL), posted in parallel threads with a short timeout (STORNING_WEBHOOK_TIMEOUT), so a slow
   or silent endpoint delays nothing else, and settled: `delivered` on any 2xx answer; otherwise
   retried after an exponential back-off (30 s, 1 min, 2 min, … at most 6 h) until
   STORNING_WEBHOOK_ATTEMPTS attempts, then `dead` (re-delivered by `storning webhook redeliver ID`).
   A row left `sending` by a crashed worker is claimed again after `STALE_SENDING`.

The request: `POST` with the event as a JSON body and the headers

    X-Storning-Event: termination_served
    X-Storning-Delivery: 42                   (the same on every retry: the receiver's dedupe key)
    X-Storning-Timestamp: 1772438400          (Unix seconds, when this attempt was signed)
    X-Storning-Signature: v1=<hex>            (HMAC-SHA256 of "<timestamp>.<body>" with the secret)

A receiver recomputes the signature over the raw body, compares in constant time and refuses a
timestamp more than five minutes away from its clock (`verify`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storning.integrations.events import scan
from storning.runtime import Runtime
from storning.store.models import WebhookDelivery, WebhookSubscription

log = logging.getLogger("storning.worker")

FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=6)
STALE_SENDING = timedelta(minutes=10)
TOLERANCE_SECONDS = 300
PARALLEL = 8
USER_AGENT = "storning-webhooks/1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`v1=` and the hex HMAC-SHA256 of `<timestamp>.<body>` with the subscription's secret."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify(secret: str, timestamp: str, signed: str, body: bytes, now: int) -> bool:
    """What a receiver does (and the docs show): a fresh timestamp and a matching signature."""
    try:
        moment = int(timestamp)
    except ValueError:
        return False
    if abs(now - moment) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(signature(secret, moment, body), signed)


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 30 s, 1 min, 2 min, … at most 6 h."""
    return min(FIRST_RETRY * (1 << min(max(attempts - 1, 0), 20)), LONGEST_RETRY)


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


# --- 1. events become deliveries ----------------------------------------------------------------


def enqueue(app: Runtime, now: datetime, *, batch: int = 500) -> int:
    """Turn the events after each active subscription's cursor into pending deliveries."""
    made = 0
    with app.db.write() as session:
        query = select(WebhookSubscription).where(WebhookSubscription.active.is_(True))
        if not app.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        for subscription in session.scalars(query.order_by(WebhookSubscription.id)):
            made += _enqueue_one(session, app, subscription, now, batch)
    return made


def _enqueue_one(
    session: Session, app: Runtime, subscription: WebhookSubscription, now: datetime, batch: int
) -> int:
    made = 0
    while True:
        events, last = scan(session, subscription.cursor, batch, app.zone)
        for event, _team, _owner in events:
            try:
                with session.begin_nested():
                    session.add(
                        WebhookDelivery(
                            subscription_id=subscription.id,
                            event_id=event["id"],
                            event=event["event"],
                            payload=event,
                            status="pending",
                            attempts=0,
                            created_at=now,
                            next_attempt_at=now,
                        )
                    )
                    session.flush()
                made += 1
            except IntegrityError:
                pass  # already queued (another worker)
        if last == subscription.cursor:
            return made
        subscription.cursor = last


# --- 2. deliveries are posted -------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    delivery_id: int
    url: str
    secret: str
    event: str
    payload: dict[str, Any]


def deliver_due(app: Runtime, now: datetime, *, limit: int = 100) -> dict[str, int]:
    """Post the due deliveries (in parallel, each with the timeout) and settle them; counts."""
    attempts = _claim(app, now, limit)
    if not attempts:
        return {"delivered": 0, "failed": 0, "dead": 0}
    timeout = app.settings.webhook_timeout
    with ThreadPoolExecutor(max_workers=min(PARALLEL, len(attempts))) as pool:
        results = list(pool.map(lambda a: _post(a, timeout, now), attempts))
    return _settle(app, now, list(zip(attempts, results, strict=True)))


def _claim(app: Runtime, now: datetime, limit: int) -> list[Attempt]:
    with app.db.write() as session:
        query = (
            select(WebhookDelivery, WebhookSubscription)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(
                WebhookSubscription.active.is_(True),
                or_(
                    (WebhookDelivery.status == "pending")
                    & (WebhookDelivery.next_attempt_at <= now),
                    (WebhookDelivery.status == "sending")
                    & (WebhookDelivery.last_attempt_at < now - STALE_SENDING),
                ),
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
        )
        if not app.db.is_sqlite:
            query = query.with_for_update(skip_locked=True, of=WebhookDelivery)
        claimed: list[Attempt] = []
        for delivery, subscription in session.execute(query).all():
            delivery.status = "sending"
            delivery.attempts += 1
            delivery.last_attempt_at = now
            claimed.append(
                Attempt(
                    delivery.id,
                    subscription.url,
                    subscription.secret,
                    delivery.event,
                    dict(delivery.payload),
                )
            )
        return claimed


def _post(attempt: Attempt, timeout: int, now: datetime) -> str | None:
    """Post one delivery; None when the endpoint answered 2xx, else what went wrong."""
    body = body_of(attempt.payload)
    stamp = int(now.timestamp())
    request = urllib.request.Request(
        attempt.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Storning-Event": attempt.event,
            "X-Storning-Delivery": str(attempt.delivery_id),
            "X-Storning-Timestamp": str(stamp),
            "X-Storning-Signature": signature(attempt.secret, stamp, body),
        },
    )
    try:
        with urllib.request.urlopen(
            request, timeout=timeout
        ) as response:  # http(s) only: checked when added
            status = int(response.status)
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (OSError, ValueError) as error:  # refused, timed out, DNS, TLS
        return f"{error.__class__.__name__}: {error}"[:500]
    return None if 200 <= status < 300 else f"HTTP {status}"


def _settle(app: Runtime, now: datetime, done: list[tuple[Attempt, str | None]]) -> dict[str, int]:
    counts = {"delivered": 0, "failed": 0, "dead": 0}
    most = app.settings.webhook_attempts
    with app.db.write() as session:
        for attempt, error in done:
            row = session.get(WebhookDelivery, attempt.delivery_id)
            if row is None or row.status != "sending":
                continue
            row.last_error = error
            if error is None:
                row.status, row.delivered_at = "delivered", now
                counts["delivered"] += 1
            elif row.attempts >= most:
                row.status = "dead"
                counts["dead"] += 1
                log.warning("webhook delivery %s is dead after %s attempts", row.id, row.attempts)
            else:
                row.status, row.next_attempt_at = "pending", now + backoff(row.attempts)
                counts["failed"] += 1
    return counts


def run_webhooks(app: Runtime, now: datetime) -> int:
    """The worker's job: queue new events, post what is due; returns how many were delivered."""
    enqueue(app, now)
    return deliver_due(app, now)["delivered"]
