"""The Jinja environment for letter templates: sandboxed, strict and escaping every value for Typst.

Landlords edit the templates, so they run in Jinja's `SandboxedEnvironment` (no access to Python
internals). `autoescape` is off because Jinja only knows HTML escaping; instead `finalize` escapes
every printed value for Typst markup (`escaping.escape_markup`). Template text itself is trusted
Typst; case data only reaches the output through `{{ … }}` and is therefore always escaped.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, nodes
from jinja2.sandbox import SandboxedEnvironment

from storning.letters import escaping, formatting
from storning.letters.values import MissingValue, Record, RecordList, lookup


def finalize(value: Any) -> str:
    """Every `{{ … }}` result as Typst markup that prints literally; `TypstMarkup` passes as is."""
    if isinstance(value, escaping.TypstMarkup):
        return value
    if isinstance(value, MissingValue) or value is None:
        return str(MissingValue(name="(tomt värde)") if value is None else value)
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, dt.datetime):
        text = f"{formatting.datum_kort(value)} kl. {formatting.tid(value)}"
    elif isinstance(value, dt.date):
        text = value.isoformat()
    else:
        text = str(value)
    return escaping.escape_markup(text)


class LetterEnvironment(SandboxedEnvironment):
    """Sandboxed Jinja for Typst letters; field lookups go through `values.lookup`."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, (Record, RecordList)):
            return lookup(obj, attribute, self.undefined)  # type: ignore[arg-type]
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, (Record, RecordList)) and not isinstance(argument, slice):
            return lookup(obj, argument, self.undefined)  # type: ignore[arg-type]
        return super().getitem(obj, argument)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        escaping.check_raw_literals(tree, name, filename)
        return tree


def make_environment(letters_dir: Path) -> LetterEnvironment:
    """A new environment loading `*.typ.j2` templates from `letters_dir`."""
    env = LetterEnvironment(
        loader=FileSystemLoader(letters_dir),
        undefined=MissingValue,
        autoescape=False,
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=True,
    )
    env.filters.update(formatting.FILTERS)
    env.globals.update(formatting.GLOBALS)
    env.filters.update(
        typst_raw=escaping.typst_raw, typst_str=escaping.typst_str, typst_date=escaping.typst_date
    )
    return env
