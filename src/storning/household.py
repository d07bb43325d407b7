"""Who holds the lease: the tenant and any co-tenants, each a contract holder in their own right.

12 kap. 8 § JB: a written termination is served on each person it is aimed at, so every contract
holder gets their own termination (and 44 § notice), and the case records the sending and service of
each (DOMAIN §4). A spouse or sambo who lives in the flat without being a contract holder is not served
the termination; see `household_member` in the workflows (12 kap. 47 § and 49 § andra stycket JB).

Co-tenants are stored on the case as `[{"name": …, "personnummer": …}]`; cases from before the
personnummer was kept hold plain names, which read the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class ContractHolder:
    """One person on the lease. `index` 0 is the tenant the case is about; co-tenants follow."""

    index: int
    name: str
    personnummer: str | None = None


class HasHolders(Protocol):
    tenant_name: str
    personnummer: str | None
    co_tenants: list[Any]


def co_tenant(entry: Any) -> tuple[str, str | None]:
    """(name, personnummer) of a stored co-tenant, old (a plain name) or new (a mapping)."""
    if isinstance(entry, dict):
        return str(entry.get("name") or ""), entry.get("personnummer") or None
    return str(entry), None


def stored_co_tenants(entries: Iterable[tuple[str, str | None]]) -> list[dict[str, str | None]]:
    """How co-tenants are stored on the case."""
    return [{"name": name, "personnummer": number} for name, number in entries]


def co_tenant_names(case: HasHolders) -> list[str]:
    return [co_tenant(entry)[0] for entry in case.co_tenants or []]


def contract_holders(case: HasHolders) -> list[ContractHolder]:
    """The tenant and every co-tenant, in the order the case lists them."""
    holders = [ContractHolder(0, case.tenant_name, case.personnummer)]
    for index, entry in enumerate(case.co_tenants or [], start=1):
        name, number = co_tenant(entry)
        holders.append(ContractHolder(index, name, number))
    return holders


def parse_co_tenants(
    lines: Iterable[str], today: Any, previous: Iterable[Any] = (), tenant: str | None = None
) -> list[dict[str, str | None]]:
    """Co-tenants as typed: one a line, "Namn" or "Namn, ÅÅÅÅMMDD-NNNN". A number given back in its
    masked form (ÅÅÅÅMMDD-****, as a page shows it) keeps the stored number it masks, whatever the
    name now says (a corrected spelling); a masked number that masks none is refused. Every contract
    holder needs a name of their own (each gets their own letters). Checked by the shared field rules."""
    from storning import validation
    from storning.errors import InvalidInput

    stored = [number for _name, number in map(co_tenant, previous) if number]
    result: list[tuple[str, str | None]] = []
    for line in lines:
        text = (line or "").strip()
        if not text:
            continue
        name_part, number_part = text, None
        head, sep, tail = text.rpartition(",")
        if sep and _looks_like_number(tail):
            name_part, number_part = head.strip(), tail.strip()
        name = validation.text("co_tenant", name_part, required=True)
        assert name is not None
        if number_part is not None and validation.is_masked_personnummer(number_part):
            masked = number_part.strip()
            same = [n for n in stored if validation.masked_personnummer(n) == masked]
            if len(same) != 1:
                raise InvalidInput(
                    f"Personnumret {masked} för {name} är maskerat och motsvarar inget sparat "
                    "nummer; skriv hela numret (ÅÅÅÅMMDD-NNNN)."
                )
            number: str | None = same[0]
        else:
            number = validation.personnummer(number_part, today)
        result.append((name, number))
    names = [n.casefold() for n in [tenant or "", *(name for name, _ in result)] if n]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidInput(
            "Varje kontraktsinnehavare ska stå med ett eget namn (var och en får egna brev); "
            f"{', '.join(duplicates)} står mer än en gång."
        )
    return stored_co_tenants(result)


def co_tenant_lines(case: HasHolders) -> list[str]:
    """The co-tenants as typed lines, numbers masked (they read back as the stored ones)."""
    from storning.validation import masked_personnummer

    return [
        f"{name}, {masked_personnummer(number)}" if number else name
        for name, number in map(co_tenant, case.co_tenants or [])
    ]


def _looks_like_number(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and all(c.isdigit() or c in "-+* " for c in stripped)


def holder_index(case: HasHolders, data: dict[str, Any]) -> int | None:
    """Which contract holder a per-holder letter (its `data`) goes to, as the case lists them now: the
    holder with the name it was drafted for (names are unique on a case), or None — a letter to
    someone who is no longer listed, or whose name has been changed since, counts for nobody."""
    if "holder" not in data:
        return None
    frozen = str(data.get("holder_name") or "")
    for h in contract_holders(case):
        if h.name == frozen:
            return h.index
    return None
