"""The compiled disturbance report (störningsrapport för ärendet): the chronology of a case for the
hyresnämnd, tingsrätt or counsel. Reporters are pseudonymised ("Anmälare A") unless disclosure is
chosen. Who may compile or disclose, the journal entry and the access log are the service's
(`services.reports.compile_report`); this module only builds what the report shows."""

from __future__ import annotations

import string
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from storning.app import App
from storning.clock import local_day
from storning.intake.evidence import evidence_for_report
from storning.journal import journal_rows
from storning.letters import TEMPLATE_CATALOG
from storning.letters.context import build_context
from storning.letters.records import SENDING_METHODS
from storning.store.models import Case, Letter
from storning.store.queries import incidents_of, letters_of
from storning.vocabulary import INCIDENT_FIELDS

SOCIAL_SERVICES_LETTERS = (
    "underrattelse_socialnamnd",
    "kopia_uppsagning",
    "meddelande_socialnamnd_44",
)


def reporter_labels(names: list[str | None], disclose: bool) -> dict[str | None, str]:
    """Each distinct reporter gets 'Anmälare A', 'Anmälare B', … in order of first appearance."""
    labels: dict[str | None, str] = {None: "–"}
    for name in names:
        if name and name not in labels:
            index = len(labels) - 1
            letter = string.ascii_uppercase[index % 26] + (str(index // 26) if index >= 26 else "")
            labels[name] = name if disclose else f"Anmälare {letter}"
    return labels


def report_context(
    session: Session, app: App, case: Case, now: datetime, *, disclose: bool
) -> dict[str, Any]:
    zone = app.zone
    placeholder = Letter(id=0, template="rapport", case_id=case.id)
    context = build_context(
        session, app.settings, case, placeholder, "internal", local_day(now, zone)
    )
    context["recipient"] = {
        "name": "Sammanställning för hyresnämnd, domstol eller ombud",
        "lines": [case.ref],
    }
    reporters = [i.reporter for i in incidents_of(session, case.id)]
    labels = reporter_labels(reporters, disclose)
    for row, reporter in zip(context["incidents"], reporters, strict=True):
        row["reporter_label"] = labels[reporter]
    workflow = app.engine.workflow_of(session, case)
    letters = letters_of(session, case.id)
    journal = journal_rows(session, case.id)
    context["report"] = {
        "disclosed": disclose,
        "tracks": [
            {
                "title": t.title,
                "label": t.label(case.track_state(n).state),
                "since": case.track_state(n).since.astimezone(zone).date(),
            }
            for n, t in workflow.tracks.items()
        ],
        "letters": [
            _letter_row(letter, zone) for letter in letters if letter.sent_at or letter.served_at
        ],
        "notices": [
            _letter_row(letter, zone)
            for letter in letters
            if letter.template in SOCIAL_SERVICES_LETTERS and letter.sent_at
        ],
        "overrides": [_override_row(e, workflow, zone) for e in journal if e.override],
        "corrections": [
            _correction_row(e, zone) for e in journal if e.event == "incident_corrected"
        ],
        # issue 16: the evidence files, listed with their hashes as an appendix
        "evidence": evidence_for_report(session, case.id, zone, disclose=disclose),
    }
    return context


def _letter_row(letter: Letter, zone: Any) -> dict[str, Any]:
    entry = TEMPLATE_CATALOG.get(letter.template)
    return {
        "title": entry.title if entry else letter.template,
        "sent_on": letter.sent_at.astimezone(zone).date() if letter.sent_at else None,
        "method": SENDING_METHODS.get(letter.sent_method or "", None),
        "served_on": letter.served_at.astimezone(zone).date() if letter.served_at else None,
        "delivered_on": letter.delivered_on,
        "proof": letter.proof,
    }


def _correction_row(entry: Row[Any], zone: Any) -> dict[str, Any]:
    """A correction of an incident: when, by whom, what changed from what to what, and why."""
    params = entry.params or {}
    before, after = params.get("before", {}), params.get("after", {})
    changes = [
        f"{INCIDENT_FIELDS.get(name, name)} {_shown(before.get(name))} → {_shown(after.get(name))}"
        for name in after
    ]
    if params.get("reporter_changed"):
        changes.append("uppgiften om vem som rapporterade")
    return {
        "at": entry.at.astimezone(zone).date(),
        "actor": entry.actor,
        "changes": "; ".join(changes) or "rättad",
        "reason": params.get("reason") or "–",
    }


def _shown(value: Any) -> str:
    """A journaled value as the report prints it: ISO times as `2026-03-02 22:00`."""
    if value in (None, ""):
        return "–"
    text = str(value)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return moment.strftime("%Y-%m-%d %H:%M") if "T" in text else text


def _override_row(entry: Row[Any], workflow: Any, zone: Any) -> dict[str, Any]:
    track = workflow.tracks.get(entry.track) if entry.track else None
    labels = [t.label for t in track.transitions if t.event == entry.event] if track else []
    return {
        "at": entry.at.astimezone(zone).date(),
        "actor": entry.actor,
        "label": labels[0] if labels else entry.event,
        "guards": ", ".join(entry.overridden or []),
        "reason": entry.override,
    }


__all__ = ["report_context", "reporter_labels"]
