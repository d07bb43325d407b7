"""The measures of eviction prevention (DOMAIN §8, issue 14 §2), computed with Core SQL.

Each measure has a key, a Swedish label, a Swedish definition sentence, a unit and values. Each value
has a stable key within its measure, optional dimensions (month, case type, source, outcome, officer,
kind …) for charts, and the ids of the cases behind it, so a number can be turned into the list of
those cases (`Stats.cases_behind`). Nothing here decides who may see what: the caller
(`storning.services.outcomes`) passes the visibility clause for its principal.

A period is a pair of local days, both inclusive. An event counts in the period when its local day is
in it (journal times are UTC; days are the landlord's). Working days are `SwedishCalendar` working days
(Saturdays, Sundays, public holidays, Midsummer, Christmas and New Year's Eve and the landlord's extra
closed days excluded); the working days from A to B are those in (A, B], as `add_working_days` counts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy import ColumnElement, DateTime, and_, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from storning.calendar import SwedishCalendar
from storning.due import open_item
from storning.outcomes.milestones import (
    OUTCOME_OF_FINAL_STATE,
    PENDING_LOSS_STATES,
    milestone_rows,
)
from storning.store.models import Case, CaseTrack, Incident, JournalEntry, Timer, User
from storning.vocabulary import CASE_TYPES, COMPLAINT_SOURCES, OUTCOMES

# --- the public interface --------------------------------------------------------------------------

GROUPS: dict[str, str] = {
    "inflow": "Inflöde",
    "speed": "Snabbhet",
    "legal": "Rättslig kvalitet",
    "outcomes": "Utfall",
    "recurrence": "Återfall",
    "children": "Barn",
    "support": "Stöd och samverkan",
    "arrears": "Hyresskulder",
    "workload": "Arbetsbelastning",
}

UNITS: dict[str, str] = {
    "count": "antal",
    "days": "arbetsdagar",
    "share": "andel",
    "sek": "kronor",
}


@dataclass(frozen=True)
class StatsFilter:
    """What the measures are computed for. `start` and `end` are local days, both inclusive; the
    other fields narrow the cases (None: all the viewer may see)."""

    start: date
    end: date
    team: str | None = None
    owner: str | None = None  # an officer's username
    case_type: str | None = None  # "storning" | "hyresskuld"


@dataclass
class Value:
    """One number of a measure. `key` is stable within the measure (e.g. "2026-03|storning|granne",
    "median", "total", an outcome code); `dims` names its parts for charts (e.g. {"month": "2026-03",
    "case_type": "storning", "source": "granne"}); `n` is the number of cases a median or share is
    computed from; `case_ids` the cases behind it (empty when the value is not about cases, e.g. a
    median over no cases)."""

    key: str
    label: str
    value: float | int | None
    n: int | None = None
    dims: dict[str, str] = field(default_factory=dict)
    case_ids: frozenset[int] = frozenset()

    @property
    def has_cases(self) -> bool:
        return bool(self.case_ids)


@dataclass
class Measure:
    """A measure with its definition. `available` is False when the product does not record what it
    needs (the definition then says so) — it is listed, never invented."""

    key: str
    group: str  # a key of GROUPS
    label: str
    definition: str
    unit: str  # a key of UNITS
    values: list[Value] = field(default_factory=list)
    available: bool = True

    def value(self, key: str) -> Value | None:
        return next((v for v in self.values if v.key == key), None)


@dataclass
class Stats:
    """Every measure for one filter, as one viewer may see it."""

    filter: StatsFilter
    measures: list[Measure]

    def measure(self, key: str) -> Measure:
        for m in self.measures:
            if m.key == key:
                return m
        raise KeyError(key)

    def cases_behind(self, measure: str, value: str | None = None) -> frozenset[int]:
        """The ids of the cases behind one value of a measure (or behind all its values)."""
        m = self.measure(measure)
        chosen = m.values if value is None else [v for v in m.values if v.key == value]
        ids: set[int] = set()
        for v in chosen:
            ids |= v.case_ids
        return frozenset(ids)


@dataclass(frozen=True)
class Setting:
    """What the computation needs from the application: the zone, the calendar and `now`."""

    zone: ZoneInfo
    calendar: SwedishCalendar
    now: datetime


def compute(
    session: Session,
    visible: ColumnElement[bool],
    flt: StatsFilter,
    setting: Setting,
    *,
    only: Iterable[str] | None = None,
) -> Stats:
    """Every measure (or `only` those keys) for the cases matching `visible` and `flt`."""
    ctx = _Ctx(session, _case_clause(visible, flt), flt, setting)
    wanted = set(only) if only is not None else None
    measures = []
    for spec in MEASURES:
        if wanted is None or spec.key in wanted:
            measures.append(spec.build(ctx))
    return Stats(flt, measures)


def working_days_between(calendar: SwedishCalendar, start: date, end: date) -> int:
    """The working days in (start, end]: 0 when `end` is not after `start` (same day, or the first
    contact made on a holiday right after)."""
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        if calendar.is_working_day(day):
            count += 1
        day += timedelta(days=1)
    return count


def percentile(values: Sequence[int], share: float) -> float | None:
    """The `share` percentile (0.5 = median) by linear interpolation between closest ranks (the
    method of numpy's default and of Excel's PERCENTILE.INC); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def outcome_of(case_outcome: str | None, legal_state: str | None) -> str | None:
    """The case's outcome: the one recorded, else the one its final legal state implies."""
    if case_outcome:
        return case_outcome
    return OUTCOME_OF_FINAL_STATE.get(legal_state or "")


# --- the computation ---------------------------------------------------------------------------------


def _case_clause(visible: ColumnElement[bool], flt: StatsFilter) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = [visible]
    if flt.team:
        parts.append(Case.team == flt.team)
    if flt.case_type:
        parts.append(Case.case_type == flt.case_type)
    if flt.owner:
        parts.append(Case.owner_id.in_(select(User.id).where(User.username == flt.owner)))
    return and_(*parts) if len(parts) > 1 else parts[0]


class _Ctx:
    """One computation: the filter as UTC bounds, and what several measures share, read once."""

    def __init__(
        self, session: Session, cases: ColumnElement[bool], flt: StatsFilter, setting: Setting
    ) -> None:
        self.session = session
        self.cases = cases
        self.flt = flt
        self.setting = setting
        self.lo = _utc_start(flt.start, setting.zone)
        self.hi = _utc_start(flt.end + timedelta(days=1), setting.zone)
        self._firsts: dict[str, dict[int, datetime]] = {}
        self._info: dict[int, _CaseInfo] | None = None
        self._workdays = _WorkdayIndex(setting.calendar)

    def working_days(self, start: date, end: date) -> int:
        return self._workdays.between(start, end)

    def day(self, at: datetime) -> date:
        return at.astimezone(self.setting.zone).date()

    def in_period(self, at: datetime | None) -> bool:
        return at is not None and self.lo <= at < self.hi

    def first(self, milestone: str) -> dict[int, datetime]:
        """Case id → when it first reached `milestone` (all time, for the visible cases)."""
        if milestone not in self._firsts:
            query = (
                select(JournalEntry.case_id, func.min(_raw(JournalEntry.at)))
                .join(Case, Case.id == JournalEntry.case_id)
                .where(milestone_rows(milestone), self.cases)
                .group_by(JournalEntry.case_id)
            )
            self._firsts[milestone] = {
                cid: _aware(at) for cid, at in self.session.execute(query) if at is not None
            }
        return self._firsts[milestone]

    def events(self, condition: ColumnElement[bool]) -> list[tuple[int, datetime, Any]]:
        """(case id, at, row) of the journal rows matching `condition` in the period."""
        query = (
            select(
                JournalEntry.case_id,
                _raw(JournalEntry.at),
                JournalEntry.actor,
                JournalEntry.params,
                JournalEntry.overridden,
                JournalEntry.event,
                JournalEntry.from_state,
            )
            .join(Case, Case.id == JournalEntry.case_id)
            .where(condition, self.cases, JournalEntry.at >= self.lo, JournalEntry.at < self.hi)
            .order_by(JournalEntry.id)
        )
        return [(r[0], _aware(r[1]), r) for r in self.session.execute(query)]

    def info(self) -> dict[int, _CaseInfo]:
        """What the measures need of each visible case that was open at some time in the period or
        is open now (ids, type, source, children, outcome, legal state, times)."""
        if self._info is None:
            query = (
                select(
                    Case.id,
                    Case.case_type,
                    Case.source,
                    Case.children,
                    Case.outcome,
                    Case.status,
                    _raw(Case.opened_at),
                    _raw(Case.closed_at),
                    CaseTrack.state,
                    User.username,
                )
                .join(User, User.id == Case.owner_id)
                .join(CaseTrack, and_(CaseTrack.case_id == Case.id, CaseTrack.track == "legal"))
                .where(
                    self.cases,
                    Case.opened_at < self.hi,
                    or_(Case.closed_at.is_(None), Case.closed_at >= self.lo),
                )
            )
            self._info = {
                r[0]: _CaseInfo(
                    r[0], r[1], r[2], r[3], r[4], r[5], _aware(r[6]), _opt(r[7]), r[8], r[9]
                )
                for r in self.session.execute(query)
            }
        return self._info


class _WorkdayIndex:
    """`working_days_between` for many pairs: a running count of working days per day, built once
    over the range asked for (a case's days are counted by subtraction, not day by day)."""

    def __init__(self, calendar: SwedishCalendar) -> None:
        self.calendar = calendar
        self.first: date | None = None
        self.counts: list[int] = []  # counts[i]: working days in (first, first + i]

    def between(self, start: date, end: date) -> int:
        if end <= start:
            return 0
        self._cover(start, end)
        assert self.first is not None
        return self.counts[(end - self.first).days] - self.counts[(start - self.first).days]

    def _cover(self, start: date, end: date) -> None:
        if self.first is None or start < self.first:
            last = end if self.first is None else max(end, self._last())
            self.first, self.counts = start, [0]
            self._extend(last)
        elif end > self._last():
            self._extend(end)

    def _last(self) -> date:
        assert self.first is not None
        return self.first + timedelta(days=len(self.counts) - 1)

    def _extend(self, end: date) -> None:
        day = self._last()
        while day < end:
            day += timedelta(days=1)
            self.counts.append(self.counts[-1] + (1 if self.calendar.is_working_day(day) else 0))


@dataclass(frozen=True)
class _CaseInfo:
    id: int
    case_type: str
    source: str | None
    children: int | None
    outcome: str | None
    status: str
    opened_at: datetime
    closed_at: datetime | None
    legal_state: str
    owner: str

    @property
    def final_outcome(self) -> str | None:
        return outcome_of(self.outcome, self.legal_state)


def _raw(column: Any) -> Any:
    """A time column read as the stored naive UTC value (without the per-row type decorator:
    bulk reads of many thousand rows); `_aware` makes it aware."""
    return type_coerce(column, DateTime())


def _naive(at: datetime) -> datetime:
    """An aware instant as the stored naive UTC value (to compare with a `_raw` column)."""
    return at.astimezone(UTC).replace(tzinfo=None)


def _utc_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(UTC)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _opt(at: datetime | None) -> datetime | None:
    return None if at is None else _aware(at)


def _ids(items: Iterable[int]) -> frozenset[int]:
    return frozenset(items)


def _count(key: str, label: str, ids: Iterable[int], **dims: str) -> Value:
    found = _ids(ids)
    return Value(key, label, len(found), dims=dict(dims), case_ids=found)


def _share(key: str, label: str, hits: set[int], base: set[int]) -> Value:
    value = round(len(hits) / len(base), 4) if base else None
    return Value(key, label, value, n=len(base), case_ids=_ids(base))


@dataclass(frozen=True)
class _Spec:
    key: str
    group: str
    label: str
    definition: str
    unit: str
    compute: Any  # Callable[[_Ctx], list[Value]]
    available: bool = True

    def build(self, ctx: _Ctx) -> Measure:
        values = self.compute(ctx) if self.available else []
        return Measure(
            self.key, self.group, self.label, self.definition, self.unit, values, self.available
        )


# --- inflow ------------------------------------------------------------------------------------------


def _inflow(ctx: _Ctx) -> list[Value]:
    """Cases opened in the period, by month, type and source."""
    groups: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    for info in ctx.info().values():
        if ctx.in_period(info.opened_at):
            month = ctx.day(info.opened_at).strftime("%Y-%m")
            groups[(month, info.case_type, info.source or "okand")].add(info.id)
    values = []
    for (month, case_type, source), ids in sorted(groups.items()):
        label = (
            f"{month} {CASE_TYPES.get(case_type, case_type)}, "
            f"{COMPLAINT_SOURCES.get(source, 'Okänd källa')}"
        )
        values.append(
            _count(
                f"{month}|{case_type}|{source}",
                label,
                ids,
                month=month,
                case_type=case_type,
                source=source,
            )
        )
    return values


# --- speed -------------------------------------------------------------------------------------------


def _speed(milestone: str) -> Any:
    def compute(ctx: _Ctx) -> list[Value]:
        # the first time each case reached the milestone, kept when it falls in the period (the
        # complaint is the case's opening: the same instant as its `case_opened` journal row)
        first = func.min(_raw(JournalEntry.at))
        query = (
            select(JournalEntry.case_id, first, _raw(Case.opened_at))
            .join(Case, Case.id == JournalEntry.case_id)
            .where(milestone_rows(milestone), ctx.cases)
            .group_by(JournalEntry.case_id, Case.opened_at)
            .having(and_(first >= _naive(ctx.lo), first < _naive(ctx.hi)))
        )
        days: list[int] = []
        ids: set[int] = set()
        for cid, at, opened in ctx.session.execute(query):
            start = ctx.day(_aware(opened))
            days.append(ctx.working_days(start, ctx.day(_aware(at))))
            ids.add(cid)
        median, p90 = percentile(days, 0.5), percentile(days, 0.9)
        return [
            Value("median", "Median", median, n=len(days), case_ids=_ids(ids)),
            Value("p90", "90:e percentilen", p90, n=len(days), case_ids=_ids(ids)),
        ]

    return compute


_SPEED_TAIL = (
    " Räknas i arbetsdagar efter anmälningsdagen (lördagar, söndagar, helgdagar och "
    "midsommar-, jul- och nyårsafton räknas inte), för ärenden som nådde steget under perioden."
)


# --- legal quality -----------------------------------------------------------------------------------


SEVERE_STATES = frozenset({"severe_review"})
"""Legal-track states from which a termination is for particularly serious conduct (12:42 4 st)."""


def _terminations_with_notice(ctx: _Ctx) -> list[Value]:
    """Disturbance terminations in the period; those preceded by a sent notice to socialnämnden."""
    notices = ctx.first("social_notice")
    rows = ctx.events(
        and_(
            milestone_rows("termination"),
            Case.case_type == "storning",
        )
    )
    base: set[int] = set()
    hits: set[int] = set()
    severe: set[int] = set()
    for cid, at, row in rows:
        if row.from_state in SEVERE_STATES:
            severe.add(
                cid
            )  # 12:42 4 st: no prior notice is required (a copy of the termination is)
            continue
        base.add(cid)
        notice = notices.get(cid)
        if notice is not None and notice <= at:
            hits.add(cid)
    share = _share("share", "Andel med underrättelse", hits, base)
    return [
        share,
        _count("with_notice", "Med skickad underrättelse", hits),
        _count("without_notice", "Utan skickad underrättelse", base - hits),
        _count("severe", "Särskilt allvarliga (ingen underrättelse krävs)", severe),
    ]


def _overrides(ctx: _Ctx) -> list[Value]:
    """Overrides of guards in the period, by the user who made them."""
    by_actor: dict[str, set[int]] = defaultdict(set)
    counts: dict[str, int] = defaultdict(int)
    for cid, _at, row in ctx.events(JournalEntry.override.is_not(None)):
        by_actor[row.actor].add(cid)
        counts[row.actor] += 1
    values = []
    for actor in sorted(by_actor):
        values.append(
            Value(
                actor,
                actor,
                counts[actor],
                dims={"actor": actor},
                case_ids=_ids(by_actor[actor]),
            )
        )
    total = set().union(*by_actor.values()) if by_actor else set()
    values.append(Value("total", "Totalt", sum(counts.values()), case_ids=_ids(total)))
    return values


# --- outcomes ----------------------------------------------------------------------------------------


def _closed_in_period(ctx: _Ctx) -> list[_CaseInfo]:
    return [i for i in ctx.info().values() if i.status == "closed" and ctx.in_period(i.closed_at)]


def _outcomes(ctx: _Ctx) -> list[Value]:
    """Cases closed in the period, by outcome."""
    groups: dict[str, set[int]] = defaultdict(set)
    for info in _closed_in_period(ctx):
        groups[info.final_outcome or "okand"].add(info.id)
    return [
        _count(code, OUTCOMES.get(code, "Utfall saknas"), groups[code], outcome=code)
        for code in [*OUTCOMES, "okand"]
        if code in groups
    ]


def _resolved_without_termination(ctx: _Ctx) -> list[Value]:
    closed = {i.id: i for i in _closed_in_period(ctx)}
    terminated = ctx.first("termination")
    evicted = ctx.first("eviction")
    hits = {
        cid
        for cid, info in closed.items()
        if cid not in terminated and cid not in evicted and info.final_outcome != "avhyst"
    }
    return [
        _share("share", "Andel", hits, set(closed)),
        _count("resolved", "Lösta utan uppsägning och avhysning", hits),
    ]


def _milestone_count(milestone: str) -> Any:
    def compute(ctx: _Ctx) -> list[Value]:
        rows = ctx.events(milestone_rows(milestone))
        by_type: dict[str, set[int]] = defaultdict(set)
        types = {cid: t for cid, t in _types(ctx, {r[0] for r in rows}).items()}
        for cid, _at, _row in rows:
            by_type[types.get(cid, "")].add(cid)
        values = [
            _count(t, CASE_TYPES.get(t, t), ids, case_type=t) for t, ids in sorted(by_type.items())
        ]
        values.append(_count("total", "Totalt", {r[0] for r in rows}))
        return values

    return compute


def _types(ctx: _Ctx, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    query = select(Case.id, Case.case_type).where(Case.id.in_(ids))
    return {cid: t for cid, t in ctx.session.execute(query)}


def _leases_recovered(ctx: _Ctx) -> list[Value]:
    rows = ctx.events(and_(JournalEntry.track == "legal", JournalEntry.to_state == "recovered"))
    return [_count("total", "Totalt", {r[0] for r in rows})]


def _evictions_prevented(ctx: _Ctx) -> list[Value]:
    closed = _closed_in_period(ctx)
    terminated = ctx.first("termination")
    applied = ctx.first("kronofogden")
    hits = {
        i.id
        for i in closed
        if (i.id in terminated or i.id in applied) and i.final_outcome not in ("avhyst", "flyttat")
    }
    return [_count("total", "Totalt", hits)]


# --- recurrence --------------------------------------------------------------------------------------


def _recurrence(ctx: _Ctx) -> list[Value]:
    """Uppmaningar given in the period; those followed by a new incident within 6 and 12 months."""
    given = {cid: at for cid, at in ctx.first("uppmaning").items() if ctx.in_period(at)}
    incidents: dict[int, list[datetime]] = defaultdict(list)
    if given:
        query = select(Incident.case_id, Incident.at).where(Incident.case_id.in_(set(given)))
        for cid, at in ctx.session.execute(query):
            incidents[cid].append(_aware(at))
    values = []
    base = set(given)
    for months in (6, 12):
        hits = {
            cid
            for cid, at in given.items()
            if any(at < i <= at + relativedelta(months=months) for i in incidents[cid])
        }
        values.append(
            Value(
                f"{months}m",
                f"Inom {months} månader",
                len(hits),
                n=len(base),
                dims={"months": str(months)},
                case_ids=_ids(hits),
            )
        )
        values.append(_share(f"{months}m_share", f"Andel inom {months} månader", hits, base))
    return values


# --- children ----------------------------------------------------------------------------------------


def _children_pending(ctx: _Ctx) -> list[Value]:
    """Open cases now with a pending termination or application, and the children in them."""
    query = (
        select(Case.id, Case.children)
        .join(CaseTrack, and_(CaseTrack.case_id == Case.id, CaseTrack.track == "legal"))
        .where(ctx.cases, Case.status == "open", CaseTrack.state.in_(PENDING_LOSS_STATES))
    )
    rows = list(ctx.session.execute(query))
    with_children = {cid for cid, n in rows if n}
    unknown = {cid for cid, n in rows if n is None}
    return [
        Value(
            "children",
            "Barn i hushållen",
            sum(n or 0 for _cid, n in rows),
            case_ids=_ids(with_children),
        ),
        _count("households", "Hushåll med barn", with_children),
        _count("unknown", "Hushåll där antalet barn är okänt", unknown),
    ]


def _evictions_children(ctx: _Ctx) -> list[Value]:
    rows = ctx.events(milestone_rows("eviction"))
    ids = {r[0] for r in rows}
    children: dict[int, int | None] = {}
    if ids:
        query = select(Case.id, Case.children).where(Case.id.in_(ids))
        children = {cid: n for cid, n in ctx.session.execute(query)}
    with_children = {cid for cid in ids if children.get(cid)}
    return [
        Value(
            "children",
            "Barn som berördes",
            sum(children.get(cid) or 0 for cid in ids),
            case_ids=_ids(with_children),
        ),
        _count("households", "Avhysningar av hushåll med barn", with_children),
        _count(
            "unknown",
            "Avhysningar där antalet barn är okänt",
            {c for c in ids if children.get(c) is None},
        ),
    ]


# --- support -----------------------------------------------------------------------------------------

SUPPORT_KINDS: dict[str, str] = {
    "hemtjanst": "Hemtjänst",
    "psykiatri": "Psykiatri",
    "god_man": "God man",
    "boendestod": "Boendestöd",
    "missbruksvard": "Missbruksvård",
    "polis": "Polis",
}


def _support(ctx: _Ctx) -> list[Value]:
    rows = ctx.events(
        and_(JournalEntry.track == "authority", JournalEntry.event == "record_support")
    )
    by_kind: dict[str, set[int]] = defaultdict(set)
    counts: dict[str, int] = defaultdict(int)
    for cid, _at, row in rows:
        kind = str((row.params or {}).get("kind", "annan"))
        by_kind[kind].add(cid)
        counts[kind] += 1
    return [
        Value(
            kind,
            SUPPORT_KINDS.get(kind, kind),
            counts[kind],
            dims={"kind": kind},
            case_ids=_ids(ids),
        )
        for kind, ids in sorted(by_kind.items())
    ]


def _consent(ctx: _Ctx) -> list[Value]:
    consent = {
        r[0]
        for r in ctx.events(
            and_(JournalEntry.track == "authority", JournalEntry.event == "record_consent")
        )
    }
    collaboration = {
        r[0]
        for r in ctx.events(
            and_(JournalEntry.track == "authority", JournalEntry.event == "start_collaboration")
        )
    }
    return [
        _count("consent", "Samtycke registrerat", consent),
        _count("collaboration", "Samverkan inledd", collaboration),
    ]


# --- rent arrears ------------------------------------------------------------------------------------


def _amount(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def _arrears(ctx: _Ctx) -> list[Value]:
    """Rent-arrears cases opened in the period (with the debt they were opened for), and the
    balance outstanding now on the open ones."""
    query = select(Case.id, Case.status, Case.opened_at, Case.facts).where(
        ctx.cases, Case.case_type == "hyresskuld"
    )
    opened: set[int] = set()
    opened_amount = Decimal(0)
    open_ids: set[int] = set()
    outstanding = Decimal(0)
    for cid, status, opened_at, facts in ctx.session.execute(query):
        facts = facts or {}
        if ctx.in_period(_aware(opened_at)):
            opened.add(cid)
            opened_amount += _amount(facts.get("amount"))
        if status == "open":
            open_ids.add(cid)
            outstanding += _amount(facts.get("balance", facts.get("amount")))
    return [
        _count("opened", "Nya ärenden", opened),
        Value(
            "opened_amount", "Skuld vid öppnandet (kr)", float(opened_amount), case_ids=_ids(opened)
        ),
        _count("open", "Öppna ärenden nu", open_ids),
        Value("outstanding", "Utestående nu (kr)", float(outstanding), case_ids=_ids(open_ids)),
    ]


def _payment_plans(ctx: _Ctx) -> list[Value]:
    """Payment plans agreed in the period; kept = no missed instalment recorded after the plan."""
    agreed = {r[0]: r[1] for r in ctx.events(JournalEntry.event == "agree_payment_plan")}
    missed: set[int] = set()
    if agreed:
        query = select(JournalEntry.case_id, JournalEntry.at).where(
            JournalEntry.event == "miss_instalment", JournalEntry.case_id.in_(set(agreed))
        )
        missed = {cid for cid, at in ctx.session.execute(query) if _aware(at) >= agreed[cid]}
    kept = set(agreed) - missed
    return [
        _count("agreed", "Träffade", agreed),
        _count("kept", "Hållna", kept),
        _count("missed", "Med uteblivna delbetalningar", missed),
        _share("kept_share", "Andel hållna", kept, set(agreed)),
    ]


# --- workload ----------------------------------------------------------------------------------------


def _open_per_officer(ctx: _Ctx) -> list[Value]:
    query = (
        select(Case.id, User.username)
        .join(User, User.id == Case.owner_id)
        .where(ctx.cases, Case.status == "open")
    )
    by_owner: dict[str, set[int]] = defaultdict(set)
    for cid, owner in ctx.session.execute(query):
        by_owner[owner].add(cid)
    return [_count(o, o, ids, owner=o) for o, ids in sorted(by_owner.items())]


def _overdue(ctx: _Ctx) -> list[Value]:
    today = ctx.setting.now.astimezone(ctx.setting.zone).date()
    query = (
        select(Case.id, User.username)
        .join(User, User.id == Case.owner_id)
        .join(Timer, Timer.case_id == Case.id)
        .where(ctx.cases, Case.status == "open", open_item(), Timer.due_on < today)
        .distinct()
    )
    by_owner: dict[str, set[int]] = defaultdict(set)
    for cid, owner in ctx.session.execute(query):
        by_owner[owner].add(cid)
    values = [_count(o, o, ids, owner=o) for o, ids in sorted(by_owner.items())]
    values.append(_count("total", "Totalt", set().union(*by_owner.values()) if by_owner else set()))
    return values


# --- the list ----------------------------------------------------------------------------------------

MEASURES: tuple[_Spec, ...] = (
    _Spec(
        "inflow",
        "inflow",
        "Nya ärenden per månad",
        "Ärenden som öppnades under perioden, per månad, ärendetyp och källa (varifrån anmälan kom).",
        "count",
        _inflow,
    ),
    _Spec(
        "days_to_first_contact",
        "speed",
        "Tid till första kontakt",
        "Arbetsdagar från anmälan till första kontakt med hyresgästen." + _SPEED_TAIL,
        "days",
        _speed("first_contact"),
    ),
    _Spec(
        "days_to_uppmaning",
        "speed",
        "Tid till uppmaning",
        "Arbetsdagar från anmälan till att uppmaning (rättelseanmaning) gavs (störningsärenden)."
        + _SPEED_TAIL,
        "days",
        _speed("uppmaning"),
    ),
    _Spec(
        "days_to_social_notice",
        "speed",
        "Tid till underrättelse till socialnämnden",
        "Arbetsdagar från anmälan till att underrättelsen eller meddelandet till socialnämnden "
        "skickades." + _SPEED_TAIL,
        "days",
        _speed("social_notice"),
    ),
    _Spec(
        "terminations_with_notice",
        "legal",
        "Uppsägningar föregångna av underrättelse",
        "Andel av störningsärendenas uppsägningar under perioden där en underrättelse till "
        "socialnämnden skickats före uppsägningen (12 kap. 42 § tredje stycket JB; målet är 100 %). "
        "Uppsägningar för särskilt allvarliga störningar räknas för sig: för dem krävs ingen "
        "underrättelse i förväg, bara en kopia av uppsägningen (12 kap. 42 § fjärde stycket JB).",
        "share",
        _terminations_with_notice,
    ),
    _Spec(
        "overrides",
        "legal",
        "Åsidosatta spärrar",
        "Antal händelser under perioden där en spärr åsidosattes med skriftlig motivering, per "
        "användare som gjorde det.",
        "count",
        _overrides,
    ),
    _Spec(
        "outcomes",
        "outcomes",
        "Avslutade ärenden per utfall",
        "Ärenden som avslutades under perioden, efter utfall (det som valdes vid avslutet, annars "
        "det som slutläget visar).",
        "count",
        _outcomes,
    ),
    _Spec(
        "resolved_without_termination",
        "outcomes",
        "Lösta utan uppsägning och avhysning",
        "Andel av ärendena som avslutades under perioden där hyresavtalet aldrig sades upp och "
        "ingen avhysning verkställdes.",
        "share",
        _resolved_without_termination,
    ),
    _Spec(
        "terminations",
        "outcomes",
        "Uppsägningar",
        "Antal ärenden där hyresavtalet sades upp under perioden.",
        "count",
        _milestone_count("termination"),
    ),
    _Spec(
        "leases_recovered",
        "outcomes",
        "Återvunna hyresrätter",
        "Antal hyresskuldsärenden där hyresrätten återvanns (12 kap. 44 § JB) under perioden.",
        "count",
        _leases_recovered,
    ),
    _Spec(
        "eviction_applications",
        "outcomes",
        "Ansökningar om avhysning",
        "Antal ärenden där ansökan om avhysning gjordes hos Kronofogden under perioden.",
        "count",
        _milestone_count("kronofogden"),
    ),
    _Spec(
        "evictions",
        "outcomes",
        "Verkställda avhysningar",
        "Antal ärenden där avhysningen verkställdes under perioden.",
        "count",
        _milestone_count("eviction"),
    ),
    _Spec(
        "evictions_prevented",
        "outcomes",
        "Förhindrade avhysningar",
        "Ärenden som avslutades under perioden efter en uppsägning eller en ansökan om avhysning, "
        "där hyresgästen bor kvar (utfallet är varken avhysning eller flytt).",
        "count",
        _evictions_prevented,
    ),
    _Spec(
        "recurrence",
        "recurrence",
        "Nya störningar efter uppmaning",
        "Av de uppmaningar som gavs under perioden: hur många som följdes av en ny händelse inom 6 "
        "respektive 12 månader (perioden efter en sen uppmaning kan vara ofullständig).",
        "count",
        _recurrence,
    ),
    _Spec(
        "children_pending",
        "children",
        "Barn i hushåll med pågående uppsägning eller ansökan",
        "Just nu: öppna ärenden där en uppsägning eller en ansökan om avhysning pågår, och antalet "
        "barn i de hushållen (ett antal, aldrig namn; okänt antal räknas inte).",
        "count",
        _children_pending,
    ),
    _Spec(
        "evictions_children",
        "children",
        "Avhysningar som berörde barn",
        "Avhysningar som verkställdes under perioden i hushåll med barn, och antalet barn (det "
        "nationella målet är inga).",
        "count",
        _evictions_children,
    ),
    _Spec(
        "support",
        "support",
        "Insatser per slag",
        "Insatser som registrerades under perioden i myndighetsprocessen, per slag.",
        "count",
        _support,
    ),
    _Spec(
        "consent",
        "support",
        "Samtycke och samverkan med socialtjänsten",
        "Ärenden där samtycke till informationsutbyte registrerades, och där samverkan med "
        "socialtjänsten inleddes, under perioden.",
        "count",
        _consent,
    ),
    _Spec(
        "arrears",
        "arrears",
        "Hyresskulder",
        "Hyresskuldsärenden som öppnades under perioden med skulden vid öppnandet, och öppna "
        "ärenden just nu med vad som återstår att betala enligt ärendet.",
        "count",
        _arrears,
    ),
    _Spec(
        "arrears_recovered",
        "arrears",
        "Återvunna inom återvinningsfristen",
        "Hyresskuldsärenden där hyresrätten återvanns under perioden genom betalning eller "
        "socialnämndens åtagande inom fristen i 12 kap. 44 § JB.",
        "count",
        _leases_recovered,
    ),
    _Spec(
        "payment_plans",
        "arrears",
        "Avbetalningsplaner",
        "Avbetalningsplaner som träffades under perioden; hållna är de där ingen utebliven "
        "delbetalning registrerats efter planen.",
        "count",
        _payment_plans,
    ),
    _Spec(
        "open_per_officer",
        "workload",
        "Öppna ärenden per handläggare",
        "Just nu: öppna ärenden per ansvarig handläggare.",
        "count",
        _open_per_officer,
    ),
    _Spec(
        "overdue",
        "workload",
        "Ärenden med passerad tidsfrist",
        "Just nu: öppna ärenden med en frist eller påminnelse vars dag har passerat, per "
        "handläggare.",
        "count",
        _overdue,
    ),
)

MEASURE_KEYS: tuple[str, ...] = tuple(s.key for s in MEASURES)


def definitions() -> list[dict[str, str]]:
    """Every measure's key, group, label, unit and definition (for the dashboard and the report)."""
    return [
        {
            "key": s.key,
            "group": s.group,
            "label": s.label,
            "unit": s.unit,
            "definition": s.definition,
        }
        for s in MEASURES
    ]


__all__ = [
    "GROUPS",
    "MEASURES",
    "MEASURE_KEYS",
    "UNITS",
    "Measure",
    "Setting",
    "Stats",
    "StatsFilter",
    "Value",
    "compute",
    "definitions",
    "outcome_of",
    "percentile",
    "working_days_between",
]
