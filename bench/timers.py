"""Timer throughput and the worklist query (DESIGN.md §8), printed as a table.

1. Due timers fired per second by 1 and 4 worker processes, on a SQLite file and on PostgreSQL, with the
   duplicates (journal rows per timer beyond one) and the lost (still pending) counted — both must be 0.
   Baseline in the same run: one worker process doing only the bare claim + mark-fired UPDATE per timer
   (no journal, no outbox), i.e. the floor of "fire a timer" on that database.
2. "My open cases with something due this week" with N timers in the table (default 1,000,000): p50/p95
   of `worklist.due_this_week` for one officer.

    .venv/bin/python bench/timers.py [--timers 20000] [--worklist-timers 1000000] [--pg URL|--no-pg]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, func, insert, select, text, update

ROOT = Path(__file__).resolve().parents[1]

from storning import services  # noqa: E402
from storning.app import App  # noqa: E402
from storning.config import Settings  # noqa: E402
from storning.store.models import Case, CaseTrack, JournalEntry, Timer, User  # noqa: E402
from storning.timers import run_due  # noqa: E402
from storning.worklist import due_this_week  # noqa: E402

ZONE = ZoneInfo("Europe/Stockholm")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZONE)
NOW = T0 + timedelta(days=30)
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def make_app(url: str) -> App:
    settings = replace(
        Settings.from_env({}),
        db_url=url,
        workflows_dir=ROOT / "workflows",
        letters_dir=ROOT / "letters",
    )
    return App.create(settings)


def seed(app: App, cases: int, timers: int, *, officers: int = 1, spread_days: int = 1) -> None:
    """Open cases and due reminders straight into the tables (what the engine would have written)."""
    services.init_database(app, T0 - timedelta(days=1))
    for n in range(officers):
        services.add_user(app, f"officer{n}", f"Handläggare {n}", ["handlaggare"], team="t")
    with app.db.read() as session:
        version = app.registry.latest(session, "storning").version  # what `init` installed
    with app.db.write() as session:
        owner_ids = list(
            session.scalars(select(User.id).where(User.username.like("officer%")).order_by(User.id))
        )
        for start in range(0, cases, 10_000):
            session.execute(
                insert(Case),
                [
                    dict(
                        ref=f"S-2026-{n:07d}",
                        case_type="storning",
                        workflow_version=version,
                        status="open",
                        owner_id=owner_ids[n % len(owner_ids)],
                        tenant_name=f"Hyresgäst {n}",
                        co_tenants=[],
                        address="Storgatan 1",
                        apartment=str(n),
                        facts={},
                        opened_at=T0,
                        updated_at=T0,
                        last_event_at=T0,
                        version=1,
                    )
                    for n in range(start, min(cases, start + 10_000))
                ],
            )
        ids = list(session.scalars(select(Case.id).order_by(Case.id)))
        for start in range(0, len(ids), 10_000):
            session.execute(
                insert(CaseTrack),
                [
                    dict(case_id=i, track=t, state=s, since=T0)
                    for i in ids[start : start + 10_000]
                    for t, s in (
                        ("legal", "assessment"),
                        ("authority", "not_notified"),
                        ("customer", "contact_pending"),
                    )
                ],
            )
        owners = dict(session.execute(select(Case.id, Case.owner_id)).all())
    batch = []
    with app.db.write() as session:
        for k in range(timers):
            case_id = ids[k % len(ids)]
            day = (T0 + timedelta(days=k % spread_days)).date()
            batch.append(
                dict(
                    case_id=case_id,
                    track="legal",
                    name="bench",
                    label="Bench",
                    kind="reminds",
                    recipients=["owner"],
                    scope="case",
                    due_on=day,
                    due_at=T0 + timedelta(days=k % spread_days, seconds=k % 3600),
                    status="pending",
                    created_at=T0,
                    owner_id=owners[case_id],
                )
            )
            if len(batch) == 20_000:
                session.execute(insert(Timer), batch)
                batch = []
        if batch:
            session.execute(insert(Timer), batch)


def _worker(url: str, now: datetime, ready: Any, go: Any, queue: mp.Queue) -> None:
    app = make_app(url)
    with (
        app.db.read() as session
    ):  # warm up: connect and load the definitions before the clock starts
        app.registry.latest(session, "storning")
    ready.release()
    go.wait()
    result = run_due(app, now, batch_size=200)
    queue.put((result.fired, time.perf_counter()))
    app.db.dispose()


def fire_with_workers(url: str, workers: int) -> tuple[float, int, int, int]:
    """Start `workers` processes, wait until each is connected, then time the firing alone."""
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    ready, go = ctx.Semaphore(0), ctx.Event()
    processes = [
        ctx.Process(target=_worker, args=(url, NOW, ready, go, queue)) for _ in range(workers)
    ]
    for p in processes:
        p.start()
    for _ in processes:
        ready.acquire()
    start = time.perf_counter()
    go.set()
    results = [queue.get() for _ in processes]
    for p in processes:
        p.join()
    fired = sum(count for count, _ in results)
    elapsed = max(end for _, end in results) - start
    app = make_app(url)
    with app.db.read() as session:
        rows = session.scalar(
            select(func.count()).select_from(JournalEntry).where(JournalEntry.timer_id.isnot(None))
        )
        distinct = session.scalar(select(func.count(JournalEntry.timer_id.distinct())))
        left = session.scalar(
            select(func.count()).select_from(Timer).where(Timer.status == "pending")
        )
    app.db.dispose()
    return fired / elapsed, rows - distinct, left, fired


def bare_floor(url: str, count: int) -> float:
    """One worker: claim 200, mark each fired with its own UPDATE, commit — no journal or outbox."""
    engine = create_engine(url)
    table = Timer.__table__
    start, done = time.perf_counter(), 0
    while done < count:
        with engine.begin() as conn:
            ids = list(
                conn.execute(
                    select(table.c.id).where(table.c.status == "pending").limit(200)
                ).scalars()
            )
            if not ids:
                break
            for timer_id in ids:
                conn.execute(update(table).where(table.c.id == timer_id).values(status="fired"))
            done += len(ids)
    elapsed = time.perf_counter() - start
    engine.dispose()
    return done / elapsed


def fresh_url(kind: str, directory: Path, pg: str | None, label: str) -> tuple[str, object]:
    if kind == "sqlite":
        return f"sqlite:///{directory / (label + '.db')}", None
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg)
    with admin.begin() as conn:
        conn.execute(text(f"create schema {schema}"))
    return f"{pg}?options=-csearch_path%3D{schema}", (admin, schema)


def drop(handle: object) -> None:
    if handle is None:
        return
    admin, schema = handle  # type: ignore[misc]
    with admin.begin() as conn:
        conn.execute(text(f"drop schema {schema} cascade"))
    admin.dispose()


def worklist_latency(url: str, samples: int = 200) -> tuple[float, float]:
    app = make_app(url)
    with app.db.read() as session:
        users = list(session.scalars(select(User).where(User.username.like("officer%"))))
    timings = []
    for n in range(samples):
        start = time.perf_counter()
        with app.db.read() as session:
            due_this_week(session, app.engine, users[n % len(users)], NOW)
        timings.append((time.perf_counter() - start) * 1000)
    app.db.dispose()
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def pg_reachable(url: str) -> bool:
    try:
        with create_engine(url, connect_args={"connect_timeout": 3}).connect() as conn:
            conn.execute(text("select 1"))
        return True
    except Exception:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timers", type=int, default=20_000)
    parser.add_argument("--worklist-timers", type=int, default=1_000_000)
    parser.add_argument("--pg", default=PG)
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    kinds = ["sqlite"] + ([] if args.no_pg or not pg_reachable(args.pg) else ["postgresql"])
    print(
        f"{'database':<11} {'what':<44} {'per second':>11} {'vs floor':>9} {'dup':>5} {'lost':>5}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for kind in kinds:
            url, handle = fresh_url(kind, directory, args.pg, "floor")
            app = make_app(url)
            seed(app, args.timers // 10, args.timers)
            app.db.dispose()
            floor = bare_floor(url, args.timers)
            drop(handle)
            print(
                f"{kind:<11} {'floor: claim + UPDATE per timer, 1 process':<44} {floor:>11,.0f} {'1.00':>9}"
            )
            for workers in (1, 4):
                url, handle = fresh_url(kind, directory, args.pg, f"w{workers}")
                app = make_app(url)
                seed(app, args.timers // 10, args.timers)
                app.db.dispose()
                rate, duplicates, lost, fired = fire_with_workers(url, workers)
                drop(handle)
                assert fired == args.timers, (fired, args.timers)
                print(
                    f"{kind:<11} {f'storning run_due, {workers} worker process(es)':<44} {rate:>11,.0f} "
                    f"{rate / floor:>9.2f} {duplicates:>5} {lost:>5}"
                )
        print()
        print(
            f"{'database':<11} {'worklist: my open cases due this week':<44} {'p50 ms':>11} {'p95 ms':>9}"
        )
        for kind in kinds:
            url, handle = fresh_url(kind, directory, args.pg, "worklist")
            app = make_app(url)
            seed(
                app,
                max(1, args.worklist_timers // 10),
                args.worklist_timers,
                officers=50,
                spread_days=120,
            )
            # PostgreSQL's autovacuum analyses a table within a minute of a load this size; without
            # it the planner still believes the tables empty (SQLite keeps no statistics to update)
            app.db.refresh_statistics("timers", "cases", "case_tracks", "users")
            app.db.dispose()
            p50, p95 = worklist_latency(url)
            drop(handle)
            print(
                f"{kind:<11} {f'{args.worklist_timers:,} timers, 50 officers':<44} {p50:>11.1f} {p95:>9.1f}"
                f"   target p95 ≤ 25 ms"
            )


if __name__ == "__main__":
    sys.exit(main())
