"""Time is passed in: every operation reads the clock once and hands `now` down (DESIGN invariant 4)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from storning.errors import InvalidInput

UTC = ZoneInfo("UTC")

# The years the statutory calendar (holidays and eves under lag 1930:173) is trusted for; a time or a
# date outside them is refused at every door with the same sentence.
EARLIEST_YEAR, LATEST_YEAR = 1990, 2100
# How far a fact may lie after `now` (clocks of the officer's computer and the server differ a little).
CLOCK_SKEW = timedelta(minutes=5)

FactKind = Literal["act", "observation"]
_BARE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def is_bare_date(text: str | datetime | None) -> bool:
    """Whether a person typed only a day (`2026-03-04`), no time of day."""
    return isinstance(text, str) and bool(_BARE_DATE.fullmatch(text.strip()))


def _in_range(year: int, text: str) -> None:
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise InvalidInput(
            f"Tidpunkten {text.strip()[:40]} ligger utanför det som kan räknas "
            f"({EARLIEST_YEAR}–{LATEST_YEAR}); ange ett datum mellan de åren."
        )


def system_now() -> datetime:
    """The real clock; only interfaces call this, and only once per operation."""
    return datetime.now(UTC)


def parse_instant(text: str, zone: ZoneInfo) -> datetime:
    """Parse ISO 8601; a value without an offset is in the landlord's zone. A bare date means 00:00."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"Ogiltig tidpunkt '{text}': ange ISO 8601, till exempel 2026-03-02T14:30 eller 2026-03-02."
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    _in_range(value.year, text)
    return value


def fact_instant(text: str | datetime, zone: ZoneInfo, now: datetime, kind: FactKind) -> datetime:
    """What a person means by the time of a fact, the same at every door (CLI, web, API, imports).

    - A time of day, with or without an offset (without: the landlord's zone), is that instant.
    - A bare date (YYYY-MM-DD) says the day but not the time, and is never read against the tenant:
      * an **act** of the landlord (a letter sent, served or received) counts at the end of that day,
        23:59:59, or at `now` when the day is today: nothing that happened later that day counts as
        "after the uppmaning" on a guess;
      * an **observation** (an incident) counts from the start of that day, 00:00: with its time
        unknown it is never "after" a letter sent that same day.
    An instant already parsed (a `datetime`) is taken as it is; a naive one is in the landlord's zone.
    The result is always in the landlord's zone.
    """
    if isinstance(text, datetime):
        moment = text if text.tzinfo else text.replace(tzinfo=zone)
        _in_range(moment.year, moment.isoformat())
        return moment.astimezone(zone)
    stripped = text.strip()
    if not is_bare_date(stripped):
        # The same instant however it was typed: kept in the landlord's zone (a foreign offset moves
        # it there), so every door stores and shows the same thing.
        return parse_instant(stripped, zone).astimezone(zone)
    day = parse_day(stripped)
    if kind == "observation":
        return datetime.combine(day, time(0, 0), tzinfo=zone)
    if day == local_day(now, zone):
        return now
    return start_of_next_day(day, zone) - timedelta(seconds=1)


def parse_day(text: str) -> date:
    """Parse a calendar day (YYYY-MM-DD)."""
    try:
        day = date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise InvalidInput(
            f"Ogiltigt datum '{text}': ange ÅÅÅÅ-MM-DD, till exempel 2026-03-02."
        ) from None
    _in_range(day.year, text)
    return day


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar day of an instant in the landlord's zone."""
    return moment.astimezone(zone).date()


def at_local(day: date, clock_time: time, zone: ZoneInfo) -> datetime:
    """The instant at `clock_time` on `day` in the landlord's zone."""
    return datetime.combine(day, clock_time, tzinfo=zone)


def start_of_next_day(day: date, zone: ZoneInfo) -> datetime:
    """00:00 on the day after `day`: when a period whose last day is `day` has run out."""
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone)


def iso(moment: datetime | None, zone: ZoneInfo) -> str | None:
    """ISO 8601 with offset, in the landlord's zone (the JSON contract)."""
    if moment is None:
        return None
    return moment.astimezone(zone).isoformat(timespec="seconds")
