"""Who read what: the access log as rows a person can read ("vem har läst ärendet") and export.

The log (`access_log`) is written by the services on every read and export of a case, every refused
attempt and every login (`services.common.log_access`). This module only queries it and formats it;
who may read which rows is decided in `services.privacy` (DESIGN invariant 9).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from storning.clock import iso
from storning.store.models import AccessLog, Case

# What each logged action means, for the person reading the log (unknown actions show their id).
ACTION_LABELS: dict[str, str] = {
    # reading
    "case_view": "Läste ärendet",
    "case_list": "Listade ärenden",
    "case_duplicates": "Sökte efter dubbletter",
    "letter_list": "Listade brev",
    "letter_pdf": "Hämtade brev (PDF)",
    "report": "Tog fram störningsrapport",
    "timer_list": "Listade frister",
    "timers": "Listade frister",
    "reminder_list": "Listade påminnelser",
    "preview": "Förhandsgranskade brev",
    "team_overview": "Läste teamöversikten",
    "evidence_list": "Listade bevisfiler",
    "evidence_download": "Hämtade bevisfil",
    "diary_links": "Listade dagbokslänkar",
    "stats_view": "Läste utfallsmåtten",
    "stats_cases": "Listade ärendena bakom ett mått",
    "stats_export": "Exporterade utfallsmåtten",
    "register_log": "Läste hyresregistrets logg",
    "intake_list": "Listade inkorgen",
    "intake_view": "Läste en post i inkorgen",
    # privacy
    "extract": "Registerutdrag (art. 15)",
    "release": "Utlämnande av allmän handling",
    "release_list": "Listade utlämnanden",
    "release_proposal": "Förslag till maskering",
    "accesslog_read": "Läste åtkomstloggen",
    "complainant_unprotect": "Tog bort anmälarens skyddade identitet",
    # changing
    "change": "Ändrade ärendet",
    "case_open": "Öppnade ärende",
    "case_update": "Ändrade ärendets uppgifter",
    "fire": "Förde ärendet vidare",
    "reassign": "Bytte handläggare",
    "complainant_add": "Lade till anmälare",
    "complainant_update": "Ändrade anmälare",
    "incident_add": "Lade till händelse",
    "incident_correct": "Rättade händelse",
    "household_update": "Ändrade hushållets uppgifter",
    "letter_new": "Skapade brev",
    "evidence_add": "Lade till bevisfil",
    "diary_link": "Skickade dagbokslänk",
    "diary_link_revoke": "Spärrade dagbokslänk",
    "intake_attach": "Kopplade inkommet till ärende",
    "legal_hold_place": "Lade gallringsspärr",
    "legal_hold_release": "Hävde gallringsspärr",
    "register_import": "Importerade till hyresregistret",
    "jour_import": "Importerade störningsjourens rapporter",
    "webhook_add": "Lade till webhook",
    "webhook_remove": "Tog bort webhook",
    "webhook_list": "Listade webhooks",
    "webhook_deliveries": "Listade webhook-leveranser",
    "webhook_redeliver": "Skickade webhook-leverans igen",
    "webhook_run": "Körde webhooks",
    # accounts
    "login": "Loggade in",
    "login_failed": "Misslyckad inloggning",
    "logout": "Loggade ut",
    "password_changed": "Bytte lösenord",
    "token_created": "Skapade API-nyckel",
    "token_revoked": "Spärrade API-nyckel",
}
CSV_COLUMNS = ("tid", "användare", "ärende", "åtgärd", "beskrivning", "detalj")
DEFAULT_LIMIT = 1000
MAX_LIMIT = 100_000


@dataclass(frozen=True)
class LogFilter:
    """Which rows: one case, one user, a period [start, end) in UTC, one action; `team`: only the
    rows of that team's cases (a chef's reach); `cases_only`: no rows without a case (logins)."""

    case_id: int | None = None
    actor: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    action: str | None = None
    team: str | None = None
    cases_only: bool = False
    limit: int = DEFAULT_LIMIT


def _query(wanted: LogFilter) -> Any:  # a Select of the row columns
    query = select(
        AccessLog.id,
        AccessLog.at,
        AccessLog.actor,
        AccessLog.action,
        AccessLog.detail,
        Case.ref,
        Case.team,
    ).outerjoin(Case, Case.id == AccessLog.case_id)
    if wanted.case_id is not None:
        query = query.where(AccessLog.case_id == wanted.case_id)
    if wanted.actor is not None:
        query = query.where(AccessLog.actor == wanted.actor)
    if wanted.start is not None:
        query = query.where(AccessLog.at >= wanted.start)
    if wanted.end is not None:
        query = query.where(AccessLog.at < wanted.end)
    if wanted.action is not None:
        query = query.where(AccessLog.action == wanted.action)
    if wanted.team is not None:
        query = query.where(Case.team == wanted.team)
    if wanted.cases_only:
        query = query.where(AccessLog.case_id.is_not(None))
    return query.order_by(AccessLog.at.desc(), AccessLog.id.desc()).limit(wanted.limit)


def read_log(session: Session, wanted: LogFilter, zone: ZoneInfo) -> list[dict[str, Any]]:
    """The rows, newest first, as plain data (times ISO 8601 in the landlord's zone)."""
    return [
        {
            "id": row.id,
            "at": iso(row.at, zone),
            "actor": row.actor,
            "case": row.ref,
            "action": row.action,
            "label": action_label(row.action),
            "detail": row.detail,
        }
        for row in session.execute(_query(wanted))
    ]


def action_label(action: str) -> str:
    if action.endswith("_refused"):
        base = action.removesuffix("_refused")
        return f"Nekades: {ACTION_LABELS.get(base, base)}"
    return ACTION_LABELS.get(action, action)


def to_csv(rows: Iterable[dict[str, Any]]) -> str:
    """The rows as CSV (semicolon-separated, as Swedish spreadsheets expect), with a header.

    A value that a spreadsheet would run as a formula (starting with =, +, - or @) gets a leading
    apostrophe: the log holds what users typed (user names, details)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                _cell(row["at"]),
                _cell(row["actor"]),
                _cell(row["case"]),
                _cell(row["action"]),
                _cell(row["label"]),
                _cell(row["detail"]),
            ]
        )
    return out.getvalue()


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


__all__ = ["ACTION_LABELS", "LogFilter", "action_label", "read_log", "to_csv"]
