"""Swedish formatting filters for letter templates.

Each returns plain text (escaped for Typst when printed). Dates and times in aware datetimes are
shown in the landlord's zone (`STORNING_TZ`, default Europe/Stockholm); naive ones count as local.
A filter given a missing value raises (see `values.MissingValue`), so a legal letter never prints a
blank where a date or an amount belongs.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Undefined

from storning.calendar import DAY_NAMES_SV, MONTH_NAMES_SV
from storning.letters.values import MissingValueError

NBSP = "\u00a0"
MINUS = "\u2212"
MONTHS = MONTH_NAMES_SV
WEEKDAYS = DAY_NAMES_SV


def _defined(value: Any) -> Any:
    if isinstance(value, Undefined):
        str(value)  # raises with the name of the missing field
    return value


def _zone() -> ZoneInfo:
    return ZoneInfo(os.environ.get("STORNING_TZ") or "Europe/Stockholm")


def local_datetime(value: Any) -> dt.datetime:
    """A datetime (or ISO text) in the landlord's zone; naive values are taken as local already."""
    value = _defined(value)
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        raise TypeError(f"expected a date and time, got {type(value).__name__}")
    return value.astimezone(_zone()) if value.tzinfo else value


def local_date(value: Any) -> dt.date:
    """The calendar day of a date, datetime (in the landlord's zone) or ISO text."""
    value = _defined(value)
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        return local_datetime(value).date()
    if isinstance(value, dt.date):
        return value
    raise TypeError(f"expected a date, got {type(value).__name__}")


def datum(value: Any) -> str:
    """`3 december 2026`."""
    day = local_date(value)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def datum_kort(value: Any) -> str:
    """`2026-12-03`."""
    return local_date(value).isoformat()


def veckodag(value: Any) -> str:
    """`torsdag`."""
    return WEEKDAYS[local_date(value).weekday()]


def tid(value: Any) -> str:
    """`22.15` (write `kl. {{ x | tid }}` in the template)."""
    value = _defined(value)
    clock = value if isinstance(value, dt.time) else local_datetime(value).time()
    return f"{clock.hour:02d}.{clock.minute:02d}"


def to_decimal(value: Any) -> Decimal:
    """An amount from int, Decimal, float or text (`8450`, `8450.50`, `8 450,50`)."""
    value = _defined(value)
    if isinstance(value, bool):
        raise TypeError("an amount cannot be true or false")
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, str):
        value = value.replace(NBSP, "").replace(" ", "").replace(",", ".").replace(MINUS, "-")
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"not an amount: {value!r}") from None


def kr(value: Any) -> str:
    """`8 450 kr`, `12 345,50 kr`, `−200 kr` (öre only when not zero; non-breaking spaces)."""
    cents = int(to_decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)
    kronor, ore = divmod(abs(cents), 100)
    text = f"{kronor:,}".replace(",", NBSP) + (f",{ore:02d}" if ore else "")
    return f"{MINUS if cents < 0 else ''}{text}{NBSP}kr"


def och(items: Iterable[Any]) -> str:
    """`Kim, Alex och Robin`: a Swedish list, skipping empty items."""
    words = [str(item) for item in _defined(items) if item and not isinstance(item, Undefined)]
    if len(words) < 2:
        return "".join(words)
    return ", ".join(words[:-1]) + " och " + words[-1]


def genitiv(name: Any) -> str:
    """`Norrköping` → `Norrköpings`, `Västerås` → `Västerås` (for `… kommun`)."""
    text = str(_defined(name)).strip()
    return text if text[-1:].lower() in ("s", "x", "z") else text + "s"


def efter(incidents: Iterable[Any], day: Any) -> list[Any]:
    """Incidents after `day`: after the instant when given a date and time (the uppmaning's sending, as
    the engine counts it), else on a later calendar day (the same day counts as before: conservative)."""
    limit = _defined(day)
    if isinstance(limit, dt.datetime) or (isinstance(limit, str) and "T" in limit):
        moment = local_datetime(limit)
        return [i for i in _defined(incidents) if local_datetime(i["at"]) > moment]
    limit_day = local_date(limit)
    return [i for i in _defined(incidents) if local_date(i["at"]) > limit_day]


def fore(incidents: Iterable[Any], day: Any) -> list[Any]:
    """The complement of `efter`: incidents up to the instant when given a date and time, else on or
    before the calendar day `day`; so no incident is listed both before and after the uppmaning."""
    after = efter(incidents, day)
    return [i for i in _defined(incidents) if i not in after]


def summa(items: Iterable[Any], attribute: str = "amount") -> Decimal:
    """The exact sum of `attribute` over `items` (for instalment and payment tables)."""
    return sum((to_decimal(item[attribute]) for item in _defined(items)), Decimal(0))


def required(value: Any, field: str) -> Any:
    """`value`, or an error naming `field` when it is missing, None or empty (for values a letter
    cannot do without, e.g. `required(incidents | efter(d), "incidents efter uppmaningen")`)."""
    if value is None or isinstance(value, Undefined) or (hasattr(value, "__len__") and not value):
        raise MissingValueError(field)
    return value


FILTERS = {
    "datum": datum,
    "datum_kort": datum_kort,
    "veckodag": veckodag,
    "tid": tid,
    "kr": kr,
    "och": och,
    "genitiv": genitiv,
    "efter": efter,
    "fore": fore,
    "summa": summa,
    "belopp": to_decimal,
}
GLOBALS = {"required": required}
