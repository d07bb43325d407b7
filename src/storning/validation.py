"""The rules for what a person may type, the same at every door (DESIGN invariant 9).

The services call these before anything is written; each refusal is one Swedish sentence naming the
field and what to do. The web form and the API model may show the same limits early (`LIMITS` is
their source), but the services decide.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal
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
    "phone": ("Telefonnumret", 40),
    "email": ("E-postadressen", 200),
}
# Fields that are one line in a letter's address block or on a list row: a line break or a tab would
# break the letter, and characters that reorder or hide text (bidirectional overrides and isolates,
# zero-width spaces and joiners) could make a name read as another ("Evil\u202egnp.exe").
SINGLE_LINE = frozenset(
    {
        "tenant", "co_tenant", "address", "apartment", "postal_code", "city", "municipality",
        "contract", "complainant", "place", "reporter", "phone", "email",
    }
)  # fmt: skip
HIDDEN = re.compile(
    "[\t\n\r\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
# Characters no font prints: private use, unassigned code points, lone surrogates.
UNPRINTABLE = frozenset({"Co", "Cn", "Cs"})
# NUL and the other C0/C1 control characters (tab and line breaks are text).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# The largest amount of money the product accepts (kronor): far above any Swedish rent debt, far below
# what a column or a letter could not hold.
MAX_AMOUNT = Decimal("10000000")


def limit_of(field: str) -> int:
    return LIMITS[field][1]


def text(field: str, value: str | None, *, required: bool = False) -> str | None:
    """The trimmed text of a field, or None when empty; refused when too long or holding NUL."""
    label, limit = LIMITS[field]
    cleaned = (value or "").strip()
    if CONTROL.search(cleaned):
        raise InvalidInput(
            f"{label} innehåller ett osynligt styrtecken som inte får lagras; skriv om texten."
        )
    if field in SINGLE_LINE and HIDDEN.search(cleaned):
        raise InvalidInput(
            f"{label} innehåller en radbrytning, ett tabbtecken eller ett osynligt tecken som kan "
            "ändra hur texten läses; skriv den på en rad utan dolda tecken."
        )
    odd = next((c for c in cleaned if unicodedata.category(c) in UNPRINTABLE), None)
    if odd is not None:
        raise InvalidInput(
            f"{label} innehåller ett tecken som inte kan skrivas ut i brev (U+{ord(odd):04X}, "
            "ett privat eller okänt tecken); skriv texten utan det."
        )
    if len(cleaned) > limit:
        raise InvalidInput(
            f"{label} får vara högst {limit} tecken (nu {len(cleaned)}); korta texten."
        )
    if required and not cleaned:
        raise InvalidInput(f"{label} saknas; fyll i fältet.")
    return cleaned or None


POSTAL_CODE = re.compile(r"^([0-9]{3}) ?([0-9]{2})$")


def postal_code(value: str | None) -> str | None:
    """A Swedish postal code, five digits 0–9, stored as `NNN NN` (the way letters print it)."""
    cleaned = text("postal_code", value)
    if cleaned is None:
        return None
    found = POSTAL_CODE.match(cleaned)
    if found is None:
        raise InvalidInput("Ange postnumret med fem siffror, till exempel 602 20.")
    return f"{found[1]} {found[2]}"


PHONE = re.compile(r"^\+?[0-9][0-9 ()-]*[0-9]$")


def phone(value: str | None) -> str | None:
    """A telephone number as it is printed in letters: digits, spaces, dashes, parentheses and a
    leading +, at least five digits."""
    cleaned = text("phone", value)
    if cleaned is not None and (not PHONE.match(cleaned) or sum(c.isdigit() for c in cleaned) < 5):
        raise InvalidInput(
            f"Telefonnumret '{cleaned}' ska bara ha siffror, mellanslag och bindestreck, "
            "till exempel 011-15 00 00."
        )
    return cleaned


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")


def email(value: str | None) -> str | None:
    """An e-mail address: one @, a domain with a dot, no spaces."""
    cleaned = text("email", value)
    if cleaned is not None and not EMAIL.match(cleaned):
        raise InvalidInput(
            f"E-postadressen '{cleaned}' ser inte ut som en e-postadress, till exempel "
            "namn@exempel.se."
        )
    return cleaned


# ÅÅÅÅMMDD-NNNN or ÅÅMMDD-NNNN; the separator may be left out, "+" marks a person of 100 or more.
PERSONNUMMER = re.compile(r"^(\d{2})?(\d{6})([-+]?)(\d{4})$")
SAMORDNING_OFFSET = 60  # a samordningsnummer has the day of birth plus 60


def personnummer(value: str | None, today: date) -> str | None:
    """A Swedish personnummer (or samordningsnummer) normalised to ÅÅÅÅMMDD-NNNN, or None when empty.

    Ten digits get the century that makes the person younger than 100 (older with "+"). Refused with
    one sentence: a malformed number, a date that does not exist or lies after `today`, and a wrong
    check digit (the Luhn algorithm over the ten digits ÅÅMMDDNNNN). Messages never repeat the last
    four digits."""
    cleaned = re.sub(r"\s", "", value or "")
    if not cleaned:
        return None
    match = PERSONNUMMER.match(cleaned)
    if match is None:
        raise InvalidInput(
            "Personnumret ska skrivas ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN (tolv eller tio siffror); "
            "kontrollera det."
        )
    century, short, separator, last = match.groups()
    yy, month, day = int(short[:2]), int(short[2:4]), int(short[4:6])
    birth_day = day - SAMORDNING_OFFSET if day > SAMORDNING_OFFSET else day
    year = int(century) * 100 + yy if century else today.year - (today.year - yy) % 100
    born = _day(year, month, birth_day)
    if century is None and (born is None or born > today):
        # ten digits: the latest such birthday up to today (a person under 100); "+" one century more
        year -= 100 if born is not None else 0
        born = _day(year, month, birth_day)
    if century is None and separator == "+":
        year -= 100
        born = _day(year, month, birth_day)
    shown = f"{year:04d}{short[2:]}-****"
    if born is None or born > today:
        what = "finns inte" if born is None else "ligger i framtiden"
        raise InvalidInput(
            f"Personnumret {shown} är inte giltigt (datumet {year:04d}-{month:02d}-{birth_day:02d} "
            f"{what}); kontrollera det."
        )
    if not _luhn(short + last):
        raise InvalidInput(
            f"Personnumret {shown} är inte giltigt (kontrollsiffran stämmer inte); kontrollera det."
        )
    return f"{year:04d}{short[2:]}-{last}"


def masked_personnummer(value: str | None) -> str | None:
    """ÅÅÅÅMMDD-**** : how a personnummer is shown and logged everywhere but in the Kronofogden
    application."""
    return f"{value[:9]}****" if value else None


MASKED_PERSONNUMMER = re.compile(r"^\d{8}-\*{4}$")


def is_masked_personnummer(value: str | None) -> bool:
    """The masked form a page shows (ÅÅÅÅMMDD-****): sent back unchanged, it means "keep"."""
    return bool(MASKED_PERSONNUMMER.match((value or "").strip()))


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _luhn(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(digits):
        product = int(digit) * (2 if position % 2 == 0 else 1)
        total += product // 10 + product % 10
    return total % 10 == 0


AMOUNT = re.compile(r"^[0-9]+([.,][0-9]+)?$")


def amount(value: str | Decimal | float | int, *, field: str = "Beloppet") -> Decimal:
    """An amount of kronor written with digits 0–9 and an optional decimal comma or point (spaces
    between thousands allowed): above zero, at most MAX_AMOUNT, at most two decimals (öre)."""
    text = str(value).strip().replace(" ", "").replace("\u00a0", "")
    if not AMOUNT.match(text):
        if text.startswith("-") and AMOUNT.match(text[1:]):
            raise InvalidInput(f"{field} måste vara större än noll.")
        raise InvalidInput(
            f"{field} '{str(value)[:30]}' är inget belopp; ange kronor, till exempel 8450 eller 8450,50."
        )
    parsed = Decimal(text.replace(",", "."))
    if parsed <= 0:
        raise InvalidInput(f"{field} måste vara större än noll.")
    if parsed > MAX_AMOUNT:
        ceiling = f"{MAX_AMOUNT:,.0f}".replace(",", " ")
        raise InvalidInput(f"{field} får vara högst {ceiling} kr; kontrollera beloppet.")
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
