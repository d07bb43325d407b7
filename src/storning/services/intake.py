"""Use cases on the intake queue (inkorgen): put an item in it, list what a principal may see, and
the officer's three actions — attach an item to a case (an incident is recorded on the case), open a
new case from it, or dismiss it with a reason.

Who sees what: an item that names a case belongs to that case's team; an item that matched no case
belongs to no team yet and is seen by every officer (and reader); an admin sees everything. Readers
(`lasare`) see their team's items but may not act on them. A protected complainant's name and
witnesses (`payload["reporter"]`, `payload["witnesses"]`) are shown only to those who may act, as on
the case (`access.can_see_protected`).

Verification: a night-patrol report (`jour`) becomes an incident verified by `jour` (störningsjour,
RH 2018:23: the landlord's own verification); a complainant's diary entry (`dagbok`) becomes an
unverified incident (a neighbour's report only).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from storning import access, validation
from storning.access import Principal, principal_of
from storning.app import App
from storning.clock import iso
from storning.errors import InvalidInput, NotFound, PermissionDenied
from storning.intake import queue
from storning.intake.queue import KIND_LABELS, STATUS_LABELS, Kind
from storning.services.common import (
    PROTECTED,
    _actor,
    _change,
    _record,
    log_access,
    scope_of,
    unit,
)
from storning.services.incidents import _recorded, incident_times
from storning.store.models import Case, Incident, IntakeItem, User, table
from storning.vocabulary import INCIDENT_KINDS

_INSERT_INCIDENT = insert(table(Incident)).returning(table(Incident).c.id)
VERIFIED_BY: dict[str, str | None] = {"jour": "jour", "dagbok": None}
HIDDEN_KEYS = ("reporter", "witnesses", "disturbed")


# --- arrival -------------------------------------------------------------------------------------------


def add_item(
    app: App,
    kind: Kind,
    payload: Mapping[str, Any],
    *,
    external_id: str | None,
    received_at: datetime,
    source: str,
    case_ref: str | None = None,
    protected: bool = False,
) -> int:
    """Put one item in the queue in its own transaction and return its id (idempotent on `kind` and
    `external_id`: a second arrival returns the first one's id). `case_ref` names the case the item
    is about (a diary entry through the case's link); the item then belongs to the case's team.
    Inside another use case's transaction, call `storning.intake.queue.add_item(session, item_values(…))`."""
    with unit(app) as session:
        case_id, team = None, None
        if case_ref:
            case = session.scalar(select(Case).where(Case.ref == case_ref.strip().upper()))
            if case is None:
                raise NotFound(f"Det finns inget ärende '{case_ref}'.")
            case_id, team = case.id, case.team
        return queue.add_item(
            session,
            queue.item_values(
                kind,
                payload,
                external_id=external_id,
                received_at=received_at,
                source=source,
                case_id=case_id,
                team=team,
                protected=protected,
            ),
        )


# --- who sees what -------------------------------------------------------------------------------------


def _may_see(principal: Principal, item: IntakeItem, case: Case | None) -> bool:
    if case is not None:
        return access.can_read(principal, scope_of(case))
    if principal.is_admin:
        return True
    if not (access.may_act_at_all(principal) or "lasare" in principal.roles):
        return False
    return item.team is None or item.team == principal.team


def _may_act(principal: Principal, item: IntakeItem, case: Case | None) -> bool:
    if case is not None:
        return access.can_act(principal, scope_of(case))
    return access.may_act_at_all(principal) and _may_see(principal, item, case)


def _may_see_protected(principal: Principal, item: IntakeItem, case: Case | None) -> bool:
    return _may_act(principal, item, case)


def _everything(principal: Principal) -> bool:
    return principal.is_admin


def item_document(
    app: App, item: IntakeItem, case: Case | None, principal: Principal
) -> dict[str, Any]:
    """One item as `principal` may see it: who reported it and the witnesses only for those who may
    act on it (as on the case, where an incident's reporter is shown only to them), whether or not
    the item came from a protected complainant."""
    payload = dict(item.payload or {})
    if not _may_see_protected(principal, item, case):
        for key in HIDDEN_KEYS:
            if payload.get(key):
                payload[key] = PROTECTED
    return {
        "id": item.id,
        "kind": item.kind,
        "kind_label": KIND_LABELS.get(item.kind, item.kind),
        "external_id": item.external_id,
        "source": item.source,
        "received_at": iso(item.received_at, app.zone),
        "observed_at": iso(item.observed_at, app.zone),
        "address": item.address,
        "apartment": item.apartment,
        "contract": item.contract,
        "case": case.ref if case is not None else None,
        "team": item.team,
        "protected": item.protected,
        "status": item.status,
        "status_label": STATUS_LABELS.get(item.status, item.status),
        "payload": payload,
        "resolved_at": iso(item.resolved_at, app.zone),
        "resolved_by": item.resolved_by,
        "reason": item.reason,
        "incident_id": item.incident_id,
        "may_act": item.status == "open" and _may_act(principal, item, case),
    }


def list_items(
    app: App, actor: str, now: datetime, *, status: str = "open", limit: int = 500
) -> list[dict[str, Any]]:
    """The items `actor` may see with the given status (`all` for every status), newest first.
    Written to the access log (the items hold reporters' names and what they saw)."""
    if status != "all" and status not in queue.STATUSES:
        raise InvalidInput(
            f"Okänd status '{status}'; välj en av {', '.join(queue.STATUSES)} eller all."
        )
    with unit(app) as session:
        principal = principal_of(_actor(app, session, actor))
        statement = (
            select(IntakeItem, Case)
            .outerjoin(Case, Case.id == IntakeItem.case_id)
            .where(queue.team_filter(principal.team, _everything(principal)))
            .order_by(IntakeItem.received_at.desc(), IntakeItem.id.desc())
            .limit(limit)
        )
        if status != "all":
            statement = statement.where(IntakeItem.status == status)
        items = [
            item_document(app, item, case, principal)
            for item, case in session.execute(statement)
            if _may_see(principal, item, case)
        ]
        log_access(
            session,
            principal.username,
            now,
            None,
            "intake_list",
            f"status={status}, {len(items)} poster",
        )
        return items


def show_item(app: App, actor: str, now: datetime, item_id: int) -> dict[str, Any]:
    """One item as `actor` may see it (written to the access log); an item one may not see does not
    exist for one."""
    with unit(app) as session:
        principal = principal_of(_actor(app, session, actor))
        item, case = _visible_item(session, principal, item_id)
        log_access(session, principal.username, now, item.case_id, "intake_view", f"post {item.id}")
        return item_document(app, item, case, principal)


def open_in(session: Session, principal: Principal) -> int:
    """How many open items the principal sees (the menu's badge: services.menu)."""
    if not (access.may_act_at_all(principal) or "lasare" in principal.roles):
        return 0
    return queue.open_count(session, principal.team, _everything(principal))


def _visible_item(
    session: Session, principal: Principal, item_id: int, *, lock: bool = False
) -> tuple[IntakeItem, Case | None]:
    item = queue.get_item(session, item_id, lock=lock)
    case = session.get(Case, item.case_id) if item is not None and item.case_id else None
    if item is None or not _may_see(principal, item, case):
        raise NotFound(f"Det finns ingen post {item_id} i inkorgen som du har tillgång till.")
    return item, case


def _open_item_for_action(
    session: Session, principal: Principal, item_id: int, *, lock: bool = True
) -> tuple[IntakeItem, Case | None]:
    """An item still to be handled that `principal` may act on (locked for the change, unless
    `lock` is false: the new-case form only reads it)."""
    item, case = _visible_item(session, principal, item_id, lock=lock)
    if not _may_act(principal, item, case):  # a reader is told so, whatever the item's status
        raise PermissionDenied("Du har bara läsbehörighet till inkorgen.")
    if item.status != "open":
        raise InvalidInput(
            f"Posten {item_id} i inkorgen är redan hanterad "
            f"({STATUS_LABELS.get(item.status, item.status).lower()})."
        )
    return item, case


# --- the officer's actions -----------------------------------------------------------------------------


def record_incident(
    app: App,
    session: Session,
    case: Case,
    user: User,
    now: datetime,
    kind: str,
    payload: Mapping[str, Any],
    fallback_at: datetime,
) -> int:
    """Record the item's incident on the locked `case` (the caller's transaction) and offer
    `incident_recorded` to every track, as `services.incidents.add_incident` does; returns its id."""
    values = incident_values(app, case, user, now, kind, payload, fallback_at)
    incident = Incident(
        id=session.connection().execute(_INSERT_INCIDENT, values).scalar_one(), **values
    )
    entry = _record(
        session,
        case,
        user,
        now,
        "incident_added",
        {"incident_id": incident.id, "kind": incident.kind, "at": incident.at.isoformat()},
    )
    _recorded(app, session, case, user, now, incident, entry)
    return incident.id


def incident_values(
    app: App,
    case: Case,
    user: User,
    now: datetime,
    kind: str,
    payload: Mapping[str, Any],
    fallback_at: datetime,
) -> dict[str, Any]:
    """The incident row an item gives (checked by the incident service's rules)."""
    times = incident_times(app, now, payload.get("at") or fallback_at, payload.get("ends_at"))
    incident_kind = str(payload.get("kind") or "noise")
    if incident_kind not in INCIDENT_KINDS:
        raise InvalidInput(
            f"Okänd händelsetyp '{incident_kind}'; välj en av {', '.join(INCIDENT_KINDS)}."
        )
    return {
        "case_id": case.id,
        "at": times.at,
        "ends_at": times.ends_at,
        "time_known": times.time_known,
        "kind": incident_kind,
        "text": validation.text("text", incident_text(kind, payload), required=True),
        "place": validation.text("place", _short(payload.get("place"), 200)),
        "verified_by": VERIFIED_BY[kind],
        "reporter": validation.text("reporter", _reporter(payload)),
        "recorded_at": now,
        "recorded_by": user.username,
    }


def _reporter(payload: Mapping[str, Any]) -> str | None:
    """Who reported it, with the witnesses and who was disturbed: people the tenant must not learn
    of from the incident's text (letters and reports quote it), so they go where the case document
    protects them (the incident's reporter, shown only to those who may see protected
    complainants)."""
    parts = [str(payload[k]).strip() for k in ("reporter",) if payload.get(k)]
    if payload.get("witnesses"):
        parts.append(f"vittnen: {str(payload['witnesses']).strip()}")
    if payload.get("disturbed"):
        parts.append(f"störde: {str(payload['disturbed']).strip()}")
    return _short("; ".join(parts), 200)


def _short(value: Any, limit: int) -> str | None:
    return None if value in (None, "") else str(value).strip()[:limit]


def incident_text(kind: str, payload: Mapping[str, Any]) -> str:
    """The incident's description: what was observed, with the patrol's verification and the police
    reference on their own lines (never who reported it or the witnesses: see `_reporter`)."""
    lines = [str(payload.get("text") or "").strip()]
    if payload.get("verification"):
        lines.append(f"Jourens verifiering: {payload['verification']}")
    if payload.get("police_reference"):
        lines.append(f"Polisens diarienummer: {payload['police_reference']}")
    if kind == "jour" and payload.get("external_id"):
        lines.append(f"Jourrapport {payload['external_id']}")
    return "\n".join(line for line in lines if line)[:4000]


def attach_item(
    app: App,
    actor: str,
    now: datetime,
    item_id: int,
    ref: str,
    *,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Attach an open item to the case `ref`: an incident is recorded on the case (verified by `jour`
    for a night-patrol report, unverified for a diary entry) in the same transaction as the item is
    marked attached. Returns the item as the actor now sees it."""
    result: dict[str, Any] = {}
    attach = _attaching(app, now, item_id, "attached", result)
    _change(app, actor, now, ref, expected_version, attach, document=False, action="intake_attach")
    return result


def _attaching(
    app: App, now: datetime, item_id: int, status: str, result: dict[str, Any]
) -> Callable[[Session, Case, User], None]:
    """The work of attaching the item to a case in the case's transaction: the item locked and
    checked, its incident recorded on the case, the item marked `status` (attached, or opened with
    a new case); `result` gets the item as the actor then sees it."""

    def attach(session: Session, case: Case, user: User) -> None:
        principal = principal_of(user)
        item, _about = _open_item_for_action(session, principal, item_id)  # locked
        incident_id = record_incident(
            app, session, case, user, now, item.kind, item.payload or {}, item.received_at
        )
        _resolve(item, status, user, now, None)
        item.case_id, item.team, item.incident_id = case.id, case.team, incident_id
        session.flush()
        result.update(item_document(app, item, case, principal))

    return attach


def dismiss_item(app: App, actor: str, now: datetime, item_id: int, reason: str) -> dict[str, Any]:
    """Dismiss an open item with a written reason (kept on the item); nothing is recorded on a case."""
    why = validation.text("reason", reason, required=True)
    with unit(app) as session:
        principal = principal_of(_actor(app, session, actor))
        item, case = _open_item_for_action(session, principal, item_id)
        _resolve(item, "dismissed", None, now, why, actor=principal.username)
        session.flush()
        return item_document(app, item, case, principal)


def _resolve(
    item: IntakeItem,
    status: str,
    user: User | None,
    now: datetime,
    reason: str | None,
    *,
    actor: str | None = None,
) -> None:
    item.status = status
    item.resolved_at = now
    item.resolved_by = user.username if user is not None else actor
    item.reason = reason


@dataclass(frozen=True)
class Prefill:
    """What a new case opened from an item starts with: the register's tenancy when the item names
    a known contract or apartment, otherwise the item's own address."""

    values: dict[str, Any]
    missing: list[str]


def prefill_for_item(app: App, actor: str, now: datetime, item_id: int) -> dict[str, Any]:
    """The new-case form's values for an item (from the tenancy register where the item's contract or
    address and apartment are known there), and which required values are still missing. Only for
    an item still to be handled, and for someone who may open a case from it."""
    from storning.services.register import lookup_in_session

    with unit(app) as session:
        principal = principal_of(_actor(app, session, actor))
        item, case = _open_item_for_action(session, principal, item_id, lock=False)
        log_access(session, principal.username, now, item.case_id, "intake_view", f"post {item.id}")
        found = lookup_in_session(
            session, now, contract=item.contract, address=item.address, apartment=item.apartment
        )
        values: dict[str, Any] = {
            "address": item.address or "",
            "apartment": item.apartment or "",
            "contract": item.contract or "",
            "tenant": str((item.payload or {}).get("tenant") or ""),
        }
        if found is not None:
            values.update({k: v for k, v in found["values"].items() if v})
        missing = [
            label
            for name, label in (
                ("tenant", "hyresgästens namn"),
                ("address", "adress"),
                ("apartment", "lägenhetsnummer"),
            )
            if not values.get(name)
        ]
        return {
            "item": item_document(app, item, case, principal),
            "values": values,
            "missing": missing,
        }


def open_case_from_item(
    app: App, actor: str, now: datetime, item_id: int, new: Any
) -> dict[str, Any]:
    """Open a new case (`new`: a `services.cases.NewCase`, usually pre-filled with
    `prefill_for_item`) with the item attached to it (its incident recorded on the case), in one
    transaction: the item is locked and checked there, so of two officers opening a case from the
    same item at once one opens it and the other is told it is handled, and nothing is opened for
    a handled or invisible item. Returns the new case's document with `intake_item`."""
    from storning.services.cases import open_case

    with unit(app, write=False) as session:  # refused at once, before the new case's fields
        principal = principal_of(_actor(app, session, actor))
        _open_item_for_action(session, principal, item_id, lock=False)
    item_doc: dict[str, Any] = {}
    document = open_case(
        app, actor, now, new, then=_attaching(app, now, item_id, "opened", item_doc)
    )
    document["intake_item"] = item_doc
    return document


def new_case_for_item(
    app: App, actor: str, now: datetime, item_id: int, given: Mapping[str, Any]
) -> Any:
    """The `services.cases.NewCase` for a case opened from an item: what the officer gave (`type`,
    `tenant`, `address`, `apartment`, `contract`, …) over the item's pre-filled values."""
    from storning.services.cases import NewCase

    prefill = prefill_for_item(app, actor, now, item_id)
    values = {**prefill["values"], **{k: v for k, v in given.items() if v not in (None, "")}}
    co = values.get("co_tenants") or []
    return NewCase(
        case_type=str(values.get("type") or "storning"),
        tenant=str(values.get("tenant") or ""),
        address=str(values.get("address") or ""),
        apartment=str(values.get("apartment") or ""),
        municipality=values.get("municipality"),
        contract=values.get("contract") or None,
        postal_code=values.get("postal_code"),
        city=values.get("city"),
        co_tenants=[str(c) for c in co] if isinstance(co, list) else str(co).splitlines(),
        personnummer=values.get("personnummer"),
    )
