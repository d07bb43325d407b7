"""The worker: APScheduler 3 as the clock only, with an in-memory job store.

The jobs and their times are listed once in `storning.jobs` (due timers and e-mail every `interval`
seconds, the officers' digest at 07:00 on weekdays); this module runs them on a blocking scheduler.
All state lives in the database, so any number of workers may run at once (APScheduler 3 cannot share a
persistent job store between processes, and we don't need one).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime
from types import FrameType

from apscheduler.schedulers.blocking import BlockingScheduler

from storning.clock import system_now
from storning.jobs import Job, scheduled_jobs
from storning.runtime import Runtime
from storning.services.scheduled import intake_jobs
from storning.services.setup import background_checkpoints

log = logging.getLogger("storning.worker")
Clock = Callable[[], datetime]


def build_scheduler(app: Runtime, interval: int, clock: Clock = system_now) -> BlockingScheduler:
    """A scheduler with every job of `storning.jobs`; each job reads `clock` once when it runs."""
    scheduler = BlockingScheduler(
        timezone=app.zone, job_defaults={"coalesce": True, "max_instances": 1}
    )
    for job in [*scheduled_jobs(interval), *intake_jobs(app, interval)]:
        trigger, when = job.trigger()
        if job.runs_at_start:
            when["next_run_time"] = system_now()
        scheduler.add_job(_runner(job, app, clock), trigger, id=job.id, name=job.id, **when)
    return scheduler


def _runner(job: Job, app: Runtime, clock: Clock) -> Callable[[], int]:
    return lambda: job.run(app, clock())


def run_worker(app: Runtime, interval: int, fixed_now: datetime | None = None) -> None:
    """Run until SIGTERM or SIGINT; the job in progress finishes its batch before the process exits."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    clock: Clock = (lambda: fixed_now) if fixed_now is not None else system_now
    scheduler = build_scheduler(app, interval, clock)

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: stopping after the current batch", signum)
        threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    every = [*scheduled_jobs(interval), *intake_jobs(app, interval)]
    jobs = "; ".join(f"{j.id}: {j.description}" for j in every)
    log.info("worker started: interval %ss, %s, zone %s", interval, jobs, app.zone.key)
    checkpointer = background_checkpoints(app.db)  # SQLite's log, outside the jobs
    try:
        scheduler.start()
    finally:
        checkpointer.stop()
    log.info("worker stopped")
