"""`storning.outcomes.bulk.collector_paused`: the cyclic garbage collector is paused while bulk work
runs in the process (the measures, an export) and resumes as it was, however the works overlap."""

from __future__ import annotations

import gc
import threading

import pytest

from storning.outcomes.bulk import collector_paused


@pytest.fixture(autouse=True)
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_while_bulk_work_runs_and_resumed_after_even_when_it_fails():
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # the export computes the measures inside its own pause
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer work still runs
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), collector_paused():
        1 / 0  # noqa: B018
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_overlapping_works_in_two_threads_resume_only_when_the_last_ends():
    first_in, second_done, seen = threading.Event(), threading.Event(), []

    def first() -> None:
        with collector_paused():
            first_in.set()
            second_done.wait(10)
            seen.append(("first, after the second ended", gc.isenabled()))

    def second() -> None:
        first_in.wait(10)
        with collector_paused():
            pass
        seen.append(("second ended while the first runs", gc.isenabled()))
        second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == [
        ("second ended while the first runs", False),
        ("first, after the second ended", False),
    ]
    assert gc.isenabled()
