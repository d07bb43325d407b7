"""The case sheet of an XLSX export is written by outcomes.sheet_rows, not by xlsxwriter's cell
writer (a tenth of the time at 100,000 rows). xlsxwriter is the oracle: the same rows written by it
alone and through sheet_rows read back identically with openpyxl, awkward strings included, and the
workbook stays one Excel opens (one sheet dimension, dates with a date format)."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from typing import Any

import xlsxwriter
from openpyxl import load_workbook

from storning.outcomes import sheet_rows
from storning.outcomes.exports import _sheet

AWKWARD: list[list[Any]] = [
    ["S-2026-000001", "Störning", "Åsa Öberg", 3, date(2026, 6, 19), None, "", 2.5],
    ["a & b < c > d", "\x01styrtecken\x1f", "_x0041_ ser ut som en kod", 0, date(1990, 1, 1)],
    [" inledande", "avslutande ", "\ttabb", "rad\nbrytning", True, False, -7, 1e-7],
    ["=SUMMA(A1)", "+46 70", "-1", "@hem", "<r><t>rå</t></r>", "🙂 emoji", "'citat'", '"dubbel"'],
    ["x" * 40_000, "🙂" * 20_000, "_x005F_x0041_", "&amp;", "]]>", None, None, 123456789012],
    ["u\ufffe", "t\uffff", None, None, None, None, None, None],  # no characters in XML
]


def written_by_xlsxwriter(rows: list[list[Any]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_formulas": False})
    bold, day = book.add_format({"bold": True}), book.add_format({"num_format": "yyyy-mm-dd"})
    _sheet(book, "Ärenden", ["A", "B", "C", "D", "E", "F", "G", "H"], rows, bold, day)
    book.close()
    return buffer.getvalue()


def written_through_sheet_rows(rows: list[list[Any]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_formulas": False})
    bold, day = book.add_format({"bold": True}), book.add_format({"num_format": "yyyy-mm-dd"})
    sheet = _sheet(book, "Ärenden", ["A", "B", "C", "D", "E", "F", "G", "H"], [], bold, day)
    sheet.set_column(4, 4, 11, day)
    book.close()
    assert day.xf_index is not None
    return sheet_rows.splice_rows(
        buffer.getvalue(), "xl/worksheets/sheet1.xml", rows, first_row=2, day_style=day.xf_index
    )


def read_back(content: bytes) -> list[list[tuple[Any, str]]]:
    sheet = load_workbook(io.BytesIO(content))["Ärenden"]
    return [[(cell.value, cell.number_format) for cell in row] for row in sheet.iter_rows()]


def test_the_rows_read_back_as_xlsxwriter_writes_them_awkward_strings_included():
    expected = read_back(written_by_xlsxwriter(AWKWARD))
    ours = read_back(written_through_sheet_rows(AWKWARD))
    # one deliberate difference: xlsxwriter's constant-memory mode writes a string that starts
    # with <r> and ends with </r> as raw rich-text XML (a tenant named so would inject markup);
    # sheet_rows keeps it as the text it is
    assert expected[4][4] == ("rå", "General") and ours[4][4] == ("<r><t>rå</t></r>", "General")
    expected[4][4] = ours[4][4]
    assert ours == expected
    # and what that is, spelled out: the oracle itself keeps control characters, escapes, edge
    # whitespace and formula-like text as text, cuts at Excel's 32,767 UTF-16 units, and a day is
    # a date with the date format
    values = [[value for value, _ in row] for row in expected]
    assert values[1][:5] == ["S-2026-000001", "Störning", "Åsa Öberg", 3, datetime(2026, 6, 19)]
    assert expected[1][4][1] == "yyyy-mm-dd"
    # Excel shows a control character's _xHHHH_ escape as the character (openpyxl shows the
    # escape), and text that looks like an escape has its underscore escaped (_x005F)
    assert values[2][:3] == [
        "a & b < c > d",
        "_x0001_styrtecken_x001F_",
        "_x005F_x0041_ ser ut som en kod",
    ]
    assert values[3][:4] == [" inledande", "avslutande ", "\ttabb", "rad\nbrytning"]
    assert values[3][4:6] == ["ja", "nej"]
    assert values[4][:4] == ["=SUMMA(A1)", "+46 70", "-1", "@hem"]
    assert len(values[5][0]) == 32_767 and len(values[5][1]) == 32_767 // 2
    assert values[5][2:5] == ["_x005F_x005F_x0041_", "&amp;", "]]>"]
    assert values[6][:2] == ["u_xFFFE_", "t_xFFFF_"]


def test_the_sheet_dimension_covers_every_row_and_the_widest_one():
    content = written_through_sheet_rows(AWKWARD)
    sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    # the header row is row 1 and the six rows follow: 2 to 7; the widest row has 8 cells (A–H)
    assert '<dimension ref="A1:H7"/>' in sheet_xml
    assert sheet_xml.count("<sheetData>") == 1 and sheet_xml.count("</sheetData>") == 1
    empty = written_through_sheet_rows([])
    assert load_workbook(io.BytesIO(empty))["Ärenden"].max_row == 1


def test_column_letters_run_past_z():
    assert [sheet_rows.column_letters(n) for n in (0, 25, 26, 51, 52, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]
