"""Registerutdrag (GDPR art. 15) beyond the cases: the tenancy register (hyresregistret) and the
intake queue (inkorgen). `records.extract` shapes the cases; this module finds and shapes the rest.

What is found:

* **the register**: every contract where the subject is the tenant or a co-tenant, by personnummer
  (exact, normalised as typed into the extract) or by name (`extract._same_name`: case and spacing do
  not matter). Co-tenants are named (they hold the same lease) but their personnummer is not given;
* **jour reports** still in the queue (`open`) or dismissed, about the subject's tenancy: the
  contract number of a tenancy (the register's or a case's where the subject is a contract holder),
  or its address and apartment while the subject lived there (a report about the apartment from
  before the move-in or after the move-out, or while the register lists somebody else there, is
  about somebody else). Who reported it and the witnesses are never given: their names in the text
  become "[uppgiftslämnare]", and the complainants of the subject's cases "[anmälare]";
* **diary entries** a complainant wrote through their personal link (the link's complainant has the
  subject's name) that were not accepted into the case (the intake item is open or dismissed;
  an accepted one is an incident of the case and is in the case part). The tenant's name,
  personnummer and contract, and the case's other complainants, become "[hyresgästen]".

Art. 15.4: a tenant's part never names a complainant or a reporter; a complainant's part never names
the tenant. Who may produce an extract, which team's rows it reaches and the access log are decided
in `services.privacy`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from storning.household import co_tenant
from storning.intake.queue import KIND_LABELS
from storning.records.extract import (
    COMPLAINANT_MARK,
    ROLE_LABELS,
    TENANT_MARK,
    Subject,
    _complainant_strings,
    _same_name,
    _scrubber,
    _tenant_strings,
    people_named,
)
from storning.store.models import (
    Case,
    Complainant,
    DiaryEntry,
    DiaryLink,
    IntakeItem,
    RegisterApartment,
    RegisterContract,
)
from storning.validation import masked_personnummer
from storning.vocabulary import INCIDENT_KINDS

REPORTER_MARK = "[uppgiftslämnare]"
PENDING = ("open", "dismissed")  # not (or not yet) an incident of a case
STATUS_LABELS = {
    "open": "Inte behandlad ännu",
    "dismissed": "Avfärdad (inte förd till något ärende)",
}

REGISTER_PURPOSES = [
    "Veta vem som hyr vilken lägenhet, så att ärenden om störningar och hyresskuld gäller rätt "
    "hyresgäst och rätt hyresavtal.",
    "Koppla störningsjourens rapporter till rätt lägenhet och rätt ärende.",
]
REGISTER_LEGAL_BASIS = [
    "Avtal (art. 6.1 b): hyresavtalet.",
    "Berättigat intresse (art. 6.1 f): att upprätthålla sundhet, ordning och gott skick i "
    "fastigheten.",
]
REGISTER_RETENTION = (
    "Hyresregistret är en kopia av hyresvärdens kontraktsregister och uppdateras vid varje "
    "inläsning därifrån; uppgifterna gallras enligt det registrets regler."
)
REGISTER_RECIPIENTS = ["Inga: uppgifterna i hyresregistret lämnas inte ut utanför hyresvärden."]

JOUR_PURPOSES = [
    "Ta emot störningsjourens rapporter om störningar i fastigheten och avgöra om de hör till ett "
    "ärende om störningar.",
]
JOUR_LEGAL_BASIS = [
    "Berättigat intresse (art. 6.1 f): att upprätthålla sundhet, ordning och gott skick i "
    "fastigheten och kunna styrka störningar.",
]
JOUR_SOURCES = ["Störningsjouren (hyresvärdens jourtjänst)."]
REPORTER_TEXT = (
    "Du är angiven som uppgiftslämnare, vittne eller den som stördes i rapporten; vad den säger om "
    "andra personer ingår inte (artikel 15.4)."
)
REPORTER_PURPOSES = [
    "Ta emot störningsjourens rapporter om störningar i fastigheten och kunna styrka dem om de "
    "förs till ett ärende.",
]
REPORTER_SOURCES = ["Störningsjouren (det du berättade för jouren eller det jouren noterade)."]
JOUR_RETENTION = (
    "En rapport som förs till ett ärende gallras med ärendet enligt hyresvärdens gallringsbeslut. "
    "I en rapport som inte förs till något ärende gallras adress, text och uppgiftslämnare när "
    "tiden i hyresvärdens gallringsregler för inkorgen har gått, normalt ett år efter att den kom in."
)
DIARY_PURPOSES = [
    "Ta emot dina anteckningar om störningar och avgöra om de ska föras till ärendet.",
]
DIARY_LEGAL_BASIS = [
    "Berättigat intresse (art. 6.1 f): att utreda anmälda störningar och kunna styrka dem.",
]
DIARY_SOURCES = ["Dig själv (anteckningar via din personliga dagbokslänk)."]
DIARY_RETENTION = (
    "Anteckningen gallras tillsammans med ärendet {ref} enligt hyresvärdens gallringsbeslut."
)
INTAKE_RECIPIENTS = ["Inga: posterna i inkorgen lämnas inte ut utanför hyresvärden."]

_NUMBER_LIKE = re.compile(r"^[\d\s+*-]+$")


@dataclass(frozen=True)
class Holder:
    """One person on a register contract: index 0 is the tenant."""

    index: int
    name: str
    personnummer: str | None


@dataclass(frozen=True)
class Tenancy:
    """Where the subject held a lease, and when (None: not known)."""

    contract: str | None
    address: str | None
    apartment: str | None
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Hit:
    """One row the extract includes, for the access log (`detail` names the kind, never a person)."""

    detail: str
    case_id: int | None = None


@dataclass
class Sources:
    """What the register and the intake queue hold about the subject."""

    register: list[dict[str, Any]] = field(default_factory=list)
    intake: list[dict[str, Any]] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.register or self.intake)


def collect(
    session: Session,
    subject: Subject,
    tenant_cases: Sequence[Case],
    team: str | None,
    zone: ZoneInfo,
) -> Sources:
    """The register's contracts of the subject, the jour reports about their tenancies (from the
    register and from `tenant_cases`: the cases in which they are a contract holder, already limited
    to what the caller reaches) and their own diary entries not accepted into a case. `team`: None
    for every intake item; else that team's items and those no team owns yet (as the queue shows
    them). The register has no teams and is searched whole."""
    found = Sources()
    contracts = register_contracts(session, subject)
    for contract, apartment, holders, me in contracts:
        found.register.append(register_entry(contract, apartment, holders, me, zone))
        found.hits.append(Hit(f"registerutdrag: hyresregistret, kontrakt {contract.contract}"))
    tenancies = [
        Tenancy(c.contract, a.address, a.number, c.move_in, c.move_out)
        for c, a, _h, _m in contracts
    ]
    tenancies += _case_tenancies(tenant_cases, tenancies)
    mine = {_norm(c.contract) for c, _a, _h, _m in contracts}
    for item in jour_items(session, tenancies, mine, team, zone):
        scrub = _jour_scrubber(session, item, tenant_cases)
        found.intake.append(jour_entry(item, scrub, zone))
        found.hits.append(Hit(f"registerutdrag: inkorgen, jourrapport {item.id}", item.case_id))
    for item in reported_items(session, subject, team):
        found.intake.append(reporter_entry(item, zone))
        found.hits.append(Hit(f"registerutdrag: inkorgen, jourrapport {item.id} (uppgiftslämnare)"))
    for entry, queued, case in diary_entries(session, subject, team):
        found.intake.append(diary_entry(session, entry, queued, case, zone))
        found.hits.append(Hit(f"registerutdrag: inkorgen, dagboksanteckning {entry.id}", case.id))
    return found


# --- the register ------------------------------------------------------------------------------------


def holders_of(tenant: str, personnummer: str | None, co_tenants: list[Any] | None) -> list[Holder]:
    """The tenant and the co-tenants of a register contract. The register keeps a co-tenant as
    "Namn" or "Namn, ÅÅÅÅMMDD-NNNN" (older rows may hold the case's mapping form)."""
    found = [Holder(0, tenant, personnummer)]
    for index, entry in enumerate(co_tenants or [], start=1):
        if isinstance(entry, dict):
            name, number = co_tenant(entry)
        else:
            name, number = str(entry), None
            head, sep, tail = name.rpartition(",")
            if sep and _NUMBER_LIKE.fullmatch(tail.strip()):
                name, number = head.strip(), tail.strip()
        found.append(Holder(index, name, number))
    return found


def _is_subject(holder: Holder, subject: Subject) -> bool:
    return bool(subject.personnummer and holder.personnummer == subject.personnummer) or bool(
        subject.name and _same_name(holder.name, subject.name)
    )


def register_contracts(
    session: Session, subject: Subject
) -> list[tuple[RegisterContract, RegisterApartment, list[Holder], list[Holder]]]:
    """The contracts on which the subject is a holder, with the apartment, every holder and the
    subject's own holder rows, oldest move-in first. Names are compared in Python (co-tenants are
    kept in a JSON column, and the database's lower() does not fold å, ä and ö everywhere)."""
    statement = select(
        RegisterContract.id,
        RegisterContract.tenant_name,
        RegisterContract.personnummer,
        RegisterContract.co_tenants,
    )
    wanted = [
        row_id
        for row_id, tenant, number, co_tenants in session.execute(statement)
        if any(_is_subject(h, subject) for h in holders_of(tenant, number, co_tenants))
    ]
    if not wanted:
        return []
    rows = session.execute(
        select(RegisterContract, RegisterApartment)
        .join(RegisterApartment, RegisterApartment.id == RegisterContract.apartment_id)
        .where(RegisterContract.id.in_(wanted))
    ).all()
    result = []
    for contract, apartment in rows:
        holders = holders_of(contract.tenant_name, contract.personnummer, contract.co_tenants)
        result.append(
            (contract, apartment, holders, [h for h in holders if _is_subject(h, subject)])
        )
    result.sort(key=lambda r: (r[0].move_in or date.min, r[0].contract))
    return result


def register_entry(
    contract: RegisterContract,
    apartment: RegisterApartment,
    holders: list[Holder],
    me: list[Holder],
    zone: ZoneInfo,
) -> dict[str, Any]:
    """What the register holds about the subject on one contract."""
    roles = list(dict.fromkeys("tenant" if h.index == 0 else "co_tenant" for h in me))
    own = {h.index for h in me}
    updated = contract.updated_at.astimezone(zone).date().isoformat()
    return {
        "contract": contract.contract,
        "roles": roles,
        "role_labels": [ROLE_LABELS[r] for r in roles],
        "name": me[0].name,
        "personnummer": masked_personnummer(
            next((h.personnummer for h in me if h.personnummer), None)
        ),
        "address": apartment.address,
        "postal_code": apartment.postal_code,
        "city": apartment.city,
        "municipality": apartment.municipality,
        "apartment": apartment.number,
        "property": apartment.property,
        "move_in": contract.move_in.isoformat() if contract.move_in else None,
        "move_out": contract.move_out.isoformat() if contract.move_out else None,
        "other_contract_holders": [h.name for h in holders if h.index not in own],
        "updated_on": updated,
        "purposes": REGISTER_PURPOSES,
        "legal_basis": REGISTER_LEGAL_BASIS,
        "sources": [f"Hyresvärdens kontraktsregister (senast inläst {updated})."],
        "retention": REGISTER_RETENTION,
        "recipients": REGISTER_RECIPIENTS,
    }


def _case_tenancies(cases: Sequence[Case], registered: Sequence[Tenancy]) -> list[Tenancy]:
    """The tenancies of the subject's cases that the register does not know as theirs (by contract
    number or place): the register's move-in and move-out date them, a case does not."""
    known = {_norm(t.contract) for t in registered if t.contract}
    places = {_place_key(t.address, t.apartment) for t in registered}
    found = []
    for case in cases:
        if case.contract and _norm(case.contract) in known:
            continue
        if _place_key(case.address, case.apartment) in places:
            continue
        found.append(_case_tenancy(case))
    return found


def _case_tenancy(case: Case) -> Tenancy:
    moved = (case.facts or {}).get("move_out_on")
    end = None
    if isinstance(moved, str):
        try:
            end = date.fromisoformat(moved[:10])
        except ValueError:
            end = None
    return Tenancy(case.contract, case.address, case.apartment, None, end)


# --- jour reports ------------------------------------------------------------------------------------


def _norm(text: str | None) -> str:
    return " ".join((text or "").casefold().split())


def jour_items(
    session: Session,
    tenancies: Sequence[Tenancy],
    mine: set[str],
    team: str | None,
    zone: ZoneInfo,
) -> list[IntakeItem]:
    """The open or dismissed jour reports about the tenancies, oldest first. `mine`: the subject's
    register contract numbers (normalised)."""
    contracts = {t.contract.strip() for t in tenancies if t.contract}
    apartments = {t.apartment.strip().lower() for t in tenancies if t.apartment}
    if not contracts and not apartments:
        return []
    statement = select(IntakeItem).where(
        IntakeItem.kind == "jour",
        IntakeItem.status.in_(PENDING),
        or_(
            IntakeItem.contract.in_(contracts),
            func.lower(IntakeItem.apartment).in_(apartments),
        ),
    )
    if team is not None:
        statement = statement.where(or_(IntakeItem.team.is_(None), IntakeItem.team == team))
    items = list(session.scalars(statement.order_by(IntakeItem.observed_at, IntakeItem.id)))
    others = _others_at(session, items, mine)
    return [item for item in items if any(_about(item, t, others, zone) for t in tenancies)]


def _about(
    item: IntakeItem,
    tenancy: Tenancy,
    others: dict[str, list[tuple[str, date | None, date | None]]],
    zone: ZoneInfo,
) -> bool:
    """Whether a report is about this tenancy: the same contract number, or (without one on both)
    the same address and apartment on a day the subject lived there and nobody else did."""
    if item.contract and tenancy.contract:
        return _norm(item.contract) == _norm(tenancy.contract)
    if not (item.address and item.apartment and tenancy.address and tenancy.apartment):
        return False
    place = _place_key(item.address, item.apartment)
    if place != _place_key(tenancy.address, tenancy.apartment):
        return False
    day = (item.observed_at or item.received_at).astimezone(zone).date()
    if (tenancy.start and day < tenancy.start) or (tenancy.end and day > tenancy.end):
        return False
    if item.contract and any(number == _norm(item.contract) for number, _s, _e in others[place]):
        return False  # the report names somebody else's contract
    return not any(_covers(start, end, day) for _n, start, end in others[place])


def _covers(start: date | None, end: date | None, day: date) -> bool:
    return (start is None or start <= day) and (end is None or day <= end)


def _place_key(address: str | None, apartment: str | None) -> str:
    return f"{_norm(address)}|{_norm(apartment)}"


def _others_at(
    session: Session, items: Iterable[IntakeItem], mine: set[str]
) -> dict[str, list[tuple[str, date | None, date | None]]]:
    """Per place of the reports: the register's contracts there that are not the subject's (their
    number, move-in and move-out)."""
    places = {_place_key(i.address, i.apartment) for i in items if i.address and i.apartment}
    result: dict[str, list[tuple[str, date | None, date | None]]] = {p: [] for p in places}
    numbers = {i.apartment.strip() for i in items if i.address and i.apartment}
    if not numbers:
        return result
    rows = session.execute(
        select(
            RegisterContract.contract,
            RegisterContract.move_in,
            RegisterContract.move_out,
            RegisterApartment.address,
            RegisterApartment.number,
        )
        .join(RegisterApartment, RegisterApartment.id == RegisterContract.apartment_id)
        .where(RegisterApartment.number.in_(numbers))
    )
    for number, move_in, move_out, address, apartment in rows:
        place = _place_key(address, apartment)
        if place in result and _norm(number) not in mine:
            result[place].append((_norm(number), move_in, move_out))
    return result


def _people(*values: str | None) -> list[str]:
    """The names in reporter and witness fields ("A; vittnen: B, C")."""
    found = []
    for value in values:
        if not value:
            continue
        found.append(str(value))
        found += people_named(str(value))
    return found


def _jour_scrubber(session: Session, item: IntakeItem, tenant_cases: Sequence[Case]) -> Any:
    payload = item.payload or {}
    named = _people(payload.get("reporter"), payload.get("witnesses"), payload.get("disturbed"))
    reporters = _scrubber(named, REPORTER_MARK)
    ids = [c.id for c in tenant_cases]
    complainants = (
        list(session.scalars(select(Complainant).where(Complainant.case_id.in_(ids))))
        if ids
        else []
    )
    named = _scrubber(_complainant_strings(complainants), COMPLAINANT_MARK)
    return lambda text: reporters(named(text))


def jour_entry(item: IntakeItem, scrub: Any, zone: ZoneInfo) -> dict[str, Any]:
    """A jour report as the tenant's extract gives it: when, what was observed, its status; never
    who reported it, the witnesses or the patrol's notes."""
    payload = item.payload or {}
    start = (item.observed_at or item.received_at).astimezone(zone)
    ends = _instant(payload.get("ends_at"), zone)
    kind = str(payload.get("kind") or "noise")
    if item.address and item.apartment:
        place = f"{item.address}, lgh {item.apartment}"
    else:
        place = f"kontrakt {item.contract}" if item.contract else (item.address or "")
    return {
        "id": item.id,
        "kind": "jour",
        "kind_label": KIND_LABELS["jour"],
        "side": "tenant",
        "when": start.strftime("%Y-%m-%d %H:%M"),
        "ends": ends.strftime("%H:%M") if ends else None,
        "incident_kind": INCIDENT_KINDS.get(kind, kind),
        "text": scrub(str(payload.get("text") or "")),
        "place": place,
        "received_on": item.received_at.astimezone(zone).date().isoformat(),
        "status": item.status,
        "status_label": STATUS_LABELS.get(item.status, item.status),
        "case": None,
        "purposes": JOUR_PURPOSES,
        "legal_basis": JOUR_LEGAL_BASIS,
        "sources": JOUR_SOURCES,
        "retention": JOUR_RETENTION,
        "recipients": INTAKE_RECIPIENTS,
    }


def reported_items(session: Session, subject: Subject, team: str | None) -> list[IntakeItem]:
    """The open or dismissed jour reports that name the subject as who reported it, a witness or
    who was disturbed (by name: a reporter has no personnummer here), oldest first."""
    if not subject.name:
        return []
    statement = select(IntakeItem).where(IntakeItem.kind == "jour", IntakeItem.status.in_(PENDING))
    if team is not None:
        statement = statement.where(or_(IntakeItem.team.is_(None), IntakeItem.team == team))
    found = []
    for item in session.scalars(statement.order_by(IntakeItem.observed_at, IntakeItem.id)):
        payload = item.payload or {}
        named = _people(payload.get("reporter"), payload.get("witnesses"), payload.get("disturbed"))
        if any(_same_name(person, subject.name) for person in named):
            found.append(item)
    return found


def reporter_entry(item: IntakeItem, zone: ZoneInfo) -> dict[str, Any]:
    """A jour report as the extract of the one who reported it (or witnessed it) gives it: when,
    what kind of disturbance, its status; never where or what it says (that is about others)."""
    payload = item.payload or {}
    start = (item.observed_at or item.received_at).astimezone(zone)
    kind = str(payload.get("kind") or "noise")
    return {
        "id": item.id,
        "kind": "jour",
        "kind_label": KIND_LABELS["jour"],
        "side": "reporter",
        "when": start.strftime("%Y-%m-%d %H:%M"),
        "ends": None,
        "incident_kind": INCIDENT_KINDS.get(kind, kind),
        "text": REPORTER_TEXT,
        "place": None,
        "received_on": item.received_at.astimezone(zone).date().isoformat(),
        "status": item.status,
        "status_label": STATUS_LABELS.get(item.status, item.status),
        "case": None,
        "purposes": REPORTER_PURPOSES,
        "legal_basis": JOUR_LEGAL_BASIS,
        "sources": REPORTER_SOURCES,
        "retention": JOUR_RETENTION,
        "recipients": INTAKE_RECIPIENTS,
    }


def _instant(value: Any, zone: ZoneInfo) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(zone)


# --- the complainant's diary -------------------------------------------------------------------------


def diary_entries(
    session: Session, subject: Subject, team: str | None
) -> list[tuple[DiaryEntry, IntakeItem | None, Case]]:
    """The subject's own diary entries (through a link issued to a complainant with their name) not
    accepted into the case, oldest first; `team` limits them to that team's cases."""
    if not subject.name:
        return []
    links = session.execute(
        select(DiaryLink.id, Complainant.name, Case)
        .join(Complainant, Complainant.id == DiaryLink.complainant_id)
        .join(Case, Case.id == DiaryLink.case_id)
    ).all()
    cases = {
        link_id: case
        for link_id, name, case in links
        if _same_name(name, subject.name) and (team is None or case.team == team)
    }
    if not cases:
        return []
    rows = session.execute(
        select(DiaryEntry, IntakeItem)
        .outerjoin(IntakeItem, IntakeItem.id == DiaryEntry.intake_item_id)
        .where(DiaryEntry.link_id.in_(list(cases)))
        .order_by(DiaryEntry.starts_at, DiaryEntry.id)
    ).all()
    return [
        (entry, item, cases[entry.link_id])
        for entry, item in rows
        if item is None or item.status in PENDING
    ]


def diary_entry(
    session: Session, entry: DiaryEntry, item: IntakeItem | None, case: Case, zone: ZoneInfo
) -> dict[str, Any]:
    """A diary entry as the complainant's extract gives it: the day, the times, the kind, their text
    (the tenant and the case's other complainants taken out) and its status; not the place, the
    people disturbed or the witnesses."""
    own = session.scalar(select(DiaryLink.complainant_id).where(DiaryLink.id == entry.link_id))
    others = session.scalars(
        select(Complainant).where(Complainant.case_id == case.id, Complainant.id != own)
    )
    scrub = _scrubber(_tenant_strings(case) + _complainant_strings(others), TENANT_MARK)
    starts = entry.starts_at.astimezone(zone)
    ends = entry.ends_at.astimezone(zone) if entry.ends_at else None
    status = item.status if item is not None else "open"
    return {
        "id": entry.id,
        "kind": "dagbok",
        "kind_label": KIND_LABELS["dagbok"],
        "side": "complainant",
        "when": starts.strftime("%Y-%m-%d %H:%M"),
        "ends": ends.strftime("%H:%M") if ends else None,
        "incident_kind": INCIDENT_KINDS.get(entry.kind, entry.kind),
        "text": scrub(entry.text),
        "place": None,
        "received_on": entry.submitted_at.astimezone(zone).date().isoformat(),
        "status": status,
        "status_label": STATUS_LABELS.get(status, status),
        "case": case.ref,
        "purposes": DIARY_PURPOSES,
        "legal_basis": DIARY_LEGAL_BASIS,
        "sources": DIARY_SOURCES,
        "retention": DIARY_RETENTION.format(ref=case.ref),
        "recipients": INTAKE_RECIPIENTS,
    }


# --- the whole document ------------------------------------------------------------------------------


def complete(document: dict[str, Any], subject: Subject, found: Sources) -> dict[str, Any]:
    """`records.extract.extract_document`'s document with the register and the intake queue: the new
    keys `register` and `intake`, `found` when any part holds something, and a summary naming every
    part with hits."""
    cases = len(document["cases"])
    document["register"] = found.register
    document["intake"] = found.intake
    document["found"] = bool(cases) or found.found
    parts = []
    if cases:
        parts.append(f"i {cases} {'ärende' if cases == 1 else 'ärenden'}")
    if found.register:
        count = len(found.register)
        parts.append(f"i hyresregistret ({count} kontrakt)")
    if found.intake:
        count = len(found.intake)
        parts.append(f"i inkorgen ({count} {'post' if count == 1 else 'poster'})")
    if parts:
        joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " och " + parts[-1]
        document["summary"] = f"{subject.label} förekommer {joined} hos hyresvärden."
    else:
        document["summary"] = (
            f"Det finns inga personuppgifter om {subject.label} i störnings- och "
            "hyresskuldsärendena, hyresregistret eller inkorgen."
        )
    return document


__all__ = [
    "REPORTER_MARK",
    "Hit",
    "Sources",
    "Tenancy",
    "collect",
    "complete",
    "diary_entries",
    "holders_of",
    "jour_items",
    "register_contracts",
]
