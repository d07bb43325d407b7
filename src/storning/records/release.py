"""Redacted release of a case file (utlämnande av allmän handling, OSL 2 kap. 3 §).

A municipal housing company must release a case file on request unless a secrecy provision applies;
what is secret is masked. The case file released is the compiled chronology (the parties, the
complainants, every incident, every letter with its sending and service, the tracks' states) as data,
each maskable value a *field* with an id (`tenant.personnummer`, `complainant.7.name`,
`incident.12.text` …).

The product proposes the fields to mask and the OSL provision for each (`release_fields`); the person
deciding reviews and extends the choice; `redacted` then replaces every masked value by
"[MASKERAT]" **in the data**, and also every occurrence of a masked value anywhere else in the
document (a complainant's name written into an incident text or a letter's recipient), before the PDF
is typeset. The masked text is never in the PDF: nothing is covered, it is not there.

Who may release and the log of the decision are the service's (`services.privacy`).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from storning.errors import InvalidInput
from storning.household import contract_holders
from storning.letters import TEMPLATE_CATALOG
from storning.letters.records import SENDING_METHODS
from storning.store.models import Case, Complainant, Incident, Letter
from storning.vocabulary import INCIDENT_KINDS, verification_label

MASK = "[MASKERAT]"

# The secrecy provisions a decision may rest on (offentlighets- och sekretesslagen 2009:400).
REASONS: dict[str, str] = {
    "osl_21_3": "21 kap. 3 § OSL (risk för våld eller annat allvarligt men, skyddade uppgifter)",
    "osl_21_1": "21 kap. 1 § OSL (uppgifter om hälsa)",
    "osl_21_7": "21 kap. 7 § OSL (behandling i strid med dataskyddsförordningen)",
    "osl_26_1": "26 kap. 1 § OSL (uppgifter från socialtjänsten)",
    "osl_35_1": "35 kap. 1 § OSL (uppgifter i brottsutredning)",
}
# Incident kinds whose free text is offence data (GDPR art. 10): proposed for masking.
OFFENCE_KINDS = frozenset({"violence", "threat", "crime", "drugs", "arson", "harassment"})
# Facts whose values are health or social-services information: proposed for masking.
SENSITIVE_FACTS = {
    "support": ("Registrerade insatser (hemtjänst, psykiatri …)", "osl_21_1"),
    "consent_scope": ("Samtycke till informationsutbyte med socialtjänsten", "osl_26_1"),
}


@dataclass(frozen=True)
class Field:
    """One maskable value. `locked`: it must be masked (a protected complainant's identity)."""

    id: str
    label: str
    value: str
    proposed: bool
    reason: str | None
    locked: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.id,
            "label": self.label,
            "proposed": self.proposed,
            "reason": self.reason,
            "locked": self.locked,
        }


def case_file(session: Session, case: Case, zone: ZoneInfo) -> tuple[dict[str, Any], list[Field]]:
    """The case file as data (each maskable value a `{"field", "value"}` cell) and its fields."""
    fields: list[Field] = []

    def cell(
        id: str, label: str, value: str | None, *, propose: str | None = None, locked: bool = False
    ) -> dict[str, Any]:
        text = value or ""
        if text:
            fields.append(Field(id, label, text, propose is not None, propose, locked))
        return {"field": id, "value": text or "–"}

    complainants = list(
        session.scalars(
            select(Complainant).where(Complainant.case_id == case.id).order_by(Complainant.id)
        )
    )
    protected_names = {c.name.casefold() for c in complainants if c.protected}
    # a reporter who is a complainant without protection is treated like that complainant's name
    # (not proposed); anyone else reporting (a neighbour via the jour) is proposed for masking
    open_names = {c.name.casefold() for c in complainants if not c.protected} - protected_names
    holders = contract_holders(case)
    parties = []
    for holder in holders:
        prefix = "tenant" if holder.index == 0 else f"cotenant.{holder.index}"
        title = "Hyresgäst" if holder.index == 0 else f"Medhyresgäst {holder.index}"
        parties.append(
            {
                "title": title,
                "name": cell(f"{prefix}.name", f"{title}: namn", holder.name),
                "personnummer": cell(
                    f"{prefix}.personnummer",
                    f"{title}: personnummer",
                    holder.personnummer,
                    propose="osl_21_7",
                ),
            }
        )
    address = ", ".join(p for p in (case.address, case.postal_code, case.city) if p)
    flat = {
        "address": cell("tenant.address", "Lägenhetens adress", address),
        "apartment": cell("tenant.apartment", "Lägenhetsnummer", case.apartment),
        "contract": cell("tenant.contract", "Kontraktsnummer", case.contract),
    }
    people = []
    for n, c in enumerate(complainants, start=1):
        reason = "osl_21_3"
        contact = "; ".join(
            part
            for part in ((c.address or "").replace("\n", ", "), c.phone, c.email, c.contact)
            if part
        )
        people.append(
            {
                "title": f"Anmälare {n}" + (" (skyddad identitet)" if c.protected else ""),
                "name": cell(
                    f"complainant.{c.id}.name",
                    f"Anmälare {n}: namn",
                    c.name,
                    propose=reason if c.protected else None,
                    locked=c.protected,
                ),
                "contact": cell(
                    f"complainant.{c.id}.contact",
                    f"Anmälare {n}: kontaktuppgifter",
                    contact,
                    propose=reason,
                    locked=c.protected,
                ),
            }
        )
    incidents = []
    for i in session.scalars(
        select(Incident).where(Incident.case_id == case.id).order_by(Incident.at, Incident.id)
    ):
        when = (
            i.at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            if i.time_known
            else (i.at.astimezone(zone).strftime("%Y-%m-%d"))
        )
        kind = INCIDENT_KINDS.get(i.kind, i.kind)
        offence = i.kind in OFFENCE_KINDS
        reporter_protected = bool(i.reporter) and i.reporter.casefold() in protected_names  # type: ignore[union-attr]
        incidents.append(
            {
                "at": when,
                "kind": kind,
                "verified": verification_label(i.verified_by),
                "text": cell(
                    f"incident.{i.id}.text",
                    f"Händelse {when} ({kind}): beskrivning",
                    i.text,
                    propose="osl_21_7" if offence else None,
                ),
                "place": cell(f"incident.{i.id}.place", f"Händelse {when}: plats", i.place),
                "reporter": cell(
                    f"incident.{i.id}.reporter",
                    f"Händelse {when}: rapporterad av",
                    i.reporter,
                    propose=None if (i.reporter or "").casefold() in open_names else "osl_21_3",
                    locked=reporter_protected,
                ),
            }
        )
    letters = []
    for letter in session.scalars(
        select(Letter).where(Letter.case_id == case.id).order_by(Letter.id)
    ):
        if letter.status == "draft":
            continue
        entry = TEMPLATE_CATALOG.get(letter.template)
        letters.append(
            {
                "title": entry.title if entry else letter.template,
                "sent_on": letter.sent_at.astimezone(zone).date().isoformat()
                if letter.sent_at
                else "–",
                "method": SENDING_METHODS.get(letter.sent_method or "", "–"),
                "served_on": letter.served_at.astimezone(zone).date().isoformat()
                if letter.served_at
                else "–",
                "proof": cell(
                    f"letter.{letter.id}.proof", f"Brev {letter.id}: bevis", letter.proof
                ),
            }
        )
    facts = []
    for name, (label, reason) in SENSITIVE_FACTS.items():
        value = case.facts.get(name)
        if value not in (None, "", []):
            shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            facts.append(
                {"label": label, "value": cell(f"facts.{name}", label, shown, propose=reason)}
            )
    document = {
        "ref": case.ref,
        "status": "Avslutat" if case.status == "closed" else "Pågående",
        "opened_on": case.opened_at.astimezone(zone).date().isoformat(),
        "parties": parties,
        "flat": flat,
        "complainants": people,
        "incidents": incidents,
        "letters": letters,
        "facts": facts,
    }
    return document, fields


def proposal(fields: list[Field]) -> dict[str, str]:
    """The proposed masks: field id → reason."""
    return {f.id: f.reason for f in fields if f.proposed and f.reason}


def check_masks(fields: list[Field], masks: dict[str, str]) -> dict[str, str]:
    """The chosen masks, refused in one sentence for an unknown field or reason, or when a field
    that must stay masked (a protected complainant's identity) is not masked."""
    known = {f.id: f for f in fields}
    unknown = sorted(set(masks) - set(known))
    if unknown:
        raise InvalidInput(
            f"Ärendet har inget fält {', '.join(unknown)} att maskera; se förslaget för fälten."
        )
    bad = sorted({r for r in masks.values() if r not in REASONS})
    if bad:
        raise InvalidInput(
            f"Okänd sekretessgrund {', '.join(bad)}; välj bland {', '.join(REASONS)}."
        )
    missing = [f.label for f in fields if f.locked and f.id not in masks]
    if missing:
        raise InvalidInput(
            f"{missing[0]} gäller en anmälare med skyddad identitet och måste maskeras."
        )
    return dict(sorted(masks.items()))


def redacted(
    document: dict[str, Any], fields: list[Field], masks: dict[str, str]
) -> dict[str, Any]:
    """The document with every masked field's value replaced by MASK, and every occurrence of a
    masked value anywhere else in it (ignoring case) too."""
    secrets: set[str] = set()
    for f in fields:
        if f.id in masks:
            secrets.add(f.value.strip())
            secrets.update(part.strip() for part in re.split(r"[;\n]|, ", f.value))
    wanted = sorted((s for s in secrets if len(s) >= 3), key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(s) for s in wanted), re.IGNORECASE) if wanted else None

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"field", "value"} and value["field"] in masks:
                return {"field": value["field"], "value": MASK}
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str) and pattern is not None:
            return pattern.sub(MASK, value)
        return value

    result: dict[str, Any] = walk(copy.deepcopy(document))
    result["ref"] = document["ref"]  # the reference is the file's name, never personal data
    return result


def masked_list(fields: list[Field], masks: dict[str, str]) -> list[dict[str, str]]:
    """What was masked and why, as the decision states it (labels, never values)."""
    labels = {f.id: f.label for f in fields}
    return [
        {"field": id, "label": labels[id], "reason": reason, "reason_label": REASONS[reason]}
        for id, reason in masks.items()
    ]


__all__ = [
    "MASK",
    "REASONS",
    "Field",
    "case_file",
    "check_masks",
    "masked_list",
    "proposal",
    "redacted",
]
