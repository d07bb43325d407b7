"""Escaping for Typst: every value a template prints becomes literal text, never markup or code.

Typst markup treats many ASCII characters as syntax (`#` starts code, `*` bold, `_` emphasis,
`$` math, `@` references, `<` labels, `[`/`]` content, `=`/`-`/`+`/`/` headings and lists at the
start of a line, `1.` numbered lists, `~`, `--`, `...`, quotes and `//` comments). Typst accepts
a backslash before any of them, so `escape_markup` backslash-escapes *every* ASCII punctuation
character. That neutralises line-start markup too, wherever the value sits in the line. Line breaks
in a value become Typst line breaks (`\\ `) so the value stays on one source line.

`TypstMarkup` marks text that is already valid Typst and must be printed as is. Only the filters in
this module create it, from values they escape or build themselves; `typst_raw` only accepts a
literal written in the template (checked when the template is parsed, see `check_raw_literals`).
"""

from __future__ import annotations

import datetime as dt
import re
import string
from typing import Any

from jinja2 import TemplateSyntaxError, Undefined, nodes

_MARKUP_TABLE: dict[int, str | None] = {ord(c): "\\" + c for c in string.punctuation}
_MARKUP_TABLE.update({c: None for c in range(32) if c not in (9, 10)})
_MARKUP_TABLE.update({0x7F: None, 9: " ", 10: "\\ ", 0x2028: "\\ ", 0x2029: "\\ "})
_NEWLINES = re.compile(r"\r\n?")


class TypstMarkup(str):
    """Trusted Typst source; `finalize` prints it without escaping."""

    __slots__ = ()


def escape_markup(text: str) -> str:
    """`text` as Typst markup that prints exactly `text` (line breaks kept as line breaks)."""
    return _NEWLINES.sub("\n", text).strip("\n").translate(_MARKUP_TABLE)


def typst_str(value: Any) -> TypstMarkup:
    """A Typst string literal, for template positions in code mode (e.g. `author:`)."""
    text = _NEWLINES.sub("\n", str(value))
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", " ")
    return TypstMarkup(f'"{body}"')


def typst_date(value: dt.date) -> TypstMarkup:
    """A Typst `datetime(...)` for a date, e.g. for `#set document(date: ...)`."""
    if isinstance(value, Undefined):
        str(value)  # raises, naming the missing field
    if not isinstance(value, dt.date):
        raise TypeError(f"typst_date expects a date, got {type(value).__name__}")
    return TypstMarkup(f"datetime(year: {value.year}, month: {value.month}, day: {value.day})")


def typst_raw(value: str) -> TypstMarkup:
    """Literal Typst markup written in the template (never data; see `check_raw_literals`)."""
    return TypstMarkup(value)


def check_raw_literals(tree: nodes.Template, name: str | None, filename: str | None) -> None:
    """Refuse `|typst_raw` on anything but a string literal: case data never bypasses escaping."""
    for node in tree.find_all(nodes.Filter):
        literal = isinstance(node.node, nodes.Const) and isinstance(node.node.value, str)
        if node.name == "typst_raw" and not literal:
            raise TemplateSyntaxError(
                "typst_raw får bara användas på en textsträng skriven i mallen",
                node.lineno,
                name,
                filename,
            )
