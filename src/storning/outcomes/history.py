"""A year of made-up case history for the demo and the benchmark (issue 14 §6): several hundred cases,
or 100,000, across case types, complaint sources, outcomes and households with and without children.

Each case follows one of a few scripted paths through the workflows (resolved in dialogue, rectified
after an uppmaning, terminated and withdrawn, evicted, moved out, a rent debt paid, recovered under
12:44 or ending in an eviction …). Every step is dated a few working days after the one before, from an
opening day in the year before `now`; a path that would reach past `now` stops there, so the recent
cases are still open, part-way along their path. Seeded: the same seed, `now`, size and officers
give the same rows (`random.Random(seed)`; nothing reads the clock).

Rows are written in bulk with SQLAlchemy Core, as an import of historical records would be, not
through `engine.fire` (100,000 cases through the engine would take hours). They are the rows the
engine would have written for the same path: the case, its three track rows in the states the path
ends in, its incidents, and a journal (through `journal.append_journal_rows`, the journal's writer) whose
track rows replay to those states — every step of every path is checked against the workflow's
transitions before anything is written (`replay_states` holds). What the bulk path does not make:
letters (the journal records them as sent, with the template), timers (a recent open case has none
running) and complainants (no names are invented beyond the tenant's).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from storning.app import App
from storning.calendar import SwedishCalendar
from storning.definitions.model import Workflow
from storning.journal import append_journal_rows
from storning.outcomes.history_paths import (
    FINAL_LEGAL,
    FIRST_NAMES,
    KINDS,
    LAST_NAMES,
    OPENING_INCIDENT,
    PATHS,
    SEVERE_KINDS,
    SOURCES,
    STREETS,
    VERIFIED_BY,
    Path,
    Step,
    check_paths,
)
from storning.store.models import Case, CaseCounter, CaseTrack, Incident, User, table

DEMO_SEED = 14
DEMO_CASES = 360
BATCH = 2000


@dataclass
class HistoryResult:
    cases: int = 0
    open_cases: int = 0
    incidents: int = 0
    journal_rows: int = 0
    refs: list[str] = field(default_factory=list)


# --- the generator -----------------------------------------------------------------------------------


def generate_history(
    app: App,
    now: datetime,
    *,
    cases: int,
    owners: Sequence[str],
    seed: int = DEMO_SEED,
    days: int = 365,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
) -> HistoryResult:
    """Write `cases` made-up cases opened over the `days` before `now`, owned in turn by `owners`
    (usernames of existing officers; each case joins its owner's team). Returns what was written.
    Commits every `batch` cases; `progress` is told the number of cases written so far."""
    result = HistoryResult()
    rng = random.Random(seed)
    with app.db.write() as session:
        workflows = {t: app.registry.latest(session, t) for t in ("storning", "hyresskuld")}
        users = {
            u.username: (u.id, u.team)
            for u in session.execute(
                select(User.username, User.id, User.team).where(User.username.in_(list(owners)))
            )
        }
    missing = [o for o in owners if o not in users]
    if missing or not owners:
        raise ValueError(f"unknown owners for the history: {', '.join(missing) or '(none)'}")
    check_paths(workflows)
    planner = _Planner(app, now, rng, workflows, [(o, *users[o]) for o in owners], days)
    plans = planner.plans(cases)
    for chunk in _chunks(plans, batch):
        with app.db.write() as session:
            _write(session, chunk, workflows, result)
        if progress is not None:
            progress(result.cases)
    return result


@dataclass
class _Plan:
    """One case to write: its columns, its incidents and its journal (track rows with from/to)."""

    case: dict[str, Any]
    tracks: dict[str, tuple[str, datetime]]
    incidents: list[dict[str, Any]]
    journal: list[dict[str, Any]]  # "incident" key: the index of the incident a row refers to


class _Planner:
    def __init__(
        self,
        app: App,
        now: datetime,
        rng: random.Random,
        workflows: dict[str, Workflow],
        owners: list[tuple[str, int, str | None]],
        days: int,
    ) -> None:
        self.zone = app.zone
        self.calendar: SwedishCalendar = app.engine.calendar
        self.now = now
        self.rng = rng
        self.workflows = workflows
        self.owners = owners
        self.days = days
        self.paths = [p for p in PATHS]
        self.weights = [p.weight for p in PATHS]
        self.counters: dict[tuple[str, int], int] = {}

    def plans(self, count: int) -> Iterator[_Plan]:
        start = self.now.astimezone(self.zone).date() - timedelta(days=self.days)
        opened_days = sorted(
            start + timedelta(days=self.rng.randrange(self.days)) for _ in range(count)
        )
        for n, day in enumerate(opened_days):
            yield self._plan(n, self._working_day(day))

    def _working_day(self, day: date) -> date:
        while not self.calendar.is_working_day(day):
            day += timedelta(days=1)
        return day

    def _at(self, day: date, minutes: int) -> datetime:
        """A time on `day` in office hours (08:00 and on), as an aware datetime."""
        return datetime.combine(day, time(8, 0), self.zone) + timedelta(minutes=minutes)

    def _plan(self, n: int, day: date) -> _Plan:
        rng = self.rng
        path = rng.choices(self.paths, self.weights)[0]
        workflow = self.workflows[path.case_type]
        username, owner_id, team = self.owners[n % len(self.owners)]
        at = self._at(day, rng.randrange(0, 8 * 60))
        source = (
            _weighted(rng, SOURCES)
            if path.case_type == "storning"
            else rng.choice(("personal", "annan"))
        )
        kind, text = self._kind(path)
        children = rng.choices((0, 1, 2, 3, 4, None), (46, 18, 16, 7, 3, 10))[0]
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        flat = f"{rng.randrange(1, 9)}{rng.randrange(1, 6):01d}{rng.randrange(1, 20):02d}"
        facts: dict[str, Any] = {}
        if path.case_type == "hyresskuld":
            due = day - timedelta(days=rng.randrange(2, 12))
            amount = rng.randrange(40, 400) * 100
            facts = {"due_date": due.isoformat(), "amount": str(amount)}
        case: dict[str, Any] = {
            "ref": self._ref(workflow.ref_prefix, day.year),
            "case_type": path.case_type,
            "workflow_version": workflow.version,
            "status": "open",
            "owner_id": owner_id,
            "team": team,
            "tenant_name": f"{first} {last}",
            "co_tenants": [],
            "address": f"{rng.choice(STREETS)} {rng.randrange(1, 60)}",
            "postal_code": f"60{rng.randrange(2, 4)} {rng.randrange(10, 99)}",
            "city": "Norrköping",
            "apartment": flat,
            "municipality": "Norrköping",
            "contract": f"{flat}-{rng.randrange(1, 20):02d}",
            "personnummer": None,
            "facts": facts,
            "opened_at": at,
            "updated_at": at,
            "last_event_at": at,
            "closed_at": None,
            "version": 1,
            "source": source,
            "children": children,
            "outcome": None,
        }
        states = {name: (track.initial, at) for name, track in workflow.tracks.items()}
        journal: list[dict[str, Any]] = [
            _row(
                at,
                username,
                None,
                "case_opened",
                params={"type": workflow.id, "version": workflow.version},
            )
        ]
        incidents: list[dict[str, Any]] = []
        verified = VERIFIED_BY.get(source)
        if path.case_type == "storning":
            incidents.append(self._incident(at, kind, text, verified, username))
            journal.append(_incident_row(at, username, 0, kind, incidents[0]["at"]))
        current = at
        for step in path.steps:
            if step is OPENING_INCIDENT:
                continue  # the complaint's incident, recorded with the opening
            current = self._after(current, step.gap)
            if current > self.now:
                break  # the rest of the path lies in the future: the case is still open
            if step.incident:
                incidents.append(
                    self._incident(
                        current, kind, "Ny störning efter uppmaningen", verified, username
                    )
                )
                journal.append(
                    _incident_row(current, username, len(incidents) - 1, kind, incidents[-1]["at"])
                )
                continue
            if step.track is None:
                journal.append(
                    _row(current, username, None, step.event, params=self._params(step, current))
                )
                continue
            source_state = states[step.track][0]
            dest = step.to or source_state
            params = self._params(step, current)
            if step.event == "incident_recorded":
                params = {"incident_index": len(incidents) - 1}
            journal.append(
                _row(
                    current,
                    username,
                    step.track,
                    step.event,
                    source_state,
                    dest,
                    params=params or None,
                    reason=step.reason,
                )
            )
            if dest != source_state:
                states[step.track] = (dest, current)
            if step.track == "legal" and dest in FINAL_LEGAL:
                case["status"] = "closed"
                case["closed_at"] = current
                case["outcome"] = path.outcome
                journal.append(
                    _row(
                        current,
                        username,
                        None,
                        "outcome_recorded",
                        params={"outcome": path.outcome},
                    )
                )
                break
        case["updated_at"] = case["last_event_at"] = journal[-1]["at"]
        return _Plan(case, states, incidents, journal)

    def _after(self, at: datetime, gap: tuple[int, int]) -> datetime:
        """`gap` working days (a random number in the range) after `at`, a few minutes later in the
        day when the gap is nought; a later day starts in office hours."""
        steps = self.rng.randint(*gap)
        if steps == 0:
            return at + timedelta(minutes=self.rng.randrange(2, 40))
        day = at.astimezone(self.zone).date()
        for _ in range(steps):
            day += timedelta(days=1)
            while not self.calendar.is_working_day(day):
                day += timedelta(days=1)
        return self._at(day, self.rng.randrange(0, 8 * 60))

    def _kind(self, path: Path) -> tuple[str, str]:
        if path.severe:
            kind = self.rng.choice(SEVERE_KINDS)
            return kind, next(text for k, text, _w in KINDS if k == kind)
        kind, text, _weight = self.rng.choices(KINDS, [w for _k, _t, w in KINDS])[0]
        return kind, text

    def _incident(
        self, recorded: datetime, kind: str, text: str, verified: str | None, actor: str
    ) -> dict[str, Any]:
        happened = recorded - timedelta(hours=self.rng.randrange(6, 60))
        return {
            "at": happened,
            "kind": kind,
            "text": text,
            "place": None,
            "verified_by": verified,
            "reporter": None,
            "recorded_at": recorded,
            "recorded_by": actor,
            "ends_at": None,
            "time_known": True,
            "corrected_at": None,
            "corrected_by": None,
        }

    def _params(self, step: Step, at: datetime) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for key, value in step.params.items():
            if isinstance(value, tuple):
                params[key] = self.rng.choice(value)
            elif key == "expires_on":
                params[key] = (at.astimezone(self.zone).date() + timedelta(days=180)).isoformat()
            else:
                params[key] = value
        if step.event in ("letter_sent", "letter_served"):
            day = at.astimezone(self.zone).date().isoformat()
            params["sent_on" if step.event == "letter_sent" else "served_on"] = day
        return params

    def _ref(self, prefix: str, year: int) -> str:
        key = (prefix, year)
        self.counters[key] = self.counters.get(key, 0) + 1
        return f"{prefix}-{year}-H{self.counters[key]:05d}"


def _weighted(rng: random.Random, choices: Sequence[tuple[str, int]]) -> str:
    return rng.choices([c for c, _w in choices], [w for _c, w in choices])[0]


def _row(
    at: datetime,
    actor: str,
    track: str | None,
    event: str,
    from_state: str | None = None,
    to_state: str | None = None,
    *,
    params: dict[str, Any] | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    return {
        "at": at,
        "actor": actor,
        "track": track,
        "event": event,
        "from_state": from_state,
        "to_state": to_state,
        "reason": reason,
        "override": None,
        "overridden": None,
        "params": params,
        "caused_by": None,
        "timer_id": None,
    }


def _incident_row(
    at: datetime, actor: str, index: int, kind: str, happened: datetime
) -> dict[str, Any]:
    row = _row(at, actor, None, "incident_added", params={"kind": kind, "at": happened.isoformat()})
    row["incident_index"] = index
    return row


def _chunks(plans: Iterator[_Plan], size: int) -> Iterator[list[_Plan]]:
    chunk: list[_Plan] = []
    for plan in plans:
        chunk.append(plan)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_CASES = table(Case)
_TRACKS = table(CaseTrack)
_INCIDENTS = table(Incident)
_COUNTERS = table(CaseCounter)


def _write(
    session: Session, plans: list[_Plan], workflows: dict[str, Workflow], result: HistoryResult
) -> None:
    """Insert one batch: cases (their ids back, in order), tracks, incidents, the journal; then
    move the reference counters past the references used."""
    conn = session.connection()
    refs = _unique_refs(session, plans)
    rows = [dict(p.case, ref=ref) for p, ref in zip(plans, refs, strict=True)]
    ids = (
        conn.execute(insert(_CASES).returning(_CASES.c.id, sort_by_parameter_order=True), rows)
        .scalars()
        .all()
    )
    track_rows = [
        {"case_id": cid, "track": name, "state": state, "since": since}
        for cid, plan in zip(ids, plans, strict=True)
        for name, (state, since) in plan.tracks.items()
    ]
    conn.execute(insert(_TRACKS), track_rows)
    incident_rows = [
        dict(incident, case_id=cid)
        for cid, plan in zip(ids, plans, strict=True)
        for incident in plan.incidents
    ]
    incident_ids: list[int] = []
    if incident_rows:
        incident_ids = list(
            conn.execute(
                insert(_INCIDENTS).returning(_INCIDENTS.c.id, sort_by_parameter_order=True),
                incident_rows,
            ).scalars()
        )
    journal: list[dict[str, Any]] = []
    next_incident = 0
    for cid, plan in zip(ids, plans, strict=True):
        own = incident_ids[next_incident : next_incident + len(plan.incidents)]
        next_incident += len(plan.incidents)
        for entry in plan.journal:
            row = {k: v for k, v in entry.items() if k != "incident_index"}
            row["case_id"] = cid
            params = row["params"]
            if "incident_index" in entry:
                row["params"] = {"incident_id": own[entry["incident_index"]], **(params or {})}
            elif params and "incident_index" in params:
                row["params"] = {"incident_id": own[params["incident_index"]]}
            journal.append(row)
    append_journal_rows(session, journal)
    _advance_counters(session, refs)
    result.cases += len(plans)
    result.open_cases += sum(1 for p in plans if p.case["status"] == "open")
    result.incidents += len(incident_rows)
    result.journal_rows += len(journal)
    result.refs += refs


def _unique_refs(session: Session, plans: list[_Plan]) -> list[str]:
    """The plans' references made unique in the database: numbered on from the counter of their
    prefix and year, as `services.cases` numbers new cases (S-2025-0042)."""
    wanted: dict[tuple[str, int], int] = {}
    for plan in plans:
        prefix, year, _n = plan.case["ref"].split("-")
        wanted[(prefix, int(year))] = wanted.get((prefix, int(year)), 0) + 1
    last = {
        (prefix, year): number
        for prefix, year, number in session.execute(
            select(_COUNTERS.c.prefix, _COUNTERS.c.year, _COUNTERS.c.last)
        )
    }
    refs = []
    used = dict.fromkeys(wanted, 0)
    for plan in plans:
        prefix, year_text, _n = plan.case["ref"].split("-")
        key = (prefix, int(year_text))
        used[key] += 1
        refs.append(f"{prefix}-{year_text}-{last.get(key, 0) + used[key]:04d}")
    return refs


def _advance_counters(session: Session, refs: list[str]) -> None:
    highest: dict[tuple[str, int], int] = {}
    for ref in refs:
        prefix, year_text, number = ref.split("-")
        key = (prefix, int(year_text))
        highest[key] = max(highest.get(key, 0), int(number))
    conn = session.connection()
    for (prefix, year), top in highest.items():
        where = (_COUNTERS.c.prefix == prefix, _COUNTERS.c.year == year)
        found = conn.execute(select(_COUNTERS.c.last).where(*where)).scalar()
        if found is None:
            conn.execute(insert(_COUNTERS).values(prefix=prefix, year=year, last=top))
        else:
            conn.execute(update(_COUNTERS).where(*where).values(last=max(found, top)))


# --- the demo ----------------------------------------------------------------------------------------


def add_demo_history(app: App, now: datetime, cases: int | None = None) -> HistoryResult:
    """The demo's year of history: `cases` (default `DEMO_CASES`, read when called) cases of the demo's
    officers anna, erik and maria. Nothing when it is 0."""
    count = DEMO_CASES if cases is None else cases
    if count <= 0:
        return HistoryResult()
    return generate_history(app, now, cases=count, owners=("anna", "erik", "maria"), seed=DEMO_SEED)


__all__ = [
    "DEMO_CASES",
    "PATHS",
    "HistoryResult",
    "Path",
    "Step",
    "add_demo_history",
    "check_paths",
    "generate_history",
]
