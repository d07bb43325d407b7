"""Registerutdrag (GDPR art. 15): every case in which one person appears, with the data held about
them, its purposes, legal basis, recipients, retention and source.

Who appears: the tenant and each co-tenant (by name or personnummer), and each complainant (by name:
the product keeps no personnummer for complainants). The extract holds **the person's own data and
nothing that identifies anyone else** (art. 15.4):

* a tenant's extract never names a complainant, protected or not (DOMAIN §7: complainants' identity
  is never shown to the tenant): the complainants are left out, an incident's reporter is left out,
  and a complainant's name, phone, e-mail or address written into a free text is replaced by
  "[anmälare]"; co-tenants are named (they hold the same lease) but their personnummer is not given;
* a complainant's extract holds their own contact details, the incidents they reported and the letters
  sent to them; it never holds the tenant's name, personnummer, contract or the other complainants
  (the tenant's name and numbers in a free text become "[hyresgästen]").

Who may produce an extract and the access log are decided in `services.privacy`; this module only
collects and shapes the data.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from storning import validation
from storning.errors import InvalidInput
from storning.household import co_tenant, contract_holders
from storning.letters import TEMPLATE_CATALOG
from storning.letters.records import SENDING_METHODS
from storning.store.models import Case, Complainant, Incident, Letter
from storning.validation import masked_personnummer
from storning.vocabulary import CASE_TYPES, INCIDENT_KINDS, verification_label

COMPLAINANT_MARK = "[anmälare]"
TENANT_MARK = "[hyresgästen]"
_PNR_LIKE = re.compile(r"^[\d\s+-]{10,14}$")

ROLE_LABELS = {
    "tenant": "Hyresgäst",
    "co_tenant": "Medhyresgäst",
    "complainant": "Anmälare",
    "reporter": "Uppgiftslämnare eller vittne till en händelse",
}

# The default retention (DOMAIN §7, practice): the landlord's gallringsbeslut governs; see
# docs/gallring.md. Printed as the retention of every case in an extract.
RETENTION = (
    "Uppgifterna gallras enligt hyresvärdens gallringsbeslut, normalt 2 år efter att ärendet "
    "avslutats eller hyresgästen flyttat; längre när ett rättsligt anspråk ännu kan göras eller "
    "ärendet är spärrat för gallring (till exempel under en tvist)."
)
PURPOSES = {
    "tenant": [
        "Utreda och åtgärda störningar eller obetald hyra enligt hyresavtalet och 12 kap. "
        "jordabalken (uppmaning, underrättelse till socialnämnden, uppsägning).",
        "Erbjuda stöd så att du kan bo kvar (kontakt, hembesök, överenskommelser, samverkan "
        "med socialtjänsten när du har samtyckt).",
        "Kunna fastställa, göra gällande eller försvara rättsliga anspråk (hyresnämnd, "
        "tingsrätt, Kronofogden).",
    ],
    "complainant": [
        "Ta emot och utreda din anmälan om störningar och hålla dig informerad om ärendet.",
        "Kunna styrka störningarna om ärendet prövas i hyresnämnd eller domstol.",
    ],
    "reporter": [
        "Utreda störningar som du har rapporterat eller vittnat om, och kunna styrka dem om ärendet "
        "prövas i hyresnämnd eller domstol.",
    ],
}
LEGAL_BASIS = {
    "tenant": [
        "Avtal (art. 6.1 b): hyresavtalet.",
        "Rättslig förpliktelse (art. 6.1 c): underrättelse och meddelanden till socialnämnden "
        "enligt 12 kap. 25 a, 42 och 44 §§ jordabalken.",
        "Berättigat intresse (art. 6.1 f): att upprätthålla sundhet, ordning och gott skick i "
        "fastigheten och att kunna fastställa rättsliga anspråk. Uppgifter om lagöverträdelser "
        "behandlas bara när det behövs för rättsliga anspråk (art. 10, 5 § förordningen "
        "(2018:219) med kompletterande bestämmelser till EU:s dataskyddsförordning).",
    ],
    "complainant": [
        "Berättigat intresse (art. 6.1 f): att utreda anmälda störningar och kunna styrka dem.",
    ],
    "reporter": [
        "Berättigat intresse (art. 6.1 f): att utreda anmälda störningar och kunna styrka dem.",
    ],
}
SOURCES = {
    "tenant": [
        "Hyresavtalet och hyresvärdens kundregister.",
        "Anmälningar från grannar och andra, egna iakttagelser av hyresvärdens personal, "
        "störningsjouren, besiktningar och polisen.",
        "Dig själv (kontakter, möten och överenskommelser).",
    ],
    "complainant": ["Dig själv (din anmälan och dina kontaktuppgifter)."],
    "reporter": ["Den som rapporterade händelsen till hyresvärden (du själv eller någon annan)."],
}
SOCIAL_SERVICES_LETTERS = (
    "underrattelse_socialnamnd",
    "kopia_uppsagning",
    "meddelande_socialnamnd_44",
)
KRONOFOGDEN_LETTERS = ("ansokan_avhysning",)
# Facts a tenant's extract lists (their own data held beside the incidents and letters).
TENANT_FACTS = {
    "consent_scope": "Samtycke till informationsutbyte, omfattning",
    "consent_expires_on": "Samtycket gäller till",
    "support": "Registrerade insatser",
    "amount": "Skuld (kr)",
    "due_date": "Förfallodag",
    "uppmaning_given_on": "Uppmaning given",
    "social_services_notified_on": "Socialnämnden underrättad",
    "terminated_on": "Uppsägning",
    "move_out_on": "Avflyttning",
}


@dataclass(frozen=True)
class Subject:
    """Whom the extract is about: a name (compared without regard to case and spacing) or a
    personnummer (ÅÅÅÅMMDD-NNNN)."""

    name: str | None = None
    personnummer: str | None = None

    @property
    def label(self) -> str:
        return masked_personnummer(self.personnummer) or self.name or ""


def one_line(label: str, text: str | None, limit: int) -> str:
    """A typed single-line text, trimmed, with runs of white space made one space; refused in one
    sentence when it holds control, hidden or unprintable characters or is longer than `limit`."""
    cleaned = " ".join((text or "").split())
    odd = any(unicodedata.category(c) in validation.UNPRINTABLE for c in cleaned)
    if validation.CONTROL.search(cleaned) or validation.HIDDEN.search(cleaned) or odd:
        raise InvalidInput(f"{label} innehåller ett osynligt eller otillåtet tecken; skriv om det.")
    if len(cleaned) > limit:
        raise InvalidInput(f"{label} får vara högst {limit} tecken.")
    return cleaned


def parse_subject(text: str | None, today: date) -> Subject:
    """A name or a personnummer as typed; nobody (blank, or one letter) is refused in one sentence."""
    cleaned = one_line("Namnet eller personnumret", text, 200)
    if len(cleaned) < 2:
        raise InvalidInput(
            "Ange namnet eller personnumret på den som begär registerutdrag (minst två tecken)."
        )
    if _PNR_LIKE.fullmatch(cleaned) and any(ch.isdigit() for ch in cleaned):
        return Subject(personnummer=validation.personnummer(cleaned, today))
    if any(ch.isdigit() for ch in cleaned) or "\x00" in cleaned:
        raise InvalidInput(
            "Ange antingen ett namn eller ett personnummer (ÅÅÅÅMMDD-NNNN), inte båda i samma fält."
        )
    return Subject(name=cleaned)


def _same_name(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


_PEOPLE_SEPARATORS = re.compile(r"[;,\n]")
_WITNESSES = re.compile(r"^\s*(vittnen|störde)\s*:", re.IGNORECASE)


def people_named(field: str | None) -> list[str]:
    """The people a reporter field names: the reporter, and the witnesses and who was disturbed that
    an intake item adds as "A; vittnen: B, C; störde: D" (`services.intake._reporter`)."""
    parts = _PEOPLE_SEPARATORS.split(field or "")
    return [name for name in (_WITNESSES.sub("", p).strip() for p in parts) if name]


def reports(incident: Incident, name: str | None) -> bool:
    """Whether `name` is one of the people an incident's reporter field names."""
    return bool(name) and any(_same_name(p, name) for p in people_named(incident.reporter))


def roles_in(
    case: Case,
    complainants: Iterable[Complainant],
    subject: Subject,
    incidents: Iterable[Incident] = (),
) -> list[str]:
    """How the subject appears in the case: tenant, co_tenant, complainant, or reporter of an
    incident without being a complainant (possibly several)."""
    roles = []
    for holder in contract_holders(case):
        if (subject.personnummer and holder.personnummer == subject.personnummer) or (
            subject.name and _same_name(holder.name, subject.name)
        ):
            roles.append("tenant" if holder.index == 0 else "co_tenant")
    if subject.name and any(_same_name(c.name, subject.name) for c in complainants):
        roles.append("complainant")
    elif any(reports(i, subject.name) for i in incidents):
        roles.append("reporter")
    return list(dict.fromkeys(roles))


def candidate_cases(session: Session, subject: Subject, team: str | None) -> list[Case]:
    """Cases in which the subject may appear (checked exactly by `roles_in`); `team` limits them to
    one team's cases. Co-tenants are kept in a JSON column, so cases with co-tenants are checked in
    Python."""
    conditions = []
    if subject.personnummer:
        conditions.append(Case.personnummer == subject.personnummer)
    if subject.name:
        folded = subject.name.lower()
        conditions.append(func.lower(Case.tenant_name) == folded)
        named = select(Complainant.case_id).where(func.lower(Complainant.name) == folded)
        conditions.append(Case.id.in_(named))
        reported = select(Incident.case_id).where(
            func.lower(Incident.reporter).contains(folded, autoescape=True)
        )
        conditions.append(Case.id.in_(reported))
    query = select(Case).order_by(Case.opened_at, Case.id)
    if team is not None:
        query = query.where(Case.team == team)
    found = {c.id: c for c in session.scalars(query.where(or_(*conditions)))}
    holders = select(Case.id, Case.co_tenants)
    if team is not None:
        holders = holders.where(Case.team == team)
    more = [
        case_id
        for case_id, co_tenants in session.execute(holders)
        if co_tenants and case_id not in found and _names_co_tenant(co_tenants, subject)
    ]
    if more:
        found.update({c.id: c for c in session.scalars(select(Case).where(Case.id.in_(more)))})
    return sorted(found.values(), key=lambda c: (c.opened_at, c.id))


def _names_co_tenant(co_tenants: list[Any], subject: Subject) -> bool:
    for entry in co_tenants:
        name, number = co_tenant(entry)
        if (subject.personnummer and number == subject.personnummer) or (
            subject.name and _same_name(name, subject.name)
        ):
            return True
    return False


def case_extract(
    session: Session, case: Case, roles: list[str], subject: Subject, zone: ZoneInfo
) -> dict[str, Any]:
    """What the extract says about one case, for the subject's roles in it."""
    complainants = list(
        session.scalars(
            select(Complainant).where(Complainant.case_id == case.id).order_by(Complainant.id)
        )
    )
    as_tenant = "tenant" in roles or "co_tenant" in roles
    side = "tenant" if as_tenant else ("complainant" if "complainant" in roles else "reporter")
    result: dict[str, Any] = {
        "ref": case.ref,
        "type": case.case_type,
        "type_label": CASE_TYPES.get(case.case_type, case.case_type),
        "roles": roles,
        "role_labels": [ROLE_LABELS[r] for r in roles],
        "status": "Avslutat" if case.status == "closed" else "Pågående",
        "opened_on": case.opened_at.astimezone(zone).date().isoformat(),
        "closed_on": case.closed_at.astimezone(zone).date().isoformat() if case.closed_at else None,
        "purposes": PURPOSES[side],
        "legal_basis": LEGAL_BASIS[side],
        "sources": SOURCES[side],
        "retention": RETENTION,
    }
    letters = list(
        session.scalars(select(Letter).where(Letter.case_id == case.id).order_by(Letter.id))
    )
    incidents = list(
        session.scalars(select(Incident).where(Incident.case_id == case.id).order_by(Incident.at))
    )
    if as_tenant:
        scrub = _scrubber(_complainant_strings(complainants), COMPLAINANT_MARK)
        result.update(_tenant_part(case, roles, subject, incidents, letters, scrub, zone))
        if "complainant" in roles:  # the same person also complained: their own complaint data
            own = [c for c in complainants if _same_name(c.name, subject.name)]
            result["complainant_data"] = [_complainant_data(c) for c in own]
    else:
        own = [c for c in complainants if _same_name(c.name, subject.name)]
        others = [c for c in complainants if c not in own]
        scrub = _scrubber(_tenant_strings(case) + _complainant_strings(others), TENANT_MARK)
        result.update(_complainant_part(own, incidents, letters, scrub, zone, subject))
    return result


def _tenant_part(
    case: Case,
    roles: list[str],
    subject: Subject,
    incidents: list[Incident],
    letters: list[Letter],
    scrub: Any,
    zone: ZoneInfo,
) -> dict[str, Any]:
    holders = contract_holders(case)
    me = next(
        (
            h
            for h in holders
            if (subject.personnummer and h.personnummer == subject.personnummer)
            or (subject.name and _same_name(h.name, subject.name))
        ),
        holders[0],
    )
    data = {
        "name": me.name,
        "personnummer": masked_personnummer(me.personnummer),
        "address": case.address,
        "postal_code": case.postal_code,
        "city": case.city,
        "apartment": case.apartment,
        "contract": case.contract,
        "municipality": case.municipality,
        "other_contract_holders": [h.name for h in holders if h.index != me.index],
    }
    facts = [
        {"label": label, "value": _fact_text(case.facts.get(name))}
        for name, label in TENANT_FACTS.items()
        if case.facts.get(name) not in (None, "", [])
    ]
    return {
        "data": data,
        "facts": facts,
        "incidents": [_incident(i, scrub, zone) for i in incidents],
        "letters": [
            _letter(letter, zone)
            for letter in letters
            if _audience(letter.template) != "complainant" and letter.status != "draft"
        ],
        "recipients": _recipients(case, letters, zone),
    }


def _complainant_part(
    own: list[Complainant],
    incidents: list[Incident],
    letters: list[Letter],
    scrub: Any,
    zone: ZoneInfo,
    subject: Subject,
) -> dict[str, Any]:
    ids = {c.id for c in own}
    names = [c.name for c in own] + ([subject.name] if subject.name else [])
    mine = [i for i in incidents if any(reports(i, name) for name in names)]
    return {
        "complainant_data": [_complainant_data(c) for c in own],
        "incidents": [_incident(i, scrub, zone) for i in mine],
        "letters": [
            _letter(letter, zone)
            for letter in letters
            if _audience(letter.template) == "complainant"
            and letter.status != "draft"
            and (letter.data or {}).get("complainant_id") in ids | {None}
        ],
        "facts": [],
        "recipients": ["Inga: uppgifter om anmälare lämnas inte ut till hyresgästen eller andra."],
    }


def _complainant_data(c: Complainant) -> dict[str, Any]:
    return {
        "name": c.name,
        "address": c.address,
        "phone": c.phone,
        "email": c.email,
        "contact": c.contact,
        "protected": bool(c.protected),
    }


def _incident(i: Incident, scrub: Any, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "at": i.at.astimezone(zone).isoformat(timespec="minutes"),
        "when": i.at.astimezone(zone).strftime("%Y-%m-%d %H:%M" if i.time_known else "%Y-%m-%d"),
        "kind": INCIDENT_KINDS.get(i.kind, i.kind),
        "text": scrub(i.text),
        "place": scrub(i.place) if i.place else None,
        "verified": verification_label(i.verified_by),
    }


def _letter(letter: Letter, zone: ZoneInfo) -> dict[str, Any]:
    entry = TEMPLATE_CATALOG.get(letter.template)
    return {
        "title": entry.title if entry else letter.template,
        "created_on": letter.created_at.astimezone(zone).date().isoformat(),
        "sent_on": letter.sent_at.astimezone(zone).date().isoformat() if letter.sent_at else None,
        "method": SENDING_METHODS.get(letter.sent_method or ""),
        "served_on": (
            letter.served_at.astimezone(zone).date().isoformat() if letter.served_at else None
        ),
    }


def _audience(template: str) -> str:
    entry = TEMPLATE_CATALOG.get(template)
    return entry.audience if entry else "internal"


def _recipients(case: Case, letters: list[Letter], zone: ZoneInfo) -> list[str]:
    """Who outside the landlord received the tenant's data, from the letters actually sent."""
    found = []
    municipality = case.municipality or "kommunen"
    for letter in letters:
        if letter.sent_at is None:
            continue
        sent = letter.sent_at.astimezone(zone).date().isoformat()
        title = (
            TEMPLATE_CATALOG[letter.template].title if letter.template in TEMPLATE_CATALOG else ""
        )
        if letter.template in SOCIAL_SERVICES_LETTERS:
            found.append(f"Socialnämnden i {municipality}: {title.lower()}, skickat {sent}.")
        elif letter.template in KRONOFOGDEN_LETTERS:
            found.append(f"Kronofogdemyndigheten: ansökan om avhysning, skickad {sent}.")
    if not found:
        found.append("Inga uppgifter har lämnats ut utanför hyresvärden i ärendet.")
    return found


def _fact_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _complainant_strings(complainants: Iterable[Complainant]) -> list[str]:
    values: list[str] = []
    for c in complainants:
        values += [c.name or "", c.phone or "", c.email or "", c.contact or ""]
        values += (c.address or "").splitlines()
    return values


def _tenant_strings(case: Case) -> list[str]:
    values: list[str] = []
    for holder in contract_holders(case):
        values += [holder.name, holder.personnummer or ""]
    return [*values, case.contract or ""]


def _scrubber(secrets: list[str], mark: str) -> Any:
    """A function that replaces every occurrence of the secrets (ignoring case) in a text."""
    wanted = sorted({s.strip() for s in secrets if len(s.strip()) >= 3}, key=len, reverse=True)
    if not wanted:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(s) for s in wanted), re.IGNORECASE)
    return lambda text: pattern.sub(mark, text) if text else text


def extract_document(
    subject: Subject, cases: list[dict[str, Any]], now: datetime, zone: ZoneInfo, scope: str
) -> dict[str, Any]:
    """The whole extract (the JSON answer and the PDF's data)."""
    found = bool(cases)
    if found:
        summary = (
            f"{subject.label} förekommer i {len(cases)} "
            f"{'ärende' if len(cases) == 1 else 'ärenden'} hos hyresvärden."
        )
    else:
        summary = f"Det finns inga personuppgifter om {subject.label} i störnings- och hyresskuldsärendena."
    return {
        "subject": {
            "query": subject.label,
            "matched_by": "personnummer" if subject.personnummer else "namn",
        },
        "produced_at": now.astimezone(zone).isoformat(timespec="seconds"),
        "found": found,
        "summary": summary,
        "scope": scope,
        "cases": cases,
        "protected_note": (
            "Uppgifter som identifierar andra personer (till exempel den som har anmält "
            "störningar) ingår inte, enligt artikel 15.4 i dataskyddsförordningen."
        ),
        # for the person handing the extract out, not printed in it (art. 15.4 is theirs to check)
        "review_note": (
            "Fritexterna har rensats från de namn och kontaktuppgifter som finns registrerade för "
            "andra personer. Läs dem innan utdraget lämnas ut: ett namn som skrivits på annat sätt "
            "(bara förnamnet, omvänd ordning) hittas inte automatiskt."
        ),
        "name_note": (
            "Sökt på namn: kontrollera att uppgifterna gäller den som begärt utdraget innan det "
            "lämnas ut."
            if subject.name
            else None
        ),
    }


__all__ = [
    "COMPLAINANT_MARK",
    "RETENTION",
    "TENANT_MARK",
    "Subject",
    "candidate_cases",
    "case_extract",
    "extract_document",
    "parse_subject",
    "reports",
    "roles_in",
]
