"""The made-up history of the demo and the benchmark (issue 14 §6): reproducible from its seed, and
every case is what the engine would have stored — its journal replays to its track states
(invariant 3), a closed case ended in a final legal state with an outcome, nothing is dated after
`now`, and the reference counters move on so the next real case gets a new reference."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from storning import services
from storning.app import App
from storning.journal import journal_rows, replay_states
from storning.outcomes import history
from storning.outcomes.history import PATHS, Step, check_paths, generate_history
from storning.store.models import Case, Incident, JournalEntry, Timer
from tests.conftest import at, base_settings, populate

NOW = at(0)
OWNERS = ("alice", "bob", "carl")
FINAL = {"closed", "evicted", "paid", "recovered"}


def _snapshot(app: App) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with app.db.read() as session:
        cases = [
            (
                c.ref,
                c.case_type,
                c.status,
                c.outcome,
                c.source,
                c.children,
                c.tenant_name,
                c.opened_at,
                c.closed_at,
                tuple(sorted((t.track, t.state) for t in c.tracks)),
            )
            for c in session.scalars(select(Case).order_by(Case.ref))
        ]
        journal = [
            (r.event, r.track, r.from_state, r.to_state, r.at)
            for r in session.scalars(select(JournalEntry).order_by(JournalEntry.id))
        ]
    return cases, journal


def _fresh_app(tmp_path: Path, name: str) -> App:
    app = App.create(base_settings(f"sqlite:///{tmp_path / name}"))
    populate(app)
    return app


def test_the_same_seed_gives_the_same_rows_and_another_seed_other_rows(tmp_path):
    first, second, third = (_fresh_app(tmp_path, f"{n}.db") for n in "abc")
    for app, seed in ((first, 7), (second, 7), (third, 8)):
        generate_history(app, NOW, cases=80, owners=OWNERS, seed=seed)
    assert _snapshot(first) == _snapshot(second)
    assert _snapshot(first)[0] != _snapshot(third)[0]
    for app in (first, second, third):
        app.db.dispose()


def test_every_generated_case_replays_and_ends_as_the_engine_would(app):
    result = generate_history(app, NOW, cases=300, owners=OWNERS, seed=3)
    assert result.cases == 300
    outcomes: Counter[str] = Counter()
    with app.db.read() as session:
        cases = list(session.scalars(select(Case)))
        assert len(cases) == 300
        for case in cases:
            workflow = app.engine.workflow_of(session, case)
            entries = journal_rows(session, case.id)
            stored = {t.track: t.state for t in case.tracks}
            assert replay_states(workflow, entries) == stored, case.ref
            times = [e.at for e in entries]
            assert times == sorted(times), case.ref  # the journal is in time order
            assert times[0] == case.opened_at and times[-1] == case.last_event_at
            assert max(times) <= NOW
            assert case.opened_at >= NOW - timedelta(days=366)
            legal = stored["legal"]
            if case.status == "closed":
                assert legal in FINAL and case.closed_at is not None and case.outcome, case.ref
                outcomes[case.outcome] += 1
            else:
                assert legal not in FINAL and case.closed_at is None and case.outcome is None
            if case.case_type == "hyresskuld":
                assert {"due_date", "amount"} <= set(case.facts)
        # one incident per disturbance case at least, and the journal names each incident
        incident_ids = set(session.scalars(select(Incident.id)))
        named = {
            e.params["incident_id"]
            for e in session.scalars(
                select(JournalEntry).where(JournalEntry.event == "incident_added")
            )
        }
        assert named == incident_ids
        assert session.scalar(select(Timer.id).limit(1)) is None  # no timer left running
    types = Counter(c.case_type for c in cases)
    assert types["storning"] > 100 and types["hyresskuld"] > 50
    # the story has every kind of ending, and still-open cases at the end
    assert {
        "dialog",
        "rattelse",
        "flyttat",
        "uppsagning_aterkallad",
        "atervunnen",
        "avhyst",
    } <= set(outcomes)
    assert 0 < result.open_cases < 150
    assert {c.source for c in cases} >= {"granne", "storningsjour", "personal", "polis", "annan"}
    assert any(c.children for c in cases) and any(c.children is None for c in cases)


def test_a_real_case_opened_after_the_history_gets_the_next_reference(app):
    result = generate_history(app, NOW, cases=40, owners=OWNERS, seed=5)
    this_year = sorted(r for r in result.refs if r.startswith(f"S-{NOW.year}-"))
    assert this_year, "the history has disturbance cases of this year"
    opened = services.open_case(
        app,
        "alice",
        NOW + timedelta(minutes=5),
        services.NewCase(
            case_type="storning", tenant="Ny Hyresgäst", address="Gatan 1", apartment="1"
        ),
    )
    assert opened["ref"] == f"S-{NOW.year}-{int(this_year[-1].rsplit('-', 1)[1]) + 1:04d}"


def test_a_path_that_the_workflow_does_not_allow_is_refused_before_anything_is_written(app):
    wrong = history.Path("fel", "storning", 1, (Step("legal", "terminate", "terminated"),))
    with app.db.read() as session:
        workflows = {t: app.registry.latest(session, t) for t in ("storning", "hyresskuld")}
    check_paths(workflows)  # the shipped paths are all allowed
    with pytest.raises(ValueError, match=r"no legal\.terminate assessment -> terminated"):
        check_paths(workflows, [wrong])
    assert len(PATHS) >= 10


def test_unknown_owners_are_refused(app):
    with pytest.raises(ValueError, match="nobody"):
        generate_history(app, NOW, cases=3, owners=("alice", "nobody"))
