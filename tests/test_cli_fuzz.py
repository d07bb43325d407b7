"""No traceback from the CLI, whatever is typed (issue 11 item 4 and 3): every command, found by
walking the command tree so a new one is covered without changing this file, gets generated values for
its options and arguments, and ends with exit code 0 (done), 1 (one sentence: what is wrong and what to
do) or 2 (usage), never with a traceback. A database that cannot be used, whether the URL is malformed,
names another kind of database, or points at a server that is down or hung, is one sentence and exit 1.
"""

from __future__ import annotations

import time
from typing import Any

import click
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from storning import services
from storning.cli import main
from tests.conftest import ROOT, at
from tests.helpers import open_storning
from tests.test_db_timeouts import HungServer, closed_port
from tests.wild import bounded, edge_dates, numbers, texts

EXAMPLES = 100
# They run until stopped (`serve`, `worker`), or reload the demo landlord (`demo`): each is tried
# with wild options only where they are refused before anything starts.
LONG_RUNNING = {("serve",), ("worker",), ("demo",)}


def commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += commands(command, (*path, name))
        else:
            found.append((*path, name))
    return found


def command_at(path: tuple[str, ...]) -> click.Command:
    command: click.Command = main
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


def safe_path(text: str) -> str:
    """A file name inside the test's own folder (a wild path must not write elsewhere)."""
    name = "".join(c for c in text if c.isalnum() or c in "._-")[:40].lstrip(".-")
    return name or "ut.pdf"


# What a user would type for a parameter of that name (others get "x").
PLAUSIBLE = {
    "tenant": "Kim Hyresgäst",
    "address": "Storgatan 1",
    "apartment": "1102",
    "postal_code": "602 20",
    "city": "Norrköping",
    "municipality": "Norrköping",
    "contract": "1102-01",
    "personnummer": "19850312-1231",
    "due_date": "2026-02-01",
    "amount": "8450",
    "at_text": "2026-03-01T23:40",
    "on_text": "2026-03-02",
    "meeting_at": "2026-03-10T10:00",
    "text": "Hög musik",
    "reason": "Motivering",
    "name": "Nils Nilsson",
    "incident_id": "1",
    "reminder_id": "1",
    "token_id": "1",
    "phone": "011-15 00 00",
    "email": "nils@example.se",
    "team": "norr",
    "supervisor": "carl",
    "owner": "alice",
    "track": "legal",
    "complainants": "Greta Granne",
    "co_tenants": "Maj Hyresgäst",
}


def plausible(draw: Any, param: click.Parameter, real: dict[str, list[str]]) -> str:
    kind, name = param.type, param.name or ""
    if isinstance(kind, click.Path):
        return "ut.pdf"
    if isinstance(kind, click.Choice):
        return str(draw(st.sampled_from(list(kind.choices))))
    if name in real:
        return str(draw(st.sampled_from(real[name])))
    if isinstance(kind, click.types.IntParamType):
        return str(draw(st.sampled_from(real["ids"])))
    return PLAUSIBLE.get(name, "x")


def wild(draw: Any, param: click.Parameter) -> str:
    if isinstance(param.type, click.Path):
        return safe_path(draw(texts))
    name = param.name or ""
    if isinstance(param.type, click.types.IntParamType) or name.endswith("_id"):
        return draw(numbers)
    if "at" in name.split("_") or name.endswith(("_on", "_date")):
        return draw(st.one_of(edge_dates, texts))
    return draw(texts)


def argv_for(draw: Any, path: tuple[str, ...], real: dict[str, list[str]]) -> list[str]:
    """The command's path, then its parameters as a user would give them, with up to two of them
    wild, and now and then an option left out or an unknown one added."""
    params = command_at(path).params
    wilds = draw(st.lists(st.sampled_from(params), max_size=2)) if params else []
    args = list(path)
    for param in params:

        def value(param: click.Parameter = param) -> str:
            return wild(draw, param) if param in wilds else plausible(draw, param, real)

        if isinstance(param, click.Argument):
            args += [value() for _ in range(1 if param.nargs == -1 else param.nargs)]
            continue
        assert isinstance(param, click.Option)
        if not param.required and draw(st.integers(0, 2)) == 0:
            continue
        flag = param.opts[-1] if param.opts[-1].startswith("--") else param.opts[0]
        if param.is_flag:
            args.append(flag)
            continue
        for _ in range(draw(st.integers(1, 2)) if param.multiple else 1):
            args += [flag, value()]
    if draw(st.integers(0, 9)) == 0:
        args.insert(draw(st.integers(0, len(args))), draw(st.sampled_from(["--okänd", "-x", "--"])))
    return args


def assert_no_traceback(result: Any, argv: list[str]) -> None:
    shown = [a[:60] for a in argv]
    assert result.exit_code in (0, 1, 2), (
        f"{shown}: exit {result.exit_code}\n{result.output[-500:]}"
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{shown}: {result.exception!r}"
    )
    assert "Traceback" not in result.output, f"{shown}: {result.output[-800:]}"


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> CliRunner:
    monkeypatch.setenv("STORNING_WORKFLOWS", str(ROOT / "workflows"))
    monkeypatch.setenv("STORNING_LETTERS_DIR", str(ROOT / "letters"))
    monkeypatch.setenv("STORNING_DB_CONNECT_TIMEOUT", "2")
    monkeypatch.chdir(tmp_path)  # anything a command writes stays in the test's folder
    return CliRunner()


def test_every_command_with_wild_options_exits_0_1_or_2_without_a_traceback(app, db_url, cli):
    doc = open_storning(app)
    services.add_incident(app, "alice", at(0), doc["ref"], at=at(-1), kind="noise", text="x",
                          verified_by="jour")  # fmt: skip
    doc = services.fire_event(app, "alice", at(0), doc["ref"], "issue_uppmaning")
    real = {
        "ref": [doc["ref"], "S-2026-0001", "H-2026-0001"],
        "username": ["alice", "bob", "lisa", "nobody"],
        "event": ["mark_rectified", "record_contact", "close", "terminate"],
        "template": ["kallelse", "uppmaning", "kontaktbrev"],
        "workflow_id": ["storning", "hyresskuld"],
        "case_type": ["storning", "hyresskuld"],
        "ids": [str(letter["id"]) for letter in doc["letters"]] + ["1"],
        "letter_id": [str(letter["id"]) for letter in doc["letters"]],
    }
    paths = [p for p in commands(main) if p not in LONG_RUNNING]
    assert {("case", "open"), ("letter", "pdf"), ("timers", "run")} <= set(paths)

    @given(data=st.data())
    @bounded(EXAMPLES)
    def run(data: Any) -> None:
        path = data.draw(st.sampled_from(paths))
        argv = argv_for(data.draw, path, real)
        now = (
            data.draw(st.one_of(st.just("2026-03-02T10:00"), edge_dates))
            if data.draw(st.integers(0, 9)) == 0
            else "2026-03-02T10:00"
        )
        prefix = ["--db", db_url, "--now", now]
        if data.draw(st.booleans()):
            prefix += ["--as", data.draw(st.sampled_from(real["username"]))]
        result = cli.invoke(main, [*prefix, *argv], input="")
        assert_no_traceback(result, [*prefix, *argv])

    run()


UNUSABLE = [
    "nonsense",
    "://",
    "mysql://x@y/z",
    "postgresql+asyncpg://u:hemligt@127.0.0.1/d",
    "http://example.invalid/",
    "sqlite:////no-such-folder-anywhere/storning.db",
    "postgresql+psycopg://postgres@127.0.0.1:5432/storning_no_such_database",
]


def test_a_database_that_cannot_be_used_is_one_sentence_and_exit_1(cli):
    down = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test"
    for url in [*UNUSABLE, down]:
        for command in (["case", "list"], ["init"], ["letter", "pdf", "1", "-o", "ut.pdf"]):
            result = cli.invoke(main, ["--db", url, *command])
            assert_no_traceback(result, ["--db", url, *command])
            assert result.exit_code == 1, (url, command, result.output)
            sentence = result.stderr.strip()
            assert sentence and "\n" not in sentence and "hemligt" not in sentence
            assert "databas" in sentence.lower(), sentence


def test_a_hung_database_is_one_sentence_after_the_connect_timeout(cli):
    server = HungServer()
    try:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/test"
        started = time.monotonic()
        result = cli.invoke(main, ["--db", url, "case", "list"])
        assert time.monotonic() - started < 2 + 3
    finally:
        server.close()
    assert_no_traceback(result, ["--db", url])
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("Databasen går inte att nå just nu")


ONCE_TRACEBACKS = [
    ["letter", "pdf", "9223372036854775808", "-o", "ut.pdf"],
    ["letter", "sent", "18446744073709551616", "--method", "vanligt"],
    ["reminders", "read", "9223372036854775808"],
    ["incident", "add", "S-2026-0001", "--at", "9999-12-31", "--kind", "noise", "--text", "x"],
    ["--now", "0001-01-01", "case", "list"],
    ["case", "open", "--type", "hyresskuld", "--tenant", "x" * 201, "--address", "a",
     "--apartment", "1", "--due-date", "2026-02-01", "--amount", "8450"],
    ["case", "open", "--type", "hyresskuld", "--tenant", "T", "--address", "a" * 201,
     "--apartment", "1", "--due-date", "0001-01-01", "--amount", "1e999999"],
]  # fmt: skip


def test_the_inputs_that_once_gave_a_traceback_are_refused(cli, db_url):
    for argv in ONCE_TRACEBACKS:
        result = cli.invoke(main, ["--db", db_url, *argv])
        assert_no_traceback(result, argv)
        assert result.exit_code in (1, 2), argv
