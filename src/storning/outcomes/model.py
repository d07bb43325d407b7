"""The public shapes of the outcome measures (issue 14): the filter, a value, a measure, the whole
result, the groups and units, and the small helpers the measures and their readers share (working
days, percentiles, the outcome of a closed case). `storning.outcomes.measures` computes them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from storning.calendar import SwedishCalendar
from storning.outcomes.milestones import (
    OUTCOME_OF_FINAL_STATE,
)

# --- the public interface --------------------------------------------------------------------------

GROUPS: dict[str, str] = {
    "inflow": "Inflöde",
    "speed": "Snabbhet",
    "legal": "Rättslig kvalitet",
    "outcomes": "Utfall",
    "recurrence": "Återfall",
    "children": "Barn",
    "support": "Stöd och samverkan",
    "arrears": "Hyresskulder",
    "workload": "Arbetsbelastning",
}

UNITS: dict[str, str] = {
    "count": "antal",
    "days": "arbetsdagar",
    "share": "andel",
    "sek": "kronor",
}


@dataclass(frozen=True)
class StatsFilter:
    """What the measures are computed for. `start` and `end` are local days, both inclusive; the
    other fields narrow the cases (None: all the viewer may see)."""

    start: date
    end: date
    team: str | None = None
    owner: str | None = None  # an officer's username
    case_type: str | None = None  # "storning" | "hyresskuld"


@dataclass
class Value:
    """One number of a measure. `key` is stable within the measure (e.g. "2026-03|storning|granne",
    "median", "total", an outcome code); `dims` names its parts for charts (e.g. {"month": "2026-03",
    "case_type": "storning", "source": "granne"}); `n` is the number of cases a median or share is
    computed from; `case_ids` the cases behind it (empty when the value is not about cases, e.g. a
    median over no cases), each once, in order.

    The ids are a tuple, not a set: a web process keeps computed measures (a million ids at 100,000
    cases), and Python's cyclic garbage collector stops looking at a tuple of numbers once it has
    seen it, while it walks every set at each full collection (100–200 ms each, in the middle of
    someone's page)."""

    key: str
    label: str
    value: float | int | None
    n: int | None = None
    dims: dict[str, str] = field(default_factory=dict)
    case_ids: tuple[int, ...] = ()

    @property
    def has_cases(self) -> bool:
        return bool(self.case_ids)


@dataclass
class Measure:
    """A measure with its definition. `available` is False when the product does not record what it
    needs (the definition then says so) — it is listed, never invented."""

    key: str
    group: str  # a key of GROUPS
    label: str
    definition: str
    unit: str  # a key of UNITS
    values: list[Value] = field(default_factory=list)
    available: bool = True

    def value(self, key: str) -> Value | None:
        return next((v for v in self.values if v.key == key), None)


@dataclass
class Stats:
    """Every measure for one filter, as one viewer may see it, computed at `computed_at` (the
    moment the data was read). `current` is False when the data has changed since (the dashboard
    may show such a result while a new one is computed: `services.outcomes.stats(recent=True)`)."""

    filter: StatsFilter
    measures: list[Measure]
    computed_at: datetime | None = None
    current: bool = True

    def measure(self, key: str) -> Measure:
        for m in self.measures:
            if m.key == key:
                return m
        raise KeyError(key)

    def cases_behind(self, measure: str, value: str | None = None) -> frozenset[int]:
        """The ids of the cases behind one value of a measure (or behind all its values)."""
        m = self.measure(measure)
        chosen = m.values if value is None else [v for v in m.values if v.key == value]
        ids: set[int] = set()
        for v in chosen:
            ids.update(v.case_ids)
        return frozenset(ids)


@dataclass(frozen=True)
class Setting:
    """What the computation needs from the application: the zone, the calendar and `now`."""

    zone: ZoneInfo
    calendar: SwedishCalendar
    now: datetime


def working_days_between(calendar: SwedishCalendar, start: date, end: date) -> int:
    """The working days in (start, end]: 0 when `end` is not after `start` (same day, or the first
    contact made on a holiday right after)."""
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        if calendar.is_working_day(day):
            count += 1
        day += timedelta(days=1)
    return count


def percentile(values: Sequence[int], share: float) -> float | None:
    """The `share` percentile (0.5 = median) by linear interpolation between closest ranks (the
    method of numpy's default and of Excel's PERCENTILE.INC); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def outcome_of(case_outcome: str | None, legal_state: str | None) -> str | None:
    """The case's outcome: the one recorded, else the one its final legal state implies."""
    if case_outcome:
        return case_outcome
    return OUTCOME_OF_FINAL_STATE.get(legal_state or "")
