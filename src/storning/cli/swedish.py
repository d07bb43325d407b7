"""Click's own words in Swedish: usage errors, help headings and prompts.

Everything an officer reads is Swedish; the command's help texts are written so, but Click's own
messages ("Error: Missing argument 'REF'.", "Usage:", "Show this message and exit.") come from Click,
which looks them up through `gettext` (`_` and `ngettext` in each of its modules). `install()` gives
those modules a lookup in the catalogue below instead, whatever the machine's locale. A message not in
the catalogue (a newer Click's) is shown as Click wrote it; tests/test_cli_swedish.py checks that every
message here still exists in the installed Click, and that the usual mistakes read Swedish.

Placeholders (`{name!r}`, `%(prog)s`) are Click's and kept as they are.
"""

from __future__ import annotations

import importlib
from types import ModuleType

MESSAGES: dict[str, str] = {
    "%(prog)s, version %(version)s": "%(prog)s, version %(version)s",
    "(dynamic)": "(dynamiskt)",
    "Aborted!": "Avbrutet.",
    "Argument {name!r} takes {nargs} values.": "Argumentet {name!r} tar {nargs} värden.",
    "Choose from:\n\t{choices}": "Välj bland:\n\t{choices}",
    "Commands": "Kommandon",
    "Confirm the action without prompting.": "Bekräfta utan att frågas.",
    "Could not open file {filename!r}: {message}": "Kan inte öppna filen {filename!r}: {message}",
    "Do you want to continue?": "Vill du fortsätta?",
    "Error: The two entered values do not match.": "Fel: de två värdena är inte lika.",
    "Error: invalid input": "Fel: ogiltigt svar",
    "Error: {message}": "Fel: {message}",
    "Invalid value for {param_hint}: {message}": "Ogiltigt värde för {param_hint}: {message}",
    "Invalid value: {message}": "Ogiltigt värde: {message}",
    "Missing argument": "Argument saknas:",
    "Missing command.": "Ange ett kommando.",
    "Missing option": "Flagga saknas:",
    "Missing parameter": "Värde saknas:",
    "Missing parameter: {param_name}": "Värde saknas: {param_name}",
    "Missing {param_type}": "Saknas ({param_type}):",
    "No such command {name!r}.": "Det finns inget kommando {name!r}.",
    "No such option {name!r}.": "Det finns ingen flagga {name!r}.",
    "Option {name!r} does not take a value.": "Flaggan {name!r} tar inget värde.",
    "Options": "Flaggor",
    "Positional arguments": "Argument",
    "Press any key to continue...": "Tryck på en tangent för att fortsätta …",
    "Repeat for confirmation": "Upprepa för att bekräfta",
    "Show the version and exit.": "Visa versionen och avsluta.",
    "Show this message and exit.": "Visa den här hjälpen och avsluta.",
    "Try '{command} {option}' for help.": "Se '{command} {option}' för hjälp.",
    "Usage:": "Användning:",
    "Value must be an iterable.": "Värdet måste vara en lista.",
    "default: {default}": "standard: {default}",
    "deprecated": "föråldrad",
    "directory": "mapp",
    "env var: {var}": "miljövariabel: {var}",
    "file": "fil",
    "path": "sökväg",
    "unknown error": "okänt fel",
    "{name} {filename!r} does not exist.": "{name} {filename!r} finns inte.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} är en mapp.",
    "{name} {filename!r} is a file.": "{name} {filename!r} är en fil.",
    "{name} {filename!r} is not executable.": "{name} {filename!r} är inte körbar.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} går inte att läsa.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} går inte att skriva till.",
    "{value!r} is not a valid UUID.": "{value!r} är inget giltigt UUID.",
    "{value!r} is not a valid boolean. Recognized values: {states}": (
        "{value!r} är varken ja eller nej. Giltiga värden: {states}"
    ),
    "{value!r} is not a valid {number_type}.": "{value!r} är inget giltigt tal ({number_type}).",
    "{value} is not in the range {range}.": "{value} ligger inte inom {range}.",
}

# (singular, plural) → (Swedish singular, Swedish plural)
PLURALS: dict[tuple[str, str], tuple[str, str]] = {
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"): (
        "Menade du {possibility}?",
        "(Menade du någon av: {possibilities}?)",
    ),
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"): (
        "Ett argument för mycket ({args})",
        "Argument för mycket ({args})",
    ),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."): (
        "Flaggan {name!r} behöver ett värde.",
        "Flaggan {name!r} behöver {nargs} värden.",
    ),
    ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."): (
        "Tar {nargs} värden men fick 1.",
        "Tar {nargs} värden men fick {len}.",
    ),
    (
        "{len_type} values are required, but {len_value} was given.",
        "{len_type} values are required, but {len_value} were given.",
    ): (
        "{len_type} värden krävs, men {len_value} gavs.",
        "{len_type} värden krävs, men {len_value} gavs.",
    ),
    (
        "{value!r} does not match the format {format}.",
        "{value!r} does not match the formats {formats}.",
    ): (
        "{value!r} har inte formatet {format}.",
        "{value!r} har inget av formaten {formats}.",
    ),
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."): (
        "{value!r} går inte: välj {choice}.",
        "{value!r} går inte: välj en av {choices}.",
    ),
}

# Click's modules that look their messages up (each binds `_` and `ngettext` when imported)
CLICK_MODULES = (
    "click.core",
    "click.decorators",
    "click.exceptions",
    "click.formatting",
    "click.parser",
    "click.types",
    "click.termui",
    "click.utils",
)


def gettext(message: str) -> str:
    return MESSAGES.get(message, message)


def ngettext(singular: str, plural: str, count: int) -> str:
    found = PLURALS.get((singular, plural))
    if found is None:
        return singular if count == 1 else plural
    return found[0] if count == 1 else found[1]


def install() -> None:
    """Have Click look its messages up here (idempotent)."""
    for name in CLICK_MODULES:
        module: ModuleType = importlib.import_module(name)
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]
