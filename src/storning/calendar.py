"""Swedish legal time: periods, holidays, the 2 § roll, working days and the JB 12 kap. dates.

Everything here is a pure function of its arguments (and of the `holidays` package's rules for
Sweden); nothing reads the clock, a file or a database.

The law encoded (the project's DOMAIN.md §3–§5):

* Lag (1930:173) om beräkning av lagstadgad tid, 1 §: a period in weeks, months or years ends on the
  day with the same weekday name or date number as the start day; when the month has no such date,
  on its last day. A period of days ends ``start + n`` days. → `SwedishCalendar.period_end`.
* 2 §: when the last day for an action is a Saturday, a Sunday, a public holiday, Midsummer Eve,
  Christmas Eve or New Year's Eve, the action may be taken on the next weekday.
  → `SwedishCalendar.roll_forward`.
* Lag (1989:253) om allmänna helgdagar: Sundays, 1 Jan, 6 Jan, Good Friday, Easter Sunday and
  Monday, Ascension Day, 1 May, 6 June, Pentecost, Midsummer Day, All Saints' Day, 25 and 26 Dec.
  → `SwedishCalendar.is_public_holiday`.
* A *deadline weekday* (also used for "vardag" in JB 12 kap.; the conservative reading) is Monday to
  Friday and neither a public holiday nor one of the three eves. A *working day* is a deadline
  weekday that is not one of the landlord's extra closed days.

Dates are `datetime.date`; a `datetime.datetime` is refused (TypeError) because its calendar day
depends on a time zone that this module cannot know. Years outside the range the `holidays` package
covers for Sweden (`FIRST_YEAR`–`LAST_YEAR`) raise ValueError rather than silently having no
holidays.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Literal, get_args

import holidays
from dateutil.relativedelta import relativedelta
from holidays.constants import DE_FACTO, PUBLIC
from holidays.countries.sweden import Sweden

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "UNITS",
    "CalendarKind",
    "Period",
    "SwedishCalendar",
    "Unit",
    "day_name_sv",
    "format_date_sv",
    "parse_period",
]

Unit = Literal["days", "working_days", "weeks", "months", "years"]
UNITS: tuple[Unit, ...] = get_args(Unit)
CalendarKind = Literal["statutory", "working_days"]

FIRST_YEAR: int = Sweden.start_year
LAST_YEAR: int = Sweden.end_year

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5
_SUNDAY = 6

DAY_NAMES_SV = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
MONTH_NAMES_SV = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)


# --------------------------------------------------------------------------------------------
# Periods


@dataclass(frozen=True)
class Period:
    """A length of time as written in a workflow definition, e.g. ``Period(15, "working_days")``.

    `count` is a non-negative integer and `unit` one of `UNITS`; anything else raises ValueError.
    ``str(period)`` gives the canonical English text that `parse_period` reads back.
    """

    count: int
    unit: Unit

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 0:
            raise ValueError(
                f"A period's count must be a whole number of 0 or more, not {self.count!r}."
            )
        if self.unit not in UNITS:
            raise ValueError(
                f"A period's unit must be one of {', '.join(UNITS)}, not {self.unit!r}."
            )

    def __str__(self) -> str:
        noun = self.unit.replace("_", " ")
        return f"{self.count} {noun[:-1] if self.count == 1 else noun}"


_UNIT_BY_WORD: dict[str, Unit] = {unit.removesuffix("s"): unit for unit in UNITS}
_PERIOD_RE = re.compile(
    r"([0-9]+)\s+(working[\s_-]+days?|days?|weeks?|months?|years?)", re.IGNORECASE | re.ASCII
)


def parse_period(text: str) -> Period:
    """Read a period such as ``"15 working days"``, ``"1 week"``, ``"6 months"`` or ``"1 year"``.

    The form is a whole number, white space and a unit (day, working day, week, month or year, in
    the singular or plural, any letter case); surrounding white space is ignored. Anything else
    raises ValueError with one sentence naming the text and the accepted forms.
    """
    match = _PERIOD_RE.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(
            f"Cannot read the period {text!r}: write a whole number and a unit, such as "
            "'15 working days', '1 working day', '2 days', '3 weeks', '1 month' or '1 year'."
        )
    word = re.sub(r"[\s_-]+", "_", match.group(2).lower())
    return Period(int(match.group(1)), _UNIT_BY_WORD[word.removesuffix("s")])


# --------------------------------------------------------------------------------------------
# Per-year holiday tables (shared by every calendar; a year is computed once)


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(
            f"The Swedish holiday calendar covers {FIRST_YEAR}–{LAST_YEAR}, not the year {year}."
        )


@cache  # keyed by year, and years are bounded by FIRST_YEAR–LAST_YEAR
def _public_holidays_not_sundays(year: int) -> frozenset[date]:
    """Lag 1989:253 holidays of `year` other than the ordinary Sundays (checked by weekday)."""
    _check_year(year)
    # include_sundays=False explicitly: older releases of `holidays` listed every Sunday of the
    # year as a holiday by default; Sundays are tested by weekday instead.
    table = holidays.country_holidays("SE", years=year, categories=(PUBLIC,), include_sundays=False)
    return frozenset(table)


@cache  # keyed by year, and years are bounded by FIRST_YEAR–LAST_YEAR
def _eves(year: int) -> frozenset[date]:
    """Midsummer Eve, Christmas Eve and New Year's Eve of `year` (the DE_FACTO category).

    Not Easter Eve, Whitsun Eve or All Saints' Eve: 1930:173 2 § names only these three, and
    `holidays` keeps the others in its OPTIONAL and BANK categories, which are not asked for.
    """
    _check_year(year)
    return frozenset(holidays.country_holidays("SE", years=year, categories=(DE_FACTO,)))


# One answer per date, filled a whole year at a time by `_load_year_of`. The predicates are called
# millions of times (timer sweeps, benchmarks): a dict lookup is about four times faster than
# weekday() plus a per-year cached set. A datetime never matches a date key, so it reaches
# `_load_year_of` and is refused there.
_IS_PUBLIC_HOLIDAY: dict[date, bool] = {}
_IS_EVE: dict[date, bool] = {}
_IS_DEADLINE_WEEKDAY: dict[date, bool] = {}


def _load_year_of(d: object) -> None:
    year = _require_date(d).year
    public, eves = _public_holidays_not_sundays(year), _eves(year)
    day, end = date(year, 1, 1), date(year, 12, 31)
    is_public: dict[date, bool] = {}
    is_eve: dict[date, bool] = {}
    is_deadline_weekday: dict[date, bool] = {}
    while True:
        is_public[day] = day.weekday() == _SUNDAY or day in public
        is_eve[day] = day in eves
        is_deadline_weekday[day] = day.weekday() < _SATURDAY and not (is_public[day] or is_eve[day])
        if day == end:
            break
        day += _ONE_DAY
    # Each update() is one step under the GIL, and a reader that misses just loads the year again.
    _IS_PUBLIC_HOLIDAY.update(is_public)
    _IS_EVE.update(is_eve)
    _IS_DEADLINE_WEEKDAY.update(is_deadline_weekday)


def _require_date(d: object) -> date:
    # `type(...) is date` first: the common case costs one comparison on hot paths.
    if type(d) is date:
        return d
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"Expected a datetime.date, got {d!r}; pass a date (e.g. dt.date()).")
    return d


def _add_months(d: date, months: int, *, to_month_end: bool = False) -> date:
    """`d` plus `months` months on the same date number, or the month's last day when it has no
    such date (relativedelta clamps); with `to_month_end`, always that month's last day."""
    result: date = d + relativedelta(months=months, day=31 if to_month_end else None)
    return result


def _require_count(n: int, what: str) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"The number of {what} must be a whole number of 0 or more, not {n!r}.")


# --------------------------------------------------------------------------------------------
# Swedish names


def day_name_sv(d: date) -> str:
    """The Swedish weekday name of `d` in lower case, e.g. ``"torsdag"``."""
    return DAY_NAMES_SV[_require_date(d).weekday()]


def format_date_sv(d: date) -> str:
    """`d` written out in Swedish, e.g. ``"torsdag 31 december 2026"`` (no leading zero)."""
    d = _require_date(d)
    return f"{DAY_NAMES_SV[d.weekday()]} {d.day} {MONTH_NAMES_SV[d.month - 1]} {d.year}"


# --------------------------------------------------------------------------------------------
# The calendar


class SwedishCalendar:
    """Swedish statutory time, plus one landlord's extra closed days for practice deadlines.

    The statutory methods (`is_deadline_weekday`, `roll_forward`, `statutory_last_day`,
    `further_weekdays`, `lease_end_12_4`, `rent_due_date_12_20`) never look at the extra closed
    days: a landlord's office being closed does not move a time limit set by law. Only the
    working-day methods (`is_working_day`, `add_working_days`, ``due(..., "working_days")``) do.
    """

    __slots__ = ("_extra_closed",)

    def __init__(self, extra_closed_days: Iterable[date] = ()) -> None:
        """`extra_closed_days`: dates on which the landlord is closed (e.g. a klämdag)."""
        self._extra_closed: frozenset[date] = frozenset(_require_date(d) for d in extra_closed_days)

    @property
    def extra_closed_days(self) -> frozenset[date]:
        """The landlord's extra closed days given to the constructor."""
        return self._extra_closed

    def __repr__(self) -> str:
        days = ", ".join(d.isoformat() for d in sorted(self._extra_closed))
        return f"SwedishCalendar(extra_closed_days=[{days}])"

    # -- predicates ------------------------------------------------------------------------

    def is_public_holiday(self, d: date) -> bool:
        """True if `d` is an allmän helgdag under lag 1989:253 — every Sunday included."""
        answer = _IS_PUBLIC_HOLIDAY.get(d)
        if answer is None:
            _load_year_of(d)
            answer = _IS_PUBLIC_HOLIDAY[d]
        return answer

    def is_eve(self, d: date) -> bool:
        """True if `d` is Midsummer Eve, Christmas Eve or New Year's Eve (and no other eve)."""
        answer = _IS_EVE.get(d)
        if answer is None:
            _load_year_of(d)
            answer = _IS_EVE[d]
        return answer

    def is_deadline_weekday(self, d: date) -> bool:
        """True if `d` is a weekday under 1930:173 2 § (our reading of "vardag" too).

        That is Monday–Friday and neither a public holiday nor one of the three eves.
        """
        answer = _IS_DEADLINE_WEEKDAY.get(d)
        if answer is None:
            _load_year_of(d)
            answer = _IS_DEADLINE_WEEKDAY[d]
        return answer

    def is_working_day(self, d: date) -> bool:
        """True if `d` is a deadline weekday and not one of the landlord's extra closed days."""
        answer = _IS_DEADLINE_WEEKDAY.get(d)
        if answer is None:
            _load_year_of(d)
            answer = _IS_DEADLINE_WEEKDAY[d]
        return answer and d not in self._extra_closed

    # -- statutory periods -----------------------------------------------------------------

    def period_end(self, start: date, period: Period) -> date:
        """The day `period` ends when counted from `start` under 1930:173 1 §, without the 2 § roll.

        Days: ``start + n``. Weeks: the same weekday ``n`` weeks later. Months and years: the same
        date number, or the month's last day when it has no such date (31 Jan + 1 month = 28 or
        29 Feb). Working days: `add_working_days`.
        """
        start = _require_date(start)
        count, unit = period.count, period.unit
        if unit == "days":
            return start + timedelta(days=count)
        if unit == "weeks":
            return start + timedelta(weeks=count)
        if unit == "months":
            return _add_months(start, count)
        if unit == "years":
            return _add_months(start, 12 * count)
        return self.add_working_days(start, count)

    def roll_forward(self, d: date) -> date:
        """`d` itself if it is a deadline weekday, else the next deadline weekday (1930:173 2 §)."""
        d = _require_date(d)
        while not self.is_deadline_weekday(d):
            d += _ONE_DAY
        return d

    def statutory_last_day(self, start: date, period: Period) -> date:
        """The last day for an action `period` after `start`: `period_end`, then `roll_forward`."""
        return self.roll_forward(self.period_end(start, period))

    def further_weekdays(self, last_day: date, n: int) -> date:
        """The `n`-th deadline weekday after `last_day` (``n == 0`` gives `last_day`).

        For "ytterligare två vardagar" in JB 12:44 2 st; Saturdays and the eves are not counted.
        """
        d = _require_date(last_day)
        _require_count(n, "further weekdays")
        for _ in range(n):
            d += _ONE_DAY
            while not self.is_deadline_weekday(d):
                d += _ONE_DAY
        return d

    def earliest_after_further_weekdays(self, last_day: date, n: int = 2) -> date:
        """The first day after `n` further deadline weekdays have passed since `last_day`.

        JB 12:44 2 st: no eviction decision until two further vardagar have passed after the
        recovery period, so the decision may be issued at the earliest on this day.
        """
        return self.further_weekdays(last_day, n) + _ONE_DAY

    # -- working days ----------------------------------------------------------------------

    def add_working_days(self, start: date, n: int) -> date:
        """The `n`-th working day after `start`, counting from the day after `start`.

        ``n == 0`` gives `start` unchanged (even when it is not a working day); for ``n > 0`` the
        result is a working day and exactly `n` working days lie in ``(start, result]``.
        """
        d = _require_date(start)
        _require_count(n, "working days")
        for _ in range(n):
            d += _ONE_DAY
            while not self.is_working_day(d):
                d += _ONE_DAY
        return d

    def roll_to_working_day(self, d: date) -> date:
        """`d` itself if it is a working day, else the next working day."""
        d = _require_date(d)
        while not self.is_working_day(d):
            d += _ONE_DAY
        return d

    def due(self, start: date, period: Period, calendar: CalendarKind) -> date:
        """The day something `period` after `start` is due, on the named calendar.

        ``"statutory"``: `statutory_last_day` (1930:173 1 § and 2 §; extra closed days ignored).
        ``"working_days"``: `period_end` (working days counted with `add_working_days`), moved on
        to the next working day when it is not one — so it is always a working day.
        """
        if calendar == "statutory":
            return self.statutory_last_day(start, period)
        if calendar == "working_days":
            return self.roll_to_working_day(self.period_end(start, period))
        raise ValueError(f"Unknown calendar {calendar!r}: use 'statutory' or 'working_days'.")

    # -- JB 12 kap. ------------------------------------------------------------------------

    def lease_end_12_4(self, termination: date, months: int = 3) -> date:
        """The last day of an indefinite-term dwelling lease terminated on `termination` (12:4).

        The lease ends at the turn of the month nearest after `months` months (1930:173 1 §) from
        the termination: the last day of the month containing ``termination + months``.
        15 Jan → 30 Apr; 31 Jan → 30 Apr; 1 Feb → 31 May. `months` is 3 by law for a dwelling,
        or a longer agreed period (9 for premises); less than 3 raises ValueError.
        """
        termination = _require_date(termination)
        if isinstance(months, bool) or not isinstance(months, int) or months < 3:
            raise ValueError(f"A 12:4 notice period is at least 3 months, not {months!r}.")
        return _add_months(termination, months, to_month_end=True)

    def rent_due_date_12_20(self, year: int, month: int) -> date:
        """The default rent due date for calendar month `month` of `year` (JB 12:20).

        The last deadline weekday ("vardag": not Saturday, Sunday, a public holiday or one of the
        three eves) before the first day of that month.
        """
        d = date(year, month, 1) - _ONE_DAY
        while not self.is_deadline_weekday(d):
            d -= _ONE_DAY
        return d

    # -- Swedish names ---------------------------------------------------------------------

    day_name_sv = staticmethod(day_name_sv)
    format_date_sv = staticmethod(format_date_sv)
