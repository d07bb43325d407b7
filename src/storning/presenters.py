"""The case as the JSON contract describes it (DESIGN.md §7), used by the CLI, the web and the API."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row
from sqlalchemy.orm import Session

from storning.clock import iso
from storning.engine import Engine
from storning.household import co_tenant_names, contract_holders
from storning.journal import journal_rows
from storning.store import queries
from storning.store.models import Case, Complainant, Letter, Timer, User
from storning.store.queries import (
    IncidentRow,
    complainant_rows,
    incidents_of,
    letter_rows,
    timer_rows,
)
from storning.validation import masked_personnummer
from storning.vocabulary import INCIDENT_KINDS, verification_label


def case_document(
    session: Session, engine: Engine, case: Case, actor: User, now: datetime
) -> dict[str, Any]:
    zone = engine.zone
    workflow = engine.workflow_of(session, case)
    journal = journal_rows(session, case.id)
    parents = {e.id: e.caused_by for e in journal}
    tracks = {}
    for name, track in workflow.tracks.items():
        row = case.track_state(name)
        tracks[name] = {
            "state": row.state,
            "label": track.label(row.state),
            "since": iso(row.since, zone),
            "title": track.title,
            "final": track.is_final(row.state),
        }
    return {
        "ref": case.ref,
        "type": case.case_type,
        "workflow_version": case.workflow_version,
        "status": case.status,
        "version": case.version,
        "opened_at": iso(case.opened_at, zone),
        "closed_at": iso(case.closed_at, zone),
        "owner": case.owner.username,
        "team": case.team,
        "tenant": {
            "name": case.tenant_name,
            "co_tenants": co_tenant_names(case),
            # every contract holder, each with their own terminations; personnummer masked
            "contract_holders": [
                {"name": h.name, "personnummer": masked_personnummer(h.personnummer)}
                for h in contract_holders(case)
            ],
            "address": case.address,
            "postal_code": case.postal_code,
            "city": case.city,
            "apartment": case.apartment,
            "municipality": case.municipality,
            "contract": case.contract,
            # masked: the full number appears only in the application to Kronofogden
            "personnummer": masked_personnummer(case.personnummer),
        },
        "complainants": [complainant_dict(c) for c in complainant_rows(session, case.id)],
        "tracks": tracks,
        "actions": [a.as_dict() for a in engine.available_actions(session, case, actor, now)],
        "timers": [timer_dict(t, zone) for t in timer_rows(session, case.id)],
        "facts": dict(sorted(case.facts.items())),
        "incidents": [incident_dict(i, zone) for i in incidents_of(session, case.id)],
        "letters": [
            {**letter_dict(letter, zone), "step": step_of(letter, parents)}
            for letter in letter_rows(session, case.id)
        ],
        "journal": [
            {
                "at": iso(e.at, zone),
                "actor": e.actor,
                "track": e.track,
                "event": e.event,
                "from": e.from_state,
                "to": e.to_state,
                "reason": e.reason,
                "override": e.override,
                "overridden": e.overridden,
                "params": e.params,
            }
            for e in journal
        ],
    }


def complainant_dict(c: Complainant | Row[Any]) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "contact": c.contact,
        "address": c.address,
        "phone": c.phone,
        "email": c.email,
        "protected": c.protected,
    }


def timer_dict(t: Timer | Row[Any], zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": t.id,
        "track": t.track,
        "name": t.name,
        "label": t.label,
        "kind": t.kind,
        "due_on": t.due_on.isoformat(),
        "due_at": iso(t.due_at, zone),
        "status": t.status,
        "fires": t.fires,
        "recipients": t.recipients,
    }


def incident_dict(i: IncidentRow, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": i.id,
        "at": iso(i.at, zone),
        "kind": i.kind,
        "kind_label": INCIDENT_KINDS.get(i.kind, i.kind),
        "text": i.text,
        "place": i.place,
        "verified_by": i.verified_by,
        "verified_label": verification_label(i.verified_by),
        "reporter": i.reporter,
        "ends_at": iso(i.ends_at, zone),
        "time_known": i.time_known,
        "corrected_at": iso(i.corrected_at, zone),
        "corrected_by": i.corrected_by,
    }


def letter_dict(letter: Letter | Row[Any], zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": letter.id,
        "template": letter.template,
        "status": letter.status,
        "created_at": iso(letter.created_at, zone),
        "sent_at": iso(letter.sent_at, zone),
        "sent_method": letter.sent_method,
        "served_at": iso(letter.served_at, zone),
        "delivered_on": letter.delivered_on.isoformat() if letter.delivered_on else None,
        "proof": letter.proof,
        "sha256": letter.sha256,
        "template_version": letter.template_version,
        # the contract holder a per-holder letter goes to (12 kap. 8 § JB); None for other letters
        "to": (letter.data or {}).get("holder_name"),
    }


def letters_of(session: Session, case: Case) -> list[Letter]:
    """The case's letters in the order they were made (`store.queries.letters_of`)."""
    return queries.letters_of(session, case.id)


def journal_parents(session: Session, case: Case) -> dict[int, int | None]:
    """Each of the case's journal entries and the entry that set it off (`caused_by`)."""
    return queries.journal_parents(session, case.id)


def step_of(letter: Letter | Row[Any], parents: Mapping[int, int | None]) -> int | None:
    """The step that drafted the letter: the journal entry of the action (an officer's event, a
    timer, a letter marked sent) at the start of the chain of events that drafted it. The letters of
    one step go out together, e.g. an uppmaning and the notice to socialnämnden that it set off.
    None for a letter made by hand."""
    entry = letter.journal_id
    while entry is not None and parents.get(entry) is not None:
        entry = parents[entry]
    return entry
