"""The design's invariants (DESIGN.md §1), each as a test."""

from __future__ import annotations

import ast
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from storning import services
from storning.effects import EFFECTS, Effect
from storning.errors import ClockError, StaleCase, StorningError
from storning.journal import journal_rows, replay_states
from storning.store.models import Case, CaseTrack, JournalEntry, Letter, Timer
from tests.conftest import ROOT, at
from tests.helpers import letter_id, open_storning, states

SRC = ROOT / "src" / "storning"


def test_only_the_engine_assigns_a_track_state():
    """Invariant 1: no module but engine.py writes `<track row>.state` or `.since`."""
    writers = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else []
            for target in targets:
                for element in target.elts if isinstance(target, ast.Tuple) else [target]:
                    if (
                        isinstance(element, ast.Attribute)
                        and element.attr == "state"
                        and not (isinstance(element.value, ast.Name) and element.value.id == "self")
                    ):
                        writers.append(path.relative_to(SRC).as_posix())
    assert set(writers) == {"engine.py"}


def _snapshot(app, ref):
    with app.db.read() as session:
        case = session.scalar(select(Case).where(Case.ref == ref))
        return {
            "version": case.version,
            "facts": dict(case.facts),
            "states": {
                t.track: t.state
                for t in session.scalars(select(CaseTrack).where(CaseTrack.case_id == case.id))
            },
            "journal": session.scalar(
                select(func.count())
                .select_from(JournalEntry)
                .where(JournalEntry.case_id == case.id)
            ),
            "letters": session.scalar(
                select(func.count()).select_from(Letter).where(Letter.case_id == case.id)
            ),
            "timers": sorted(
                (t.name, t.status)
                for t in session.scalars(select(Timer).where(Timer.case_id == case.id))
            ),
        }


def test_an_effect_that_fails_midway_leaves_nothing_of_the_event(app, monkeypatch):
    """Invariant 2: state change, journal, letters, timers and emitted events commit together or not at all."""
    ref = open_storning(app)["ref"]
    services.add_incident(
        app, "alice", at(1), ref, at=at(0.5), kind="noise", text="Fest", verified_by="jour"
    )
    before = _snapshot(app, ref)
    original = EFFECTS["emit"]

    def explode(ctx, arg):
        original.apply(ctx, arg)  # the authority track has moved and a letter exists by now
        raise RuntimeError("disk full")

    monkeypatch.setitem(EFFECTS, "emit", Effect("emit", original.validate, explode))
    with pytest.raises(RuntimeError):
        services.fire_event(app, "alice", at(1, 1), ref, "issue_uppmaning")
    assert _snapshot(app, ref) == before


def test_a_stale_form_is_refused_and_nothing_is_lost(app):
    """Invariant 8: an officer who loaded version N cannot overwrite a change made meanwhile."""
    doc = open_storning(app)
    ref, version = doc["ref"], doc["version"]
    services.fire_event(
        app,
        "carl",
        at(1),
        ref,
        "record_contact",
        params={"channel": "phone"},
        expected_version=version,
    )
    with pytest.raises(StaleCase, match="ladda om"):
        services.fire_event(
            app, "alice", at(1, 1), ref, "mark_unreachable", expected_version=version
        )
    doc = services.show_case(app, "alice", at(2), ref)
    assert states(doc)["customer"] == "contacted"
    assert [e["event"] for e in doc["journal"]][-1] == "record_contact"


def test_two_concurrent_writers_on_one_case_never_lose_an_event(app):
    """Both transactions run at once; they are serialised by the row lock and both land, in order."""
    ref = open_storning(app)["ref"]
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def write(user, kind):
        barrier.wait()
        try:
            services.add_incident(
                app, user, at(1), ref, at=at(0.5), kind=kind, text=kind, verified_by="jour"
            )
        except Exception as error:
            errors.append(error)

    threads = [
        threading.Thread(target=write, args=("alice", "noise")),
        threading.Thread(target=write, args=("carl", "smell")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    doc = services.show_case(app, "alice", at(2), ref)
    assert sorted(i["kind"] for i in doc["incidents"]) == ["noise", "smell"]
    assert doc["version"] >= 3


def test_a_change_dated_before_the_latest_journal_entry_is_refused(app):
    """Invariant 4 and the CLI contract: the journal is ordered."""
    ref = open_storning(app, now=at(1))["ref"]
    with pytest.raises(ClockError, match="ordnad efter tid") as refused:
        services.fire_event(app, "alice", at(0), ref, "record_contact", params={"channel": "phone"})
    assert "senare --now" in refused.value.for_cli()  # the CLI says how; the web and API do not
    services.show_case(app, "alice", at(0), ref)  # reading in the past is fine


EVENTS = [
    ("fire", "legal", "issue_uppmaning", {}),
    ("fire", "legal", "mark_rectified", {}),
    ("fire", "legal", "classify_severe", {}),
    ("fire", "legal", "terminate", {}),
    ("fire", "legal", "record_service", {}),
    ("fire", "legal", "terminate_term_end", {}),
    ("fire", "legal", "apply_eviction", {}),
    ("fire", "legal", "withdraw", {}),
    ("fire", "legal", "tenant_moved", {}),
    ("fire", "legal", "close", {}),
    ("fire", "authority", "notify_social_services", {}),
    ("fire", "authority", "close", {}),
    ("fire", "customer", "record_contact", {"channel": "phone"}),
    ("fire", "customer", "resolve", {}),
    ("fire", "customer", "agree_plan", {}),
    ("fire", "customer", "mark_unreachable", {}),
    ("incident", "noise", "jour", {}),
    ("incident", "violence", "police", {}),
    ("incident", "smell", None, {}),
    ("send", "uppmaning", "", {}),
    ("send", "underrattelse_socialnamnd", "", {}),
    ("serve", "uppsagning", "", {}),
    ("send", "kopia_uppsagning", "", {}),
]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(st.sampled_from(EVENTS), min_size=1, max_size=14))
def test_random_event_sequences_never_corrupt_state_and_the_journal_replays(sqlite_app, steps):
    """Invariant 3: whatever is attempted, replaying the journal reproduces the stored states."""
    app = sqlite_app
    ref = open_storning(app)["ref"]
    for n, (kind, first, second, params) in enumerate(steps, start=1):
        now = at(n)
        try:
            if kind == "fire":
                services.fire_event(
                    app,
                    "carl",
                    now,
                    ref,
                    second,
                    track=first,
                    params=params,
                    reason="Prövning",
                    override="Prövat av chef",
                )
            elif kind == "incident":
                services.add_incident(
                    app, "alice", now, ref, at=at(n - 0.5), kind=first, text="x", verified_by=second
                )
            else:
                doc = services.show_case(app, "alice", now, ref)
                candidates = [x for x in doc["letters"] if x["template"] == first]
                if not candidates:
                    continue
                if kind == "send":
                    services.mark_letter_sent(
                        app, "alice", now, candidates[-1]["id"], method="rekommenderat"
                    )
                else:
                    services.mark_letter_served(app, "alice", now, candidates[-1]["id"], at=now)
        except StorningError:
            pass
    with app.db.read() as session:
        case = session.scalar(select(Case).where(Case.ref == ref))
        workflow = app.engine.workflow_of(session, case)
        stored = {t.track: t.state for t in case.tracks}
        assert replay_states(workflow, journal_rows(session, case.id)) == stored
        for track, state in stored.items():
            assert state in workflow.tracks[track].states
        assert (case.status == "closed") == workflow.tracks["legal"].is_final(stored["legal"])


def test_the_journal_is_never_updated_or_deleted_by_the_code():
    """Invariant 3: append-only — no UPDATE or DELETE of journal rows anywhere in the source."""
    offenders = []
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "update(JournalEntry)" in text or "delete(JournalEntry)" in text:
            offenders.append(path.name)
    assert offenders == []


def test_letter_id_helper_finds_the_latest(app):
    doc = open_storning(app)
    assert letter_id(doc, "bekraftelse") == doc["letters"][0]["id"]


def test_path_exists():
    assert Path(SRC / "engine.py").is_file()


def _journal_writers() -> set[str]:
    """Modules that construct a journal row or insert into the journal table."""
    writers = set()
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            mentions = {n.id for arg in node.args for n in ast.walk(arg) if isinstance(n, ast.Name)}
            if name == "JournalEntry" or (
                name in {"insert", "table"} and "JournalEntry" in mentions
            ):
                writers.add(path.relative_to(SRC).as_posix())
        if "insert into journal" in text.lower():
            writers.add(path.relative_to(SRC).as_posix())
    return writers


def test_only_journal_py_writes_journal_rows():
    """Invariant 10: one writer for the journal; every other module appends through journal.py."""
    assert _journal_writers() == {"journal.py"}


def test_a_timers_run_dated_before_a_cases_latest_entry_leaves_its_reminders_pending(app):
    """Invariant 3: the journal is ordered. Opened Monday 2 March 2026 09:00; the first-contact reminder
    is due five working days later, Monday 9 March (07:00). An incident is recorded on 12 March; a
    `timers run` dated 10 March must not journal the reminder after that later entry: it waits."""
    from storning.timers import run_due

    ref = open_storning(app)["ref"]
    services.add_incident(
        app, "alice", at(10), ref, at=at(9), kind="noise", text="Musik", verified_by="jour"
    )
    early = run_due(app, at(8))  # Tuesday 10 March 09:00, before the case's latest entry
    assert early.fired == 0 and early.deferred >= 1
    doc = services.show_case(app, "alice", at(8), ref)
    contact = [t for t in doc["timers"] if t["due_on"] == "2026-03-09"]
    assert contact and all(t["status"] == "pending" for t in contact)
    late = run_due(app, at(11))  # Friday 13 March: the run has caught up with the case
    assert late.fired >= 1
    doc = services.show_case(app, "alice", at(11), ref)
    moments = [e["at"] for e in doc["journal"]]
    assert "timer_reminds" in {e["event"] for e in doc["journal"]}
    assert moments == sorted(moments), "journal entries out of time order"
