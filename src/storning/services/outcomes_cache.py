"""The computed outcome measures, kept per view, and their computation anew in the background
(issue 14): `measures_for` is what `storning.services.outcomes` calls.

The measures are a pure function of the rows, the viewer's visibility, the filter and the day. A result
is kept per view (who sees what, the filter, the day, the measures asked for) with the data version it
was computed from: the journal's last id, the number of cases and the sum of their versions (every
change of a case bumps its version and writes a journal row; timers that fire write journal rows too).
A result of another data version is never served as current.

The dashboard (`recent`) may be shown the last result, marked (`Stats.current` False), when the data
has changed but computing anew would keep the viewer waiting longer than STORNING_STATS_WAIT_MS: at
100,000 cases a computation takes seconds (bench/stats.py). The new one is then computed in a separate
process (one per web process, started when first needed), so the pages served meanwhile do not share
a core's interpreter lock with it; the next view shows it. Per process, per application, the
CACHE_SIZE most recently used views.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storning import access
from storning.access import Principal, principal_of
from storning.app import App
from storning.clock import local_day
from storning.config import Settings
from storning.outcomes.bulk import collector_paused
from storning.outcomes.measures import Setting, Stats, StatsFilter, compute
from storning.readmodel import _visible  # the worklist's own visibility clause: one rule for both
from storning.services.common import _actor, unit
from storning.store.models import Case, JournalEntry

_log = logging.getLogger(__name__)

CACHE_SIZE = 32
_LOCK = threading.Lock()

ViewKey = tuple[Any, ...]


@dataclass
class Computed:
    """One computation: the result, the data version it was read from, and how long it took."""

    result: Stats
    version: tuple[Any, ...]
    seconds: float


@dataclass
class _Cache:
    views: OrderedDict[ViewKey, Computed] = field(default_factory=OrderedDict)
    refreshing: dict[ViewKey, Future[Computed]] = field(default_factory=dict)
    pool: ProcessPoolExecutor | None = None


def measures_for(
    app: App,
    session: Session,
    principal: Principal,
    flt: StatsFilter,
    now: datetime,
    only: list[str] | None,
    *,
    recent: bool = False,
    firsts: dict[str, dict[int, datetime]] | None = None,
) -> Stats:
    """The measures of one view: kept if the data has not changed; for the dashboard (`recent`)
    the last ones, marked, when computing anew takes too long (see the module's text). `firsts`:
    as `compute`'s, filled only when the measures are computed in this call."""
    view = _view_key(app, principal, flt, now, only)
    whole = (*view[:-1], None)  # the same view with every measure: it answers for any of them
    version = data_version(session)
    cache = _cache_of(app)
    with _LOCK:
        for key in dict.fromkeys((view, whole)):
            found = cache.views.get(key)
            if found is not None and found.version == version:
                cache.views.move_to_end(key)
                return _narrowed(found.result, only)
        if recent:
            last = cache.views.get(whole) or cache.views.get(view)
            slow = last is not None and last.seconds * 1000 > app.settings.stats_wait_ms
            if last is not None and slow and _refresh_later(app, cache, view, principal, flt, now):
                return replace(_narrowed(last.result, only), current=False)
    computed = computed_now(app, session, principal, flt, now, only, version, firsts)
    _keep(cache, view, computed)
    return computed.result


def refresh_in_background(app: App, principal: Principal, flt: StatsFilter, now: datetime) -> int:
    """Have the background process compute every measure of a view of `principal` (the warm-up of
    services.outcomes_warmup): 1 when asked, 0 when it is kept for this day already or under way."""
    view = _view_key(app, principal, flt, now, None)
    cache = _cache_of(app)
    with _LOCK:
        if view in cache.views or view in cache.refreshing:
            return 0
        return int(_refresh_later(app, cache, view, principal, flt, now))


def computed_now(
    app: App,
    session: Session,
    principal: Principal,
    flt: StatsFilter,
    now: datetime,
    only: list[str] | None,
    version: tuple[Any, ...],
    firsts: dict[str, dict[int, datetime]] | None = None,
) -> Computed:
    """The measures computed from the data (whose `version` the caller read before)."""
    started = time.perf_counter()
    setting = Setting(app.zone, app.engine.calendar, now)
    with collector_paused():
        result = compute(
            session, _visible(session, principal), flt, setting, only=only, firsts=firsts
        )
    result.computed_at = now
    return Computed(result, version, time.perf_counter() - started)


def data_version(session: Session) -> tuple[Any, ...]:
    return tuple(
        session.execute(
            select(
                select(func.max(JournalEntry.id)).scalar_subquery(),
                select(func.count(Case.id)).scalar_subquery(),
                select(func.coalesce(func.sum(Case.version), 0)).scalar_subquery(),
            )
        ).one()
    )


def wait_for_refreshes(app: App, timeout: float = 120.0) -> None:
    """Wait until the computations under way in the background have been kept (tests, bench)."""
    cache = _cache_of(app)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _LOCK:
            if not cache.refreshing:
                return
        time.sleep(0.01)
    raise TimeoutError("the outcome measures are still being computed")


def stop_refreshing(app: App, *, wait: bool = True) -> None:
    """Stop the background process of `app`, if one was started: after its work (`wait`, tests), or
    at once, dropping what is queued (a web process shutting down; a computation under way ends
    with it: the process also watches its parent)."""
    cache = _cache_of(app)
    if wait:
        wait_for_refreshes(app)
    with _LOCK:
        pool, cache.pool = cache.pool, None
    if pool is not None:
        pool.shutdown(wait=wait, cancel_futures=True)


# --- inside ------------------------------------------------------------------------------------------


def _narrowed(result: Stats, only: list[str] | None) -> Stats:
    if only is None or len(result.measures) == len(only):
        return result
    return replace(result, measures=[m for m in result.measures if m.key in only])


def _keep(cache: _Cache, view: ViewKey, computed: Computed) -> None:
    with _LOCK:
        cache.views[view] = computed
        cache.views.move_to_end(view)
        while len(cache.views) > CACHE_SIZE:
            cache.views.popitem(last=False)


def _refresh_later(
    app: App,
    cache: _Cache,
    view: ViewKey,
    principal: Principal,
    flt: StatsFilter,
    now: datetime,
) -> bool:
    """Have the background process compute `view` anew (unless that is already under way); False
    when it cannot (it died, or cannot start): the caller then computes while the viewer waits, and
    the next refresh starts a new process. Called with the lock held."""
    if view in cache.refreshing:
        return True
    only = list(view[-1]) if view[-1] else None
    try:
        if cache.pool is None:
            cache.pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(app.settings, os.getpid()),
            )
        future = cache.pool.submit(
            _computed_in_worker, principal.username, flt, now, time.time(), only
        )
    except (BrokenProcessPool, RuntimeError, OSError):
        _log.exception("outcomes: the background process is gone; computing while the viewer waits")
        _drop_pool(cache)
        return False
    cache.refreshing[view] = future

    def done(finished: Future[Computed]) -> None:
        try:
            _keep(cache, view, finished.result())
        except CancelledError:  # the web process is stopping: what was queued is dropped
            pass
        except BrokenProcessPool:
            _log.error("outcomes: the background process stopped; the next view starts a new one")
            with _LOCK:
                _drop_pool(cache)
        except Exception:  # the next view computes while the viewer waits
            _log.exception("outcomes: the background computation of %s failed", flt)
        finally:
            with _LOCK:
                cache.refreshing.pop(view, None)

    future.add_done_callback(done)
    return True


def _drop_pool(cache: _Cache) -> None:
    """Forget a broken pool (called with the lock held); its process, if any is left, is told to
    stop without waiting."""
    pool, cache.pool = cache.pool, None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


_WORKER_APP: App | None = None


def _start_worker(settings: Settings, parent: int) -> None:
    """In the background process: the application, and a watch that ends the process when the web
    process that started it is gone (stopped by a signal that skips its exit handlers)."""
    global _WORKER_APP
    _WORKER_APP = App.create(settings)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="storning-stats-parent-watch", daemon=True).start()


def _computed_in_worker(
    username: str, flt: StatsFilter, asked_at: datetime, asked_wall: float, only: list[str] | None
) -> Computed:
    """In the background process: the data version, read before the measures (a change made
    meanwhile makes the result stale, never wrongly current), and the measures, as of the moment
    the data is read (the asking view's time plus the wait since)."""
    app = _WORKER_APP
    assert app is not None, "the background process was not started by _start_worker"
    now = asked_at + timedelta(seconds=max(0.0, time.time() - asked_wall))
    now = now.replace(microsecond=0)
    with unit(app, write=False) as session:
        principal = principal_of(_actor(app, session, username))
        version = data_version(session)
        return computed_now(app, session, principal, flt, now, only, version)


def _cache_of(app: App) -> _Cache:
    cache: _Cache | None = getattr(app, "_outcomes_cache", None)
    if cache is None:
        with _LOCK:
            cache = getattr(app, "_outcomes_cache", None)
            if cache is None:
                cache = _Cache()
                object.__setattr__(app, "_outcomes_cache", cache)
    return cache


def _view_key(
    app: App,
    principal: Principal,
    flt: StatsFilter,
    now: datetime,
    only: list[str] | None,
) -> ViewKey:
    seen = access.visibility(principal)
    who = (
        seen,
        principal.team if seen == "team" else None,
        principal.username
        if seen in ("own", "team") and access.may_act_at_all(principal)
        else None,
    )
    return (who, flt, local_day(now, app.zone), tuple(sorted(only)) if only else None)
