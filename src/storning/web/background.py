"""The scheduler inside `storning serve`: the same jobs as `storning worker` (due timers and e-mail every
`interval` seconds, the officers' digest at 07:00 on weekdays), on APScheduler's background thread.

All state is in the database, so running this beside separate `storning worker` processes is safe
(timers are claimed with SKIP LOCKED / BEGIN IMMEDIATE and fire once).
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from storning.app import App
from storning.clock import system_now
from storning.notifications import send_digests
from storning.web.config import Clock
from storning.worker import tick

log = logging.getLogger("storning.web")


def start_scheduler(app: App, interval: int, clock: Clock) -> BackgroundScheduler:
    """Start and return the background scheduler; call `.shutdown()` when the server stops."""

    def run_timers() -> None:
        try:
            tick(app, clock())
        except Exception:  # a failed batch must not stop the clock; the next tick retries
            log.exception("timer tick failed")

    scheduler = BackgroundScheduler(
        timezone=app.zone, job_defaults={"coalesce": True, "max_instances": 1}
    )
    scheduler.add_job(
        run_timers, IntervalTrigger(seconds=interval), id="timers", next_run_time=system_now()
    )
    scheduler.add_job(
        lambda: send_digests(app, clock()),
        CronTrigger(day_of_week="mon-fri", hour=7, minute=0, timezone=app.zone),
        id="digest",
    )
    scheduler.start()
    return scheduler
