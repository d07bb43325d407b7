"""Gallring: removing the personal data of closed cases whose retention has ended (DOMAIN §7).

What goes: the tenant's name, personnummer, address lines, contract and co-tenants; free-text facts;
complainants' names and contact details; incidents' text, place and reporter; letters' PDFs, data and
proof of service; the case's notifications (outbox); the free text of access-log rows, of legal holds
and of what arrived through intake, diaries and evidence files. The journal keeps every row, with its
personal fields (reason, override text, free-text parameters) replaced by a tombstone, so the states,
dates, outcome, source and children survive and the outcome measures are the same after a run.

Each case is erased in its own transaction (a crash leaves every case either fully erased or untouched),
after checking again, under a lock, that it is closed, not erased, not held and due. Access-log and
outbox rows are also deleted after their own retention. Each real run writes a `gallring_runs` row
with counts only. On SQLite the run sets `secure_delete` (freed space is overwritten with zeros) and
truncates the write-ahead log afterwards, so the erased values are not left in the database file.

This module decides what is due and how to erase; `storning.services.retention` decides who may run it.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import String, Table, bindparam, cast, delete, func, literal, select, update
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from storning.config import Settings
from storning.definitions.loader import load_directory
from storning.errors import StorningError
from storning.journal import append_journal, erase_personal_fields
from storning.records.policy import Policy, Rule, load_policy, policy_path
from storning.store.db import Database
from storning.store.models import (
    AccessLog,
    Base,
    Case,
    CaseTrack,
    GallringRun,
    IdempotencyKey,
    IntakeItem,
    JournalEntry,
    LegalHold,
    Outbox,
    WebSession,
    table,
)
from storning.store.prepared import Prepared

log = logging.getLogger("storning.gallring")

TOMBSTONE = "[gallrad]"
ERASED_NAME = "Personuppgifter gallrade"
ERASED_ADDRESS = "–"

# The shapes of values that are not personal data: ids, dates and times, small numbers.
_ID = re.compile(r"[a-z][a-z0-9_]{0,59}")
_WHEN = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?)?")
_NUMBER = re.compile(r"-?\d{1,9}([.,]\d{1,4})?")
# Keys whose values are personal whatever they look like.
_PERSONAL_KEYS = frozenset(
    {
        "address",
        "after",
        "apartment",
        "before",
        "city",
        "co_tenants",
        "contact",
        "contract",
        "email",
        "household_member",
        "illness_claim",
        "name",
        "note",
        "personnummer",
        "phone",
        "place",
        "postal_code",
        "proof",
        "reason",
        "reporter",
        "tenant",
        "tenant_name",
        "text",
    }
)


class GallringRuntime(Protocol):
    """What a run needs of the application (`storning.app.App` has it)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def db(self) -> Database: ...

    @property
    def zone(self) -> ZoneInfo: ...


@dataclass(frozen=True)
class Due:
    """A closed case and the rule that decides when its personal data goes."""

    case_id: int
    ref: str
    case_type: str
    closed_at: datetime
    outcome: str | None
    rule: str
    decision: str
    retention_end: datetime
    held: str | None = None  # why it is kept although due: 'hold' (legal hold) or 'dispute'

    def as_dict(self, zone: ZoneInfo) -> dict[str, Any]:
        data = asdict(self)
        data.pop("case_id")
        data["closed_at"] = self.closed_at.astimezone(zone).date().isoformat()
        data["retention_end"] = self.retention_end.astimezone(zone).date().isoformat()
        return data


@dataclass
class Plan:
    """What a run would do at `now`: the cases due, those kept by a hold, the rows past retention."""

    due: list[Due]
    held: list[Due]
    access_log_expired: int
    outbox_expired: int
    intake_expired: int  # queue items that never reached a case, past the `intake` rule
    unruled: list[str]  # case types of closed cases that the policy does not name (never erased)


def scrub(value: Any, key: str | None = None) -> Any:
    """`value` with everything that may be personal replaced by the tombstone: ids, dates and small
    numbers stay (states, templates, amounts, counts), free text goes."""
    if key in _PERSONAL_KEYS and value not in (None, "", [], {}):
        return TOMBSTONE
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        if _ID.fullmatch(value) or _WHEN.fullmatch(value) or _NUMBER.fullmatch(value):
            return value
        return TOMBSTONE
    if isinstance(value, list):
        return [scrub(item) for item in value]
    if isinstance(value, dict):
        return {k: scrub(v, str(k)) for k, v in value.items()}
    return TOMBSTONE


# --- what is due -------------------------------------------------------------------------------------


def plan(session: Session, policy: Policy, now: datetime) -> Plan:
    """Every closed, not yet erased case whose retention has ended at `now`, and what keeps some."""
    rows = session.execute(
        select(Case.id, Case.ref, Case.case_type, Case.closed_at, Case.outcome, Case.facts).where(
            Case.status == "closed", Case.erased_at.is_(None), Case.closed_at.is_not(None)
        )
    ).all()
    due, held = [], []
    unruled = sorted({row.case_type for row in rows} - set(policy.case_types))
    for row in rows:
        entry = _due(policy, row.id, row.ref, row.case_type, row.closed_at, row.outcome, row.facts)
        if entry is None or entry.retention_end > now:
            continue
        why = hold_of(session, policy, row.id, row.case_type)
        if why is None:
            due.append(entry)
        else:
            held.append(_with_hold(entry, why))
    due.sort(key=lambda d: (d.retention_end, d.ref))
    held.sort(key=lambda d: d.ref)
    return Plan(
        due,
        held,
        _count(session, table(AccessLog), table(AccessLog).c.at < _before(policy.access_log, now)),
        _count(session, table(Outbox), table(Outbox).c.created_at < _before(policy.outbox, now)),
        _count(session, table(IntakeItem), _unattached_expired(policy, now)),
        unruled,
    )


def _unattached_expired(policy: Policy, now: datetime) -> Any:
    """Queue items that never reached a case (open or dismissed, no case), arrived before the
    `intake` rule's period and not yet erased."""
    items = table(IntakeItem)
    return (
        items.c.case_id.is_(None)
        & items.c.status.in_(("open", "dismissed"))
        & (items.c.received_at < _before(policy.intake, now))
        & (cast(items.c.payload, String) != "{}")  # not yet erased (JSON: compared as text)
    )


def _due(
    policy: Policy,
    case_id: int,
    ref: str,
    case_type: str,
    closed_at: datetime,
    outcome: str | None,
    facts: dict[str, Any],
) -> Due | None:
    rules = policy.rules_for(case_type, outcome, facts or {})
    if not rules:
        return None  # a case type the policy does not name is kept (the plan lists the type)
    ends = [(rule.keep.after(closed_at), rule) for rule in rules]
    end, rule = max(ends, key=lambda pair: pair[0])
    return Due(case_id, ref, case_type, closed_at, outcome, rule.name, rule.decision, end)


def _with_hold(entry: Due, why: str) -> Due:
    return Due(**{**asdict(entry), "held": why})


def _before(rule: Rule, now: datetime) -> datetime:
    """The oldest moment still inside the rule's retention."""
    return now - (rule.keep.after(now) - now)


def _count(session: Session, t: Table, where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(t).where(where)) or 0)


_HOLD = table(LegalHold)
_ACTIVE_HOLD_ROW = Prepared(
    select(_HOLD)
    .where(_HOLD.c.case_id == bindparam("case_id"), _HOLD.c.lifted_at.is_(None))
    .order_by(_HOLD.c.id.desc())
    .limit(1)
)


def active_hold_row(session: Session, case_id: int) -> Any | None:
    """`active_hold` as a read-only row (a named tuple), for the case page."""
    session.flush()  # a Core read skips the ORM's autoflush: a hold placed in this transaction
    rows = _ACTIVE_HOLD_ROW.named_rows(session, {"case_id": case_id})
    return rows[0] if rows else None


def active_hold(session: Session, case_id: int) -> LegalHold | None:
    return session.scalar(
        select(LegalHold)
        .where(LegalHold.case_id == case_id, LegalHold.lifted_at.is_(None))
        .order_by(LegalHold.id.desc())
        .limit(1)
    )


def dispute_state(session: Session, policy: Policy, case_id: int, case_type: str) -> str | None:
    """The legal-track state that holds the case automatically (a dispute), if any."""
    kind = policy.case_types.get(case_type)
    if kind is None or not kind.dispute_states:
        return None
    state = session.scalar(
        select(CaseTrack.state).where(CaseTrack.case_id == case_id, CaseTrack.track == "legal")
    )
    return state if state in kind.dispute_states else None


def hold_of(session: Session, policy: Policy, case_id: int, case_type: str) -> str | None:
    if active_hold(session, case_id) is not None:
        return "hold"
    if dispute_state(session, policy, case_id, case_type) is not None:
        return "dispute"
    return None


# --- the run -----------------------------------------------------------------------------------------


def run(app: GallringRuntime, policy: Policy, actor: str, now: datetime) -> dict[str, Any]:
    """Erase every due case (each in its own transaction), delete access-log and outbox rows past
    their retention, and record the run. Returns the run's record."""
    with app.db.read() as session:
        todo = plan(session, policy, now)
    counts: Counter[str] = Counter()
    erased: list[Due] = []
    for entry in todo.due:
        with app.db.write() as session:
            _secure_session(app.db, session)
            done = erase_case(session, policy, entry, now, actor)
        if done is not None:
            counts.update(done)
            erased.append(entry)
    counts["evidence_files_removed"] = _sweep_evidence_files(app)
    with app.db.write() as session:
        _secure_session(app.db, session)
        counts.update(_expire_logs(session, policy, now))
        record = GallringRun(
            started_at=now,
            finished_at=now,
            actor=actor,
            policy_digest=policy.digest,
            decision=policy.decision,
            counts=dict(sorted((k, v) for k, v in counts.items() if v)),
        )
        session.add(record)
        session.flush()
        run_id = record.id
    app.db.checkpoint("TRUNCATE")  # SQLite: the log holds the old pages; emptied
    return {
        "run": run_id,
        "at": now.astimezone(app.zone).isoformat(),
        "actor": actor,
        "policy": policy.file,
        "policy_sha256": policy.digest,
        "decision": policy.decision,
        "erased": [e.as_dict(app.zone) for e in erased],
        "held": [h.as_dict(app.zone) for h in todo.held],
        "counts": dict(sorted((k, v) for k, v in counts.items() if v)),
    }


def erase_case(
    session: Session, policy: Policy, entry: Due, now: datetime, actor: str = "system"
) -> Counter[str] | None:
    """Erase one case's personal data inside the caller's transaction, or None when it is no longer
    due (reopened, erased or held since the plan was made)."""
    case = session.scalar(select(Case).where(Case.id == entry.case_id).with_for_update())
    if case is None or case.status != "closed" or case.erased_at is not None:
        return None
    if hold_of(session, policy, case.id, case.case_type) is not None:
        return None
    current = _due(
        policy, case.id, case.ref, case.case_type, case.closed_at or now, case.outcome, case.facts
    )
    if current is None or current.retention_end > now:
        return None
    counts: Counter[str] = Counter({"cases": 1})
    session.execute(
        update(table(Case))
        .where(table(Case).c.id == case.id, table(Case).c.erased_at.is_(None))
        .values(
            tenant_name=ERASED_NAME,
            co_tenants=[],
            address=ERASED_ADDRESS,
            postal_code=None,
            city=None,
            apartment=ERASED_ADDRESS,
            contract=None,
            personnummer=None,
            facts={k: scrub(v, k) for k, v in (case.facts or {}).items()},
            erased_at=now,
            erasure_decision=current.decision[:400],
            version=table(Case).c.version + 1,
        )
    )
    counts["journal"] = _scrub_journal(session, case.id)
    # the erasure itself is part of the case's history: who, when, under which rule (no values)
    append_journal(
        session,
        case.id,
        max(now, case.last_event_at),
        actor,
        "personal_data_erased",
        params={"rule": current.rule},
    )
    for name, changes in _ERASE.items():
        t = Base.metadata.tables.get(name)
        if t is None or "case_id" not in t.c:
            continue
        values = _values(t, changes)
        if values:
            counts[name] += _rowcount(
                session.execute(update(t).where(t.c.case_id == case.id).values(**values))
            )
    counts["diary_entries"] += _erase_diary(session, case.id)
    counts["webhook_deliveries"] += _erase_webhooks(session, case.id)
    outbox = table(Outbox)
    counts["outbox"] += _rowcount(
        session.execute(delete(outbox).where(outbox.c.case_id == case.id))
    )
    session.expire_all()
    return +counts  # drop zero counts


# Per table linked by case_id: column → the value after gallring (`_IF_SET`: the tombstone where
# there was a value). Tables and columns that do not exist in this version are skipped.
_IF_SET = object()
_ERASE: dict[str, dict[str, Any]] = {
    "complainants": {
        "name": TOMBSTONE,
        "contact": None,
        "address": None,
        "phone": None,
        "email": None,
    },
    "incidents": {"text": TOMBSTONE, "place": None, "reporter": None},
    "letters": {"pdf": None, "data": None, "proof": None},
    "access_log": {"detail": _IF_SET},
    "legal_holds": {"reason": TOMBSTONE},
    "intake_items": {
        "address": None,
        "apartment": None,
        "contract": None,
        "payload": {},
        "reason": _IF_SET,
    },
    "evidence_files": {"filename": TOMBSTONE, "data": None, "note": None},
}


def _values(t: Table, changes: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for column, value in changes.items():
        if column not in t.c:
            continue
        if value is _IF_SET:
            values[column] = sql_case((t.c[column].is_(None), None), else_=literal(TOMBSTONE))
        else:
            values[column] = value
    return values


def _rowcount(result: Any) -> int:
    return max(0, int(getattr(result, "rowcount", 0) or 0))


def _scrub_journal(session: Session, case_id: int) -> int:
    return erase_personal_fields(session, case_id, TOMBSTONE, scrub)


def _erase_diary(session: Session, case_id: int) -> int:
    links = Base.metadata.tables.get("diary_links")
    entries = Base.metadata.tables.get("diary_entries")
    if links is None or entries is None or "link_id" not in entries.c:
        return 0
    values = _values(
        entries,
        {
            "text": TOMBSTONE,
            "place": None,
            "disturbed": None,
            "witnesses": None,
            "police_ref": None,
        },
    )
    of_case = select(links.c.id).where(links.c.case_id == case_id)
    return _rowcount(
        session.execute(update(entries).where(entries.c.link_id.in_(of_case)).values(**values))
    )


def _erase_webhooks(session: Session, case_id: int) -> int:
    deliveries = Base.metadata.tables.get("webhook_deliveries")
    if deliveries is None or "payload" not in deliveries.c or "event_id" not in deliveries.c:
        return 0
    of_case = select(JournalEntry.id).where(JournalEntry.case_id == case_id)
    rows = session.execute(
        select(deliveries.c.id, deliveries.c.payload).where(deliveries.c.event_id.in_(of_case))
    ).all()
    for row in rows:
        session.execute(
            update(deliveries).where(deliveries.c.id == row.id).values(payload=scrub(row.payload))
        )
    return len(rows)


def _sweep_evidence_files(app: GallringRuntime) -> int:
    """Remove the stored evidence files (content-addressed under the data directory) that only erased
    cases refer to. Runs after the cases' transactions have committed, and on every run, so a file
    left by an interrupted run goes the next night."""
    files = Base.metadata.tables.get("evidence_files")
    if files is None or not {"sha256", "storage", "case_id"} <= set(files.c.keys()):
        return 0
    try:
        from storning.intake.evidence import stored_path
    except ImportError:  # pragma: no cover - a version without evidence files
        return 0
    cases = table(Case)
    joined = files.join(cases, cases.c.id == files.c.case_id)
    with app.db.read() as session:
        erased = set(
            session.scalars(
                select(files.c.sha256)
                .select_from(joined)
                .where(cases.c.erased_at.is_not(None), files.c.storage == "file")
            )
        )
        if not erased:
            return 0
        live = set(
            session.scalars(
                select(files.c.sha256).select_from(joined).where(cases.c.erased_at.is_(None))
            )
        )
    removed = 0
    for sha256 in sorted(erased - live):
        path = stored_path(app.settings, sha256)
        if path.exists():
            path.unlink()
            removed += 1
    return removed


def _expire_logs(session: Session, policy: Policy, now: datetime) -> Counter[str]:
    """Delete access-log and outbox rows past their own retention, stored responses to repeated
    requests past their day (they may hold a case document), and unread page messages of ended
    sessions."""
    counts: Counter[str] = Counter()
    log, outbox, keys = table(AccessLog), table(Outbox), table(IdempotencyKey)
    counts["access_log_deleted"] = _rowcount(
        session.execute(delete(log).where(log.c.at < _before(policy.access_log, now)))
    )
    counts["outbox_deleted"] = _rowcount(
        session.execute(delete(outbox).where(outbox.c.created_at < _before(policy.outbox, now)))
    )
    items = table(IntakeItem)
    # an erased report still waiting in the queue leaves it: nothing is left to act on
    still_open = items.c.status == "open"
    counts["intake_items_erased"] = _rowcount(
        session.execute(
            update(items)
            .where(_unattached_expired(policy, now))
            .values(
                **{**_values(items, _ERASE["intake_items"]), "reason": literal(TOMBSTONE)},
                status=sql_case((still_open, literal("dismissed")), else_=items.c.status),
                resolved_at=sql_case(
                    (still_open, literal(now, items.c.resolved_at.type)), else_=items.c.resolved_at
                ),
                resolved_by=sql_case((still_open, literal("gallring")), else_=items.c.resolved_by),
            )
        )
    )
    counts["idempotency_keys_deleted"] = _rowcount(
        session.execute(delete(keys).where(keys.c.created_at < now - timedelta(days=1)))
    )
    # a message shown once on the next page may name a letter's recipient or a file: not kept past
    # the session's end
    sessions = table(WebSession)
    counts["session_messages_cleared"] = _rowcount(
        session.execute(
            update(sessions)
            .where(sessions.c.expires_at < now, sessions.c.flash.is_not(None))
            .values(flash=None)
        )
    )
    return counts


# --- SQLite: leave nothing behind in the file -------------------------------------------------------


def _secure_session(db: Database, session: Session) -> None:
    """SQLite: overwrite freed space with zeros, so erased values do not linger in free pages."""
    if db.is_sqlite:
        session.connection().exec_driver_sql("PRAGMA secure_delete=ON")


# --- the policy in force, and the worker's daily run ---------------------------------------------------

_POLICIES: dict[tuple[str, int, int], Policy] = {}


def current_policy(settings: Settings) -> Policy:
    """The policy file of `settings.workflows_dir`, checked against the workflows' legal states;
    read again when the file changes."""
    path = policy_path(settings.workflows_dir)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = -1
    key = (str(path), stamp, path.parent.parent.stat().st_mtime_ns if stamp >= 0 else -1)
    cached = _POLICIES.get(key)
    if cached is None:
        workflows = load_directory(settings.workflows_dir, settings.letters_dir)
        states = {wf.id: frozenset(wf.tracks["legal"].states) for wf in workflows}
        cached = load_policy(path, states)
        _POLICIES.clear()
        _POLICIES[key] = cached
    return cached


def daily(app: GallringRuntime, now: datetime) -> int:
    """The worker's job: a gallring run as the system; returns how many cases were erased. An
    invalid policy is logged and nothing is erased (the run must never guess)."""
    try:
        policy = current_policy(app.settings)
    except StorningError as error:
        log.error("gallring skipped: %s", error)
        return 0
    result = run(app, policy, "system", now)
    if result["erased"] or result["counts"]:
        log.info("gallring run %s: %s (%s)", result["run"], result["counts"], policy.decision)
    return len(result["erased"])
