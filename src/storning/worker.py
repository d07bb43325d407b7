"""The worker: APScheduler 3 as the clock only, with an in-memory job store.

An interval job fires due timers and delivers e-mail; a cron job sends the officers' digests at 07:00
Europe/Stockholm on weekdays. All state lives in the database, so any number of workers may run at once
(APScheduler 3 cannot share a persistent job store between processes, and we don't need one).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime
from types import FrameType

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from storning.app import App
from storning.clock import system_now
from storning.notifications import deliver_email, send_digests
from storning.timers import run_due

log = logging.getLogger("storning.worker")


def tick(app: App, now: datetime) -> None:
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


def build_scheduler(
    app: App, interval: int, clock: Callable[[], datetime] = system_now
) -> BlockingScheduler:
    scheduler = BlockingScheduler(
        timezone=app.zone, job_defaults={"coalesce": True, "max_instances": 1}
    )
    scheduler.add_job(
        lambda: tick(app, clock()),
        IntervalTrigger(seconds=interval),
        id="timers",
        next_run_time=system_now(),
    )
    scheduler.add_job(
        lambda: send_digests(app, clock()),
        CronTrigger(day_of_week="mon-fri", hour=7, minute=0, timezone=app.zone),
        id="digest",
    )
    return scheduler


def run_worker(app: App, interval: int, fixed_now: datetime | None = None) -> None:
    """Run until SIGTERM or SIGINT; the job in progress finishes its batch before the process exits."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    clock: Callable[[], datetime] = (lambda: fixed_now) if fixed_now is not None else system_now
    scheduler = build_scheduler(app, interval, clock)

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: stopping after the current batch", signum)
        threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("worker started: interval %ss, digest weekdays 07:00 %s", interval, app.zone.key)
    scheduler.start()
    log.info("worker stopped")
