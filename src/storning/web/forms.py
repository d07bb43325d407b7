"""Reading the officer's forms: every field checked, every problem named next to its field in Swedish,
and the values kept so a form with a mistake comes back filled in.

`parse_new_case` gives a `services.NewCase` (and an optional first incident) or a dict of field errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

from storning.clock import parse_instant
from storning.errors import InvalidInput
from storning.services import NewCase
from storning.vocabulary import INCIDENT_KINDS, VERIFICATION

COMPLAINANT_ROWS = 3
# The intake form's fields and their longest allowed values (the database columns' sizes).
LIMITS = {
    "case_type": 40,
    "tenant": 200,
    "address": 200,
    "apartment": 40,
    "postal_code": 20,
    "city": 100,
    "municipality": 100,
    "contract": 80,
    "due_date": 10,
    "amount": 20,
    "owner": 80,
}
POSTAL_CODE = re.compile(r"^\d{3} ?\d{2}$")
MAX_TEXT = 4000


@dataclass
class IncidentInput:
    at: datetime
    kind: str
    text: str
    verified_by: str | None
    reporter: str | None
    place: str | None


@dataclass
class Parsed:
    """The result of reading a form: values as typed (to show again), errors by field, and the data."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    new_case: NewCase | None = None
    incident: IncidentInput | None = None


def _text(form: FormData, name: str, limit: int = 200) -> str:
    """A field's text, trimmed, without NUL characters (no database stores them), at most `limit`."""
    value = form.get(name)
    return value.replace("\x00", "").strip()[:limit] if isinstance(value, str) else ""


def parse_moment(text: str, zone: ZoneInfo) -> datetime:
    """A date and time from a form (`2026-03-02T09:00`; a bare date means 00:00) in the landlord's zone."""
    return parse_instant(text, zone)


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"Ogiltigt datum '{text}': ange ÅÅÅÅ-MM-DD, till exempel 2026-03-02."
        ) from None


def parse_amount(text: str) -> str:
    try:
        value = Decimal(text.replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(
            f"Ogiltigt belopp '{text}': ange kronor, till exempel 8450 eller 8450,50."
        ) from None
    if not value.is_finite() or value <= 0:
        raise InvalidInput("Beloppet måste vara större än noll.")
    return str(value)


def parse_incident(
    form: FormData, prefix: str, zone: ZoneInfo, now: datetime, parsed: Parsed, *, required: bool
) -> IncidentInput | None:
    """An incident from fields `{prefix}at`, `kind`, `text`, `verified_by`, `reporter`, `place`; with
    `required=False` an incident whose fields are all empty is simply absent."""
    names = ("at", "kind", "text", "verified_by", "reporter", "place")
    raw = {n: _text(form, prefix + n, MAX_TEXT if n == "text" else 200) for n in names}
    parsed.values.update({prefix + n: v for n, v in raw.items()})
    if not required and not (raw["text"] or raw["kind"] or raw["reporter"] or raw["place"]):
        return None
    errors = parsed.errors
    at: datetime | None = None
    if not raw["at"]:
        errors[prefix + "at"] = "Ange när händelsen inträffade."
    else:
        try:
            at = parse_moment(raw["at"], zone)
        except InvalidInput as error:
            errors[prefix + "at"] = str(error)
        else:
            if at > now:
                errors[prefix + "at"] = "Tidpunkten kan inte ligga i framtiden."
    if raw["kind"] not in INCIDENT_KINDS:
        errors[prefix + "kind"] = "Välj vilken sorts störning det var."
    if not raw["text"]:
        errors[prefix + "text"] = "Beskriv vad som hände."
    if raw["verified_by"] and raw["verified_by"] not in VERIFICATION:
        errors[prefix + "verified_by"] = "Välj vem som verifierade händelsen, eller ingen."
    if at is None or any(k.startswith(prefix) for k in errors):
        return None
    return IncidentInput(
        at,
        raw["kind"],
        raw["text"],
        raw["verified_by"] or None,
        raw["reporter"] or None,
        raw["place"] or None,
    )


def parse_new_case(
    form: FormData,
    zone: ZoneInfo,
    now: datetime,
    case_types: dict[str, str],
    owners: list[str],
    actor: str,
) -> Parsed:
    """The intake form of "Nytt ärende"; `owners` are the usernames the actor may open cases for."""
    parsed = Parsed()
    values, errors = parsed.values, parsed.errors
    for name, limit in LIMITS.items():
        values[name] = _text(form, name, MAX_TEXT)
        if len(values[name]) > limit:
            errors[name] = f"Högst {limit} tecken."
    values["co_tenants"] = _text(form, "co_tenants", 2000)
    if any(len(line) > 200 for line in values["co_tenants"].splitlines()):
        errors["co_tenants"] = "Högst 200 tecken per namn."
    if values["case_type"] not in case_types:
        errors["case_type"] = "Välj ärendetyp."
    for name, message in (
        ("tenant", "Ange hyresgästens namn."),
        ("address", "Ange lägenhetens adress."),
        ("apartment", "Ange lägenhetsnumret."),
    ):
        if not values[name]:
            errors[name] = message
    if values["postal_code"] and not POSTAL_CODE.match(values["postal_code"]):
        errors["postal_code"] = "Ange postnumret med fem siffror, till exempel 602 20."
    owner = values["owner"] or actor
    if owner not in owners:
        errors["owner"] = "Välj en handläggare som du får lägga ärenden på."
    complainants = _complainants(form, values, errors)
    facts = _debt_facts(values, errors) if values["case_type"] == "hyresskuld" else {}
    incident = parse_incident(form, "incident_", zone, now, parsed, required=False)
    if errors:
        return parsed
    parsed.new_case = NewCase(
        case_type=values["case_type"],
        tenant=values["tenant"],
        address=values["address"],
        apartment=values["apartment"],
        municipality=values["municipality"] or None,
        contract=values["contract"] or None,
        postal_code=values["postal_code"] or None,
        city=values["city"] or None,
        co_tenants=[line.strip() for line in values["co_tenants"].splitlines() if line.strip()],
        complainants=complainants,
        facts=facts,
        owner=owner,
    )
    parsed.incident = incident
    return parsed


def _complainants(
    form: FormData, values: dict[str, Any], errors: dict[str, str]
) -> list[tuple[str, bool] | tuple[str, bool, str | None]]:
    """(name, protected, postal address or None) for each filled-in complainant row."""
    result: list[tuple[str, bool] | tuple[str, bool, str | None]] = []
    for n in range(1, COMPLAINANT_ROWS + 1):
        key = f"complainant_{n}"
        name = _text(form, key)
        protected = form.get(f"{key}_protected") == "on"
        address = _text(form, f"{key}_address", 400)
        values[key], values[f"{key}_protected"], values[f"{key}_address"] = name, protected, address
        if name:
            result.append((name, protected, address or None))
        elif protected or address:
            errors[f"complainant_{n}"] = (
                "Ange den klagandes namn, eller avmarkera skyddad identitet."
            )
    return result


def _debt_facts(values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    if not values["due_date"]:
        errors["due_date"] = "Ange förfallodagen för den obetalda hyran."
    else:
        try:
            facts["due_date"] = parse_day(values["due_date"]).isoformat()
        except InvalidInput as error:
            errors["due_date"] = str(error)
    if not values["amount"]:
        errors["amount"] = "Ange det obetalda beloppet i kronor."
    else:
        try:
            facts["amount"] = parse_amount(values["amount"])
        except InvalidInput as error:
            errors["amount"] = str(error)
    return facts
