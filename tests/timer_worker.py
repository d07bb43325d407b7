"""A worker process for the multi-process timer tests: `python tests/timer_worker.py URL [stall]`.

`stall` claims one batch, fires its first timer, prints CLAIMED and then waits forever inside the open
transaction, so the test can kill it with SIGKILL mid-batch.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storning import timers  # noqa: E402
from storning.app import App  # noqa: E402
from tests.conftest import base_settings  # noqa: E402

NOW = datetime.fromisoformat("2026-06-01T12:00:00+02:00")


def main() -> None:
    url, mode = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "normal")
    app = App.create(base_settings(url))
    if mode == "stall":
        original = timers.fire_reminders

        def stall(app, session, batch, now):
            result = original(app, session, batch, now)
            session.flush()
            print("CLAIMED", flush=True)
            sys.stdin.read()  # never returns: the parent kills us mid-batch, before the commit
            return result

        timers.fire_reminders = stall
    result = timers.run_due(app, NOW, batch_size=100)
    print(f"FIRED {result.fired}", flush=True)
    app.db.dispose()


if __name__ == "__main__":
    main()
