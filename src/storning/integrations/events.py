"""The outbound event feed: the journal entries another system cares about, as small JSON objects.

An event is derived from one journal row, and its `id` is that row's id, so the feed is ordered,
gap-tolerant and can be resumed with `after=<id>`. The mapping (the workflows' ids, DESIGN §5–6):

| event                      | journal row                                                    |
|----------------------------|----------------------------------------------------------------|
| `case_opened`              | `case_opened`                                                  |
| `uppmaning_given`          | `letter_sent` of the template `uppmaning`                      |
| `social_services_notified` | the authority track reaches `notified`                         |
| `termination_served`       | the legal track reaches `terminated_served`                    |
| `eviction_applied`         | the legal track reaches `kronofogden` (application to Kronofogden) |
| `lease_recovered`          | the legal track reaches `recovered` (hyresskuld)               |
| `evicted`                  | the legal track reaches `evicted`                              |
| `case_closed`              | the legal track reaches `closed`                               |

An event carries the case's reference and type, the team, the time and the event, and nothing about
any person: no tenant, no complainant (protected or not), no officer, no free text.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, and_, or_, select
from sqlalchemy.orm import Session

from storning.store.models import Case, JournalEntry, User

EVENT_TYPES: dict[str, str] = {
    "case_opened": "Ärendet öppnat",
    "uppmaning_given": "Uppmaning (rättelseanmaning) given",
    "social_services_notified": "Socialnämnden underrättad",
    "termination_served": "Uppsägningen delgiven",
    "eviction_applied": "Avhysning begärd hos Kronofogden",
    "lease_recovered": "Hyresrätten återvunnen",
    "evicted": "Avhyst",
    "case_closed": "Ärendet avslutat",
}
_STATES: dict[tuple[str, str], str] = {
    ("authority", "notified"): "social_services_notified",
    ("legal", "terminated_served"): "termination_served",
    ("legal", "kronofogden"): "eviction_applied",
    ("legal", "recovered"): "lease_recovered",
    ("legal", "evicted"): "evicted",
    ("legal", "closed"): "case_closed",
}
_TEMPLATES = {"uppmaning": "uppmaning_given"}


def _candidates() -> Any:
    """The rows that may be events (narrowed in SQL; `event_of` decides)."""
    by_state = [
        and_(JournalEntry.track == track, JournalEntry.to_state == state)
        for track, state in _STATES
    ]
    return or_(JournalEntry.event.in_(["case_opened", "letter_sent"]), *by_state)


def event_of(
    event: str,
    track: str | None,
    from_state: str | None,
    to_state: str | None,
    params: dict[str, Any] | None,
) -> str | None:
    """The feed's event for one journal row, or None."""
    if event == "case_opened":
        return "case_opened"
    if event == "letter_sent":
        return _TEMPLATES.get(str((params or {}).get("template")))
    if track is not None and to_state is not None and from_state != to_state:
        return _STATES.get((track, to_state))
    return None


def scan(
    session: Session, after: int, limit: int, zone: ZoneInfo
) -> tuple[list[tuple[dict[str, Any], str | None, str]], int]:
    """Up to `limit` events after the journal id `after`, each with its case's team and owner (for
    the reader's access check), and the last journal id looked at (the next `after`)."""
    rows = session.execute(
        select(
            JournalEntry.id,
            JournalEntry.at,
            JournalEntry.event,
            JournalEntry.track,
            JournalEntry.from_state,
            JournalEntry.to_state,
            JournalEntry.params,
            Case.ref,
            Case.case_type,
            Case.team,
            User.username,
        )
        .join(Case, Case.id == JournalEntry.case_id)
        .join(User, User.id == Case.owner_id)
        .where(JournalEntry.id > after, _candidates())
        .order_by(JournalEntry.id)
        .limit(limit * 2 + 10)
    ).all()
    found: list[tuple[dict[str, Any], str | None, str]] = []
    last = after
    for row in rows:
        if len(found) >= limit:
            break
        last = row.id
        event = event_of(row.event, row.track, row.from_state, row.to_state, row.params)
        if event is not None:
            found.append((as_json(row, event, zone), row.team, row.username))
    return found, last


def as_json(row: Row[Any], event: str, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": row.id,
        "event": event,
        "label": EVENT_TYPES[event],
        "at": row.at.astimezone(zone).isoformat(timespec="seconds"),
        "case": {"ref": row.ref, "type": row.case_type},
        "team": row.team,
    }
