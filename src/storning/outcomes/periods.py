"""The named periods of the outcomes dashboard: this year to today, the last twelve months, last
year. A typed period that is one of them is shown as that preset (so a page opened without dates
has "I år" chosen, not "Egna datum")."""

from __future__ import annotations

from datetime import date, timedelta

PRESETS: dict[str, str] = {"ar": "I år", "12m": "Senaste 12 månaderna", "fjol": "Förra året"}


def preset_days(preset: str, today: date) -> tuple[date, date]:
    """The first and last day of a preset (unknown: this year), both included."""
    if preset == "12m":  # 2 March 2026 → 3 March 2025 … 2 March 2026: twelve months, 365 days
        return year_back(today) + timedelta(days=1), today
    if preset == "fjol":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    return date(today.year, 1, 1), today


def preset_of(start: date, end: date, today: date) -> str:
    """The preset whose days these are, or "" for a period of one's own."""
    for code in PRESETS:
        if preset_days(code, today) == (start, end):
            return code
    return ""


def year_back(day: date) -> date:
    """The same day a year earlier (29 February: the 28th)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)
