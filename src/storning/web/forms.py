"""Reading the officer's forms: every field checked, every problem named next to its field in Swedish,
and the values kept so a form with a mistake comes back filled in.

`parse_new_case` gives a `services.NewCase` (and an optional first incident) or a dict of field errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

from storning import validation
from storning.clock import fact_instant, local_day, parse_day
from storning.errors import InvalidInput
from storning.services import ComplainantDetails, NewCase, case_outcome
from storning.vocabulary import INCIDENT_KINDS, VERIFICATION

COMPLAINANT_ROWS = 3
# The intake form's fields and their longest allowed values: the services' limits
# (`storning.validation.LIMITS`), shown at the field; the services check them again.
LIMITS = {
    "case_type": 40,
    "tenant": validation.limit_of("tenant"),
    "address": validation.limit_of("address"),
    "apartment": validation.limit_of("apartment"),
    "postal_code": validation.limit_of("postal_code"),
    "city": validation.limit_of("city"),
    "municipality": validation.limit_of("municipality"),
    "contract": validation.limit_of("contract"),
    "personnummer": 20,
    "due_date": 10,
    "amount": 20,
    "owner": 80,
    "source": 20,  # issue 14: where the complaint came from, and the children in the household
    "children": 5,
}
# What a field may hold before it is even read (a bound on memory, far above every limit): a longer
# text is refused by the services' limit, never cut silently.
READ_BOUND = 100_000


@dataclass
class IncidentInput:
    at: str  # as typed: the services give it its meaning (`clock.fact_instant`)
    kind: str
    text: str
    verified_by: str | None
    reporter: str | None
    place: str | None
    ends_at: str | None = None  # as typed, optional


@dataclass
class Parsed:
    """The result of reading a form: values as typed (to show again), errors by field, and the data."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    new_case: NewCase | None = None
    incident: IncidentInput | None = None


def _text(form: FormData, name: str, limit: int = READ_BOUND) -> str:
    """A field's text, trimmed (NUL and control characters are refused by the services' rules)."""
    value = form.get(name)
    return value.strip()[:READ_BOUND] if isinstance(value, str) else ""


def parse_incident(
    form: FormData, prefix: str, zone: ZoneInfo, now: datetime, parsed: Parsed, *, required: bool
) -> IncidentInput | None:
    """An incident from fields `{prefix}at`, `kind`, `text`, `verified_by`, `reporter`, `place`; with
    `required=False` an incident whose fields are all empty is simply absent."""
    names = ("at", "ends_at", "kind", "text", "verified_by", "reporter", "place")
    raw = {n: _text(form, prefix + n) for n in names}
    parsed.values.update({prefix + n: v for n, v in raw.items()})
    if form.get(prefix + "time_unknown") == "on":  # only the day is known: "tid okänd"
        parsed.values[prefix + "time_unknown"] = True
        raw["at"] = raw["at"][:10]
    if not required and not (raw["text"] or raw["kind"] or raw["reporter"] or raw["place"]):
        return None
    errors = parsed.errors
    if not raw["at"]:
        errors[prefix + "at"] = "Ange när händelsen inträffade."
    else:
        try:  # the services' own rules, shown at the field; the services check them again
            at = fact_instant(raw["at"], zone, now, "observation")
            validation.not_in_future(at, now, zone, what="Tidpunkten för störningen")
        except InvalidInput as error:
            errors[prefix + "at"] = str(error)
    if raw["kind"] not in INCIDENT_KINDS:
        errors[prefix + "kind"] = "Välj vilken sorts störning det var."
    for name, rule in (("text", "text"), ("reporter", "reporter"), ("place", "place")):
        try:
            validation.text(rule, raw[name], required=name == "text")
        except InvalidInput as error:
            errors[prefix + name] = str(error)
    if raw["verified_by"] and raw["verified_by"] not in VERIFICATION:
        errors[prefix + "verified_by"] = "Välj vem som verifierade händelsen, eller ingen."
    if any(k.startswith(prefix) for k in errors):
        return None
    return IncidentInput(
        raw["at"],
        raw["kind"],
        raw["text"],
        raw["verified_by"] or None,
        raw["reporter"] or None,
        raw["place"] or None,
        raw["ends_at"] or None,
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
        values[name] = _text(form, name)
        if len(values[name]) > limit:
            errors[name] = f"Högst {limit} tecken."
    values["co_tenants"] = _text(form, "co_tenants")
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
    if "postal_code" not in errors:
        try:
            validation.postal_code(values["postal_code"])
        except InvalidInput as error:
            errors["postal_code"] = str(error)
    if "personnummer" not in errors:
        try:  # the services' rule, shown at the field; the services check it again
            validation.personnummer(values["personnummer"], local_day(now, zone))
        except InvalidInput as error:
            errors["personnummer"] = str(error)
    for name, rule in (
        ("source", case_outcome.checked_source),
        ("children", case_outcome.checked_children),
    ):
        if name not in errors:
            try:  # the services' rule, shown at the field; the services check it again
                rule(values[name])
            except InvalidInput as error:
                errors[name] = str(error)
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
        personnummer=values["personnummer"] or None,
        source=values["source"] or None,
        children=values["children"] or None,
    )
    parsed.incident = incident
    return parsed


def _complainants(
    form: FormData, values: dict[str, Any], errors: dict[str, str]
) -> list[ComplainantDetails]:
    """Each filled-in complainant row (name, skyddad identitet, postal address, phone, e-mail); the
    phone and e-mail are checked at their field by the services' rules."""
    result: list[ComplainantDetails] = []
    for n in range(1, COMPLAINANT_ROWS + 1):
        key = f"complainant_{n}"
        name = _text(form, key)
        protected = form.get(f"{key}_protected") == "on"
        values[key], values[f"{key}_protected"] = name, protected
        typed = {part: _text(form, f"{key}_{part}") for part in ("address", "phone", "email")}
        values.update({f"{key}_{part}": value for part, value in typed.items()})
        for part, rule in (("phone", validation.phone), ("email", validation.email)):
            try:
                rule(typed[part])
            except InvalidInput as error:
                errors[f"{key}_{part}"] = str(error)
        if name:
            result.append(
                ComplainantDetails(
                    name=name, protected=protected, **{k: v or None for k, v in typed.items()}
                )
            )
        elif protected or any(typed.values()):
            errors[key] = "Ange den klagandes namn, eller töm raden."
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
            facts["amount"] = str(validation.amount(values["amount"]))
        except InvalidInput as error:
            errors["amount"] = str(error)
    return facts
