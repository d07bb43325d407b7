"""The tenancy register (hyresregistret): apartments and contracts, read from the landlord's CSV
export through a column mapping (`storning.intake.mapping`) or from an API client, and upserted by
contract number in bulk.

An import is all or nothing: every row is checked first (each problem names the file and the line),
and only a file without problems is written, in one transaction, with Core `executemany` statements
(no ORM object per row). Each contract keeps the sha256 (`digest`) of its imported values, so a
re-import recognises an unchanged row without comparing columns, and writes nothing for it. Every
change is journaled in `register_log` (what changed, from which file or client), with personnummer
never written in clear.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property, lru_cache
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from storning import household, validation
from storning.errors import InvalidInput, StorningError
from storning.intake.mapping import FIELDS, Mapping
from storning.store.models import (
    Case,
    RegisterApartment,
    RegisterContract,
    RegisterLogEntry,
    table,
)

_APARTMENTS = table(RegisterApartment)
_CONTRACTS = table(RegisterContract)
_LOG = table(RegisterLogEntry)
APARTMENT_FIELDS = ("postal_code", "city", "municipality", "property")
CONTRACT_FIELDS = ("tenant", "personnummer", "co_tenants", "move_in", "move_out")
MAX_PROBLEMS = 20
Progress = Callable[[int], None]


@dataclass(frozen=True)
class RegisterRow:
    """One checked contract with its apartment, and where it came from (`line`: the file's line, or
    the position in an API request)."""

    contract: str
    tenant: str
    address: str
    apartment: str
    personnummer: str | None = None
    co_tenants: tuple[str, ...] = ()
    postal_code: str | None = None
    city: str | None = None
    municipality: str | None = None
    property: str | None = None
    move_in: date | None = None
    move_out: date | None = None
    line: int = 0

    def apartment_key(self) -> tuple[str, str]:
        return (self.address, self.apartment)

    @cached_property
    def digest(self) -> str:
        values = [getattr(self, name) for name in FIELDS if name != "co_tenants"]
        values.append(list(self.co_tenants))
        text = json.dumps(values, default=str, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


class ImportProblems(InvalidInput):
    """Rows that cannot be imported: the message is the first problem (and how many more there are);
    `problems` lists them all (up to MAX_PROBLEMS)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        more = len(problems) - 1
        suffix = f" (och {more} fel till)" if more else ""
        super().__init__(f"{problems[0]}{suffix}; inget har sparats.")


# --- reading a file ------------------------------------------------------------------------------------


_FORMAT_WORDS = {"%Y": "ÅÅÅÅ", "%y": "ÅÅ", "%m": "MM", "%d": "DD", "%B": "månad", "%b": "mån"}


def readable_format(date_format: str) -> str:
    """A strftime format as an officer reads it: `%Y-%m-%d` is `ÅÅÅÅ-MM-DD`."""
    for code, word in _FORMAT_WORDS.items():
        date_format = date_format.replace(code, word)
    return date_format


def read_csv(
    data: bytes, file: str, mapping: Mapping, today: date, progress: Progress | None = None
) -> list[RegisterRow]:
    """Every row of a register CSV, checked; raise ImportProblems naming file and line."""
    try:
        text = data.decode(mapping.encoding)
    except UnicodeDecodeError:
        raise InvalidInput(
            f"{file} är inte kodad som {mapping.encoding}; ange rätt 'encoding' i mappningen."
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=mapping.delimiter)
    try:
        headings = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InvalidInput(f"{file} är tom; den ska börja med en rad med kolumnrubriker.") from None
    index = _column_index(headings, file, mapping)
    rows: list[RegisterRow] = []
    problems: list[str] = []
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        try:
            rows.append(_row(cells, index, mapping, today, line))
        except StorningError as error:
            problems.append(f"{file}, rad {line}: {str(error).rstrip('.')}")
            if len(problems) >= MAX_PROBLEMS:
                break
        if progress is not None and line % 1000 == 0:
            progress(1000)
    if progress is not None:
        progress(reader.line_num % 1000)
    problems.extend(duplicates(rows, lambda r: f"{file}, rad {r.line}"))
    if problems:
        raise ImportProblems(problems[:MAX_PROBLEMS])
    return rows


def _column_index(headings: list[str], file: str, mapping: Mapping) -> dict[str, int]:
    index: dict[str, int] = {}
    missing = []
    for name, heading in mapping.columns.items():
        if heading in headings:
            index[name] = headings.index(heading)
        else:
            missing.append(f"'{heading}' ({FIELDS[name][0]})")
    if missing:
        raise InvalidInput(
            f"{file}, rad 1: kolumnen {', '.join(missing)} saknas; filens rubriker är "
            f"{', '.join(headings)} — rätta filen eller mappningen ({mapping.file})."
        )
    return index


def _row(
    cells: list[str], index: dict[str, int], mapping: Mapping, today: date, line: int
) -> RegisterRow:
    def cell(name: str) -> str | None:
        position = index.get(name)
        if position is None or position >= len(cells):
            return None
        value = cells[position].strip()
        return value or None

    def day(name: str) -> date | None:
        value = cell(name)
        if value is None:
            return None
        try:
            if mapping.date_format == "%Y-%m-%d" and len(value) == 10:
                return date.fromisoformat(value)
            return datetime.strptime(value, mapping.date_format).date()
        except ValueError:
            raise InvalidInput(
                f"{FIELDS[name][0].capitalize()} '{value}' är inte ett datum på formen "
                f"{readable_format(mapping.date_format)}, till exempel "
                f"{date(2026, 3, 1).strftime(mapping.date_format)}"
            ) from None

    co = cell("co_tenants")
    return checked_row(
        {
            "contract": cell("contract"),
            "tenant": cell("tenant"),
            "address": cell("address"),
            "apartment": cell("apartment"),
            "personnummer": cell("personnummer"),
            "co_tenants": co.split(mapping.co_tenant_separator) if co else [],
            "postal_code": cell("postal_code"),
            "city": cell("city"),
            "municipality": cell("municipality"),
            "property": cell("property"),
            "move_in": day("move_in"),
            "move_out": day("move_out"),
        },
        today,
        line,
    )


def checked_row(values: dict[str, Any], today: date, line: int) -> RegisterRow:
    """One contract checked by the product's field rules (the same as a case's)."""
    unknown = [name for name in values if name not in FIELDS]
    if unknown:
        raise InvalidInput(
            f"Okänt fält {', '.join(sorted(unknown))}; kända fält är {', '.join(FIELDS)}"
        )
    for name, (label, required) in FIELDS.items():
        if required and values.get(name) in (None, ""):
            raise InvalidInput(f"{label.capitalize()} saknas")
    tenant = _text("tenant", values["tenant"], required=True)
    assert tenant is not None
    co_given = values.get("co_tenants") or []
    co_tenants = household.parse_co_tenants(co_given, today, tenant=tenant) if co_given else []
    move_in, move_out = _date(values.get("move_in")), _date(values.get("move_out"))
    if move_in and move_out and move_out < move_in:
        raise InvalidInput(f"Utflyttningsdagen {move_out} ligger före inflyttningsdagen {move_in}")
    number = values.get("personnummer")
    return RegisterRow(
        contract=_required("contract", values["contract"]),
        tenant=tenant,
        address=_required("address", values["address"]),
        apartment=_required("apartment", values["apartment"]),
        personnummer=validation.personnummer(number, today) if number else None,
        co_tenants=tuple(
            f"{c['name']}, {c['personnummer']}" if c.get("personnummer") else str(c["name"])
            for c in co_tenants
        ),
        postal_code=_postal_code(values.get("postal_code")),
        city=_text("city", values.get("city")),
        municipality=_text("municipality", values.get("municipality")),
        property=_text("municipality", values.get("property"), label="Fastighetsbeteckningen"),
        move_in=move_in,
        move_out=move_out,
        line=line,
    )


def _text(
    field: str, value: Any, *, required: bool = False, label: str | None = None
) -> str | None:
    """`validation.text`, with a fast path for the common case (a register has 100,000 rows): a
    printable one-line value within the limit passes every rule of `validation.text` (str.isprintable
    is false for control, format, separator, private-use, surrogate and unassigned characters), so
    only other values go through the full check and its sentence."""
    if value is None:
        return validation.text(field, None, required=required)
    text = str(value).strip()
    limit = validation.limit_of(field)
    if text and text.isprintable() and len(text) <= limit:
        return text
    if label is not None and len(text) > limit:
        raise InvalidInput(f"{label} är längre än {limit} tecken; korta den")
    return validation.text(field, text, required=required)


@lru_cache(maxsize=4096)
def _postal_code(value: str | None) -> str | None:
    return validation.postal_code(value)


def _required(name: str, value: Any) -> str:
    checked = _text(name, None if value is None else str(value), required=True)
    assert checked is not None
    return checked


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"'{value}' är inte ett datum på formen ÅÅÅÅ-MM-DD") from None


def duplicates(rows: Sequence[RegisterRow], where: Callable[[RegisterRow], str]) -> list[str]:
    """A sentence for each contract number that appears more than once."""
    first: dict[str, RegisterRow] = {}
    problems = []
    for row in rows:
        seen = first.setdefault(row.contract, row)
        if seen is not row:
            problems.append(
                f"{where(row)}: kontraktsnumret {row.contract} förekommer redan på "
                f"{where(seen).rsplit(', ', 1)[-1]}; varje kontrakt får finnas en gång"
            )
    return problems


# --- writing -------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """What an import would do: the new and the changed contracts, the number unchanged."""

    created: list[RegisterRow] = field(default_factory=list)
    updated: list[tuple[RegisterRow, dict[str, Any]]] = field(default_factory=list)
    unchanged: int = 0
    moved_out: list[RegisterRow] = field(default_factory=list)


def _chunks(items: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def plan(session: Session, rows: Sequence[RegisterRow]) -> Plan:
    """Compare the rows with the register (by digest first; old values only for changed rows)."""
    digests: dict[str, str] = {}
    if len(rows) > 5000:
        statement = select(_CONTRACTS.c.contract, _CONTRACTS.c.digest)
        digests = {contract: digest for contract, digest in session.execute(statement)}
    else:
        for chunk in _chunks([r.contract for r in rows]):
            statement = select(_CONTRACTS.c.contract, _CONTRACTS.c.digest).where(
                _CONTRACTS.c.contract.in_(chunk)
            )
            digests.update((contract, digest) for contract, digest in session.execute(statement))
    result = Plan()
    changed: list[RegisterRow] = []
    for row in rows:
        known = digests.get(row.contract)
        if known is None:
            result.created.append(row)
            if row.move_out is not None:
                result.moved_out.append(row)
        elif known == row.digest:
            result.unchanged += 1
        else:
            changed.append(row)
    before = _current(session, [r.contract for r in changed])
    for row in changed:
        old = before[row.contract]
        diff = {
            name: {"före": _loggable(name, old.get(name)), "efter": _loggable(name, new)}
            for name, new in _values(row).items()
            if old.get(name) != new
        }
        result.updated.append((row, diff))
        if row.move_out is not None and old.get("move_out") != row.move_out:
            result.moved_out.append(row)
    return result


def _values(row: RegisterRow) -> dict[str, Any]:
    return {
        "tenant": row.tenant,
        "personnummer": row.personnummer,
        "co_tenants": list(row.co_tenants),
        "address": row.address,
        "apartment": row.apartment,
        "postal_code": row.postal_code,
        "city": row.city,
        "municipality": row.municipality,
        "property": row.property,
        "move_in": row.move_in,
        "move_out": row.move_out,
    }


def _loggable(name: str, value: Any) -> Any:
    if name == "personnummer":
        return validation.masked_personnummer(value)
    if name == "co_tenants":
        return [str(v).split(",")[0] + (", ****" if "," in str(v) else "") for v in value or []]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _current(session: Session, contracts: Sequence[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(contracts):
        statement = (
            select(
                _CONTRACTS.c.contract,
                _CONTRACTS.c.tenant_name.label("tenant"),
                _CONTRACTS.c.personnummer,
                _CONTRACTS.c.co_tenants,
                _CONTRACTS.c.move_in,
                _CONTRACTS.c.move_out,
                _APARTMENTS.c.address,
                _APARTMENTS.c.number.label("apartment"),
                *(_APARTMENTS.c[name] for name in APARTMENT_FIELDS),
            )
            .join(_APARTMENTS, _APARTMENTS.c.id == _CONTRACTS.c.apartment_id)
            .where(_CONTRACTS.c.contract.in_(chunk))
        )
        for mapping in session.execute(statement).mappings():
            values = dict(mapping)
            values["co_tenants"] = list(values["co_tenants"] or [])
            found[values.pop("contract")] = values
    return found


def apply(session: Session, result: Plan, *, now: datetime, actor: str, source: str) -> None:
    """Write the plan: apartments first (new ones inserted, changed ones updated), then contracts,
    then one log row per change and a summary row."""
    touched = result.created + [row for row, _diff in result.updated]
    if not touched:
        _log_summary(session, result, now, actor, source)
        return
    apartment_ids = _apartments(session, touched)
    new_rows = [_contract_row(r, apartment_ids, now, source) for r in result.created]
    for chunk in _chunks(new_rows, 2000):
        session.connection().execute(insert(_CONTRACTS), list(chunk))
    changed_rows = [
        {**_contract_row(r, apartment_ids, now, source), "key": r.contract}
        for r, _diff in result.updated
    ]
    statement = (
        update(_CONTRACTS)
        .where(_CONTRACTS.c.contract == bindparam("key"))
        .values(
            {
                name: bindparam(name)
                for name in (
                    "apartment_id", "tenant_name", "personnummer", "co_tenants", "move_in",
                    "move_out", "digest", "updated_at", "source",
                )
            }
        )
    )  # fmt: skip
    for chunk in _chunks(changed_rows, 2000):
        session.connection().execute(statement, list(chunk))
    logs = [
        _log_row(now, actor, source, r.contract, "created", _created_log(r)) for r in result.created
    ]
    logs += [
        _log_row(now, actor, source, r.contract, "updated", diff) for r, diff in result.updated
    ]
    for chunk in _chunks(logs, 2000):
        session.connection().execute(insert(_LOG), list(chunk))
    _log_summary(session, result, now, actor, source)


def _created_log(row: RegisterRow) -> dict[str, Any]:
    """A new contract's log entry names the fields it came with (the values are in the register;
    the log does not copy personal data)."""
    return {"fält": [name for name, value in _values(row).items() if value]}


def _log_row(
    now: datetime, actor: str, source: str, contract: str | None, action: str, changes: Any
) -> dict[str, Any]:
    return {
        "at": now,
        "actor": actor,
        "source": source[:200],
        "contract": contract,
        "action": action,
        "changes": changes,
    }


def _log_summary(session: Session, result: Plan, now: datetime, actor: str, source: str) -> None:
    session.connection().execute(
        insert(_LOG),
        _log_row(
            now,
            actor,
            source,
            None,
            "import",
            {
                "created": len(result.created),
                "updated": len(result.updated),
                "unchanged": result.unchanged,
            },
        ),
    )


def _apartments(session: Session, rows: Iterable[RegisterRow]) -> dict[tuple[str, str], int]:
    """The id of every apartment the rows name; new ones inserted, changed details updated."""
    wanted: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        wanted[row.apartment_key()] = {
            "address": row.address,
            "number": row.apartment,
            **{name: getattr(row, name) for name in APARTMENT_FIELDS},
        }
    known = _known_apartments(session, list(wanted))
    new = [values for key, values in wanted.items() if key not in known]
    for chunk in _chunks(new, 2000):
        session.connection().execute(insert(_APARTMENTS), list(chunk))
    changed = [
        {**values, "key_id": known[key][0]}
        for key, values in wanted.items()
        if key in known and known[key][1] != tuple(values[n] for n in APARTMENT_FIELDS)
    ]
    if changed:
        statement = (
            update(_APARTMENTS)
            .where(_APARTMENTS.c.id == bindparam("key_id"))
            .values({name: bindparam(name) for name in APARTMENT_FIELDS})
        )
        for chunk in _chunks(changed, 2000):
            session.connection().execute(
                statement,
                [{k: v for k, v in c.items() if k not in ("address", "number")} for c in chunk],
            )
    if new:
        known = _known_apartments(session, list(wanted))
    return {key: value[0] for key, value in known.items()}


def _known_apartments(
    session: Session, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], tuple[int, tuple[Any, ...]]]:
    columns = (
        _APARTMENTS.c.id,
        _APARTMENTS.c.address,
        _APARTMENTS.c.number,
        *(_APARTMENTS.c[name] for name in APARTMENT_FIELDS),
    )
    found: dict[tuple[str, str], tuple[int, tuple[Any, ...]]] = {}
    if len(keys) > 5000:
        statement = select(*columns)
        rows = session.execute(statement)
        wanted = set(keys)
        for id_, address, number, *rest in rows:
            if (address, number) in wanted:
                found[(address, number)] = (id_, tuple(rest))
        return found
    for chunk in _chunks(sorted({address for address, _n in keys})):
        for id_, address, number, *rest in session.execute(
            select(*columns).where(_APARTMENTS.c.address.in_(chunk))
        ):
            found[(address, number)] = (id_, tuple(rest))
    return found


def _contract_row(
    row: RegisterRow, apartment_ids: dict[tuple[str, str], int], now: datetime, source: str
) -> dict[str, Any]:
    return {
        "contract": row.contract,
        "apartment_id": apartment_ids[row.apartment_key()],
        "tenant_name": row.tenant,
        "personnummer": row.personnummer,
        "co_tenants": list(row.co_tenants),
        "move_in": row.move_in,
        "move_out": row.move_out,
        "digest": row.digest,
        "updated_at": now,
        "source": source[:200],
    }


# --- reading -------------------------------------------------------------------------------------------


def find_contract(
    session: Session,
    *,
    contract: str | None = None,
    address: str | None = None,
    apartment: str | None = None,
) -> dict[str, Any] | None:
    """A contract with its apartment, by number or (else) by address and apartment number (the
    latest contract of the apartment: the one without a move-out, else the last to move in)."""
    statement = select(
        _CONTRACTS.c.contract,
        _CONTRACTS.c.tenant_name,
        _CONTRACTS.c.personnummer,
        _CONTRACTS.c.co_tenants,
        _CONTRACTS.c.move_in,
        _CONTRACTS.c.move_out,
        _APARTMENTS.c.address,
        _APARTMENTS.c.number,
        *(_APARTMENTS.c[name] for name in APARTMENT_FIELDS),
    ).join(_APARTMENTS, _APARTMENTS.c.id == _CONTRACTS.c.apartment_id)
    if contract:
        statement = statement.where(_CONTRACTS.c.contract == contract.strip())
    elif address and apartment:
        statement = statement.where(
            _APARTMENTS.c.address == address.strip(), _APARTMENTS.c.number == apartment.strip()
        )
    else:
        return None
    rows = [dict(m) for m in session.execute(statement).mappings()]
    if not rows:
        return None
    rows.sort(key=lambda r: (r["move_out"] is None, r["move_in"] or date.min))
    return rows[-1]


def open_cases_of(session: Session, contracts: Sequence[str]) -> dict[str, list[Case]]:
    """The open cases of each contract number."""
    found: dict[str, list[Case]] = {}
    for chunk in _chunks(list(contracts)):
        for case in session.scalars(
            select(Case).where(Case.contract.in_(chunk), Case.status == "open").order_by(Case.id)
        ):
            assert case.contract is not None
            found.setdefault(case.contract, []).append(case)
    return found
