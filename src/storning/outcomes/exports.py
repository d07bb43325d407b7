"""Exports of the measures and of the case rows behind them: CSV (UTF-8 with BOM, semicolons, as
Swedish Excel opens it), XLSX (xlsxwriter) and JSON-ready dicts.

The case rows hold no complainant data at all and no personnummer; the tenant column holds what the
service decided the viewer may see (a name, or a pseudonym). This module only writes what it is given.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, Protocol

import xlsxwriter

from storning.outcomes import sheet_rows
from storning.outcomes.measures import GROUPS, UNITS, Measure, Stats
from storning.outcomes.milestones import MILESTONES
from storning.outcomes.sheet_rows import EXCEL_EPOCH
from storning.vocabulary import CASE_TYPES, COMPLAINT_SOURCES, OUTCOMES

MEASURE_HEADERS: tuple[str, ...] = (
    "Grupp",
    "Mått",
    "Benämning",
    "Värde",
    "Värdets benämning",
    "Tal",
    "Underlag (antal ärenden)",
    "Enhet",
    "Dimensioner",
    "Definition",
)

CASE_HEADERS: dict[str, str] = {
    "ref": "Ärende",
    "case_type": "Ärendetyp",
    "team": "Team",
    "owner": "Handläggare",
    "tenant": "Hyresgäst",
    "status": "Status",
    "source": "Källa",
    "children": "Antal barn",
    "outcome": "Utfall",
    "legal_state": "Hyresjuridiskt läge",
    "opened_on": "Öppnat",
    "closed_on": "Avslutat",
}


class CaseLike(Protocol):
    """What an exported case row offers (services.outcomes.CaseRow)."""

    ref: str
    case_type: str
    team: str | None
    owner: str
    tenant: str
    status: str
    source: str | None
    children: int | None
    outcome: str | None
    legal_state: str
    legal_label: str
    opened_on: date
    closed_on: date | None
    milestones: dict[str, date | None]


def measure_rows(stats: Stats) -> list[list[Any]]:
    """One row per value of every measure (a measure without values gets one row saying so)."""
    rows: list[list[Any]] = []
    for m in stats.measures:
        if not m.values:
            rows.append(
                _row(m, "", "Inga värden" if m.available else "Uppgift saknas", None, None, {})
            )
        for v in m.values:
            rows.append(_row(m, v.key, v.label, v.value, v.n, v.dims))
    return rows


def _row(
    m: Measure, key: str, label: str, value: Any, n: int | None, dims: Mapping[str, str]
) -> list[Any]:
    return [
        GROUPS.get(m.group, m.group),
        m.key,
        m.label,
        key,
        label,
        value,
        n,
        UNITS.get(m.unit, m.unit),
        "; ".join(f"{k}={v}" for k, v in dims.items()),
        m.definition,
    ]


def case_headers() -> list[str]:
    return [*CASE_HEADERS.values(), *(f"{m.label} (datum)" for m in MILESTONES.values())]


def case_table(cases: Iterable[CaseLike]) -> list[list[Any]]:
    """The case rows as cells in the order of `case_headers`, codes turned into Swedish labels,
    days as dates (ISO days in CSV, dates in XLSX), nothing as an empty cell."""
    keys = tuple(MILESTONES)
    return [
        [
            case.ref,
            CASE_TYPES.get(case.case_type, case.case_type),
            case.team or "",
            case.owner,
            case.tenant,
            "Avslutat" if case.status == "closed" else "Öppet",
            COMPLAINT_SOURCES.get(case.source or "", case.source or ""),
            "" if case.children is None else case.children,
            OUTCOMES.get(case.outcome or "", case.outcome or ""),
            case.legal_label or case.legal_state,
            case.opened_on,
            case.closed_on or "",
            *(case.milestones.get(key) or "" for key in keys),
        ]
        for case in cases
    ]


def to_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark and semicolons (what Excel in Swedish opens correctly); decimal
    values with a comma. Cells that start like a formula are quoted with an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_cell(c) for c in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_cell(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # never a formula in someone's spreadsheet (CSV injection)
    return value


def to_xlsx(stats: Stats, cases: Iterable[CaseLike], *, title: str) -> bytes:
    """A workbook: the measures, the cases behind them, and the definitions. xlsxwriter writes the
    workbook in constant memory; the case rows (100,000 of them in the benchmark) are written into
    their sheet by `sheet_rows`, which costs a tenth of xlsxwriter's generic cell writer."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    book.set_properties(
        {"title": title, "author": "Storning", "comments": "Inga personuppgifter om anmälare."}
    )
    bold = book.add_format({"bold": True})
    day_format = book.add_format({"num_format": "yyyy-mm-dd"})
    _sheet(book, "Mått", MEASURE_HEADERS, measure_rows(stats), bold, day_format)
    headers = case_headers()
    case_sheet = _sheet(book, "Ärenden", headers, [], bold, day_format)
    # the days: opened, closed and the milestones (the last columns)
    case_sheet.set_column(list(CASE_HEADERS).index("opened_on"), len(headers) - 1, 11, day_format)
    definitions = [
        [GROUPS.get(m.group, m.group), m.key, m.label, UNITS.get(m.unit, m.unit), m.definition]
        for m in stats.measures
    ]
    _sheet(
        book,
        "Definitioner",
        ["Grupp", "Mått", "Benämning", "Enhet", "Definition"],
        definitions,
        bold,
        day_format,
    )
    book.close()
    # the date format's style number is known once the workbook is written (its column uses it)
    day_style = day_format.xf_index
    if day_style is None:
        raise RuntimeError("the date format has no style number in the workbook")
    return sheet_rows.splice_rows(
        buffer.getvalue(),
        f"xl/worksheets/sheet{case_sheet.index + 1}.xml",
        case_table(cases),
        first_row=2,
        day_style=day_style,
    )


def _sheet(
    book: xlsxwriter.Workbook,
    name: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    bold: Any,
    day_format: Any,
) -> Any:
    """A sheet with a bold, frozen header row and `rows` in typed writes (no cell for nothing; a
    day as a serial number with a date format, so it sorts and filters as a date)."""
    sheet = book.add_worksheet(name)
    sheet.write_row(0, 0, list(headers), bold)
    sheet.freeze_panes(1, 0)
    write_string, write_number = sheet.write_string, sheet.write_number
    date_columns: set[int] = set()
    for number, row in enumerate(rows, start=1):
        for column, cell in enumerate(row):
            if cell is None or cell == "":
                continue
            if isinstance(cell, bool):
                write_string(number, column, "ja" if cell else "nej")
            elif isinstance(cell, int | float):
                write_number(number, column, cell)
            elif isinstance(cell, date):
                write_number(number, column, (cell - EXCEL_EPOCH).days, day_format)
                date_columns.add(column)
            else:
                write_string(number, column, str(cell))
    for column in date_columns:
        sheet.set_column(column, column, 11)
    return sheet


def stats_json(stats: Stats) -> dict[str, Any]:
    """The measures as JSON (stable keys, for scripts and the API)."""
    f = stats.filter
    return {
        "filter": {
            "from": f.start.isoformat(),
            "to": f.end.isoformat(),
            "team": f.team,
            "owner": f.owner,
            "type": f.case_type,
        },
        "measures": [
            {
                "key": m.key,
                "group": m.group,
                "group_label": GROUPS.get(m.group, m.group),
                "label": m.label,
                "definition": m.definition,
                "unit": m.unit,
                "available": m.available,
                "values": [
                    {
                        "key": v.key,
                        "label": v.label,
                        "value": v.value,
                        "n": v.n,
                        "dims": v.dims,
                        "cases": len(v.case_ids),
                    }
                    for v in m.values
                ],
            }
            for m in stats.measures
        ],
    }
