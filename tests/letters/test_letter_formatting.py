"""Swedish formatting filters and Typst escaping, without compiling."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from storning.letters.escaping import escape_markup, typst_str
from storning.letters.formatting import datum, datum_kort, genitiv, kr, och, tid, veckodag

NBSP = "\u00a0"


def test_datum_writes_the_swedish_long_date():
    assert datum(dt.date(2026, 12, 3)) == "3 december 2026"
    assert datum("2026-01-06") == "6 januari 2026"


def test_datum_kort_is_iso():
    assert datum_kort(dt.date(2026, 12, 3)) == "2026-12-03"


def test_tid_uses_a_period_and_the_landlords_zone():
    utc = dt.datetime(2026, 12, 3, 21, 15, tzinfo=dt.UTC)
    assert tid(utc) == "22.15"
    assert datum(dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)) == "1 januari 2027"
    assert tid(dt.datetime(2026, 6, 1, 7, 5, tzinfo=ZoneInfo("Europe/Stockholm"))) == "07.05"


def test_veckodag():
    assert veckodag(dt.date(2026, 12, 3)) == "torsdag"


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (8450, f"8{NBSP}450{NBSP}kr"),
        (Decimal("8450.00"), f"8{NBSP}450{NBSP}kr"),
        (Decimal("12345.5"), f"12{NBSP}345,50{NBSP}kr"),
        ("1000,50", f"1{NBSP}000,50{NBSP}kr"),
        ("750", f"750{NBSP}kr"),
        (1234567, f"1{NBSP}234{NBSP}567{NBSP}kr"),
        (Decimal("-200"), f"\u2212200{NBSP}kr"),
        (0.1 + 0.2, f"0,30{NBSP}kr"),
    ],
)
def test_kr_groups_thousands_and_shows_ore_only_when_not_zero(amount, text):
    assert kr(amount) == text


def test_kr_refuses_what_is_not_an_amount():
    with pytest.raises(ValueError):
        kr("åtta tusen")
    with pytest.raises(TypeError):
        kr(True)


def test_och_and_genitiv():
    assert och(["Kim"]) == "Kim"
    assert och(["Kim", "Alex", "Robin"]) == "Kim, Alex och Robin"
    assert och([]) == ""
    assert genitiv("Norrköping") == "Norrköpings"
    assert genitiv("Västerås") == "Västerås"


@pytest.mark.parametrize(
    "text",
    ['#panic("x")', "*fet* _kursiv_ $x$", "= rubrik", "- lista", "+ nr", "/ term: x", "1. ett"],
)
def test_escape_markup_escapes_every_markup_character(text):
    escaped = escape_markup(text)
    for char in '#*_$=-+/.:()"':
        assert char not in escaped.replace("\\" + char, "")


def test_escape_markup_keeps_line_breaks_on_one_source_line():
    assert escape_markup("rad ett\r\nrad två\n") == "rad ett\\ rad två"


def test_typst_str_is_a_closed_string_literal():
    assert typst_str('A "B" \\ C') == '"A \\"B\\" \\\\ C"'
