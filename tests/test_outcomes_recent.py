"""The dashboard's recent view (issue 14): at 100,000 cases the measures take seconds to compute, so
after a change the dashboard shows its last computation — saying when it was made and that cases have
changed since — while a new one is made in the background; the next view shows the new one. Only the
dashboard and the cases behind its numbers may be shown a past computation; the API, the CLI and the
exports are always computed from the data as it is. On SQLite and PostgreSQL.

Every computation in these tests counts as slow (`STORNING_STATS_WAIT_MS=0`), except in the last test,
which keeps the test suite's setting (a computation never waits).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest

from storning.app import App
from storning.outcomes.measures import Stats, StatsFilter
from storning.services import outcomes
from tests.conftest import at, base_settings
from tests.doors import open_doors, page_text
from tests.helpers import open_storning

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
    # computed in the background for the view at 12:00, and current: nothing has changed since
    assert (fresh.current, fresh.computed_at, _opened(fresh)) == (True, at(0, hours=3), 2)


def test_the_cases_behind_a_number_are_those_of_the_number_the_dashboard_showed(eager):
    first = open_storning(eager, "alice", at(0))["ref"]
    outcomes.stats(eager, "carl", at(0, hours=1), PERIOD, recent=True)
    second = open_storning(eager, "alice", at(0, hours=2))["ref"]

    shown = outcomes.case_rows(eager, "carl", at(0, hours=3), PERIOD, measure="inflow", recent=True)
    assert [r.ref for r in shown] == [first]  # the dashboard said 1: its list has that one case

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

        outcomes.wait_for_refreshes(eager)
        fresh = page_text(carl.get("/utfall", now="2026-03-02T11:45:00+01:00").text)
        assert "Måtten beräknades kl. 11:30:00." in fresh
        assert "har ändrats sedan dess" not in fresh


def test_where_computing_is_quick_the_dashboard_always_counts_the_data_as_it_is(app):
    # the test suite's setting: no computation takes longer than the viewer is let to wait
    open_storning(app, "alice", at(0))
    outcomes.stats(app, "carl", at(0, hours=1), PERIOD, recent=True)
    open_storning(app, "alice", at(0, hours=2))
    shown = outcomes.stats(app, "carl", at(0, hours=3), PERIOD, recent=True)
    assert (shown.current, _opened(shown)) == (True, 2)
