"""Utfall och resultat (`/utfall`): the measures of eviction prevention with their definitions,
charts as SVG images (no JavaScript), the table and one-sentence summary beside every chart, and every
number a link to the list of cases behind it (`/utfall/arenden`). The annual report as PDF
(`/utfall/arsrapport.pdf?year=`).

The pages translate only: which cases count for whom, what is logged and what a list may show are
decided in `services.outcomes` (through `storning.outcomes.annual` for the report); the measures and
the charts are `storning.outcomes`'. A period is typed as from/to days (ÅÅÅÅ-MM-DD) or chosen as a
preset (this year, the last 12 months, last year).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from storning import readmodel
from storning.access import Principal
from storning.clock import local_day
from storning.errors import InvalidInput
from storning.outcomes import annual
from storning.outcomes.charts import (
    Figure,
    figures,
    format_number,
    month_label,
    render_svg,
    value_kind,
)
from storning.outcomes.measures import GROUPS, UNITS, Measure, StatsFilter, Value, definitions
from storning.outcomes.periods import PRESETS, preset_days, preset_of
from storning.services import outcomes
from storning.vocabulary import CASE_TYPES, COMPLAINT_SOURCES, OUTCOMES
from storning.web.context import page_ctx
from storning.web.idempotency import FormOnce
from storning.web.rendering import ENV, render

router = APIRouter(route_class=FormOnce)
DASHBOARD = "/utfall"
CASES = "/utfall/arenden"
REPORT = "/utfall/arsrapport.pdf"
EXPORT = "/utfall/export"
# what the page offers to download: (format, table) → the link's text
EXPORTS: dict[tuple[str, str], str] = {
    ("xlsx", "measures"): "Excel: måtten, ärendena bakom dem och definitionerna",
    ("csv", "measures"): "CSV: måtten",
    ("csv", "cases"): "CSV: ärendena bakom måtten",
}
# The measures shown as charts (with their tables) rather than as a table of their own.
CHARTED = frozenset({"inflow"})
VALUE_LABELS = {"median": "Median", "p90": "90:e percentilen", "total": "Totalt", **OUTCOMES}


@dataclass(frozen=True)
class Period:
    """The filter as the form shows it: the days, the preset chosen (or ""), team and case type."""

    start: date
    end: date
    preset: str
    team: str
    case_type: str

    def stats_filter(self) -> StatsFilter:
        return StatsFilter(
            self.start, self.end, team=self.team or None, case_type=self.case_type or None
        )

    def preset_query(self, preset: str) -> str:
        """The query string of a preset's link, keeping the team and case type."""
        values = {"preset": preset, "team": self.team, "type": self.case_type}
        return urlencode({k: v for k, v in values.items() if v})

    def query(self, **more: str) -> str:
        """The query string of a link that keeps this filter (`more` replaces or adds values)."""
        values = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        if self.team:
            values["team"] = self.team
        if self.case_type:
            values["type"] = self.case_type
        values.update({k: v for k, v in more.items() if v})
        return urlencode(values)


# --- the dashboard -----------------------------------------------------------------------------------


@router.get(DASHBOARD)
def dashboard(request: Request) -> Response:
    ctx = page_ctx(request)
    today = local_day(ctx.now, ctx.app.zone)
    error = None
    try:
        period = _period(ctx.app, ctx.now, request.query_params)
    except InvalidInput as e:
        error, period = str(e), _preset("ar", today, request.query_params)
    found = outcomes.stats(
        ctx.app, ctx.principal.username, ctx.now, period.stats_filter(), recent=True
    )
    shown = [
        {"figure": f, "image": _image(f), "rows": _figure_rows(f, period)} for f in figures(found)
    ]
    groups = [
        {
            "key": key,
            "title": title,
            "measures": [
                _measure_view(m, period)
                for m in found.measures
                if m.group == key and m.key not in CHARTED
            ],
        }
        for key, title in GROUPS.items()
    ]
    context = {
        "nav": "outcomes",
        "period": period,
        "preset_links": [
            {
                "label": label,
                "href": "/utfall?" + period.preset_query(code),
                "current": period.preset == code,
            }
            for code, label in PRESETS.items()
        ],
        "teams": _teams(ctx.app, ctx.principal),
        "case_types": CASE_TYPES,
        "figures": shown,
        "groups": groups,
        "inflow": _measure_view(found.measure("inflow"), period),
        # the team the exported files cover: the one chosen, else the viewer's own when they see no other
        "export_team": outcomes.viewed_team(ctx.app, ctx.principal.username, period.team or None),
        "exports": [
            {"href": f"{EXPORT}?" + period.query(format=fmt, table=table), "label": label}
            for (fmt, table), label in EXPORTS.items()
        ],
        "years": [today.year, today.year - 1, today.year - 2],
        "report_year": today.year - 1 if today.month < 3 else today.year,
        "computed_at": _clock_time(ctx.app.zone, found.computed_at),
        "current": found.current,
        "error": error,
        "error_title": "Perioden kunde inte läsas" if error else None,
    }
    return render(request, "outcomes.html", context, status=400 if error else 200)


def _clock_time(zone: ZoneInfo, at: datetime | None) -> str | None:
    return at.astimezone(zone).strftime("%H:%M:%S") if at else None


# --- the cases behind a number -----------------------------------------------------------------------


@router.get(CASES)
def cases_behind(request: Request) -> Response:
    ctx = page_ctx(request)
    q = request.query_params
    period = _period(ctx.app, ctx.now, q)
    measure = q.get("measure", "")[:60]
    value = q.get("value", "")[:60] or None
    source = q.get("source", "")[:30]
    month = q.get("month", "")[:7]
    kind = q.get("case_type", "")[:20]
    found = outcomes.cases_behind(
        ctx.app,
        ctx.principal.username,
        ctx.now,
        period.stats_filter(),
        measure=measure or None,
        value=value,
        recent=True,
    )
    rows = found.rows
    # A number that is a part of a value's cases (a chart's cell): the same list, narrowed to the
    # cases opened in `month`, of `case_type` or from `source`.
    if source:
        rows = [r for r in rows if (r.source or "okand") == source]
    if month:
        rows = [r for r in rows if r.opened_on.strftime("%Y-%m") == month]
    if kind:
        rows = [r for r in rows if r.case_type == kind]
    labels = {d["key"]: d for d in definitions()}
    context = {
        "nav": "outcomes",
        "period": period,
        "rows": rows,
        "measure": labels.get(measure),
        "value_label": VALUE_LABELS.get(value or "", value),
        "source_label": COMPLAINT_SOURCES.get(source, "Okänd källa") if source else None,
        "month_label": month_label(month, True) if _is_month(month) else None,
        "kind_label": CASE_TYPES.get(kind),
        "case_types": CASE_TYPES,
        "sources": COMPLAINT_SOURCES,
        "outcome_labels": OUTCOMES,
        "back": f"{DASHBOARD}?{period.query()}",
        "computed_at": _clock_time(ctx.app.zone, found.computed_at),
        "current": found.current,
    }
    return render(request, "outcomes_cases.html", context)


# --- exports -----------------------------------------------------------------------------------------


@router.get(EXPORT)
def export(request: Request) -> Response:
    """The measures of the page's filter, and the cases behind them, as a file: what the API's
    /api/stats.csv|xlsx and `storning stats --format` give, for the logged-in viewer (the service
    decides which cases count, whose names show, and logs the export)."""
    ctx = page_ctx(request)
    q = request.query_params
    fmt, table = q.get("format", "xlsx"), q.get("table", "measures")
    if (fmt, table) not in EXPORTS:
        raise InvalidInput(
            "Välj en export som sidan erbjuder: Excel, CSV med måtten eller ärendena."
        )
    period = _period(ctx.app, ctx.now, q)
    found = outcomes.export(
        ctx.app, ctx.principal.username, ctx.now, period.stats_filter(), fmt, table=table
    )
    return Response(
        found.content,
        media_type=found.media_type,
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"'},
    )


# --- the annual report -------------------------------------------------------------------------------


@router.get(REPORT)
def annual_report(request: Request) -> Response:
    ctx = page_ctx(request)
    q = request.query_params
    year_text = q.get("year", "")
    if not (year_text.isdigit() and len(year_text) == 4):
        raise InvalidInput("Ange året för årsrapporten med fyra siffror, till exempel 2026.")
    team = q.get("team", "")[:80] or None
    report = annual.build(ctx.app, ctx.principal.username, ctx.now, int(year_text), team=team)
    return Response(
        report.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{report.filename}"'},
    )


# --- helpers -----------------------------------------------------------------------------------------


def _period(app: Any, now: datetime, q: Any) -> Period:
    """The period of the query: a preset, else the typed from/to days (what a typed day means is
    the service's: `outcomes.filter_from`; default this year to today)."""
    preset = q.get("preset", "")
    today = local_day(now, app.zone)
    if preset in PRESETS:
        return _preset(preset, today, q)
    found = outcomes.filter_from(
        app, now, start=q.get("from", "")[:20], end=q.get("to", "")[:20], team=_team(q)
    )
    chosen = preset_of(found.start, found.end, today)
    return Period(found.start, found.end, chosen, _team(q), _case_type(q))


def _preset(preset: str, today: date, q: Any) -> Period:
    start, end = preset_days(preset, today)
    return Period(start, end, preset if preset in PRESETS else "ar", _team(q), _case_type(q))


def _team(q: Any) -> str:
    return str(q.get("team", "")).strip()[:80]


def _case_type(q: Any) -> str:
    code = str(q.get("type", "")).strip()
    return code if code in CASE_TYPES else ""


def _teams(app: Any, principal: Principal) -> list[str]:
    """The teams the filter offers: every team to an administrator, one's own to the others."""
    if principal.is_admin:
        return readmodel.teams(app)
    return [principal.team] if principal.team else []


def _image(figure: Figure) -> Markup:
    """The chart as a data: URL for an <img>: an SVG image runs nothing and loads nothing. Base64
    has no character HTML would escape, so the page need not scan its ~20 kB."""
    svg = render_svg(figure.chart).encode("utf-8")
    return Markup("data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii"))


def _figure_rows(figure: Figure, period: Period) -> list[dict[str, Any]]:
    """The chart's numbers as table rows, each number with the link to its cases (or None)."""
    _header, rows = figure.chart.table()
    shown = []
    for index, (label, *cells) in enumerate(rows):
        links = figure.links[index] if index < len(figure.links) else ()
        shown.append(
            {
                "label": label,
                "cells": [
                    {"text": text, "href": _cell_href(period, links, i)}
                    for i, text in enumerate(cells)
                ],
            }
        )
    return shown


def _cell_href(period: Period, links: tuple[dict[str, str] | None, ...], index: int) -> str | None:
    link = links[index] if index < len(links) else None
    return f"{CASES}?{period.query(**link)}" if link else None


def _measure_view(measure: Measure, period: Period) -> dict[str, Any]:
    return {
        "key": measure.key,
        "label": measure.label,
        "definition": measure.definition,
        "unit": UNITS.get(measure.unit, measure.unit),
        "available": measure.available,
        "values": [
            {
                "label": v.label,
                "text": _value_text(measure.unit, v),
                "n": v.n,
                "href": (
                    f"{CASES}?{period.query(measure=measure.key, value=v.key)}"
                    if v.case_ids
                    else None
                ),
            }
            for v in measure.values
        ],
    }


def _value_text(unit: str, value: Value) -> str:
    kind = value_kind(unit, value.key)
    if value.value is None:
        return "–"
    if kind == "share":
        return f"{float(value.value) * 100:.0f}\u00a0%"
    if kind == "days" or kind == "sek":
        suffix = "arbetsdagar" if kind == "days" else "kr"
        return f"{format_number(float(value.value))}\u00a0{suffix}"
    if "kr" in value.label:
        return f"{format_number(float(value.value))}\u00a0kr"
    return format_number(float(value.value))


def _is_month(text: str) -> bool:
    return len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:] in MONTH_NUMBERS


MONTH_NUMBERS = frozenset(f"{n:02d}" for n in range(1, 13))


# The menu in base.html asks this on every page (it skips it when it is not registered).
ENV.globals["shows_outcomes"] = outcomes.may_see_outcomes
