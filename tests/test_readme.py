"""The README's walk-through is executed as written, so the documentation cannot drift."""

from __future__ import annotations

import json
import re
import shlex

from click.testing import CliRunner

from storning.cli import main
from tests.conftest import ROOT


def walkthrough_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```console\n(.*?)```", text, re.S)
    assert block, "the README has no console walk-through"
    return [
        shlex.split(line[2:])[1:]
        for line in block.group(1).splitlines()
        if line.startswith("$ storning")
    ]


def test_the_readme_walkthrough_runs_from_complaint_to_kronofogden(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STORNING_DB", f"sqlite:///{tmp_path / 'walkthrough.db'}")
    monkeypatch.setenv("STORNING_WORKFLOWS", str(ROOT / "workflows"))
    monkeypatch.setenv("STORNING_LETTERS_DIR", str(ROOT / "letters"))
    runner = CliRunner()
    commands = walkthrough_commands()
    assert len(commands) >= 10
    for args in commands:
        result = runner.invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0, f"storning {' '.join(args)}\n{result.output}"
    shown = runner.invoke(main, ["case", "show", "S-2026-0001", "--json"])
    doc = json.loads(shown.stdout)
    assert doc["tracks"]["legal"]["state"] == "kronofogden"
    assert doc["tracks"]["authority"]["state"] == "notified"
    assert (tmp_path / "ansokan.pdf").read_bytes().startswith(b"%PDF")
