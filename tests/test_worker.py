"""`storning worker` for real: a separate process with APScheduler as its clock fires due reminders,
sends them to a loopback SMTP server and stops cleanly on SIGTERM; its digest job makes the digest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime

from storning.worker import build_scheduler
from tests.conftest import ROOT, ZONE
from tests.helpers import open_storning


def test_the_worker_process_sends_due_reminders_by_email_and_stops_on_sigterm(sqlite_app, smtp):
    port, received = smtp
    ref = open_storning(sqlite_app)["ref"]
    env = {
        **os.environ,
        "STORNING_DB": sqlite_app.settings.db_url,
        "STORNING_NOW": "2026-03-09T07:30",
        "STORNING_WORKFLOWS": str(ROOT / "workflows"),
        "STORNING_LETTERS_DIR": str(ROOT / "letters"),
        "STORNING_SMTP_HOST": "127.0.0.1",
        "STORNING_SMTP_PORT": str(port),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "storning.cli", "worker", "--interval", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not received and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.1)  # waiting for another process, bounded; the product itself never sleeps
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
    assert received, output
    message = received[0].content.decode()
    assert received[0].rcpt_tos == ["alice@example.se"]
    assert ref in message and f"/arenden/{ref}" in message
    assert worker.returncode == 0, output
    assert "worker stopped" in output


def test_the_digest_job_is_scheduled_for_weekday_mornings_and_sends_once_a_day(sqlite_app):
    open_storning(sqlite_app)
    monday = datetime(2026, 3, 9, 7, 0, tzinfo=ZONE)
    scheduler = build_scheduler(sqlite_app, 30, clock=lambda: monday)
    digest = scheduler.get_job("digest")
    trigger = str(digest.trigger)
    assert "day_of_week='mon-fri'" in trigger and "hour='7'" in trigger and "minute='0'" in trigger
    assert digest.func() == 2  # in-app and e-mail for alice
    assert digest.func() == 0  # the same day again: nothing (several workers may run it)
