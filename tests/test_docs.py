"""Documentation that is generated must match the code it describes."""

from __future__ import annotations

from click.testing import CliRunner

from storning.cli import main
from storning.config import SETTINGS, Settings
from tests.conftest import ROOT


def test_docs_settings_md_is_generated_from_the_settings_table():
    generated = CliRunner().invoke(main, ["settings", "--markdown"]).stdout
    assert (ROOT / "docs" / "settings.md").read_text(encoding="utf-8") == generated, (
        "docs/settings.md is stale: run `storning settings --markdown > docs/settings.md`"
    )


def test_every_setting_is_read_and_bad_values_fail_loudly():
    assert len({s.env for s in SETTINGS}) == len(SETTINGS)
    import pytest

    from storning.errors import InvalidInput

    with pytest.raises(InvalidInput, match="STORNING_SMTP_PORT"):
        Settings.from_env({"STORNING_SMTP_PORT": "tjugofem"})
    with pytest.raises(InvalidInput, match="STORNING_TZ"):
        Settings.from_env({"STORNING_TZ": "Mars/Olympus"})
    with pytest.raises(InvalidInput, match="STORNING_SMTP_TLS"):
        Settings.from_env({"STORNING_SMTP_TLS": "kanske"})


def test_every_cli_command_has_help_with_swedish_text():
    def walk(group, path):
        for name, command in getattr(group, "commands", {}).items():
            yield [*path, name], command
            yield from walk(command, [*path, name])

    for path, command in walk(main, []):
        result = CliRunner().invoke(main, [*path, "--help"])
        assert result.exit_code == 0, path
        assert command.help or command.short_help, f"storning {' '.join(path)} has no help text"
