"""The data a letter is rendered from, built from the case (the contract in letters/README.md).

Complainant protection: only complainant-facing templates get `complainants`; nothing else in the
context names them (incident reporters are left out of every letter).
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from storning.arrears import balance
from storning.config import Settings
from storning.household import co_tenant_names, contract_holders, holder_index
from storning.intake.diary import letter_diary
from storning.letters.socialnamnder import socialnamnd
from storning.store.models import Case, Complainant, Letter
from storning.store.queries import complainants_of, incidents_of
from storning.vocabulary import INCIDENT_KINDS, verification_label

# The letters Kronofogden receives: addressed to Kronofogden (STORNING_KRONOFOGDEN_ADDRESS), and the
# only letters whose data holds the tenant's full personnummer (everywhere else it is masked or absent).
KRONOFOGDEN_TEMPLATES = frozenset({"ansokan_avhysning"})
# An incident nobody of ours (jour, staff, inspection, police) has confirmed, as letters say it.
COMPLAINANTS_WORD = "Uppgift från klagande"

DATE_FACTS = (
    "uppmaning_given_on",
    "social_services_notified_on",
    "terminated_on",
    "served_on",
    "lease_end_on",
    "referral_deadline",
    "due_date",
    "recovery_deadline",
    "earliest_eviction_decision",
    "termination_effective_on",
    "referred_to_hyresnamnd_on",
    "hyresnamnd_decided_on",
    "move_out_on",
)


def build_context(
    session: Session, settings: Settings, case: Case, letter: Letter, audience: str, today: date
) -> dict[str, Any]:
    zone = settings.zone
    landlord = settings.landlord
    facts = _facts(case.facts)
    context: dict[str, Any] = {
        "landlord": {
            "name": landlord.name,
            "org_number": landlord.org_number,
            "address": landlord.address,
            "postal_address": landlord.postal_address,
            "phone": landlord.phone,
            "email": landlord.email,
            "jour_phone": landlord.jour_phone,  # the störningsjour; "" = no letter asks to call it
            "logo": None,
            "website": "",
        },
        "officer": {
            "name": case.owner.name,
            "title": "Handläggare",
            "phone": case.owner.phone or landlord.phone,
            "email": case.owner.email or landlord.email,
        },
        "letter": {"date": today, "template": letter.template, "id": letter.id},
        "case": {
            "ref": case.ref,
            "type": case.case_type,
            "opened_on": case.opened_at.astimezone(zone).date(),
        },
        "tenant": {
            "name": case.tenant_name,
            "co_tenants": co_tenant_names(case),
            "address": case.address,
            "postal_code": case.postal_code or "",
            "city": case.city or "",
            "apartment": case.apartment,
            "contract": case.contract or "",
            "municipality": case.municipality or "",
            "municipality_name": socialnamnd(
                case.municipality or "", settings.socialnamnder_file
            ).municipality,
        },
        "incidents": [
            {
                "at": i.at.astimezone(zone),
                "ends_at": i.ends_at.astimezone(zone) if i.ends_at else None,
                "time_known": i.time_known,
                "kind": i.kind,
                "kind_label": INCIDENT_KINDS.get(i.kind, i.kind),
                "text": i.text,
                "place": i.place,
                "verified_by": i.verified_by,
                "verified_label": verification_label(i.verified_by)
                if i.verified_by
                else COMPLAINANTS_WORD,
            }
            for i in incidents_of(session, case.id)
        ],
        "facts": facts,
        "meeting": None,
        "payments": [
            {"on": date.fromisoformat(p["on"]), "amount": Decimal(p["amount"])}
            for p in case.facts.get("payments", [])
        ],
        "instalments": [
            {"due_on": date.fromisoformat(i["due_on"]), "amount": Decimal(i["amount"])}
            for i in case.facts.get("instalments", [])
        ],
    }
    if letter.template in KRONOFOGDEN_TEMPLATES:
        context["tenant"]["personnummer"] = case.personnummer or ""
        # every contract holder is a party (svarande), each with their personnummer where recorded
        context["tenant"]["holders"] = [
            {"name": h.name, "personnummer": h.personnummer or ""} for h in contract_holders(case)
        ]
    meeting = (letter.data or {}).get("meeting")
    if meeting:
        context["meeting"] = {
            **meeting,
            "at": datetime.fromisoformat(meeting["at"]).astimezone(zone),
        }
    if audience == "complainant":
        complainant = _addressee(session, case, letter)
        context["complainants"] = [{"name": complainant.name, "protected": complainant.protected}]
        # the day this complainant's complaint came in: the opening, or when they were added later
        context["received_on"] = (complainant.added_at or case.opened_at).astimezone(zone).date()
        lines = [x.strip() for x in (complainant.address or "").splitlines() if x.strip()]
        context["recipient"] = {
            "name": complainant.name,
            "lines": lines or [complainant.contact or ""],
        }
        if letter.template == "bekraftelse":  # issue 16: their diary link, printed as a QR code
            context["dagbok_lank"] = letter_diary(
                session,
                settings.secret_key,
                settings.base_url,
                complainant.id,
                datetime.combine(today, time.min, zone),
            )
    else:
        context["recipient"] = _recipient(context, audience, settings, letter.template)
        addressee = _holder_of(case, letter)
        if addressee is not None:
            # a letter to one contract holder among several (12 kap. 8 § JB: each is served their own)
            context["recipient"]["name"] = addressee
            context["addressee"] = {"name": addressee, "of": len(contract_holders(case))}
    return context


def _holder_of(case: Case, letter: Letter) -> str | None:
    """The contract holder a per-holder letter goes to (as the case names them now)."""
    data = letter.data or {}
    index = holder_index(case, data)
    if index is None:
        return str(data["holder_name"]) if "holder_name" in data else None
    return contract_holders(case)[index].name


def _addressee(session: Session, case: Case, letter: Letter) -> Complainant:
    """The one complainant a complainant-facing letter goes to: each gets their own letter and never
    sees another complainant's name."""
    wanted = (letter.data or {}).get("complainant_id")
    complainants = complainants_of(session, case.id)
    chosen = [c for c in complainants if c.id == wanted] if wanted else complainants[:1]
    if len(chosen) != 1 or (not wanted and len(complainants) > 1):
        from storning.letters.errors import LetterTemplateError

        raise LetterTemplateError(
            f"Brevet {letter.template} kan inte skapas: ange vilken anmälare det ska till "
            f"(ärendet har {len(complainants)} anmälare)."
        )
    return chosen[0]


def _facts(raw: dict[str, Any]) -> dict[str, Any]:
    facts: dict[str, Any] = {name: None for name in DATE_FACTS}
    for name, value in raw.items():
        facts[name] = value
    given = raw.get("uppmaning_given_at")
    facts["uppmaning_given_on"] = date.fromisoformat(given[:10]) if given else None
    facts["uppmaning_given_at"] = datetime.fromisoformat(given) if given else None
    for name in DATE_FACTS:
        value = facts.get(name)
        if isinstance(value, str):
            facts[name] = date.fromisoformat(value[:10])
    facts["served_on"] = facts.get("served_on") or _day(raw.get("termination_served_on"))
    facts["severe"] = bool(raw.get("severe"))
    # `amount` is what is owed now (the case amount less payments): the figure every letter must state.
    facts["original_amount"] = Decimal(raw["amount"]) if raw.get("amount") else None
    facts["amount"] = balance(raw) if raw.get("amount") else None
    return facts


def _day(value: Any) -> date | None:
    return date.fromisoformat(value[:10]) if isinstance(value, str) else None


def _recipient(
    context: dict[str, Any], audience: str, settings: Settings, template: str
) -> dict[str, Any]:
    """The address window: socialnämnden from the register (no address lines when the municipality
    is not in it), Kronofogden from the settings, else the tenant(s)."""
    tenant = context["tenant"]
    if audience == "social_services":
        if not tenant["municipality"]:
            return {"name": "Socialnämnden", "lines": []}
        return socialnamnd(tenant["municipality"], settings.socialnamnder_file).recipient
    if template in KRONOFOGDEN_TEMPLATES:
        name, *lines = settings.kronofogden_address
        return {"name": name, "lines": lines}
    names = ", ".join([tenant["name"], *tenant["co_tenants"]])
    return {
        "name": names,
        "lines": [tenant["address"], f"{tenant['postal_code']} {tenant['city']}".strip()],
    }


def jsonable(value: Any) -> Any:
    """The context as JSON for the letter record (dates ISO, amounts as strings)."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
