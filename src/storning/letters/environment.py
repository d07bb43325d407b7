"""The Jinja environment for letter templates: sandboxed, strict and escaping every value for Typst.

Landlords edit the templates, so they run in Jinja's `SandboxedEnvironment` (no access to Python
internals). `autoescape` is off because Jinja only knows HTML escaping; instead `finalize` escapes
every printed value for Typst markup (`escaping.escape_markup`). Template text itself is trusted
Typst; case data only reaches the output through `{{ … }}` and is therefore always escaped.

Names and texts in right-to-left scripts (Arabic, Persian, Hebrew …) are printed inside a Unicode
bidi isolate, so that they cannot pull the letter's own text (a flat number after a name, a comma)
into their direction; explicit bidi controls from the data are dropped (an unpaired override would
reverse the rest of the line).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, nodes
from jinja2.sandbox import SandboxedEnvironment

from storning.letters import escaping, formatting
from storning.letters.values import MissingValue, Record, RecordList, lookup

# Hebrew, Arabic, Syriac, Thaana, N'Ko … (U+0590–08FF), their presentation forms, the historic RTL
# scripts, and the right-to-left and Arabic letter marks.
_RTL = re.compile(
    "[\u0590-\u08ff\u061c\u200f\ufb1d-\ufdff\ufe70-\ufefe"
    "\U00010800-\U00010fff\U0001e800-\U0001efff]"
)
# Embeddings, overrides and isolates (LRE RLE PDF LRO RLO, LRI RLI FSI PDI): the renderer sets its own.
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_LRI, _RLI, _PDI = "\u2066", "\u2067", "\u2069"


def isolate_bidi(text: str) -> str:
    """`text` without explicit bidi controls; with right-to-left letters, inside a bidi isolate.

    Text that mixes both directions (`محمد الأحمد och Alex Ek`) is isolated left to right, as the
    Swedish letter around it reads; text in a right-to-left script only is isolated right to left.
    """
    text = text.translate(_BIDI_CONTROLS)
    if not _RTL.search(text):
        return text
    ltr = any(unicodedata.bidirectional(c) == "L" for c in text)
    return (_LRI if ltr else _RLI) + text + _PDI


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
    return isolate_bidi(escaping.escape_markup(text))


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
