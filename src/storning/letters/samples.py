"""Realistic sample contexts for every letter, as the engine builds them (see letters/README.md).

Used by the tests, `bench/letters.py` and to draw `docs/uppmaning.png`. The named world: the
landlord in Norrköping, officer Anna, tenant Kim with co-tenant Alex, and the protected
complainant Greta, whose name must never reach the tenant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

STHLM = ZoneInfo("Europe/Stockholm")
COMPLAINANT = "Greta Klagandesson"
COMPLAINANT_PHONE = "070-123 45 67"
# A made-up personnummer with a valid check digit, printed only in the application to Kronofogden.
TENANT_PERSONNUMMER = "19850312-1231"


def at(y: int, m: int, d: int, hh: int, mm: int) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=STHLM)


def base_context() -> dict[str, Any]:
    """The context the engine builds for a disturbance case, with every fact a letter may need."""
    tenant_lines = ["Storgatan 1, lgh 1102", "602 20 Norrköping"]
    return {
        "landlord": {
            "name": "Hyresbostäder i Norrköping AB",
            "org_number": "556000-0000",
            "address": "Box 123",
            "postal_address": "601 00 Norrköping",
            "phone": "011-00 00 00",
            "email": "bosocialt@example.se",
            "jour_phone": "011-00 00 99",
            "logo": None,
            "website": "www.example.se",
        },
        "officer": {
            "name": "Anna Handläggare",
            "title": "Bosocial handläggare",
            "phone": "011-00 00 01",
            "email": "anna@example.se",
        },
        "letter": {"date": dt.date(2026, 3, 2), "template": "uppmaning", "id": 17},
        "case": {"ref": "S-2026-0001", "type": "storning", "opened_on": dt.date(2026, 2, 2)},
        "tenant": {
            "name": "Kim Hyresgäst",
            "co_tenants": ["Alex Hyresgäst"],
            "address": "Storgatan 1",
            "postal_code": "602 20",
            "city": "Norrköping",
            "apartment": "1102",
            "contract": "123-456-789",
            "municipality": "Norrköping",
            "municipality_name": "Norrköpings kommun",
        },
        "recipient": {"name": "Kim Hyresgäst och Alex Hyresgäst", "lines": tenant_lines},
        "incidents": [
            {
                "at": at(2026, 2, 7, 23, 40),
                "kind": "noise",
                "kind_label": "Buller",
                "text": "Hög musik och skrik från lägenheten till kl. 02.30.",
                "place": "Lägenhet 1102",
                "verified_by": "jour",
                "verified_label": "Störningsjour",
            },
            {
                "at": at(2026, 2, 14, 22, 15),
                "kind": "harassment",
                "kind_label": "Trakasserier",
                "text": "Grannar i trapphuset blev utskällda och hotade med stryk.",
                "place": "Trapphus B",
                "verified_by": None,
                "verified_label": "Uppgift från klagande",
            },
            {
                "at": at(2026, 2, 21, 1, 5),
                "kind": "noise",
                "kind_label": "Buller",
                "text": "Dunsar och hög musik; polisen kallades till platsen.",
                "place": None,
                "verified_by": "police",
                "verified_label": "Polis",
            },
        ],
        "facts": {
            "uppmaning_given_on": dt.date(2026, 3, 2),
            "social_services_notified_on": dt.date(2026, 3, 3),
            "terminated_on": dt.date(2026, 4, 20),
            "served_on": dt.date(2026, 4, 23),
            "lease_end_on": dt.date(2026, 7, 31),
            "referral_deadline": dt.date(2026, 8, 31),
            "severe": False,
            "amount": None,
            "due_date": None,
            "recovery_deadline": None,
            "earliest_eviction_decision": None,
        },
        "meeting": None,
        "payments": [],
        "instalments": [],
    }


def complainant_context() -> dict[str, Any]:
    """As `base_context`, addressed to the protected complainant (bekräftelse, dagbok)."""
    ctx = base_context()
    ctx["recipient"] = {
        "name": COMPLAINANT,
        "lines": ["Storgatan 1, lgh 1201", "602 20 Norrköping"],
    }
    ctx["complainants"] = [{"name": COMPLAINANT, "phone": COMPLAINANT_PHONE, "protected": True}]
    ctx["received_on"] = ctx["case"]["opened_on"]
    return ctx


def social_services_context() -> dict[str, Any]:
    ctx = base_context()
    ctx["recipient"] = {
        "name": "Socialnämnden i Norrköpings kommun",
        "lines": ["Socialkontoret", "601 81 Norrköping"],
    }
    return ctx


def arrears_context() -> dict[str, Any]:
    """A rent-arrears case: 8 450 kr due 30 November 2026, terminated and served in December."""
    ctx = base_context()
    ctx["case"] = {"ref": "H-2026-0042", "type": "hyresskuld", "opened_on": dt.date(2026, 12, 1)}
    ctx["letter"] = {"date": dt.date(2026, 12, 2), "template": "paminnelse", "id": 42}
    ctx["incidents"] = []
    ctx["landlord"]["bankgiro"] = "123-4567"
    ctx["facts"].update(
        uppmaning_given_on=None,
        social_services_notified_on=dt.date(2026, 12, 4),
        terminated_on=dt.date(2026, 12, 2),
        served_on=dt.date(2026, 12, 3),
        lease_end_on=None,
        referral_deadline=None,
        amount=Decimal("8450"),
        due_date=dt.date(2026, 11, 30),
        recovery_deadline=dt.date(2026, 12, 28),
        earliest_eviction_decision=dt.date(2026, 12, 31),
    )
    ctx["payments"] = [{"on": dt.date(2026, 11, 20), "amount": Decimal("1000.50")}]
    ctx["instalments"] = [
        {"due_on": dt.date(2027, 1, 15), "amount": Decimal("2450")},
        {"due_on": dt.date(2027, 2, 15), "amount": Decimal("3000")},
        {"due_on": dt.date(2027, 3, 15), "amount": Decimal("3000")},
    ]
    return ctx


def social_services_arrears_context() -> dict[str, Any]:
    ctx = arrears_context()
    ctx["recipient"] = social_services_context()["recipient"]
    return ctx


def meeting_context() -> dict[str, Any]:
    ctx = base_context()
    ctx["meeting"] = {
        "at": at(2026, 3, 10, 10, 0),
        "place": "Hyresbostäders kontor, Drottninggatan 5, Norrköping",
        "purpose": "att tillsammans gå igenom de störningar som rapporterats och hitta en lösning",
        "participants": [
            "Anna Handläggare, Hyresbostäder",
            "Sara Socialsekreterare, socialtjänsten",
        ],
    }
    return ctx


def kronofogden_context() -> dict[str, Any]:
    """Addressed to Kronofogden (the default of STORNING_KRONOFOGDEN_ADDRESS); the only context with
    the tenant's full personnummer."""
    ctx = base_context()
    ctx["recipient"] = {"name": "Kronofogden", "lines": ["Box 1050", "172 21 Sundbyberg"]}
    ctx["tenant"]["personnummer"] = TENANT_PERSONNUMMER
    ctx["tenant"]["holders"] = [
        {"name": ctx["tenant"]["name"], "personnummer": TENANT_PERSONNUMMER},
        *({"name": name, "personnummer": ""} for name in ctx["tenant"]["co_tenants"]),
    ]
    return ctx


def report_context() -> dict[str, Any]:
    """The compiled disturbance report (storning.reports builds the real one from the journal)."""
    ctx = base_context()
    ctx["recipient"] = {
        "name": "Sammanställning för hyresnämnd, domstol eller ombud",
        "lines": ["S-2026-0001"],
    }
    for n, incident in enumerate(ctx["incidents"]):
        incident["reporter_label"] = f"Anmälare {'AB'[n % 2]}"
    ctx["report"] = {
        "disclosed": False,
        "tracks": [
            {
                "title": "Hyresjuridisk process",
                "label": "Uppmaning given",
                "since": dt.date(2026, 3, 2),
            }
        ],
        "letters": [
            {
                "title": "Uppmaning att vidta rättelse",
                "sent_on": dt.date(2026, 3, 2),
                "method": "Rekommenderat brev",
                "served_on": None,
                "delivered_on": None,
                "proof": None,
            }
        ],
        "notices": [],
        "overrides": [],
    }
    return ctx


# Every template with a context the engine would give it.
SAMPLES: dict[str, Callable[[], dict[str, Any]]] = {
    "bekraftelse": complainant_context,
    "storningsdagbok": complainant_context,
    "kontaktbrev": base_context,
    "kallelse": meeting_context,
    "uppmaning": base_context,
    "underrattelse_socialnamnd": social_services_context,
    "uppsagning": base_context,
    "kopia_uppsagning": social_services_context,
    "uppsagning_hyrestid": base_context,
    "ansokan_avhysning": kronofogden_context,
    "paminnelse": arrears_context,
    "uppsagning_hyresskuld": arrears_context,
    "meddelande_socialnamnd_44": social_services_arrears_context,
    "avbetalningsplan": arrears_context,
    "rapport": report_context,
    "registerutdrag": lambda: extract_context(),
    "utlamnande": lambda: release_context(),
}


def _after_uppmaning(ctx: dict[str, Any]) -> None:
    """Disturbances that went on after the uppmaning of 2 March: the ground for termination."""
    ctx["incidents"] += [
        {
            "at": at(2026, 3, 14, 0, 20),
            "kind": "noise",
            "kind_label": "Buller",
            "text": "Fest med hög musik; grannar kunde inte sova.",
            "place": "Lägenhet 1102",
            "verified_by": "jour",
            "verified_label": "Störningsjour",
        },
        {
            "at": at(2026, 4, 2, 21, 50),
            "kind": "threat",
            "kind_label": "Hot",
            "text": "Hotade en granne i tvättstugan.",
            "place": "Tvättstugan",
            "verified_by": "staff",
            "verified_label": "Personal",
        },
    ]


LETTER_DATES = {
    "underrattelse_socialnamnd": dt.date(2026, 3, 3),
    "uppsagning": dt.date(2026, 4, 20),
    "kopia_uppsagning": dt.date(2026, 4, 21),
    "uppsagning_hyrestid": dt.date(2026, 4, 20),
    "ansokan_avhysning": dt.date(2026, 5, 18),
    "uppsagning_hyresskuld": dt.date(2026, 12, 2),
    "meddelande_socialnamnd_44": dt.date(2026, 12, 2),
    "avbetalningsplan": dt.date(2026, 12, 10),
}


def sample_context(template: str) -> dict[str, Any]:
    """A fresh context for `template` (one of `SAMPLES`), safe to modify."""
    ctx = SAMPLES[template]()
    ctx["letter"]["template"] = template
    ctx["letter"]["date"] = LETTER_DATES.get(template, ctx["letter"]["date"])
    if template in ("uppsagning", "kopia_uppsagning", "uppsagning_hyrestid", "ansokan_avhysning"):
        _after_uppmaning(ctx)
    if template == "kopia_uppsagning":
        ctx["facts"].update(severe=True, uppmaning_given_on=None, social_services_notified_on=None)
        ctx["facts"]["terminated_on"] = dt.date(2026, 4, 21)
    return ctx


def extract_context() -> dict[str, Any]:
    """A registerutdrag (art. 15) for the tenant Kim (storning.records.extract builds the real one);
    no complainant appears in it."""
    ctx = base_context()
    ctx["recipient"] = {"name": "Kim Hyresgäst", "lines": []}
    ctx["case"] = {"ref": "RU-2026-03-02"}
    ctx["extract"] = {
        "subject": {"query": "Kim Hyresgäst", "matched_by": "namn"},
        "found": True,
        "summary": "Kim Hyresgäst förekommer i 1 ärende hos hyresvärden.",
        "scope": "Alla ärenden hos hyresvärden.",
        "protected_note": "Uppgifter som identifierar andra personer ingår inte.",
        "cases": [
            {
                "ref": "S-2026-0001",
                "type_label": "Störning",
                "role_labels": ["Hyresgäst"],
                "status": "Pågående",
                "opened_on": "2026-02-02",
                "closed_on": None,
                "data": {
                    "name": "Kim Hyresgäst",
                    "personnummer": "19850312-****",
                    "address": "Storgatan 1",
                    "postal_code": "602 20",
                    "city": "Norrköping",
                    "apartment": "1102",
                    "contract": "123-456-789",
                    "other_contract_holders": ["Alex Hyresgäst"],
                },
                "facts": [],
                "incidents": [
                    {
                        "at": "2026-02-07T23:40+01:00",
                        "when": "2026-02-07 23:40",
                        "kind": "Buller",
                        "text": "Hög musik och skrik från lägenheten till kl. 02.30.",
                        "place": "Lägenhet 1102",
                        "verified": "Störningsjour",
                    }
                ],
                "letters": [],
                "purposes": ["Utreda och åtgärda störningar."],
                "legal_basis": ["Avtal (art. 6.1 b): hyresavtalet."],
                "recipients": ["Inga uppgifter har lämnats ut utanför hyresvärden i ärendet."],
                "retention": "2 år efter att ärendet avslutats.",
                "sources": ["Anmälningar och egna iakttagelser."],
            }
        ],
    }
    return ctx


def release_context() -> dict[str, Any]:
    """A case file released under OSL 2 kap. 3 § with the protected parts masked
    (storning.services.privacy builds the real one)."""

    def cell(value: str) -> dict[str, str]:
        return {"field": "x", "value": value}

    ctx = base_context()
    ctx["recipient"] = {"name": "Utlämnande av allmän handling", "lines": ["Dnr 2026/17"]}
    ctx["release"] = {
        "request_ref": "Dnr 2026/17",
        "decided_by": "Anna Handläggare",
        "decided_on": "2026-03-02",
        "masked": [
            {"label": "Anmälare 1: namn", "reason_label": "21 kap. 3 § OSL"},
        ],
        "file": {
            "ref": "S-2026-0001",
            "status": "Pågående",
            "opened_on": "2026-02-02",
            "parties": [
                {"title": "Hyresgäst", "name": cell("Kim Hyresgäst"), "personnummer": cell("–")}
            ],
            "flat": {
                "address": cell("Storgatan 1, 602 20 Norrköping"),
                "apartment": cell("1102"),
                "contract": cell("123-456-789"),
            },
            "complainants": [
                {"title": "Anmälare 1", "name": cell("[MASKERAT]"), "contact": cell("–")}
            ],
            "incidents": [
                {
                    "at": "2026-02-07 23:40",
                    "kind": "Buller",
                    "verified": "Störningsjour",
                    "text": cell("Hög musik och skrik från lägenheten till kl. 02.30."),
                    "place": cell("Lägenhet 1102"),
                    "reporter": cell("[MASKERAT]"),
                }
            ],
            "letters": [],
            "facts": [],
        },
    }
    return ctx
