"""The scheduler's jobs, listed once: which functions run and when. Plain data and callables, no
scheduler library: `storning worker` (`storning.worker`) and the scheduler inside `storning serve`
(`storning.web.background`) each build their APScheduler scheduler from `scheduled_jobs`.

- `timers`: every `interval` seconds, and once at start: fire due timers (`timers.run_due`), then deliver
  pending e-mail (`notifications.deliver_email`);
- `integrations`: every `interval` seconds: e-mail pending diary links and post webhook deliveries
  (`intake.diary.deliver_link_emails`, `integrations.webhooks.run_webhooks`);
- `digest`: Monday to Friday at 07:00 in the landlord's zone: each officer's digest
  (`notifications.send_digests`, once per officer and day however many schedulers run it).
- `gallring`: every night at 02:30 in the landlord's zone: erase the personal data of closed cases whose
  retention has ended (`records.gallring.daily`, as the system; each case once, whoever runs it).

All state lives in the database, so any number of schedulers may run these at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from storning.intake.diary import deliver_link_emails
from storning.integrations.webhooks import run_webhooks
from storning.notifications import deliver_email, send_digests
from storning.records.gallring import daily as daily_gallring
from storning.runtime import Runtime
from storning.timers import run_due

log = logging.getLogger("storning.worker")

DIGEST_DAYS = "mon-fri"
DIGEST_TIME = time(7, 0)
# Issue 15: gallring every night, before the officers start (`records.gallring.daily`).
GALLRING_DAYS = "mon-sun"
GALLRING_TIME = time(2, 30)


def tick(app: Runtime, now: datetime) -> int:
    """Fire the due timers, then send pending e-mail; returns how many timers fired."""
    result = run_due(app, now)
    sent = deliver_email(app, now)
    if result.fired or result.obsolete or sent:
        log.info(
            "timers fired=%s obsolete=%s deferred=%s emails=%s",
            result.fired,
            result.obsolete,
            result.deferred,
            sent,
        )
    return result.fired


def integrations(app: Runtime, now: datetime) -> int:
    """Issue 16: e-mail the complainants' diary links, then queue and post webhook deliveries (its
    own job, so a slow endpoint never holds up the timers); returns how many webhooks arrived."""
    mailed = deliver_link_emails(app, now)
    delivered = run_webhooks(app, now)
    if mailed or delivered:
        log.info("diary links mailed=%s webhooks delivered=%s", mailed, delivered)
    return delivered


@dataclass(frozen=True)
class Every:
    """Run every `seconds`, the first time as soon as the scheduler starts."""

    seconds: int


@dataclass(frozen=True)
class Weekly:
    """Run at `at` (local time in the landlord's zone) on `days` (cron day-of-week syntax: `mon-fri`)."""

    days: str
    at: time


@dataclass(frozen=True)
class Job:
    id: str
    run: Callable[[Runtime, datetime], int]
    schedule: Every | Weekly
    description: str

    @property
    def runs_at_start(self) -> bool:
        return isinstance(self.schedule, Every)

    def trigger(self) -> tuple[str, dict[str, Any]]:
        """The schedule as a trigger name and its arguments (APScheduler's `interval` and `cron`
        vocabulary; a cron time is in the scheduler's zone)."""
        if isinstance(self.schedule, Every):
            return "interval", {"seconds": self.schedule.seconds}
        at = self.schedule.at
        return "cron", {"day_of_week": self.schedule.days, "hour": at.hour, "minute": at.minute}


def scheduled_jobs(interval: int) -> list[Job]:
    """The jobs every scheduler runs; `interval` is the seconds between timer runs."""
    return [
        Job("timers", tick, Every(interval), "förfallna frister och e-post"),
        Job("integrations", integrations, Every(interval), "webhooks och dagbokslänkar"),
        Job(
            "digest",
            send_digests,
            Weekly(DIGEST_DAYS, DIGEST_TIME),
            "sammanfattning till handläggarna",
        ),
        Job(
            "gallring",
            daily_gallring,
            Weekly(GALLRING_DAYS, GALLRING_TIME),
            "gallring av personuppgifter enligt gallringsreglerna",
        ),
    ]
