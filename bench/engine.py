"""Engine throughput: events per second on a SQLite file, with every effect, against two baselines
measured in the same run (DESIGN.md §8):

- the raw floor: one INSERT + one UPDATE per transaction through SQLAlchemy Core on the same kind of file;
- SpiffWorkflow 3.2 running the same 9-step, three-lane lifecycle (bench/disturbance.bpmn), saving its
  serialized state to a SQLite file after every step (as a durable engine must).

Our lifecycle per case (9 officer steps, each its own transaction through the service layer, as the
CLI and web do): incident (offered to all tracks), uppmaning (letter, emitted notice, timers), rectified;
consent, support, close authority; contact, meeting, plan.

After the table, a breakdown of each step (load / service / guards / machine / effects / commit /
outside, in µs and share; how much of that the statements spent in the driver and SQLite; and the
statements each step sends to the database, BEGIN and COMMIT included) from a second, instrumented
pass over fresh cases (`--breakdown N`, 0: none), so the next person sees where the time goes.

    .venv/bin/python bench/engine.py [--cases 300] [--breakdown 100]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from storning import services  # noqa: E402
from storning.app import App  # noqa: E402
from storning.config import Settings  # noqa: E402
from storning.engine import Probe  # noqa: E402
from storning.store.db import make_engine  # noqa: E402

# CPU time (this process: Python, SQLAlchemy, the SQLite library) per transaction or step, ms: on a
# shared, busy machine the wall-clock rates above swing with the neighbours, CPU time much less.
CPU_MS: dict[str, float] = {}
ZONE = ZoneInfo("Europe/Stockholm")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZONE)
STEPS = 9


def raw_floor(directory: Path, transactions: int) -> float:
    engine = make_engine(f"sqlite:///{directory / 'floor.db'}")
    meta = MetaData()
    rows = Table("rows", meta, Column("id", Integer, primary_key=True), Column("v", String(40)))
    journal = Table(
        "journal", meta, Column("id", Integer, primary_key=True), Column("v", String(40))
    )
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(rows), [{"id": i, "v": "a"} for i in range(100)])
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(transactions):
        with engine.begin() as conn:
            conn.execute(insert(journal).values(v="e"))
            conn.execute(update(rows).where(rows.c.id == i % 100).values(v=str(i)))
    elapsed, used = time.perf_counter() - start, time.process_time() - cpu
    engine.dispose()
    CPU_MS["floor"] = used / transactions * 1000
    return transactions / elapsed


def lifecycle_cases(directory: Path, cases: int) -> tuple[App, list[str]]:
    """A fresh database with `cases` open cases (not timed)."""
    settings = replace(
        Settings.from_env({}),
        db_url=f"sqlite:///{directory / 'engine.db'}",
        workflows_dir=ROOT / "workflows",
        letters_dir=ROOT / "letters",
    )
    app = App.create(settings)
    services.init_database(app, T0 - timedelta(days=1))
    refs = [
        services.open_case(
            app,
            "admin",
            T0,
            services.NewCase(
                case_type="storning",
                tenant=f"Hyresgäst {n}",
                address="Storgatan 1",
                apartment=str(n),
                municipality="Norrköping",
                postal_code="602 20",
                city="Norrköping",
                contract=f"{n}-01",
            ),
        )["ref"]
        for n in range(cases)
    ]
    return app, refs


def run_lifecycle(
    app: App, refs: list[str], lap: Callable[[str], None] = lambda _step: None
) -> float:
    """The 9 steps of every case, timed; `lap(step)` is called after each step (the breakdown)."""
    steps = 0
    start = time.perf_counter()
    for n, ref in enumerate(refs):
        now = T0 + timedelta(hours=1, seconds=n)

        def fire(
            event: str, params: dict | None = None, minutes: int = 0, now=now, ref=ref
        ) -> None:
            services.fire_event(
                app,
                "admin",
                now + timedelta(minutes=minutes),
                ref,
                event,
                params=params,
                document=False,
            )
            lap(event)

        services.add_incident(
            app,
            "admin",
            now,
            ref,
            at=T0,
            kind="noise",
            text="Fest",
            verified_by="jour",
            document=False,
        )
        lap("add_incident")
        fire("issue_uppmaning", minutes=1)
        fire("mark_rectified", minutes=2)
        fire("record_consent", {"scope": "Socialtjänsten", "expires_on": "2026-12-31"}, minutes=3)
        fire("record_support", {"kind": "boendestod"}, minutes=4)
        services.fire_event(
            app,
            "admin",
            now + timedelta(minutes=5),
            ref,
            "close",
            track="authority",
            document=False,
        )
        lap("close (authority)")
        fire("record_contact", {"channel": "phone"}, minutes=6)
        fire("hold_meeting", minutes=7)
        fire("agree_plan", minutes=8)
        steps += STEPS
    return steps / (time.perf_counter() - start)


def storning_lifecycle(directory: Path, cases: int) -> float:
    app, refs = lifecycle_cases(directory, cases)
    try:
        cpu = time.process_time()
        rate = run_lifecycle(app, refs)
        CPU_MS["storning"] = (time.process_time() - cpu) / (len(refs) * STEPS) * 1000
        return rate
    finally:
        app.db.dispose()


# Where a step's time goes (`storning.engine.Probe`): the aggregate's load with the lock and the access
# checks; the use case's own work around the engine (the letter-gap check, an incident's row); the guards;
# the machine (context, choosing the transition, parameters, the state change); the effects (journal,
# timers, letters, facts, emitted events); save_case and the commit; and what is outside the unit of work
# (argument checks before it).
PHASES = ("load", "service", "guards", "machine", "effects", "commit", "outside")
STATEMENTS = "statements"  # round trips to the database per step, BEGIN and COMMIT included
IN_SQL = "in sql"  # of the phases' time, the statements' own (the driver and SQLite), COMMIT not included


def breakdown(directory: Path, cases: int) -> dict[str, dict[str, float]]:
    """Mean microseconds per phase of each lifecycle step, and its statements, from a separate
    instrumented pass (the throughput above is measured with the probe off)."""
    directory.mkdir()
    app, refs = lifecycle_cases(directory, cases)
    probe = Probe()
    app.engine.probe = probe
    totals: dict[str, dict[str, float]] = {}
    last = [time.perf_counter()]
    statements = [0]
    in_sql = [0.0, 0.0]  # this step's seconds in statements; when the running one started

    def count(*_args: object) -> None:
        statements[0] += 1

    def started(*_args: object) -> None:
        statements[0] += 1
        in_sql[1] = time.perf_counter()

    def finished(*_args: object) -> None:
        in_sql[0] += time.perf_counter() - in_sql[1]

    def lap(step: str) -> None:
        now = time.perf_counter()
        row = totals.setdefault(step, dict.fromkeys((*PHASES, IN_SQL, STATEMENTS), 0.0))
        for phase, seconds in probe.seconds.items():
            row[phase] += seconds
        row["outside"] += now - last[0] - sum(probe.seconds.values())
        row[STATEMENTS] += statements[0]
        row[IN_SQL] += in_sql[0]
        statements[0], in_sql[0] = 0, 0.0
        probe.seconds.clear()
        last[0] = now

    # the listeners cost a little time, charged to the phases (this pass is not the throughput)
    event.listen(app.db.engine, "before_cursor_execute", started)
    event.listen(app.db.engine, "after_cursor_execute", finished)
    event.listen(app.db.engine, "commit", count)
    try:
        run_lifecycle(app, refs, lap)
    finally:
        app.engine.probe = None
        app.db.dispose()
    return {
        step: {
            name: value / cases * (1 if name == STATEMENTS else 1e6) for name, value in row.items()
        }
        for step, row in totals.items()
    }


def print_breakdown(steps: dict[str, dict[str, float]], cases: int) -> None:
    print(f"\nbreakdown per step, µs (instrumented pass over {cases} cases)")
    print(
        f"{'step':<20}"
        + "".join(f"{p:>9}" for p in PHASES)
        + f"{'total':>9}{IN_SQL:>9}{'stmts':>7}"
    )
    for step, row in steps.items():
        print(
            f"{step:<20}"
            + "".join(f"{row[p]:>9,.0f}" for p in PHASES)
            + f"{sum(row[p] for p in PHASES):>9,.0f}{row[IN_SQL]:>9,.0f}{row[STATEMENTS]:>7.1f}"
        )
    names = (*PHASES, IN_SQL, STATEMENTS)
    mean = {p: sum(row[p] for row in steps.values()) / len(steps) for p in names}
    total = sum(mean[p] for p in PHASES)
    print(
        f"{'mean step':<20}"
        + "".join(f"{mean[p]:>9,.0f}" for p in PHASES)
        + f"{total:>9,.0f}{mean[IN_SQL]:>9,.0f}{mean[STATEMENTS]:>7.1f}"
    )
    print(
        f"{'share':<20}"
        + "".join(f"{mean[p] / total:>9.0%}" for p in PHASES)
        + f"{1:>9.0%}{mean[IN_SQL] / total:>9.0%}"
    )
    print(
        f"('{IN_SQL}': the statements' own time in the driver and SQLite, part of the phases; "
        "COMMIT not included)"
    )


def spiff(directory: Path, instances: int) -> float | None:
    try:
        from spiff_lifecycle import run_spiff_durable
    except ImportError:
        return None
    return run_spiff_durable(instances, directory / "spiff.db")["steps_per_s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--floor", type=int, default=5000)
    parser.add_argument(
        "--breakdown", type=int, default=100, help="cases in the instrumented pass (0: none)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        floor = raw_floor(directory, args.floor)
        ours = storning_lifecycle(directory, args.cases)
        baseline = spiff(directory, args.cases)
        steps = breakdown(directory / "breakdown", args.breakdown) if args.breakdown else None
    print(f"{'measure':<52} {'per second':>12} {'ratio':>8} {'target':>8}")
    print(f"{'raw floor: INSERT+UPDATE per txn (SQLAlchemy Core)':<52} {floor:>12,.0f} {'1.00':>8}")
    print(
        f"{'storning: lifecycle steps, all effects, 1 txn each':<52} {ours:>12,.0f} "
        f"{ours / floor:>8.2f} {'≥ 0.50':>8}"
    )
    if baseline:
        print(
            f"{'SpiffWorkflow 3.2: same lifecycle, saved per step':<52} {baseline:>12,.0f} "
            f"{baseline / floor:>8.2f}"
        )
        print(f"{'storning / SpiffWorkflow':<52} {'':>12} {ours / baseline:>8.1f}x {'≥ 2x':>8}")
    else:
        print("SpiffWorkflow not installed: pip install -e '.[bench]' for the comparison column")
    floor_cpu, ours_cpu = CPU_MS["floor"], CPU_MS["storning"]
    print(
        f"CPU per transaction: raw floor {floor_cpu:.2f} ms, storning step {ours_cpu:.2f} ms "
        f"(ratio by CPU {floor_cpu / ours_cpu:.2f}; {args.cases} cases, {args.floor} floor txns)"
    )
    if steps:
        print_breakdown(steps, args.breakdown)


if __name__ == "__main__":
    main()
