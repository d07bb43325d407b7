"""The scheduler inside `storning serve`: the same jobs as `storning worker`, listed once in
`storning.jobs` (due timers and e-mail every `interval` seconds, the officers' digest at 07:00 on
weekdays) and the jour drop-folder import when STORNING_JOUR_DROP_DIR is set
(`storning.services.scheduled`), on APScheduler's background thread.

All state is in the database, so running this beside separate `storning worker` processes is safe
(timers are claimed with SKIP LOCKED / BEGIN IMMEDIATE and fire once).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

from storning.clock import system_now
from storning.jobs import Job, scheduled_jobs
from storning.runtime import Runtime
from storning.services.scheduled import intake_jobs
from storning.web.config import Clock

log = logging.getLogger("storning.web")


def start_scheduler(app: Runtime, interval: int, clock: Clock) -> BackgroundScheduler:
    """Start and return the background scheduler; call `.shutdown()` when the server stops."""
    scheduler = BackgroundScheduler(
        timezone=app.zone, job_defaults={"coalesce": True, "max_instances": 1}
    )
    for job in [*scheduled_jobs(interval), *intake_jobs(app, interval)]:
        trigger, when = job.trigger()
        if job.runs_at_start:
            when["next_run_time"] = system_now()
        scheduler.add_job(_guarded(job, app, clock), trigger, id=job.id, name=job.id, **when)
    scheduler.start()
    return scheduler


def _guarded(job: Job, app: Runtime, clock: Clock) -> Callable[[], None]:
    def run() -> None:
        try:
            job.run(app, clock())
        except Exception:  # a failed run must not stop the web process; the next run retries
            log.exception("scheduled job %s failed", job.id)

    return run
