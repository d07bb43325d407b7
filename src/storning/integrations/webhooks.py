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

Where a webhook may post (`refused_target`): http or https, a host name or address, no spaces or
control characters; not this machine (localhost, 127.0.0.0/8, ::1), a link-local address (169.254.x.x,
where cloud metadata lives) or an unspecified, multicast or reserved one, checked when the webhook is
added and, after resolving the name, before every attempt — unless STORNING_WEBHOOK_ALLOW_LOCAL=true
(tests, a receiver on the same machine). Internal networks (10.x, 192.168.x) are allowed: a
landlord's property system usually lives there. Redirects are not followed.

A receiver recomputes the signature over the raw body, compares in constant time and refuses a
timestamp more than five minutes away from its clock (`verify`).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

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


def refused_target(url: str, *, allow_local: bool, resolve: bool = False) -> str | None:
    """Why a webhook may not post to `url` (a Swedish sentence), or None when it may. `resolve`
    looks the host name up and checks every address it has (before an attempt; when a webhook is
    added, a name that cannot be looked up yet is accepted)."""
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or len(url) > 500
        or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url)
    ):
        return "ingen adress för en webhook; ange en som börjar med https:// (eller http://)"
    try:
        parts.port  # noqa: B018 (raises on a port that is not a number 0–65535)
    except ValueError:
        return "portnumret är ogiltigt"
    if allow_local:
        return None
    host = parts.hostname.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return "den egna maskinen tar inte emot webhooks (STORNING_WEBHOOK_ALLOW_LOCAL)"
    addresses: list[str] = [host]
    with suppress(OSError):  # the old numeric forms: 127.1, 2130706433, 0x7f000001, 0
        addresses = [socket.inet_ntoa(socket.inet_aton(host))]
    if resolve:
        try:
            addresses = [str(info[4][0]) for info in socket.getaddrinfo(host, parts.port or 443)]
        except OSError as error:
            return f"namnet kan inte slås upp ({error})"
    for text in addresses:
        try:
            address = ipaddress.ip_address(text.split("%")[0])
        except ValueError:
            continue  # a name, looked up before each attempt
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if address.is_loopback or address.is_link_local or address.is_unspecified:
            return (
                f"adressen {address} är den egna maskinen eller länklokal och tar inte emot "
                "webhooks (STORNING_WEBHOOK_ALLOW_LOCAL)"
            )
        if address.is_multicast or address.is_reserved:
            return f"adressen {address} kan inte ta emot webhooks"
    return None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A receiver answers itself; a redirect is a failed delivery (it could point anywhere)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


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
    allow_local = app.settings.webhook_allow_local
    with ThreadPoolExecutor(max_workers=min(PARALLEL, len(attempts))) as pool:
        results = list(pool.map(lambda a: _post(a, timeout, now, allow_local), attempts))
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


def _post(attempt: Attempt, timeout: int, now: datetime, allow_local: bool) -> str | None:
    """Post one delivery; None when the endpoint answered 2xx, else what went wrong."""
    refused = refused_target(attempt.url, allow_local=allow_local, resolve=True)
    if refused is not None:
        return f"Inte skickad: {refused}"[:500]
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
        with _OPENER.open(request, timeout=timeout) as response:  # checked by refused_target
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
