"""The measures of eviction prevention (DOMAIN §8, issue 14 §2), computed with Core SQL.

Each measure has a key, a Swedish label, a Swedish definition sentence, a unit and values. Each value
has a stable key within its measure, optional dimensions (month, case type, source, outcome, officer,
kind …) for charts, and the ids of the cases behind it, so a number can be turned into the list of
those cases (`Stats.cases_behind`). Nothing here decides who may see what: the caller
(`storning.services.outcomes`) passes the visibility clause for its principal.

A period is a pair of local days, both inclusive. An event counts in the period when its local day is
in it (journal times are UTC; days are the landlord's). Working days are `SwedishCalendar` working days
(Saturdays, Sundays, public holidays, Midsummer, Christmas and New Year's Eve and the landlord's extra
closed days excluded); the working days from A to B are those in (A, B], as `add_working_days` counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from storning.outcomes import impact_measures, process_measures
from storning.outcomes.context import Context, Spec, case_clause
from storning.outcomes.model import (
    GROUPS,
    UNITS,
    Measure,
    Setting,
    Stats,
    StatsFilter,
    Value,
    outcome_of,
    percentile,
    working_days_between,
)


def compute(
    session: Session,
    visible: ColumnElement[bool],
    flt: StatsFilter,
    setting: Setting,
    *,
    only: Iterable[str] | None = None,
    firsts: dict[str, dict[int, datetime]] | None = None,
) -> Stats:
    """Every measure (or `only` those keys) for the cases matching `visible` and `flt`. `firsts`,
    when given, receives what was read of when each case first reached each milestone (milestone →
    case id → naive UTC time; all time, for those cases)."""
    ctx = Context(session, case_clause(visible, flt), flt, setting, firsts)
    wanted = set(only) if only is not None else None
    measures = []
    for spec in MEASURES:
        if wanted is None or spec.key in wanted:
            measures.append(spec.build(ctx))
    return Stats(flt, measures)


# --- the list ----------------------------------------------------------------------------------------

MEASURES: tuple[Spec, ...] = (*process_measures.SPECS, *impact_measures.SPECS)

MEASURE_KEYS: tuple[str, ...] = tuple(s.key for s in MEASURES)


def definitions() -> list[dict[str, str]]:
    """Every measure's key, group, label, unit and definition (for the dashboard and the report)."""
    return [
        {
            "key": s.key,
            "group": s.group,
            "label": s.label,
            "unit": s.unit,
            "definition": s.definition,
        }
        for s in MEASURES
    ]


__all__ = [
    "GROUPS",
    "MEASURES",
    "MEASURE_KEYS",
    "UNITS",
    "Measure",
    "Setting",
    "Stats",
    "StatsFilter",
    "Value",
    "compute",
    "definitions",
    "outcome_of",
    "percentile",
    "working_days_between",
]
