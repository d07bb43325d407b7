"""Click's own messages read Swedish (storning.cli.swedish): an officer who mistypes a command gets
the usage error in the language of every other message, whatever the machine's locale."""

from __future__ import annotations

import ast
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from storning.cli import main, swedish


@pytest.fixture
def cli(monkeypatch):
    monkeypatch.setenv("LANG", "en_US.UTF-8")  # an English machine: still Swedish
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), prog_name="storning")

    return invoke


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["case", "show"], "Fel: Argument saknas: 'REF'."),
        (["case", "list", "--bogus"], "Fel: Det finns ingen flagga '--bogus'."),
        (["stats", "--format", "pdf"], "'pdf' går inte: välj en av 'table', 'csv', 'xlsx', 'json'"),
        (["nosuch"], "Fel: Det finns inget kommando 'nosuch'."),
        (["arsrapport", "1990"], "Ogiltigt värde för 'YEAR': 1990 ligger inte inom"),
    ],
)
def test_a_mistyped_command_is_answered_in_swedish_with_the_way_to_help(cli, args, expected):
    result = cli(*args)
    assert result.exit_code == 2
    assert expected in result.output
    assert "Användning: storning" in result.output and "för hjälp." in result.output
    for english in ("Usage:", "Error:", "Try '", "Missing", "No such", "Invalid value"):
        assert english not in result.output


def test_an_option_without_its_value_is_named_in_swedish(cli):
    result = cli("stats", "--from")
    assert result.exit_code == 2
    assert result.output == "Fel: Flaggan '--from' behöver ett värde.\n"


def test_help_has_swedish_headings(cli):
    result = cli("case", "--help")
    assert result.exit_code == 0
    assert "Flaggor:" in result.output and "Kommandon:" in result.output
    assert "Visa den här hjälpen och avsluta." in result.output
    assert "Show this message" not in result.output


def _click_messages() -> tuple[set[str], set[tuple[str, str]]]:
    """Every message the installed Click looks up through `_` and `ngettext`."""
    single: set[str] = set()
    plural: set[tuple[str, str]] = set()
    root = Path(click.__file__).parent
    for name in swedish.CLICK_MODULES:
        tree = ast.parse((root / f"{name.split('.')[1]}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            texts = [a.value for a in node.args if isinstance(a, ast.Constant)]
            if node.func.id == "_" and texts:
                single.add(texts[0])
            elif node.func.id == "ngettext" and len(texts) >= 2:
                plural.add((texts[0], texts[1]))
    return single, plural


def test_every_translation_is_of_a_message_click_still_has_with_the_same_placeholders():
    single, plural = _click_messages()
    assert set(swedish.MESSAGES) <= single, set(swedish.MESSAGES) - single
    assert set(swedish.PLURALS) <= plural, set(swedish.PLURALS) - plural

    def fields(text: str) -> set[str]:
        import string

        found = {f for _, f, _, _ in string.Formatter().parse(text) if f}
        return found | ({"%(prog)s"} if "%(prog)s" in text else set())

    for english, swedish_text in swedish.MESSAGES.items():
        assert fields(english) == fields(swedish_text), english
    for (one, many), (sv_one, sv_many) in swedish.PLURALS.items():
        assert fields(one) == fields(sv_one) and fields(many) == fields(sv_many), one
    # the messages an officer meets (usage errors, help, prompts) are all translated; those left
    # out are for the programmer who declares commands
    for_officers = single - {
        "Arguments take exactly one parameter declaration, got {length}: {decls}.",
        "Boolean option {decl!r} cannot use the same flag for true/false.",
        "Could not determine name for option with declarations {decls!r}",
        "DeprecationWarning: The command {name!r} is deprecated.{extra_message}",
        "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}",
        "Invalid start character for option ({option})",
        "Name '{name}' defined twice",
        "No options defined but a name was passed ({name}). Did you mean to declare an argument "
        "instead? Did you mean to pass '--{name}'?",
        "Unknown color {colour!r}",
        "Unknown standard stream '{name}'",
        "Choice({choices})",
    }
    assert for_officers <= set(swedish.MESSAGES), for_officers - set(swedish.MESSAGES)
    assert plural <= set(swedish.PLURALS), plural - set(swedish.PLURALS)
