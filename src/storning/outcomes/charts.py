"""Charts of the outcome measures as SVG, drawn on the server with pygal: no JavaScript in the page.

pygal was chosen after measuring it here (2-core machine, 12 months × 2 series): a bar chart in about
18 ms and a line chart in about 13 ms, median of 30 renders. A dashboard shows a handful of charts and
must answer in 200 ms (p95) at 100,000 cases, so a chart is cached by its data (`render_svg` is a pure
function of a frozen `Chart`): the same numbers are drawn once per process.

What pygal writes is cleaned before it is handed out: its inline `<script>` (the tooltips' config,
which would also copy every label into JavaScript), its comments (with the render date) and the empty
tooltip layer are removed, its random id is replaced by one derived from the data (the same numbers
give the same bytes, so a PDF that embeds the chart is reproducible), and the SVG gets a `<title>` and
a `<desc>` with `role="img"` and `aria-labelledby` for screen readers. Every text pygal writes is
escaped by lxml; the title and description added here are escaped too.

Colours: the Okabe–Ito palette, distinguishable with the common colour-vision deficiencies; the page
shows the numbers in a table beside every chart, so no reading depends on colour alone.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, Literal
from xml.sax.saxutils import escape

import pygal
from lxml import etree
from pygal.style import Style

from storning.outcomes.measures import Stats, Value
from storning.vocabulary import CASE_TYPES, COMPLAINT_SOURCES

# pygal appends a legacy import hook to sys.meta_path (for its map plugins, which we do not use). It
# has no `find_spec`, so every later import of a module that does not exist warns (ImportWarning),
# which is an error where warnings are errors (the tests); take it out again.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]

# Okabe & Ito (2008), "Color universal design": blue, orange, bluish green, vermillion, reddish purple,
# sky blue, yellow, black.
OKABE_ITO = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
)
FONT = "Carlito, Calibri, 'Liberation Sans', Arial, sans-serif"
WIDTH, HEIGHT = 720, 340

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1a1a1a",
    foreground_strong="#1a1a1a",
    foreground_subtle="#6b6b6b",
    colors=OKABE_ITO,
    font_family=FONT,
    label_font_family=FONT,
    major_label_font_family=FONT,
    value_font_family=FONT,
    value_label_font_family=FONT,
    title_font_family=FONT,
    legend_font_family=FONT,
    tooltip_font_family=FONT,
    title_font_size=18,
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    value_font_size=12,
    opacity="1",
    opacity_hover="1",
    transition="none",
)

Kind = Literal["bar", "stacked", "line", "hbar"]
_CHARTS: dict[str, Any] = {
    "bar": pygal.Bar,
    "stacked": pygal.StackedBar,
    "line": pygal.Line,
    "hbar": pygal.HorizontalBar,
}


@dataclass(frozen=True)
class Series:
    """One named row of values (None: no value for that label, e.g. no case to take a median of)."""

    name: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class Chart:
    """What a chart shows: `title` and `description` (one sentence that says what the numbers show)
    are also the SVG's accessible name and description; `unit` is shown on the value axis."""

    kind: Kind
    title: str
    description: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    unit: str = ""

    @property
    def chart_id(self) -> str:
        """A stable id for the SVG and its title and description: a digest of the chart's data."""
        return "diagram-" + hashlib.sha256(repr(self).encode("utf-8")).hexdigest()[:12]

    def table(self) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
        """The numbers as a table: a header (the label column, then one column a series) and rows."""
        header = ("", *(s.name for s in self.series))
        rows = [
            (label, *(format_number(s.values[i]) for s in self.series))
            for i, label in enumerate(self.labels)
        ]
        return header, rows


def format_number(value: float | None) -> str:
    """A value as Swedish text: whole numbers plain, others with one decimal and a decimal comma;
    '–' for no value."""
    if value is None:
        return "–"
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", "\u00a0")
    return f"{value:.1f}".replace(".", ",")


def value_kind(unit: str, key: str) -> str:
    """How one value of a measure reads: "share" for a share (the value `share`, or a key ending in
    `_share`, whatever the measure's unit), "count" for the counts inside a share measure, else the
    measure's unit ("count", "days", "sek")."""
    if key == "share" or key.endswith("_share"):
        return "share"
    return "count" if unit == "share" else unit


def render_svg(chart: Chart) -> str:
    """The chart as a standalone SVG document (text, UTF-8, no XML declaration, no script)."""
    return _render(chart)


@lru_cache(maxsize=512)
def _render(chart: Chart) -> str:
    graph = _CHARTS[chart.kind](
        style=STYLE,
        width=WIDTH,
        height=HEIGHT,
        js=[],
        disable_xml_declaration=True,
        explicit_size=False,
        tooltip_border_radius=0,
        legend_at_bottom=True,
        legend_at_bottom_columns=min(len(chart.series), 4) or 1,
        show_legend=len(chart.series) > 1,
        title=chart.title,
        y_title=(chart.unit or None) if chart.kind != "hbar" else None,
        x_title=(chart.unit or None) if chart.kind == "hbar" else None,
        x_label_rotation=0 if len(chart.labels) <= 12 else 30,
        truncate_label=-1,
        truncate_legend=-1,
        print_values=False,
        margin=12,
        include_x_axis=True,
        value_formatter=format_number,
        show_y_guides=True,
        range=(0, max(1.0, _largest(chart) * 1.1)) if chart.kind != "line" else None,
        min_scale=2,
        max_scale=8,
    )
    # pygal draws a horizontal bar chart's first label at the bottom: reverse it to read top down
    order = slice(None, None, -1) if chart.kind == "hbar" else slice(None)
    graph.x_labels = list(chart.labels)[order]
    for series in chart.series:
        graph.add(series.name, list(series.values)[order])
    tree = graph.render_tree()
    _clean(tree)
    text = etree.tostring(tree, encoding="unicode")
    # pygal's random uuid scopes its CSS and names the root element; make it the data's digest.
    text = text.replace(str(graph.uuid), chart.chart_id.removeprefix("diagram-"))
    return _with_text_alternative(text, chart)


def _largest(chart: Chart) -> float:
    if chart.kind == "stacked":
        sums = [sum(s.values[i] or 0 for s in chart.series) for i in range(len(chart.labels))] or [
            0
        ]
        return float(max(sums))
    return float(max((v or 0 for s in chart.series for v in s.values), default=0))


def _clean(tree: Any) -> None:
    """Drop pygal's script, comments and tooltip layer: nothing in the SVG runs or changes."""
    doomed = [
        el
        for el in tree.iter()
        if not isinstance(el.tag, str)  # comments and processing instructions
        or _local(el.tag) == "script"
        or (_local(el.tag) == "title" and el.getparent() is tree)  # ours replaces it
        or (_local(el.tag) == "g" and "tooltip-overlay" in (el.get("class") or ""))
    ]
    for el in doomed:
        parent = el.getparent()
        if parent is not None:
            parent.remove(el)
    for el in tree.iter():
        if isinstance(el.tag, str) and el.get("class"):
            classes = el.get("class").replace("reactive", "").replace("tooltip-trigger", "")
            el.set("class", " ".join(classes.split()))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _with_text_alternative(svg: str, chart: Chart) -> str:
    """Insert `<title>` and `<desc>` as the root's first children, named by `aria-labelledby`."""
    ident = chart.chart_id
    start = svg.index(">", svg.index("<svg")) + 1
    opening = svg[:start].replace(
        "<svg ",
        f'<svg role="img" aria-labelledby="{ident}-t {ident}-d" ',
        1,
    )
    alternative = (
        f'<title id="{ident}-t">{escape(chart.title)}</title>'
        f'<desc id="{ident}-d">{escape(chart.description)}</desc>'
    )
    return opening + alternative + svg[start:]


# --- the charts of the measures ---------------------------------------------------------------------

MONTHS = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
Link = dict[str, str] | None  # the query of the list of cases behind a number (measure, value …)


@dataclass(frozen=True)
class Figure:
    """A chart with what the page and the report show beside it: `key` names it (an anchor);
    `summary` is one sentence; `links` runs parallel to the rows and series of `chart.table()`:
    for each number, the query of the list of cases behind it (`measure` and `value`, and where a
    number is a part of a value's cases: the `month` opened, the `case_type` or the `source`), None
    for a number with no cases behind it."""

    key: str
    chart: Chart
    summary: str
    links: tuple[tuple[Link, ...], ...] = ()
    label_header: str = ""  # the heading of the table's first column


def figures(stats: Stats) -> list[Figure]:
    """The dashboard's and the annual report's charts of `stats`: inflow per month and type, inflow
    per source, speed, outcomes and the legal steps. Each has a one-sentence summary."""
    return [
        _inflow_per_month(stats),
        _inflow_per_source(stats),
        _speed(stats),
        _outcomes(stats),
        _legal_steps(stats),
    ]


def months_of(start: date, end: date) -> list[str]:
    """The months ("2026-03") from `start` to `end`, both included."""
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def month_label(month: str, with_year: bool) -> str:
    year, number = month.split("-")
    name = MONTHS[int(number) - 1]
    return f"{name} {year}" if with_year else name


def _inflow_per_month(stats: Stats) -> Figure:
    flt = stats.filter
    months = months_of(flt.start, flt.end)
    with_year = flt.start.year != flt.end.year
    counts: dict[tuple[str, str], int] = {}
    for v in stats.measure("inflow").values:
        key = (v.dims.get("month", ""), v.dims.get("case_type", ""))
        counts[key] = counts.get(key, 0) + int(v.value or 0)
    series = tuple(
        Series(label, tuple(float(counts.get((m, code), 0)) for m in months))
        for code, label in CASE_TYPES.items()
    )
    totals = [sum(counts.get((m, code), 0) for code in CASE_TYPES) for m in months]
    total = sum(totals)
    if total:
        top = max(range(len(months)), key=lambda i: totals[i])
        summary = (
            f"Under perioden öppnades {format_number(total)} ärenden; flest i "
            f"{month_label(months[top], True)} ({format_number(totals[top])})."
        )
    else:
        summary = "Inga ärenden öppnades under perioden."
    chart = Chart(
        "stacked",
        "Nya ärenden per månad",
        summary,
        tuple(month_label(m, with_year) for m in months),
        series,
        "ärenden",
    )
    links = tuple(
        tuple(
            {"measure": "inflow", "month": m, "case_type": code} if counts.get((m, code)) else None
            for code in CASE_TYPES
        )
        for m in months
    )
    return Figure("inflode-manad", chart, summary, links, "Månad")


def _inflow_per_source(stats: Stats) -> Figure:
    counts: dict[str, int] = {}
    for v in stats.measure("inflow").values:
        source = v.dims.get("source", "okand")
        counts[source] = counts.get(source, 0) + int(v.value or 0)
    codes = [c for c in [*COMPLAINT_SOURCES, "okand"] if counts.get(c)]
    total = sum(counts.values())
    if total:
        top = max(codes, key=lambda c: counts[c])
        summary = (
            f"Flest anmälningar kom från källan {_source(top).lower()}: "
            f"{format_number(counts[top])} av {format_number(total)} "
            f"({_percent(counts[top] / total)})."
        )
    else:
        summary = "Inga anmälningar kom in under perioden."
    chart = Chart(
        "hbar",
        "Nya ärenden per källa",
        summary,
        tuple(_source(c) for c in codes),
        (Series("Ärenden", tuple(float(counts[c]) for c in codes)),),
        "ärenden",
    )
    links = tuple(({"measure": "inflow", "source": c},) for c in codes)
    return Figure("inflode-kalla", chart, summary, links, "Källa")


def _source(code: str) -> str:
    return COMPLAINT_SOURCES.get(code, "Okänd källa")


SPEED = (
    ("days_to_first_contact", "Första kontakt"),
    ("days_to_uppmaning", "Uppmaning"),
    ("days_to_social_notice", "Underrättelse till socialnämnden"),
)


def _speed(stats: Stats) -> Figure:
    medians: list[float | None] = []
    tails: list[float | None] = []
    links = []
    for key, _label in SPEED:
        m = stats.measure(key)
        median, p90 = m.value("median"), m.value("p90")
        medians.append(_number(median))
        tails.append(_number(p90))
        links.append(
            tuple(
                {"measure": key, "value": v.key} if v is not None and v.case_ids else None
                for v in (median, p90)
            )
        )
    first = medians[0]
    summary = (
        f"Hälften av ärendena fick en första kontakt inom {format_number(first)} arbetsdagar "
        "efter anmälan."
        if first is not None
        else "Inga ärenden fick en första kontakt under perioden."
    )
    chart = Chart(
        "bar",
        "Arbetsdagar från anmälan",
        summary,
        tuple(label for _key, label in SPEED),
        (Series("Median", tuple(medians)), Series("90:e percentilen", tuple(tails))),
        "arbetsdagar",
    )
    return Figure("snabbhet", chart, summary, tuple(links), "Arbetsdagar till")


def _outcomes(stats: Stats) -> Figure:
    values = stats.measure("outcomes").values
    share = stats.measure("resolved_without_termination").value("share")
    closed = sum(int(v.value or 0) for v in values)
    if closed and share is not None and share.value is not None:
        summary = (
            f"Av {format_number(closed)} avslutade ärenden löstes {_percent(float(share.value))} "
            "utan uppsägning och utan avhysning."
        )
    else:
        summary = "Inga ärenden avslutades under perioden."
    chart = Chart(
        "hbar",
        "Avslutade ärenden per utfall",
        summary,
        tuple(v.label for v in values),
        (Series("Ärenden", tuple(float(v.value or 0) for v in values)),),
        "ärenden",
    )
    links = tuple(
        ({"measure": "outcomes", "value": v.key} if v.case_ids else None,) for v in values
    )
    return Figure("utfall", chart, summary, links, "Utfall")


LEGAL_STEPS = (
    ("terminations", "Uppsägningar"),
    ("eviction_applications", "Ansökningar om avhysning"),
    ("evictions", "Verkställda avhysningar"),
    ("evictions_prevented", "Förhindrade avhysningar"),
)


def _legal_steps(stats: Stats) -> Figure:
    totals = []
    links = []
    for key, _label in LEGAL_STEPS:
        total = stats.measure(key).value("total")
        totals.append(_number(total) or 0.0)
        has = total is not None and bool(total.case_ids)
        links.append(({"measure": key, "value": "total"} if has else None,))
    summary = (
        f"{format_number(totals[0])} uppsägningar och {format_number(totals[2])} verkställda "
        f"avhysningar; {format_number(totals[3])} avhysningar förhindrades."
    )
    chart = Chart(
        "bar",
        "Uppsägningar och avhysningar",
        summary,
        tuple(label for _key, label in LEGAL_STEPS),
        (Series("Ärenden", tuple(totals)),),
        "ärenden",
    )
    return Figure("uppsagningar", chart, summary, tuple(links), "Steg")


def _number(value: Value | None) -> float | None:
    return None if value is None or value.value is None else float(value.value)


def _percent(share: float) -> str:
    return f"{share * 100:.0f}\u00a0%"


__all__ = [
    "OKABE_ITO",
    "Chart",
    "Figure",
    "Series",
    "figures",
    "format_number",
    "month_label",
    "months_of",
    "render_svg",
    "value_kind",
]
