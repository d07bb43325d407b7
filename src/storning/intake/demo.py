"""Demo data for issue 16: a tenancy register covering the demo cases' apartments (and their
neighbours, about 50 contracts), one tenant with a move-out date, and last night's reports from the
störningsjour — some about apartments with an open case (recorded as incidents verified by `jour`),
some landing in the intake queue. Called once from `storning.demo.load_demo`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from storning.app import App
from storning.services import night_patrol
from storning.services import register as register_service
from storning.store.models import Case

ACTOR = "maria"  # the demo's chef (team city): may change the register and act on city's cases
FIRST_NAMES = (
    "Ali",
    "Birgitta",
    "Carlos",
    "Dana",
    "Elsa",
    "Farid",
    "Greta",
    "Hugo",
    "Ida",
    "Jamal",
)
LAST_NAMES = ("Ström", "Nyberg", "Öberg", "Karlsson", "Hussein", "Virtanen", "Åkesson", "Lindqvist")


def load_intake_demo(app: App, now: datetime) -> dict[str, Any]:
    """Import the demo register and last night's jour reports; returns both results."""
    with app.db.read() as session:
        cases = list(session.scalars(select(Case).order_by(Case.id)))
        facts = [_contract_of(c) for c in cases]
        moved = next((c.contract for c in cases if c.status == "open" and c.team == "city"), None)
        targets = [
            (c.contract, c.address, c.apartment)
            for c in cases
            if c.status == "open" and c.team == "city" and c.contract != moved
        ]
    records = _register(facts, now, moved)
    register = register_service.upsert_contracts(app, ACTOR, now, records, client="demo")
    reports = _night(now.astimezone(app.zone), targets)
    jour = night_patrol.import_jour(app, ACTOR, now, reports, source="demo:störningsjouren")
    return {"register": register, "jour": jour}


def _contract_of(case: Case) -> dict[str, Any]:
    co_tenants = [
        f"{c['name']}, {c['personnummer']}" if c.get("personnummer") else str(c.get("name"))
        for c in (case.co_tenants or [])
        if isinstance(c, dict) and c.get("name")
    ]
    return {
        "contract": case.contract or f"{case.apartment}-00",
        "tenant": case.tenant_name,
        "personnummer": case.personnummer,
        "co_tenants": co_tenants,
        "address": case.address,
        "apartment": case.apartment,
        "postal_code": case.postal_code,
        "city": case.city,
        "municipality": case.municipality,
        "property": f"Norrköping {case.address.split()[0]} 1",
        "move_in": "2019-04-01",
    }


def _register(
    facts: list[dict[str, Any]], now: datetime, moved: str | None
) -> list[dict[str, Any]]:
    """The cases' contracts plus their neighbours' (the floor above and below), about 50."""
    records: dict[str, dict[str, Any]] = {}
    for fact in facts:
        records.setdefault(fact["contract"], fact)
    n = 0
    for fact in facts:
        for step in (1, 2, 3):
            flat = (
                f"{int(fact['apartment']) + step * 100:04d}" if fact["apartment"].isdigit() else ""
            )
            if not flat:
                continue
            n += 1
            contract = f"{flat}-{20 + n:02d}"
            records.setdefault(
                contract,
                {
                    **fact,
                    "contract": contract,
                    "apartment": flat,
                    "tenant": f"{FIRST_NAMES[n % 10]} {LAST_NAMES[n % 8]}",
                    "personnummer": None,
                    "co_tenants": [],
                    "move_in": f"{2010 + n % 14}-0{1 + n % 9}-01",
                },
            )
    if moved is not None and moved in records:
        records[moved]["move_out"] = (now - timedelta(days=3)).date().isoformat()
    return list(records.values())[:50]


def _night(now: datetime, targets: list[tuple[str | None, str, str]]) -> list[dict[str, Any]]:
    """Last night's reports: three about open cases, three the queue must take."""
    # the last night that has ended: 22:00 to 06:00 (run at 00:30, that is the night before, so no
    # report lies in the future)
    morning = now if now.hour >= 6 else now - timedelta(days=1)
    night = (morning - timedelta(days=1)).replace(hour=22, minute=0, second=0, microsecond=0)
    reports: list[dict[str, Any]] = []
    for n, (contract, address, apartment) in enumerate(targets[:3]):
        reports.append(
            {
                "external_id": f"SJ-{night:%Y%m%d}-{n + 1:03d}",
                "start": (night + timedelta(minutes=35 * n)).isoformat(),
                "end": (night + timedelta(minutes=35 * n + 20)).isoformat(),
                **(
                    {"contract": contract}
                    if contract
                    else {"address": address, "apartment": apartment}
                ),
                "observed": (
                    "Hög musik och skrik från lägenheten",
                    "Dörrar som smälls, bråk",
                    "Kraftig cannabislukt i trapphuset",
                )[n],
                "verification": "Jouren hörde störningen från trapphuset och ringde på.",
                "kind": ("noise", "harassment", "drugs")[n],
            }
        )
    unknown = [
        ("Bergsgatan 12", "1304", "Fest med många gäster, hög musik efter kl. 01", "noise", None),
        ("Drottninggatan 44", "0702", "Hot mot granne i tvättstugan", "threat", "K-123456-26"),
        (
            "Kvarngatan 8",
            "0310",
            "Skrik och slag i väggen, polis tillkallad",
            "violence",
            "K-123499-26",
        ),
    ]
    for n, (address, apartment, observed, kind, police) in enumerate(unknown, start=4):
        reports.append(
            {
                "external_id": f"SJ-{night:%Y%m%d}-{n:03d}",
                "start": (night + timedelta(hours=n - 1)).isoformat(),
                "address": address,
                "apartment": apartment,
                "observed": observed,
                "verification": "Jouren på plats; störningen pågick vid ankomst.",
                "kind": kind,
                **({"police_reference": police} if police else {}),
            }
        )
    return reports
