"""The rules for what a person may type, the same at every door (DESIGN invariant 9).

The services call these before anything is written; each refusal is one Swedish sentence naming the
field and what to do. The web form and the API model may show the same limits early (`LIMITS` is
their source), but the services decide.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from storning.clock import CLOCK_SKEW
from storning.errors import InvalidInput

# One limit per field, in characters; the database columns are at least this wide.
LIMITS: dict[str, tuple[str, int]] = {
    "tenant": ("Hyresgästens namn", 200),
    "co_tenant": ("Medhyresgästens namn", 200),
    "address": ("Adressen", 200),
    "apartment": ("Lägenhetsnumret", 40),
    "postal_code": ("Postnumret", 20),
    "city": ("Orten", 100),
    "municipality": ("Kommunen", 100),
    "contract": ("Kontraktsnumret", 80),
    "complainant": ("Anmälarens namn", 200),
    "complainant_address": ("Anmälarens adress", 400),
    "text": ("Beskrivningen av händelsen", 4000),
    "place": ("Platsen", 200),
    "reporter": ("Vem som rapporterade", 200),
    "reason": ("Motiveringen", 4000),
    "override": ("Motiveringen för att åsidosätta spärren", 4000),
    "proof": ("Beviset om delgivning", 4000),
    "param": ("Ett parametervärde", 1000),
}
# The largest amount of money the product accepts (kronor): far above any Swedish rent debt, far below
# what a column or a letter could not hold.
MAX_AMOUNT = Decimal("10000000")


def limit_of(field: str) -> int:
    return LIMITS[field][1]


def text(field: str, value: str | None, *, required: bool = False) -> str | None:
    """The trimmed text of a field, or None when empty; refused when too long or holding NUL."""
    label, limit = LIMITS[field]
    cleaned = (value or "").strip()
    if "\x00" in cleaned:
        raise InvalidInput(f"{label} innehåller ett otillåtet tecken (NUL); skriv om texten.")
    if len(cleaned) > limit:
        raise InvalidInput(
            f"{label} får vara högst {limit} tecken (nu {len(cleaned)}); korta texten."
        )
    if required and not cleaned:
        raise InvalidInput(f"{label} saknas; fyll i fältet.")
    return cleaned or None


POSTAL_CODE = re.compile(r"^\d{3} ?\d{2}$")


def postal_code(value: str | None) -> str | None:
    """A Swedish postal code, five digits (a space after the third is allowed)."""
    cleaned = text("postal_code", value)
    if cleaned is not None and not POSTAL_CODE.match(cleaned):
        raise InvalidInput("Ange postnumret med fem siffror, till exempel 602 20.")
    return cleaned


def amount(value: str | Decimal | float | int, *, field: str = "Beloppet") -> Decimal:
    """An amount of kronor: a finite number above zero and at most MAX_AMOUNT."""
    try:
        parsed = Decimal(str(value).replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except (InvalidOperation, ValueError):
        parsed = Decimal("NaN")
    if not parsed.is_finite():
        raise InvalidInput(
            f"{field} '{str(value)[:30]}' är inget belopp; ange kronor, till exempel 8450 eller 8450,50."
        )
    if parsed <= 0:
        raise InvalidInput(f"{field} måste vara större än noll.")
    if parsed > MAX_AMOUNT:
        raise InvalidInput(f"{field} får vara högst {MAX_AMOUNT:,} kr; kontrollera beloppet.")
    if parsed != parsed.quantize(Decimal("0.01")):
        raise InvalidInput(f"{field} får ha högst två decimaler (ören).")
    return parsed


def not_in_future(moment: datetime, now: datetime, zone: ZoneInfo, *, what: str) -> None:
    """A fact cannot lie after `now` (allowing a few minutes of clock skew)."""
    if moment > now + CLOCK_SKEW:
        raise InvalidInput(
            f"{what} ({_local(moment, zone)}) ligger i framtiden; ange när det faktiskt skedde."
        )


def not_before(
    moment: datetime, earliest: datetime, zone: ZoneInfo, *, what: str, reason: str
) -> None:
    """A fact cannot lie before another it depends on (a letter is sent after it was drafted)."""
    if moment < earliest:
        raise InvalidInput(
            f"{what} ({_local(moment, zone)}) ligger före {reason} ({_local(earliest, zone)}); "
            "ange en senare tidpunkt."
        )


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")
