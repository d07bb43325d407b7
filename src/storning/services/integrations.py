"""Use cases of the outbound event feed (issue 16): read it by polling, and manage the webhook
subscriptions that receive it (an administrator's work) and their deliveries.

The feed holds no personal data (`storning.integrations.events`); a poller still sees only the events
of cases it may read, so a team's officer polling with their token learns nothing of other teams.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, update

from storning import access
from storning.access import CaseScope, principal_of
from storning.app import App
from storning.errors import InvalidInput, NotFound, PermissionDenied
from storning.integrations import events as feed
from storning.integrations.webhooks import deliver_due, enqueue, refused_target
from storning.services.common import _actor, unit
from storning.store.models import JournalEntry, WebhookDelivery, WebhookSubscription

MAX_LIMIT = 1000
STATUSES = ("pending", "sending", "delivered", "dead", "cancelled")


def list_events(
    app: App, actor: str, now: datetime, *, after: int = 0, limit: int = 100
) -> dict[str, Any]:
    """`{"events": [...], "next": ID}`: up to `limit` events after the id `after`, oldest first, of
    the cases the actor may read; poll again with `after=next`."""
    if after < 0:
        raise InvalidInput("after ska vara 0 eller ett händelsenummer från ett tidigare svar.")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit ska vara 1–{MAX_LIMIT}.")
    with unit(app, write=False) as session:
        principal = principal_of(_actor(app, session, actor))
        found, last = feed.scan(session, after, limit, app.zone)
        readable = [
            event
            for event, team, owner in found
            if access.can_read(principal, CaseScope(owner, team))
        ]
        return {"events": readable, "next": last}


def _admin(app: App, actor: str, action: str) -> str:
    with unit(app, write=False) as session:
        user = _actor(app, session, actor)
        if not access.can_manage_users(principal_of(user)):
            raise PermissionDenied("Bara en administratör får hantera webhooks.")
        return user.username


def add_subscription(
    app: App,
    actor: str,
    now: datetime,
    url: str,
    *,
    secret: str | None = None,
    description: str | None = None,
    from_start: bool = False,
) -> dict[str, Any]:
    """Subscribe `url` to the feed; events from now on (or from the first, `from_start`). The secret
    (given, at least 16 characters, or made here) is shown once, in this answer."""
    username = _admin(app, actor, "webhook_add")
    checked = _url(app, url)
    if secret is not None and len(secret.strip()) < 16:
        raise InvalidInput("Hemligheten ska vara minst 16 tecken; utelämna den så skapas en.")
    key = secret.strip() if secret else secrets.token_urlsafe(32)
    with unit(app) as session:
        cursor = 0 if from_start else session.scalar(select(func.max(JournalEntry.id))) or 0
        row = WebhookSubscription(
            url=checked,
            secret=key,
            description=(description or "").strip()[:200] or None,
            created_at=now,
            created_by=username,
            active=True,
            cursor=cursor,
        )
        session.add(row)
        session.flush()
        return {**_subscription(row), "secret": key}


def list_subscriptions(app: App, actor: str, now: datetime) -> list[dict[str, Any]]:
    _admin(app, actor, "webhook_list")
    with unit(app, write=False) as session:
        rows = session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id))
        return [_subscription(row) for row in rows]


def remove_subscription(
    app: App, actor: str, now: datetime, subscription_id: int
) -> dict[str, Any]:
    """Stop a subscription; its undelivered deliveries are cancelled (kept for the record)."""
    _admin(app, actor, "webhook_remove")
    with unit(app) as session:
        row = session.get(WebhookSubscription, subscription_id)
        if row is None:
            raise NotFound(f"Det finns ingen webhook med nummer {subscription_id}.")
        row.active = False
        session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.subscription_id == row.id,
                WebhookDelivery.status.in_(["pending", "dead"]),
            )
            .values(status="cancelled")
        )
        return _subscription(row)


def list_deliveries(
    app: App, actor: str, now: datetime, *, status: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Deliveries, newest first; `status` dead lists the dead letters."""
    _admin(app, actor, "webhook_deliveries")
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"Okänd status '{status}'; välj {', '.join(STATUSES)}.")
    with unit(app, write=False) as session:
        query = select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit)
        if status is not None:
            query = query.where(WebhookDelivery.status == status)
        return [_delivery(app, row) for row in session.scalars(query)]


def redeliver(app: App, actor: str, now: datetime, delivery_id: int) -> dict[str, Any]:
    """Put a delivery (dead, or delivered and wanted again) back in the queue, due now, with a
    fresh count of attempts."""
    _admin(app, actor, "webhook_redeliver")
    with unit(app) as session:
        row = session.get(WebhookDelivery, delivery_id)
        if row is None:
            raise NotFound(f"Det finns ingen webhook-leverans med nummer {delivery_id}.")
        subscription = session.get(WebhookSubscription, row.subscription_id)
        if subscription is None or not subscription.active:
            raise InvalidInput(
                f"Webhooken för leverans {delivery_id} är borttagen; lägg till den igen först."
            )
        if row.status == "sending":
            raise InvalidInput(f"Leverans {delivery_id} skickas just nu; försök igen om en stund.")
        row.status, row.attempts, row.next_attempt_at, row.last_error = "pending", 0, now, None
        return _delivery(app, row)


def run_now(app: App, actor: str, now: datetime) -> dict[str, int]:
    """Queue and post what is due now (`storning webhook run`; the worker does it on every tick)."""
    _admin(app, actor, "webhook_run")
    queued = enqueue(app, now)
    return {"queued": queued, **deliver_due(app, now)}


def _url(app: App, url: str) -> str:
    text = url.strip()
    refused = refused_target(text, allow_local=app.settings.webhook_allow_local, resolve=True)
    if refused is not None and not refused.startswith("namnet kan inte slås upp"):
        raise InvalidInput(f"Webhooken kan inte läggas till: '{text[:200]}' — {refused}.")
    return text


def _without_password(url: str) -> str:
    """The URL as listed: a password in it (https://user:secret@host/…) is not shown."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{parts.username}:***@{host}").geturl()


def _subscription(row: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": row.id,
        "url": _without_password(row.url),
        "description": row.description,
        "active": row.active,
        "cursor": row.cursor,
        "created_by": row.created_by,
    }


def _delivery(app: App, row: WebhookDelivery) -> dict[str, Any]:
    def iso(moment: datetime | None) -> str | None:
        return moment.astimezone(app.zone).isoformat(timespec="seconds") if moment else None

    return {
        "id": row.id,
        "subscription": row.subscription_id,
        "event_id": row.event_id,
        "event": row.event,
        "status": row.status,
        "attempts": row.attempts,
        "next_attempt_at": iso(row.next_attempt_at),
        "last_attempt_at": iso(row.last_attempt_at),
        "delivered_at": iso(row.delivered_at),
        "last_error": row.last_error,
    }
