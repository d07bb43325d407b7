"""Bulk work without the cyclic garbage collector: `collector_paused()`.

Computing the measures and writing an export at 100,000 cases makes a few million short-lived
containers (rows, lists, sets), none of them in a reference cycle; reference counting frees them.
CPython's cyclic collector still runs every 700 allocations and, a dozen times in such a run, walks
every object the process holds (the web process's cached measures among them): measured at 100,000
cases, a third of an XLSX export's time (2.5 s of 8). While any bulk work runs in the process, the
collector is paused; it runs once after the last one ends, and resumes as it was. Other threads keep
working meanwhile: only cycles they make wait those seconds to be collected.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.Lock()
_running = 0  # bulk works under way in this process
_was_enabled = False  # whether the collector ran before the first of them began


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the duration (re-entrant, thread-safe)."""
    global _running, _was_enabled
    with _LOCK:
        if _running == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _running += 1
    try:
        yield
    finally:
        with _LOCK:
            _running -= 1
            resume = _running == 0 and _was_enabled
            if resume:
                gc.enable()
        if resume:
            gc.collect(1)  # the young objects' cycles now; the old ones at the collector's pace
