"""The annual report (issue 14 §5): "Vräkningsförebyggande arbete och störningsärenden — årsrapport
YYYY", a PDF for the landlord's board and the municipality, through the letters' Typst pipeline.

It shows the measures of the year and of the year before (the comparison), the charts of the year
(SVG embedded as images, the same charts as the dashboard's), every definition, and **no personal
data**: only counts, shares, working days and amounts — no case reference, no tenant, no complainant
and no officer (the measures that are per officer or per user are summed). Which cases count is the
service's (`services.outcomes.stats`, for the person asking, with its access log); this module only
lays out what the service returns. The template is `letters/rapporter/arsrapport.typ.j2`, escaped by the
letters' `finalize`; a landlord's own letters directory without it uses the bundled one.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import typst

from storning.app import App
from storning.calendar import MONTH_NAMES_SV
from storning.clock import local_day
from storning.errors import InvalidInput
from storning.letters.catalog import default_letters_dir, resolve_dir
from storning.letters.environment import make_environment
from storning.letters.errors import LetterTemplateError
from storning.letters.rendering import FONTS_DIR, PDF_STANDARDS, SYSTEM_FONT_DIRS, _fonts
from storning.outcomes.charts import Figure, figures, format_number, render_svg, value_kind
from storning.outcomes.measures import GROUPS, Measure, Stats, StatsFilter, Value
from storning.services import outcomes

# In a folder of its own: not a letter of the catalog, and not one of the shared `_*` files whose
# contents version every letter.
TEMPLATE = "rapporter/arsrapport.typ.j2"
TITLE = "Vräkningsförebyggande arbete och störningsärenden – årsrapport {year}"
# Measures per person (an officer, the user who overrode a guard): the report shows their sum only.
PER_PERSON = frozenset({"overrides", "open_per_officer", "overdue"})
# Measures of the moment (not of a year): shown once, never compared.
OF_THE_MOMENT = frozenset({"children_pending", "open_per_officer", "overdue"})
SHOWN_ELSEWHERE = frozenset({"inflow"})  # its chart and table tell it

# The headline comparison: (measure, value, label).
SUMMARY = (
    ("inflow", None, "Nya ärenden"),
    ("outcomes", None, "Avslutade ärenden"),
    ("resolved_without_termination", "share", "Avslutade utan uppsägning och avhysning"),
    ("terminations", "total", "Uppsägningar"),
    ("terminations_with_notice", "share", "Uppsägningar föregångna av underrättelse"),
    ("eviction_applications", "total", "Ansökningar om avhysning"),
    ("evictions", "total", "Verkställda avhysningar"),
    ("evictions_prevented", "total", "Förhindrade avhysningar"),
    ("leases_recovered", "total", "Återvunna hyresrätter (12:44)"),
    ("evictions_children", "households", "Avhysningar av hushåll med barn"),
    ("evictions_children", "children", "Barn som berördes av avhysningar"),
    ("days_to_first_contact", "median", "Arbetsdagar till första kontakt (median)"),
    ("recurrence", "6m_share", "Nya störningar inom 6 månader efter uppmaning"),
    ("consent", "collaboration", "Samverkan med socialtjänsten inledd"),
    ("payment_plans", "agreed", "Avbetalningsplaner träffade"),
)


@dataclass(frozen=True)
class AnnualReport:
    pdf: bytes
    year: int
    title: str
    filename: str  # arsrapport-2026.pdf, arsrapport-2026-norr.pdf: safe in a header and a folder


def annual_report(
    app: App, actor: str, now: datetime, year: int, *, team: str | None = None
) -> bytes:
    """The PDF of `year` (compared with the year before) over the cases `actor` may read, optionally
    of one team. A year that has not begun, or before 2000, is refused with one Swedish sentence."""
    return build(app, actor, now, year, team=team).pdf


def build(
    app: App, actor: str, now: datetime, year: int, *, team: str | None = None
) -> AnnualReport:
    today = local_day(now, app.zone)
    if not 2000 <= year <= today.year:
        raise InvalidInput(f"Årsrapport kan tas fram för åren 2000–{today.year}; {year} går inte.")
    end = min(date(year, 12, 31), today)
    this = outcomes.stats(app, actor, now, StatsFilter(date(year, 1, 1), end, team=team))
    before = outcomes.stats(
        app, actor, now, StatsFilter(date(year - 1, 1, 1), date(year - 1, 12, 31), team=team)
    )
    shown = figures(this)
    context = report_context(
        app, this, before, shown, today, outcomes.viewed_team(app, actor, team)
    )
    inputs = {f"figur{i}": render_svg(f.chart) for i, f in enumerate(shown)}
    pdf = _renderer(_directory(app)).render(context, inputs, today)
    filename = outcomes.file_stem("arsrapport", str(year), team) + ".pdf"
    return AnnualReport(pdf, year, context["report"]["title"], filename)


def report_context(
    app: App,
    this: Stats,
    before: Stats,
    shown: list[Figure],
    today: date,
    team: str | None,
) -> dict[str, Any]:
    """What the template shows (plain text and numbers; the template escapes every value)."""
    year = this.filter.start.year
    landlord = app.settings.landlord.name
    period = f"1 januari – {_day(this.filter.end)} {year}"
    report = {
        "title": TITLE.format(year=year),
        "landlord": landlord,
        "year": year,
        "previous": year - 1,
        "scope": f"team {team}" if team else "",
        "period": period,
        "produced": today,
        "intro": (
            f"Rapporten visar hur arbetet med störningsärenden och hyresskulder gick under {year}: "
            "hur många ärenden som kom in och varifrån, hur snabbt hyresgästen kontaktades, hur "
            "ärendena slutade, hur många uppsägningar och avhysningar det blev och hur många "
            f"avhysningar som förhindrades, jämfört med {year - 1}."
        ),
        "summary": [_summary_row(this, before, *spec) for spec in SUMMARY],
        "figures": [_figure(i, f) for i, f in enumerate(shown)],
        "groups": _groups(this, before),
        "about": [
            "Ett ärende räknas det år händelsen inträffade (anmälan, uppsägning, avslut …); "
            "dagar räknas i hyresvärdens tidszon.",
            "Arbetsdagar räknas utan lördagar, söndagar, helgdagar och midsommar-, jul- och "
            "nyårsafton.",
            "Mått märkta ”just nu” gäller dagen rapporten sammanställdes och jämförs inte mellan "
            "åren.",
            "Mått per handläggare eller användare redovisas bara som summa.",
            "Rapporten räknar de ärenden som den som tog fram den får läsa.",
        ],
    }
    return {"report": report}


def _day(day: date) -> str:
    return f"{day.day} {MONTH_NAMES_SV[day.month - 1]}"


def _total(measure: Measure, value: str | None) -> float | None:
    if value is None:
        return float(sum(float(v.value or 0) for v in measure.values))
    found = measure.value(value)
    return None if found is None or found.value is None else float(found.value)


def _summary_row(
    this: Stats, before: Stats, key: str, value: str | None, label: str
) -> dict[str, str]:
    unit = value_kind(this.measure(key).unit, value or "")
    now_value = _total(this.measure(key), value)
    then_value = _total(before.measure(key), value)
    if unit != "share":  # a count not reached in a year is nought
        now_value, then_value = now_value or 0.0, then_value or 0.0
    return {
        "label": label,
        "before": _text(unit, then_value),
        "now": _text(unit, now_value),
        "change": _change(unit, then_value, now_value),
    }


def _text(unit: str, value: float | None) -> str:
    if value is None:
        return "–"
    if unit == "share":
        return f"{value * 100:.0f} %"
    return format_number(value)


def _change(unit: str, before: float | None, now: float | None) -> str:
    if before is None or now is None:
        return "–"
    if unit == "share":
        points = (now - before) * 100
        shown = "±0" if round(points) == 0 else f"{points:+.0f}".replace("-", "−")
        return shown + " %-enheter"
    diff = now - before
    text = format_number(abs(diff))
    return "±0" if diff == 0 else ("+" if diff > 0 else "−") + text


def _figure(index: int, figure: Figure) -> dict[str, Any]:
    header, rows = figure.chart.table()
    return {
        "input": f"figur{index}",
        "title": figure.chart.title,
        "summary": figure.summary,
        "alt": f"{figure.chart.title}: {figure.summary}",
        "header": header,
        "first_column": figure.label_header,
        "rows": rows,
    }


def _groups(this: Stats, before: Stats) -> list[dict[str, Any]]:
    groups = []
    for key, title in GROUPS.items():
        measures = []
        for m in this.measures:
            if m.group != key or m.key in SHOWN_ELSEWHERE:
                continue
            measures.append(_measure(m, before.measure(m.key)))
        if measures:
            groups.append({"title": title, "measures": measures})
    return groups


def _measure(this: Measure, before: Measure) -> dict[str, Any]:
    label = this.label + (" (just nu)" if this.key in OF_THE_MOMENT else "")
    if this.key in PER_PERSON:
        rows = [_sum_row(this, before)]
    else:
        keys = list(dict.fromkeys([v.key for v in before.values] + [v.key for v in this.values]))
        rows = [
            {
                "label": (this.value(k) or before.value(k) or Value(k, k, None)).label,
                "before": "–" if this.key in OF_THE_MOMENT else _value(this.unit, k, before),
                "now": _value(this.unit, k, this),
            }
            for k in keys
        ]
    return {"label": label, "definition": this.definition, "rows": rows}


def _sum_row(this: Measure, before: Measure) -> dict[str, str]:
    def total(m: Measure) -> float:
        if m.value("total") is not None:
            return float(m.value("total").value or 0)  # type: ignore[union-attr]
        return float(sum(float(v.value or 0) for v in m.values))

    moment = this.key in OF_THE_MOMENT
    return {
        "label": "Totalt",
        "before": "–" if moment else format_number(total(before)),
        "now": format_number(total(this)),
    }


def _value(unit: str, key: str, measure: Measure) -> str:
    kind = value_kind(unit, key)
    value = measure.value(key)
    if value is None or value.value is None:
        return "0" if kind == "count" and measure.available else "–"
    if kind == "share":
        return f"{float(value.value) * 100:.0f} %" + (f" (av {value.n})" if value.n else "")
    if kind == "days":
        return f"{format_number(float(value.value))} dagar"
    if "kr" in value.label:
        return f"{format_number(float(value.value))} kr"
    return format_number(float(value.value))


# --- rendering ---------------------------------------------------------------------------------------


def _directory(app: App) -> Path:
    """The letters directory with the template: the landlord's, else the bundled one."""
    directory = resolve_dir(app.settings.letters_dir)
    if (directory / TEMPLATE).is_file():
        return directory
    return default_letters_dir()


class _Renderer:
    """The Jinja environment (the letters' escaping one) and a Typst compiler of one directory."""

    def __init__(self, directory: Path) -> None:
        self.env = make_environment(directory)
        system = [str(d) for d in SYSTEM_FONT_DIRS if d.is_dir()]
        fonts = _fonts(tuple([str(FONTS_DIR), *system]))
        self.compiler = typst.Compiler(
            root=str(directory), font_paths=fonts, ignore_system_fonts=True
        )
        self.lock = threading.Lock()

    def render(self, context: dict[str, Any], inputs: dict[str, str], today: date) -> bytes:
        try:
            source = self.env.get_template(TEMPLATE).render(context)
        except jinja2.TemplateError as e:
            raise LetterTemplateError(
                f"Årsrapportens mall har ett fel: {e}.", template=TEMPLATE
            ) from None
        options: dict[str, Any] = {
            "format": "pdf",
            "pdf_standards": PDF_STANDARDS,
            # the day it was made: the same data on the same day give the same bytes
            "timestamp": dt.datetime(today.year, today.month, today.day, tzinfo=dt.UTC),
        }
        try:
            with self.lock:
                pdf = self.compiler.compile(
                    input=source.encode("utf-8"), sys_inputs=inputs, **options
                )
        except typst.TypstError as e:
            raise LetterTemplateError(
                f"Årsrapporten kunde inte sättas av Typst: {e.message}", template=TEMPLATE
            ) from None
        assert isinstance(pdf, bytes)
        return pdf


@lru_cache(maxsize=4)
def _renderer(directory: Path) -> _Renderer:
    return _Renderer(directory)


__all__ = ["TITLE", "AnnualReport", "annual_report", "build", "report_context"]
