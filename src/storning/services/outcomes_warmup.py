"""The dashboard's first view of a day, or after a restart, without the wait (issue 14).

The measures of a view hold for one day and one data version (services.outcomes_cache). The first
view of a day, or the first after the web process started, had nothing to show while the measures
were computed: at 100,000 cases seconds. So a web process computes the views people open first —
"I år" and "Senaste 12 månaderna" for everyone who may see Utfall, in the background process —
when it starts and just after each local midnight: "I år" for everyone first, administrators first,
then the last twelve months, at most WARM_MOST views (half of what the process keeps, so that the
views computed ahead are still there when they are opened). A view opened before its computation
ahead is done is computed while the viewer waits, as it would be without (waiting for the queue
could take longer).

Below WARM_FROM_CASES cases a computation takes well under the dashboard's wait
(STORNING_STATS_WAIT_MS) and nothing is computed ahead; STORNING_STATS_WARM_UP=false turns it off
(each web process computes its own views: with many processes an operator may rather have the first
viewer wait).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from storning.access import principal_of
from storning.app import App
from storning.clock import local_day
from storning.outcomes.measures import StatsFilter
from storning.outcomes.periods import preset_days
from storning.services.common import unit
from storning.services.outcomes import may_see_outcomes
from storning.services.outcomes_cache import CACHE_SIZE, refresh_in_background
from storning.store.models import Case, User

_log = logging.getLogger(__name__)

WARM_FROM_CASES = 2_000
WARM_MOST = CACHE_SIZE // 2
# the presets computed ahead: the page's default ("I år") and the last twelve months
WARM_PRESETS = ("ar", "12m")
# how long after midnight the new day's views are computed (timers that fire at midnight first)
AFTER_MIDNIGHT = timedelta(minutes=1)


def warm_up(app: App, now: datetime) -> int:
    """Have the background process compute the first views of `now`'s day (see the module's
    text); the number of views asked for (0 for a small database, or when all are computed)."""
    if not app.settings.stats_warm_up:
        return 0
    day = local_day(now, app.zone)
    asked = 0
    with unit(app, write=False) as session:
        cases = session.execute(select(func.count(Case.id))).scalar_one()
        if cases < WARM_FROM_CASES:
            return 0
        users = session.scalars(select(User).where(User.active.is_(True)).order_by(User.id))
        viewers = [p for p in map(principal_of, users) if may_see_outcomes(p)]
    viewers.sort(key=lambda p: not p.is_admin)  # stable: then in the order the users were made
    for preset in WARM_PRESETS:
        flt = StatsFilter(*preset_days(preset, day))
        for principal in viewers:
            if asked >= WARM_MOST:
                break
            asked += refresh_in_background(app, principal, flt, now)
    if asked:
        _log.info("outcomes: %d views of %s are being computed ahead", asked, day)
    return asked


class DailyWarmUp:
    """`warm_up` in a thread now and just after every local midnight, until `stop`."""

    def __init__(self, app: App, clock: Callable[[], datetime]) -> None:
        self._app, self._clock = app, clock
        self._stopped = threading.Event()
        self.asked = threading.Event()  # set once the first warm-up has asked for its views
        self._thread = threading.Thread(
            target=self._run, name="storning-stats-warm-up", daemon=True
        )

    def start(self) -> DailyWarmUp:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops it, after the warm-up under way has asked for its views (a database read)."""
        self._stopped.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stopped.is_set():
            now = self._clock()
            try:
                warm_up(self._app, now)
            except Exception:  # the views are then computed when first opened
                _log.exception("outcomes: computing the day's first views ahead failed")
            self.asked.set()
            self._stopped.wait(seconds_to_next_day(self._app, now))


def seconds_to_next_day(app: App, now: datetime) -> float:
    """Seconds from `now` to AFTER_MIDNIGHT past the next local midnight."""
    tomorrow = local_day(now, app.zone) + timedelta(days=1)
    at = datetime.combine(tomorrow, time(), tzinfo=app.zone) + AFTER_MIDNIGHT
    return max(1.0, (at - now).total_seconds())
