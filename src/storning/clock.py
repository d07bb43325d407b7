"""Time is passed in: every operation reads the clock once and hands `now` down (DESIGN invariant 4)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from storning.errors import InvalidInput

UTC = ZoneInfo("UTC")


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
    if not 1990 <= value.year <= 2100:
        raise InvalidInput(f"Tidpunkten {text} ligger utanför det som kan räknas (1990–2100).")
    return value


def parse_day(text: str) -> date:
    """Parse a calendar day (YYYY-MM-DD)."""
    try:
        day = date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise InvalidInput(
            f"Ogiltigt datum '{text}': ange ÅÅÅÅ-MM-DD, till exempel 2026-03-02."
        ) from None
    if not 1990 <= day.year <= 2100:
        raise InvalidInput(f"Datumet {day} ligger utanför det som kan räknas (1990–2100).")
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
