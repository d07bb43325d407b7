"""The dashboard's first view of a day, or after a restart, is computed ahead (issue 14): a web
process asks its background process for "I år" and "Senaste 12 månaderna" of everyone who may see
Utfall when it starts and just after each local midnight, at a database of WARM_FROM_CASES cases or
more, at most WARM_MOST views. And a computation of the measures never keeps officers from changing
cases. On SQLite and PostgreSQL.

Here every computation counts as too slow to wait for (STORNING_STATS_WAIT_MS=0) and the threshold is
lowered to the test's few cases."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime

import pytest

from storning.app import App
from storning.outcomes.measures import StatsFilter
from storning.services import outcomes, outcomes_cache, outcomes_warmup
from storning.services.outcomes_cache import _cache_of
from tests.conftest import at, base_settings
from tests.doors import open_doors
from tests.helpers import open_storning
from tests.web.conftest import TestClient, login

# at(0) is Monday 2 March 2026; "I år" is 1 January to that day, the last twelve months are
# 3 March 2025 to that day (the same day a year back, plus one)
THIS_YEAR = StatsFilter(date(2026, 1, 1), date(2026, 3, 2))
TWELVE_MONTHS = StatsFilter(date(2025, 3, 3), date(2026, 3, 2))


@pytest.fixture
def eager(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    monkeypatch.setattr(outcomes_warmup, "WARM_FROM_CASES", 1)
    application = App.create(replace(base_settings(db_url), stats_wait_ms=0))
    yield application
    outcomes.stop_refreshing(application)
    application.db.dispose()


def _never_in_this_process(*args: object, **kwargs: object) -> None:
    raise AssertionError("the view computed its measures while the viewer waited")


def test_the_first_views_of_the_day_are_computed_ahead_and_shown_current(eager, monkeypatch):
    open_storning(eager, "alice", at(0))
    # carl (chef), lisa (reader) and admin may see Utfall, alice and bob (officers) may not: three
    # viewers, two presets each
    assert outcomes_warmup.warm_up(eager, at(0, hours=1)) == 3 * 2
    assert outcomes_warmup.warm_up(eager, at(0, hours=1)) == 0  # under way or kept: not twice
    outcomes.wait_for_refreshes(eager)
    # the page's first view neither waits for a computation in this process nor shows an old one
    monkeypatch.setattr(outcomes_cache, "computed_now", _never_in_this_process)
    for who in ("carl", "lisa", "admin"):
        for period in (THIS_YEAR, TWELVE_MONTHS):
            shown = outcomes.stats(eager, who, at(0, hours=2), period, recent=True)
            assert shown.current and shown.computed_at is not None
            assert sum(int(v.value or 0) for v in shown.measure("inflow").values) == 1


def test_at_most_half_the_kept_views_are_computed_ahead_administrators_first(eager, monkeypatch):
    # the process keeps CACHE_SIZE views; computing more ahead would push out the first ones
    # before anyone opened them. Here two fit: admin's and the next viewer's "I år"
    monkeypatch.setattr(outcomes_warmup, "WARM_MOST", 2)
    open_storning(eager, "alice", at(0))
    assert outcomes_warmup.warm_up(eager, at(0, hours=1)) == 2
    outcomes.wait_for_refreshes(eager)
    monkeypatch.setattr(outcomes_cache, "computed_now", _never_in_this_process)
    assert outcomes.stats(eager, "admin", at(0, hours=2), THIS_YEAR, recent=True).current
    assert outcomes.stats(eager, "carl", at(0, hours=2), THIS_YEAR, recent=True).current


def test_officers_can_change_cases_while_the_measures_are_computed(eager, monkeypatch):
    """The measures take seconds at 100,000 cases; on SQLite a transaction that writes holds the
    database's one write lock from its start, so the computation reads, and its access-log line is
    written after it. Here an officer opens a case in the middle of a computation."""
    from storning.outcomes import measures

    opened: list[str] = []
    compute = measures.compute

    def computing_while_an_officer_works(*args, **kwargs):
        import threading

        worker = threading.Thread(
            target=lambda: opened.append(open_storning(eager, "alice", at(0, hours=1))["ref"])
        )
        worker.start()
        worker.join(timeout=60)
        return compute(*args, **kwargs)

    monkeypatch.setattr(outcomes_cache, "compute", computing_while_an_officer_works)
    for view in (
        lambda: outcomes.stats(eager, "carl", at(0, hours=2), THIS_YEAR, recent=True),
        lambda: outcomes.case_rows(eager, "carl", at(0, hours=2), THIS_YEAR),
        lambda: outcomes.export(eager, "lisa", at(0, hours=2), THIS_YEAR, "xlsx"),
    ):
        before = len(opened)
        view()
        assert len(opened) == before + 1  # the officer's change went through meanwhile


def test_a_small_database_is_not_computed_ahead(db_url, monkeypatch):
    application = App.create(replace(base_settings(db_url), stats_wait_ms=0))
    try:
        open_storning(application, "alice", at(0))
        monkeypatch.setattr(outcomes_warmup, "WARM_FROM_CASES", 2)
        assert outcomes_warmup.warm_up(application, at(0, hours=1)) == 0
        assert _cache_of(application).pool is None  # no background process was started
    finally:
        application.db.dispose()


def test_the_web_process_computes_ahead_when_it_starts(eager, db_url, monkeypatch):
    with open_doors(eager, db_url, monkeypatch) as doors:
        open_storning(eager, "alice", at(0))
        doors.clock.now = at(0, hours=1)
        with TestClient(doors.web, base_url="http://testserver", follow_redirects=False) as client:
            assert doors.web.state.warm_up.asked.wait(60)
            outcomes.wait_for_refreshes(eager)
            login(client, "carl")
            monkeypatch.setattr(outcomes_cache, "computed_now", _never_in_this_process)
            page = client.get("/utfall")
            assert page.status_code == 200 and "har ändrats sedan dess" not in page.text
        assert _cache_of(eager).pool is None  # stopped with the server


@pytest.mark.parametrize(
    ("now", "seconds"),
    [
        # Saturday 28 March 2026, 23:59 CET: midnight is a minute away, the warm-up one after it
        (datetime(2026, 3, 28, 22, 59), 2 * 60),
        # Sunday 29 March 2026, 01:00 CET: the clocks go forward at 02:00 that night, so midnight
        # (Monday 00:00 CEST = Sunday 22:00 UTC) is 22 hours away, not 23
        (datetime(2026, 3, 29, 0, 0), 22 * 3600 + 60),
        # Sunday 25 October 2026, 00:30 CEST: the clocks go back at 03:00, so the day has 25 hours
        # and midnight is 24 h 30 min away
        (datetime(2026, 10, 24, 22, 30), 24 * 3600 + 30 * 60 + 60),
    ],
)
def test_the_next_warm_up_is_a_minute_after_local_midnight(eager, now, seconds):
    from zoneinfo import ZoneInfo

    utc = now.replace(tzinfo=ZoneInfo("UTC"))
    assert outcomes_warmup.seconds_to_next_day(eager, utc) == seconds


def test_an_operator_may_turn_the_warm_up_off(db_url, monkeypatch):
    from storning.config import Settings

    assert Settings.from_env({}).stats_warm_up is True
    assert Settings.from_env({"STORNING_STATS_WARM_UP": "false"}).stats_warm_up is False
    monkeypatch.setattr(outcomes_warmup, "WARM_FROM_CASES", 1)
    application = App.create(replace(base_settings(db_url), stats_warm_up=False))
    try:
        open_storning(application, "alice", at(0))
        assert outcomes_warmup.warm_up(application, at(0, hours=1)) == 0
        assert _cache_of(application).pool is None
    finally:
        application.db.dispose()
