"""Night-patrol reports (störningsjourens rapporter): read from CSV or JSON, checked, and matched to
the apartment's open case.

A report has an external id (the patrol's own report number: re-sending it changes nothing), a time
span, where (a contract number, or an address and an apartment number), what was observed, the
patrol's verification and the police's reference. CSV columns and JSON keys are the same names:

    external_id, start, end, contract, address, apartment, observed, verification,
    police_reference, kind, reporter

(`start` and `observed` are required, and either `contract` or `address` with `apartment`; `kind`
defaults to `noise`). JSON is one object, a list of objects, or `{"reports": [...]}`.

Matching: the open case with the report's contract number, else the open case at the same address
and apartment (compared without case and extra spaces), else, through the tenancy register, the
open case of the apartment's contract. A report that matches no case (an unknown address, too) goes
to the intake queue — it is not an error.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from storning import validation
from storning.clock import fact_instant
from storning.errors import InvalidInput, StorningError
from storning.intake.register import ImportProblems
from storning.store.models import Case, RegisterApartment, RegisterContract

FIELDS = (
    "external_id", "start", "end", "contract", "address", "apartment", "observed",
    "verification", "police_reference", "kind", "reporter",
)  # fmt: skip
REQUIRED = ("external_id", "start", "observed")
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class JourReport:
    """One checked report; `where` names its line in a file or its position in a request."""

    external_id: str
    start: datetime
    end: datetime | None
    contract: str | None
    address: str | None
    apartment: str | None
    observed: str
    verification: str | None
    police_reference: str | None
    kind: str
    reporter: str | None
    where: str

    def payload(self, zone: ZoneInfo) -> dict[str, Any]:
        """The intake item's payload (see `storning.intake.queue`)."""
        return {
            "external_id": self.external_id,
            "at": self.start.astimezone(zone).isoformat(),
            "ends_at": self.end.astimezone(zone).isoformat() if self.end else None,
            "kind": self.kind,
            "text": self.observed,
            "place": _place(self.address, self.apartment),
            "verification": self.verification,
            "police_reference": self.police_reference,
            "reporter": self.reporter,
        }


def _place(address: str | None, apartment: str | None) -> str | None:
    if address and apartment:
        return f"{address}, lgh {apartment}"[:200]
    return address or (f"lgh {apartment}" if apartment else None)


# --- reading -------------------------------------------------------------------------------------------


def parse_file(data: bytes, file: str) -> list[dict[str, Any]]:
    """The raw records of a CSV or JSON file (by its content: JSON starts with `[` or `{`), each with
    its `_where` (file and line)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{file} är inte UTF-8-text; spara filen som UTF-8.") from None
    if text.lstrip()[:1] in ("[", "{"):
        return parse_json(text, file)
    return _parse_csv(text, file)


def parse_json(text: str | bytes, file: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(
            f"{file}, rad {error.lineno}: ogiltig JSON ({error.msg}); rätta filen."
        ) from None
    return records_of(data, file)


def records_of(data: Any, file: str) -> list[dict[str, Any]]:
    """The records of parsed JSON: an object, a list, or `{"reports": [...]}`."""
    if isinstance(data, dict) and "reports" in data:
        data = data["reports"]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise InvalidInput(
            f'{file}: JSON ska vara en rapport, en lista av rapporter eller {{"reports": [...]}}.'
        )
    return [{**r, "_where": f"{file}, rapport {i}"} for i, r in enumerate(data, start=1)]


def _parse_csv(text: str, file: str) -> list[dict[str, Any]]:
    sample = text[:2000]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    headings = [h.strip() for h in reader.fieldnames or []]
    unknown = [h for h in headings if h not in FIELDS]
    missing = [h for h in REQUIRED if h not in headings]
    if unknown or missing:
        what = []
        if missing:
            what.append(f"kolumnen {', '.join(missing)} saknas")
        if unknown:
            what.append(f"okänd kolumn {', '.join(unknown)}")
        raise InvalidInput(
            f"{file}, rad 1: {' och '.join(what)}; kolumnerna ska heta {', '.join(FIELDS)}."
        )
    records = []
    for row in reader:
        record = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        record["_where"] = f"{file}, rad {reader.line_num}"
        records.append(record)
    return records


def checked(records: Sequence[dict[str, Any]], zone: ZoneInfo, now: datetime) -> list[JourReport]:
    """Every record checked; raise ImportProblems (nothing stored) naming each bad one."""
    reports: list[JourReport] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for record in records:
        where = str(record.get("_where") or "rapport")
        try:
            report = _report(record, zone, now, where)
        except StorningError as error:
            problems.append(f"{where}: {str(error).rstrip('.')}")
            if len(problems) >= MAX_PROBLEMS:
                break
            continue
        if report.external_id in seen:
            problems.append(
                f"{where}: rapport-id {report.external_id} förekommer redan ({seen[report.external_id]})"
            )
            continue
        seen[report.external_id] = where
        reports.append(report)
    if problems:
        raise ImportProblems(problems[:MAX_PROBLEMS])
    return reports


def _report(record: dict[str, Any], zone: ZoneInfo, now: datetime, where: str) -> JourReport:
    from storning.vocabulary import INCIDENT_KINDS

    unknown = sorted(k for k in record if k not in FIELDS and k != "_where")
    if unknown:
        raise InvalidInput(f"Okänt fält {', '.join(unknown)}; kända fält är {', '.join(FIELDS)}")

    def value(name: str) -> str | None:
        raw = record.get(name)
        return None if raw in (None, "") else str(raw).strip() or None

    for name, label in (
        ("external_id", "rapport-id"),
        ("start", "starttid"),
        ("observed", "vad som iakttogs"),
    ):
        if value(name) is None:
            raise InvalidInput(f"{label.capitalize()} saknas")
    contract, address, apartment = value("contract"), value("address"), value("apartment")
    if contract is None and (address is None or apartment is None):
        raise InvalidInput("Ange kontraktsnummer eller både adress och lägenhetsnummer")
    start = _instant(value("start"), zone, now, "Starttiden")
    end = _instant(value("end"), zone, now, "Sluttiden") if value("end") else None
    if end is not None and end < start:
        raise InvalidInput("Sluttiden ligger före starttiden")
    kind = value("kind") or "noise"
    if kind not in INCIDENT_KINDS:
        raise InvalidInput(f"Okänd händelsetyp '{kind}'; välj en av {', '.join(INCIDENT_KINDS)}")
    external_id = value("external_id") or ""
    if len(external_id) > 100:
        raise InvalidInput("Rapport-id är längre än 100 tecken")
    return JourReport(
        external_id=external_id,
        start=start,
        end=end,
        contract=validation.text("contract", contract),
        address=validation.text("address", address),
        apartment=validation.text("apartment", apartment),
        observed=validation.text("text", value("observed"), required=True) or "",
        verification=validation.text("reason", value("verification")),
        police_reference=validation.text("param", value("police_reference")),
        kind=kind,
        reporter=validation.text("reporter", value("reporter")),
        where=where,
    )


def _instant(text: str | None, zone: ZoneInfo, now: datetime, what: str) -> datetime:
    assert text is not None
    moment = fact_instant(text, zone, now, "observation")
    validation.not_in_future(moment, now, zone, what=what)
    return moment


# --- matching ------------------------------------------------------------------------------------------


def _norm(text: str | None) -> str:
    return " ".join((text or "").lower().split())


@dataclass
class OpenCases:
    """The open cases by contract and by (address, apartment), loaded once per import."""

    by_contract: dict[str, int]
    by_place: dict[tuple[str, str], int]
    contract_of_place: dict[tuple[str, str], str]
    team_of: dict[int, str | None]

    def match(self, report: JourReport) -> int | None:
        if report.contract and report.contract in self.by_contract:
            return self.by_contract[report.contract]
        place = (_norm(report.address), _norm(report.apartment))
        if place in self.by_place:
            return self.by_place[place]
        contract = self.contract_of_place.get(place)
        return self.by_contract.get(contract) if contract else None


def open_cases(session: Session, reports: Iterable[JourReport]) -> OpenCases:
    """Load what matching needs: every open case's contract and place (the latest opened wins), and
    the register's contracts of the reports' places."""
    by_contract: dict[str, int] = {}
    by_place: dict[tuple[str, str], int] = {}
    team_of: dict[int, str | None] = {}
    rows = session.execute(
        select(Case.id, Case.contract, Case.address, Case.apartment, Case.team)
        .where(Case.status == "open")
        .order_by(Case.opened_at, Case.id)
    )
    for case_id, contract, address, apartment, team in rows:
        if contract:
            by_contract[contract] = case_id
        by_place[(_norm(address), _norm(apartment))] = case_id
        team_of[case_id] = team
    places = {
        (r.address, r.apartment) for r in reports if r.address and r.apartment and not r.contract
    }
    contract_of_place: dict[tuple[str, str], str] = {}
    addresses = sorted({a for a, _n in places if a})
    for start in range(0, len(addresses), 500):
        chunk = addresses[start : start + 500]
        for contract, address, number, move_out in session.execute(
            select(
                RegisterContract.contract,
                RegisterApartment.address,
                RegisterApartment.number,
                RegisterContract.move_out,
            )
            .join(RegisterApartment, RegisterApartment.id == RegisterContract.apartment_id)
            .where(RegisterApartment.address.in_(chunk))
            .order_by(RegisterContract.move_in)
        ):
            key = (_norm(address), _norm(number))
            if move_out is None or key not in contract_of_place:
                contract_of_place[key] = contract
    return OpenCases(by_contract, by_place, contract_of_place, team_of)
