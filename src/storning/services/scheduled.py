"""The scheduled jobs that are use cases, run by `storning worker` and by the scheduler inside
`storning serve` alike (beside the jobs of `storning.jobs`, which receive a `Runtime` and may not
reach the services).

Today one: the jour drop-folder import (issue 16), when `STORNING_JOUR_DROP_DIR` is set.
"""

from __future__ import annotations

import logging
from datetime import datetime

from storning.app import App
from storning.jobs import Every, Job
from storning.runtime import Runtime
from storning.services.night_patrol import process_drop_folder

log = logging.getLogger("storning.worker")


def intake_jobs(app: Runtime, interval: int) -> list[Job]:
    """The jour import every `interval` seconds, or nothing when no drop folder is set."""
    if app.settings.jour_drop_dir is None:
        return []
    return [Job("jour_drop", jour_drop, Every(interval), "störningsjourens rapportfiler")]


def jour_drop(app: Runtime, now: datetime) -> int:
    """Import the files in the jour drop folder (`services.night_patrol.process_drop_folder`)."""
    directory = app.settings.jour_drop_dir
    if directory is None or not directory.is_dir() or not isinstance(app, App):
        return 0
    count = process_drop_folder(app, now, directory, app.settings.jour_drop_user)
    if count:
        log.info("jour drop folder: %s files", count)
    return count
