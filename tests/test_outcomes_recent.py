"""The dashboard's recent view (issue 14): at 100,000 cases the measures take seconds to compute, so
after a change the dashboard shows its last computation — saying when it was made and that cases have
changed since — while a new one is made in the background; the next view shows the new one. Only the
dashboard and the cases behind its numbers may be shown a past computation; the API, the CLI and the
exports are always computed from the data as it is. On SQLite and PostgreSQL.

Every computation in these tests counts as slow (`STORNING_STATS_WAIT_MS=0`), except in the last test,
which keeps the test suite's setting (a computation never waits).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from datetime import date, timedelta

import pytest

from storning import services
from storning.app import App
from storning.outcomes.measures import Stats, StatsFilter
from storning.services import outcomes
from storning.services.outcomes_cache import _cache_of
from tests.conftest import at, base_settings
from tests.doors import open_doors, page_text
from tests.helpers import open_storning
from tests.web.conftest import TestClient, login

PERIOD = StatsFilter(date(2026, 1, 1), date(2026, 12, 31))


@pytest.fixture
def eager(db_url: str) -> Iterator[App]:
    """An application where every computation of the measures counts as too slow to wait for."""
    application = App.create(replace(base_settings(db_url), stats_wait_ms=0))
    yield application
    outcomes.stop_refreshing(application)
    application.db.dispose()


def _opened(result: Stats) -> int:
    """The cases opened in the period, as the inflow measure counts them."""
    return sum(int(v.value or 0) for v in result.measure("inflow").values)


def test_after_a_change_the_dashboard_shows_its_last_computation_and_then_the_new_one(eager):
    open_storning(eager, "alice", at(0))
    shown = outcomes.stats(eager, "carl", at(0, hours=1), PERIOD, recent=True)
    assert (shown.current, shown.computed_at, _opened(shown)) == (True, at(0, hours=1), 1)

    open_storning(eager, "alice", at(0, hours=2))
    stale = outcomes.stats(eager, "carl", at(0, hours=3), PERIOD, recent=True)
    # the last computation, said to be so, with its own time; not a mix of old and new
    assert (stale.current, stale.computed_at, _opened(stale)) == (False, at(0, hours=1), 1)

    outcomes.wait_for_refreshes(eager)
    fresh = outcomes.stats(eager, "carl", at(0, hours=4), PERIOD, recent=True)
    # computed in the background after the view at 12:00 asked (the time the data was read: the
    # view's time and the background process's wait), and current: nothing has changed since
    assert (fresh.current, _opened(fresh)) == (True, 2)
    assert fresh.computed_at is not None
    assert at(0, hours=3) <= fresh.computed_at < at(0, hours=3) + timedelta(minutes=1)


def test_the_cases_behind_a_number_come_from_the_computation_the_dashboard_shows(eager):
    first = open_storning(eager, "alice", at(0))["ref"]
    outcomes.stats(eager, "carl", at(0, hours=1), PERIOD, recent=True)
    second = open_storning(eager, "alice", at(0, hours=2))["ref"]

    shown = outcomes.cases_behind(
        eager, "carl", at(0, hours=3), PERIOD, measure="inflow", recent=True
    )
    # the dashboard said 1: its list has that one case, and says it is the last computation
    assert ([r.ref for r in shown.rows], shown.current) == ([first], False)
    assert shown.computed_at == at(0, hours=1)

    exact = outcomes.case_rows(eager, "carl", at(0, hours=3), PERIOD, measure="inflow")
    assert sorted(r.ref for r in exact) == sorted([first, second])


def test_the_api_the_cli_and_exports_always_count_the_data_as_it_is(eager):
    open_storning(eager, "alice", at(0))
    outcomes.stats(eager, "carl", at(0, hours=1), PERIOD, recent=True)
    open_storning(eager, "alice", at(0, hours=2))
    exact = outcomes.stats(eager, "carl", at(0, hours=3), PERIOD)
    assert (exact.current, exact.computed_at, _opened(exact)) == (True, at(0, hours=3), 2)
    rows = outcomes.export(eager, "carl", at(0, hours=3), PERIOD, "csv", table="cases")
    assert rows.content.decode("utf-8-sig").count("\n") == 1 + 2  # a header and both cases


def test_the_dashboard_page_says_when_its_numbers_were_computed(eager, db_url, monkeypatch):
    with open_doors(eager, db_url, monkeypatch) as doors:
        open_storning(eager, "alice", at(0))
        carl = doors.browser("carl", now="2026-03-02T10:00:00+01:00")
        first = page_text(carl.get("/utfall", now="2026-03-02T10:00:00+01:00").text)
        assert "Måtten beräknades kl. 10:00:00." in first
        assert "har ändrats sedan dess" not in first

        open_storning(eager, "alice", at(0, hours=2))
        stale = page_text(carl.get("/utfall", now="2026-03-02T11:30:00+01:00").text)
        assert "Måtten beräknades kl. 10:00:00. Ärenden har ändrats sedan dess" in stale

        listed = page_text(
            carl.get("/utfall/arenden?measure=inflow", now="2026-03-02T11:31:00+01:00").text
        )
        assert "Listan bygger på måtten som beräknades kl. 10:00:00. Ärenden har ändrats" in listed

        outcomes.wait_for_refreshes(eager)
        fresh = page_text(carl.get("/utfall", now="2026-03-02T11:45:00+01:00").text)
        assert re.search(r"Måtten beräknades kl\. 11:3[01]:\d\d\.", fresh), fresh[:600]
        assert "har ändrats sedan dess" not in fresh


def test_where_computing_is_quick_the_dashboard_always_counts_the_data_as_it_is(app):
    # the test suite's setting: no computation takes longer than the viewer is let to wait
    open_storning(app, "alice", at(0))
    outcomes.stats(app, "carl", at(0, hours=1), PERIOD, recent=True)
    open_storning(app, "alice", at(0, hours=2))
    shown = outcomes.stats(app, "carl", at(0, hours=3), PERIOD, recent=True)
    assert (shown.current, _opened(shown)) == (True, 2)


def test_a_list_from_the_last_computation_shows_only_cases_the_viewer_may_read_now(eager):
    moved = open_storning(eager, "alice", at(0))["ref"]
    kept = open_storning(eager, "alice", at(0, hours=1))["ref"]
    outcomes.stats(eager, "carl", at(0, hours=2), PERIOD, recent=True)
    # the case moves to bob's team (syd): carl, chef of norr, may no longer read it
    services.reassign_case(eager, "admin", at(0, hours=3), moved, "bob")
    shown = outcomes.cases_behind(
        eager, "carl", at(0, hours=4), PERIOD, measure="inflow", recent=True
    )
    assert not shown.current  # the number shown still counts the moved case …
    assert [r.ref for r in shown.rows] == [kept]  # … but its list never shows it to carl


def test_when_the_background_process_dies_the_dashboard_computes_and_starts_a_new_one(eager):
    open_storning(eager, "alice", at(0))
    outcomes.stats(eager, "carl", at(0, hours=1), PERIOD, recent=True)
    open_storning(eager, "alice", at(0, hours=2))
    assert not outcomes.stats(eager, "carl", at(0, hours=3), PERIOD, recent=True).current
    outcomes.wait_for_refreshes(eager)
    cache = _cache_of(eager)
    assert cache.pool is not None
    dying = cache.pool.submit(os._exit, 1)  # the process dies (killed, out of memory …)
    with pytest.raises(BrokenProcessPool):
        dying.result(timeout=60)  # the pool has noticed
    open_storning(eager, "alice", at(0, hours=4))
    shown = outcomes.stats(eager, "carl", at(0, hours=5), PERIOD, recent=True)
    assert (shown.current, _opened(shown)) == (True, 3)  # computed while waiting: no error
    open_storning(eager, "alice", at(0, hours=6))
    stale = outcomes.stats(eager, "carl", at(0, hours=7), PERIOD, recent=True)
    assert (stale.current, _opened(stale)) == (False, 3)  # a new process took over
    outcomes.wait_for_refreshes(eager)
    assert _opened(outcomes.stats(eager, "carl", at(0, hours=8), PERIOD, recent=True)) == 4


def test_the_web_process_stops_the_background_process_when_it_shuts_down(
    eager, db_url, monkeypatch
):
    with open_doors(eager, db_url, monkeypatch) as doors:
        open_storning(eager, "alice", at(0))
        doors.clock.now = at(0, hours=1)
        with TestClient(doors.web, base_url="http://testserver", follow_redirects=False) as client:
            login(client, "carl")
            assert client.get("/utfall").status_code == 200
            open_storning(eager, "alice", at(0, hours=2))
            assert "har ändrats sedan dess" in client.get("/utfall").text
            assert _cache_of(eager).pool is not None
        assert _cache_of(eager).pool is None  # stopped by the server's shutdown
