"""The intake queue (inkorgen): what arrived from outside and waits for an officer.

Two kinds arrive: `jour` (a night-patrol report that matched no open case) and `dagbok` (a
complainant's own diary entry, through a personal link). Each item keeps what arrived as its
`payload`, with these keys (all optional but `text`):

| key                | meaning                                                               |
|--------------------|-----------------------------------------------------------------------|
| `at`, `ends_at`    | when it began and ended, ISO 8601 (with offset, or the landlord's zone)|
| `kind`             | the incident kind (`noise`, `threat`, …; default `noise`)             |
| `text`             | what was observed                                                     |
| `place`            | where it was heard or seen                                            |
| `reporter`         | who reported it (a complainant: hidden when `protected`)              |
| `witnesses`        | other people who heard or saw it                                      |
| `verification`     | the patrol's own words about how it verified the disturbance          |
| `police_reference` | the police's reference (K-number)                                     |
| `tenant`           | the tenant named in the report, if any                                |

This module writes and reads the rows; who may see or resolve them is decided in
`storning.services.intake` (DESIGN invariant 9).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import BindParameter, and_, bindparam, func, insert, or_, select
from sqlalchemy.orm import Session

from storning.store.models import IntakeItem, table
from storning.store.prepared import Prepared

Kind = Literal["jour", "dagbok"]
KINDS: tuple[str, ...] = ("jour", "dagbok")
STATUSES: tuple[str, ...] = ("open", "attached", "opened", "dismissed")
KIND_LABELS = {"jour": "Störningsjour", "dagbok": "Anmälarens dagbok"}
STATUS_LABELS = {
    "open": "Att hantera",
    "attached": "Kopplad till ärende",
    "opened": "Nytt ärende öppnat",
    "dismissed": "Avfärdad",
}

_ITEMS = table(IntakeItem)


def add_item(session: Session, values: Mapping[str, Any]) -> int:
    """Put one item (its row from `item_values`) in the queue inside the caller's transaction and
    return its id.

    Idempotent on (`kind`, `external_id`): an item that already arrived with the same external id is
    not stored again and its id is returned."""
    external_id = values["external_id"]
    if external_id is not None:
        existing = session.scalar(
            select(IntakeItem.id).where(
                IntakeItem.kind == values["kind"], IntakeItem.external_id == external_id
            )
        )
        if existing is not None:
            return existing
    result = session.connection().execute(insert(_ITEMS).returning(_ITEMS.c.id), dict(values))
    return int(result.scalar_one())


def item_values(
    kind: str,
    payload: Mapping[str, Any],
    *,
    external_id: str | None,
    received_at: datetime,
    source: str,
    case_id: int | None = None,
    team: str | None = None,
    address: str | None = None,
    apartment: str | None = None,
    contract: str | None = None,
    observed_at: datetime | None = None,
    protected: bool = False,
    status: str = "open",
    resolved_by: str | None = None,
    incident_id: int | None = None,
) -> dict[str, Any]:
    """The row of one item, for `add_item` or a bulk insert (`insert_many`).

    `case_id` names the case the item is about when it is known (a diary entry through a case's
    link): the item is then suggested for that case and seen by the case's `team`. `protected` hides
    `payload["reporter"]` from anyone who may not see the case's protected complainants. Pass
    `status="attached"`, `resolved_by` and `incident_id` to record an item that was matched on
    arrival (the jour import does)."""
    if kind not in KINDS:
        raise ValueError(f"unknown intake kind {kind!r}")
    resolved = status != "open"
    return {
        "kind": kind,
        "external_id": external_id,
        "source": source[:200],
        "received_at": received_at,
        "observed_at": observed_at,
        "address": address,
        "apartment": apartment,
        "contract": contract,
        "case_id": case_id,
        "team": team,
        "protected": protected,
        "status": status,
        "payload": dict(payload),
        "resolved_at": received_at if resolved else None,
        "resolved_by": resolved_by if resolved else None,
        "reason": None,
        "incident_id": incident_id,
    }


def insert_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert prepared rows (`item_values`) in one executemany."""
    if rows:
        session.connection().execute(insert(_ITEMS), rows)


def known_external_ids(session: Session, kind: str, external_ids: Iterable[str]) -> set[str]:
    """Which of `external_ids` already arrived (in chunks, for large imports)."""
    wanted = list(dict.fromkeys(external_ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(
            e
            for e in session.scalars(
                select(IntakeItem.external_id).where(
                    IntakeItem.kind == kind, IntakeItem.external_id.in_(chunk)
                )
            )
            if e is not None
        )
    return found


def team_filter(team: str | BindParameter[str] | None, everything: bool) -> Any:
    """The items a principal of `team` sees: its team's and those no team owns yet (an admin:
    `everything`)."""
    if everything:
        return and_(True)
    if team is None:
        return IntakeItem.team.is_(None)
    return or_(IntakeItem.team.is_(None), IntakeItem.team == team)


def _open_count(visible: Any) -> Prepared:
    return Prepared(
        select(func.count()).select_from(IntakeItem).where(IntakeItem.status == "open", visible)
    )


# The menu's badge is asked on every page: prepared (store.prepared), one per kind of principal.
_OPEN_COUNT_ALL = _open_count(team_filter(None, everything=True))
_OPEN_COUNT_NO_TEAM = _open_count(team_filter(None, everything=False))
_OPEN_COUNT_TEAM = _open_count(team_filter(bindparam("team"), everything=False))


def open_count(session: Session, team: str | None, everything: bool) -> int:
    """How many open items a principal of `team` sees (the menu's badge; `team_filter`)."""
    if everything:
        return int(_OPEN_COUNT_ALL.scalar(session, {}))
    if team is None:
        return int(_OPEN_COUNT_NO_TEAM.scalar(session, {}))
    return int(_OPEN_COUNT_TEAM.scalar(session, {"team": team}))


def get_item(session: Session, item_id: int, *, lock: bool = False) -> IntakeItem | None:
    statement = select(IntakeItem).where(IntakeItem.id == item_id)
    if lock:
        statement = statement.with_for_update()
    return session.scalar(statement)
