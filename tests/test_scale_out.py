"""Scale-out for real (issue 13 item 4, docs/deploy.md): web processes and workers as separate operating
system processes on loopback ports, all against one PostgreSQL.

Web A is `storning serve --workers 2 --no-worker` (uvicorn's process workers, each building the
application with `storning.web.asgi:create_from_environment`), web B a second `storning serve
--no-worker` on another port, and two `storning worker --interval 1` fire the timers. A login on A is a
login on B (sessions and their key live in the database), a change made through one is read through the
other, and every due timer fires exactly once however the two workers race for them.

That test is PostgreSQL only: skipped when it is unreachable, a failure under CI (CI=true), as in
tests/conftest.py. Every wait is bounded and every process is stopped in `finally`. The two tests
before it check, without starting processes, what `serve --workers N` hands uvicorn and what it refuses.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, update

from storning.app import App
from storning.store.models import JournalEntry, Outbox, Timer, User
from tests.conftest import ROOT, ZONE, base_settings, populate, private_pg_schema
from tests.helpers import open_storning

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient`")
    import httpx

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=ZONE)  # every process's clock (STORNING_NOW)
PASSWORD = "ett-bra-losenord"
CHEAP_HASH = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash(PASSWORD)
START_SECONDS = 60  # a process that is not serving by then has failed (a busy CI host is slow)
TIMERS_SECONDS = 40
CASES_BEFORE, CASES_DURING = 12, 12


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A private schema in the test PostgreSQL (migrated by the test), dropped at the end."""
    with private_pg_schema("storning_scale") as url:
        yield url


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    _file: IO[bytes]

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """SIGTERM to the process group this test started (uvicorn's children too), SIGKILL if it
        has not stopped within 15 s."""
        group = self.popen.pid  # start_new_session: the group's id is the process's own id
        for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 15)):
            if self.popen.poll() is not None:
                break
            try:
                os.killpg(group, sig)
            except ProcessLookupError:
                break
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                continue
        with contextlib.suppress(ProcessLookupError):  # uvicorn's children, should one outlive it
            os.killpg(group, signal.SIGKILL)
        self._file.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], bool], seconds: float, what: str, procs: list[Proc]) -> None:
    """Poll `condition` until it holds; fail with every process's output after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        for proc in procs:
            if proc.popen.poll() is not None:
                pytest.fail(f"{proc.name} stopped ({proc.popen.returncode}):\n{proc.output()}")
        time.sleep(0.2)  # waiting for other processes, bounded; the product itself never sleeps
    logs = "\n".join(f"--- {p.name}\n{p.output()[-3000:]}" for p in procs)
    pytest.fail(f"not within {seconds} s: {what}\n{logs}")


def serving(base: str) -> bool:
    try:
        return httpx.get(f"{base}/login", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def version_of(page: httpx.Response) -> int:
    assert page.status_code == 200, page.text
    found = re.search(r'name="version" value="(\d+)"', page.text)
    assert found, "no case version on the page"
    return int(found.group(1))


def add_incident(client: httpx.Client, ref: str, at_text: str, words: str) -> None:
    """Register an incident through the case page's form, as an officer does."""
    page = client.get(f"/arenden/{ref}")
    response = client.post(
        f"/arenden/{ref}/storningar",
        data={
            "at": at_text,
            "kind": "noise",
            "text": words,
            "version": version_of(page),
            "csrf_token": csrf_of(page.text),
        },
    )
    assert response.status_code == 303, response.text


def fired_in_logs(workers: list[Proc]) -> list[int]:
    """How many timers each worker says it fired (`timers fired=N …`, one line per run)."""
    return [sum(map(int, re.findall(r"timers fired=(\d+)", w.output()))) for w in workers]


def test_serve_with_several_workers_hands_uvicorn_a_factory_and_the_resolved_settings(
    sqlite_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn
    from click.testing import CliRunner

    from storning.cli import main
    from storning.web import background
    from storning.web.asgi import create_from_environment

    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options, app=app))
    monkeypatch.setattr(
        background, "start_scheduler", lambda *a: pytest.fail("a scheduler started")
    )
    monkeypatch.setenv("STORNING_DB", "sqlite:///ingen-annan.db")  # --db wins, also in the children
    monkeypatch.delenv("STORNING_NOW", raising=False)
    monkeypatch.setenv("STORNING_WORKFLOWS", str(ROOT / "workflows"))
    monkeypatch.setenv("STORNING_LETTERS_DIR", str(ROOT / "letters"))
    db = sqlite_app.settings.db_url
    result = CliRunner().invoke(
        main, ["--db", db, "--now", "2026-06-01T12:00", "serve", "--workers", "3"]
    )
    assert result.exit_code == 0, result.output
    assert seen["app"] == "storning.web.asgi:create_from_environment"
    assert seen["factory"] is True and seen["workers"] == 3
    assert seen["proxy_headers"] is False  # the application reads X-Forwarded-For itself
    assert "starta 'storning worker'" in result.output
    assert os.environ["STORNING_DB"] == db
    web = create_from_environment()  # what each of uvicorn's processes does
    assert web.state.storning.settings.db_url == db
    assert web.state.clock() == NOW
    web.state.storning.db.dispose()


def test_several_web_processes_refuse_an_in_memory_database() -> None:
    from click.testing import CliRunner

    from storning.cli import main

    result = CliRunner().invoke(main, ["--db", "sqlite://", "serve", "--workers", "2", "--demo"])
    assert result.exit_code == 1
    assert "kräver PostgreSQL eller en SQLite-fil i WAL-läge" in result.output


def test_two_web_processes_and_two_workers_share_one_postgresql(
    pg_url: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    app = App.create(base_settings(pg_url))
    populate(app)  # migrates the fresh schema, loads the workflows, makes alice and her colleagues
    with app.db.write() as session:
        session.execute(
            update(User).where(User.username == "alice").values(password_hash=CHEAP_HASH)
        )
    for number in range(CASES_BEFORE):  # their reminders are due at NOW: both workers start on them
        open_storning(app, apartment=f"{1000 + number}")
    shared = open_storning(app, now=NOW - timedelta(hours=2), apartment="1501")["ref"]

    env = {k: v for k, v in os.environ.items() if not k.startswith("STORNING_")}
    env.update(
        STORNING_DB=pg_url,
        STORNING_NOW=NOW.isoformat(),
        STORNING_WORKFLOWS=str(ROOT / "workflows"),
        STORNING_LETTERS_DIR=str(ROOT / "letters"),
        STORNING_TIMER_INTERVAL="1",
    )  # no STORNING_SECRET_KEY: every process takes the session key stored in the database
    procs: list[Proc] = []
    workers: list[Proc] = []

    def start(name: str, *args: str) -> Proc:
        log = tmp_path / f"{name}.log"
        file = log.open("wb")
        popen = subprocess.Popen(
            [sys.executable, "-m", "storning.cli", *args],
            env=env,
            stdout=file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        proc = Proc(name, popen, log, file)
        procs.append(proc)
        return proc

    port_a, port_b = free_port(), free_port()
    web_a_url, web_b_url = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    try:
        web_a = start("web-a", "serve", "--port", str(port_a), "--workers", "2", "--no-worker")
        start("web-b", "serve", "--port", str(port_b), "--no-worker")
        workers += [start(f"worker-{n}", "worker", "--interval", "1") for n in (1, 2)]
        wait_for(lambda: serving(web_a_url) and serving(web_b_url), START_SECONDS, "web", procs)
        wait_for(
            lambda: all("worker started" in w.output() for w in workers),
            START_SECONDS,
            "workers",
            procs,
        )
        assert "storning worker" in web_a.output()  # several web processes run no timers: said so
        wait_for(
            lambda: len(re.findall(r"Application startup complete", web_a.output())) == 2,
            START_SECONDS,
            "both web processes of web A",
            procs,
        )

        # more due timers while both workers are polling every second
        for number in range(CASES_DURING):
            open_storning(app, apartment=f"{2000 + number}")

        # a login through A is a login through B; a change through either is read through the other
        with (
            httpx.Client(base_url=web_a_url, follow_redirects=False, timeout=15) as a,
            httpx.Client(base_url=web_b_url, follow_redirects=False, timeout=15) as b,
        ):
            token = csrf_of(a.get("/login").text)
            login = a.post(
                "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token}
            )
            assert login.status_code == 303, login.text
            for name, value in a.cookies.items():
                b.cookies.set(name, value)
            add_incident(a, shared, "2026-06-01T11:30", "Hög musik, anmäld via webbprocess A")
            page_b = b.get(f"/arenden/{shared}")
            assert page_b.status_code == 200, page_b.text
            assert "Hög musik, anmäld via webbprocess A" in page_b.text
            add_incident(b, shared, "2026-06-01T11:40", "Dörrsmällar, anmälda via webbprocess B")
            assert "Dörrsmällar, anmälda via webbprocess B" in a.get(f"/arenden/{shared}").text

        def due_pending() -> int:
            with app.db.read() as session:
                return int(
                    session.scalar(
                        select(func.count())
                        .select_from(Timer)
                        .where(Timer.status == "pending", Timer.due_at <= NOW)
                    )
                    or 0
                )

        wait_for(lambda: due_pending() == 0, TIMERS_SECONDS, "every due timer fired", procs)
        with app.db.read() as session:
            fired = set(session.scalars(select(Timer.id).where(Timer.status == "fired")))
            journal = list(
                session.scalars(
                    select(JournalEntry.timer_id).where(JournalEntry.timer_id.is_not(None))
                )
            )
            outbox = list(
                session.scalars(select(Outbox.dedupe_key).where(Outbox.dedupe_key.like("timer:%")))
            )
        assert len(fired) >= 3 * (CASES_BEFORE + CASES_DURING)  # every March case: 3 and more
        assert sorted(journal) == sorted(fired)  # one journal row per fired timer, none twice
        assert len(outbox) == len(set(outbox))
        # the workers' own counts add up to the timers fired: none was fired by both
        wait_for(
            lambda: sum(fired_in_logs(workers)) == len(fired),
            10,
            f"the workers' logs count {len(fired)} fired timers",
            procs,
        )
        for proc in procs:
            assert "Traceback" not in proc.output(), proc.output()
    finally:
        for proc in procs:
            proc.stop()
        app.db.dispose()
    for worker in workers:
        assert "worker stopped" in worker.output()  # SIGTERM: a clean stop after the current batch
    print(
        f"scale-out: {time.monotonic() - started:.1f} s, fired per worker {fired_in_logs(workers)}"
    )
