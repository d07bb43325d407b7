"""One computation of the outcome measures: the filter as UTC bounds, the visible cases, and what
several measures share (cases, milestones, working days), read once; and the `Spec` of a measure.
Used by `process_measures` and `impact_measures`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, DateTime, and_, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from storning.calendar import SwedishCalendar
from storning.outcomes.milestones import (
    milestone_rows,
)
from storning.outcomes.model import (
    Measure,
    Setting,
    StatsFilter,
    Value,
    outcome_of,
)
from storning.store.models import Case, CaseTrack, JournalEntry, User

# --- the computation ---------------------------------------------------------------------------------


def case_clause(visible: ColumnElement[bool], flt: StatsFilter) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = [visible]
    if flt.team:
        parts.append(Case.team == flt.team)
    if flt.case_type:
        parts.append(Case.case_type == flt.case_type)
    if flt.owner:
        parts.append(Case.owner_id.in_(select(User.id).where(User.username == flt.owner)))
    return and_(*parts) if len(parts) > 1 else parts[0]


class Context:
    """One computation: the filter as UTC bounds, and what several measures share, read once.

    Times are handled as the stored naive UTC values (`raw_column`), read through Core (no ORM row
    loading): one computation reads about a million journal rows at 100,000 cases, and a per-row
    time-zone conversion or ORM row costs more than the SQL. `day` turns such a value into the
    landlord's local day."""

    def __init__(
        self,
        session: Session,
        cases: ColumnElement[bool],
        flt: StatsFilter,
        setting: Setting,
        firsts: dict[str, dict[int, datetime]] | None = None,
    ) -> None:
        self.session = session
        self.connection = session.connection()
        self.cases = cases
        self.flt = flt
        self.setting = setting
        self.lo = naive_utc(utc_start(flt.start, setting.zone))
        self.hi = naive_utc(utc_start(flt.end + timedelta(days=1), setting.zone))
        # milestone → case id → first reached: the caller may pass a dict to keep them (an export
        # reads its rows' milestones from it instead of from the journal again)
        self._firsts: dict[str, dict[int, datetime]] = {} if firsts is None else firsts
        self._info: dict[int, CaseInfo] | None = None
        self._workdays = WorkdayIndex(setting.calendar)
        self.day = LocalDays(setting.zone)

    def rows(self, query: Any) -> Any:
        """The rows of a Core `select` (tuples with attribute access), fetched at once."""
        return self.connection.execute(query).all()

    def working_days(self, start: date, end: date) -> int:
        return self._workdays.between(start, end)

    def in_period(self, at: datetime | None) -> bool:
        """Whether a stored (naive UTC) time falls in the period."""
        return at is not None and self.lo <= at < self.hi

    def first(self, milestone: str) -> dict[int, datetime]:
        """Case id → when (naive UTC) it first reached `milestone` (all time, for the visible
        cases)."""
        if milestone not in self._firsts:
            query = first_reached(milestone).join(Case, Case.id == JournalEntry.case_id)
            query = query.where(self.cases)
            self._firsts[milestone] = {
                cid: naive(at) for cid, at in self.rows(query) if at is not None
            }
        return self._firsts[milestone]

    def events(
        self, condition: ColumnElement[bool], *, params: bool = False
    ) -> list[tuple[int, datetime, Any]]:
        """(case id, at as naive UTC, row) of the journal rows matching `condition` in the period,
        in journal order; the row has `actor`, `event`, `from_state`, the case's `case_type` and
        `children` and, when asked for, `params`."""
        columns: list[Any] = [
            JournalEntry.case_id,
            raw_column(JournalEntry.at),
            JournalEntry.actor,
            JournalEntry.event,
            JournalEntry.from_state,
            Case.case_type,
            Case.children,
        ]
        if params:
            columns.append(JournalEntry.params)
        query = (
            select(*columns)
            .join(Case, Case.id == JournalEntry.case_id)
            .where(
                condition,
                self.cases,
                raw_column(JournalEntry.at) >= self.lo,
                raw_column(JournalEntry.at) < self.hi,
            )
            .order_by(JournalEntry.id)
        )
        return [(r[0], naive(r[1]), r) for r in self.rows(query)]

    def opened(self, ids: set[int]) -> dict[int, datetime]:
        """Case id → when (naive UTC) it was opened, for `ids`: from `info` (a case reaches a
        milestone in the period only while open, so it is there), the others read."""
        info = self.info()
        found = {cid: info[cid].opened_at for cid in ids if cid in info}
        missing = ids - found.keys()
        if missing:
            query = select(Case.id, raw_column(Case.opened_at)).where(Case.id.in_(missing))
            found.update((cid, naive(at)) for cid, at in self.rows(query))
        return found

    def info(self) -> dict[int, CaseInfo]:
        """What the measures need of each visible case that was open at some time in the period or
        is open now (ids, type, source, children, outcome, legal state, times as naive UTC)."""
        if self._info is None:
            query = (
                select(
                    Case.id,
                    Case.case_type,
                    Case.source,
                    Case.children,
                    Case.outcome,
                    Case.status,
                    raw_column(Case.opened_at),
                    raw_column(Case.closed_at),
                    CaseTrack.state,
                    User.username,
                )
                .join(User, User.id == Case.owner_id)
                .join(CaseTrack, and_(CaseTrack.case_id == Case.id, CaseTrack.track == "legal"))
                .where(
                    self.cases,
                    raw_column(Case.opened_at) < self.hi,
                    or_(Case.closed_at.is_(None), raw_column(Case.closed_at) >= self.lo),
                )
            )
            self._info = {
                r[0]: CaseInfo(
                    r[0], r[1], r[2], r[3], r[4], r[5], naive(r[6]), naive(r[7]), r[8], r[9]
                )
                for r in self.rows(query)
            }
        return self._info


def first_reached(milestone: str) -> Any:
    """(case id, the stored time it first reached `milestone`) per case: the measures narrow it to
    the visible cases, the export rows to theirs (one query, answered from the milestone index)."""
    return (
        select(JournalEntry.case_id, func.min(raw_column(JournalEntry.at)))
        .where(milestone_rows(milestone))
        .group_by(JournalEntry.case_id)
    )


class LocalDays:
    """The landlord's local day of a stored (naive UTC) time, for many times: the zone's offset is
    looked up once per UTC day and added; on the two days a year the offset changes, each time is
    converted in full."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._offsets: dict[date, timedelta | None] = {}

    def __call__(self, at: datetime) -> date:
        day = at.date()
        try:
            offset = self._offsets[day]
        except KeyError:
            offset = self._offsets[day] = self._steady_offset(day)
        if offset is None:
            return at.replace(tzinfo=UTC).astimezone(self.zone).date()
        return (at + offset).date()

    def _steady_offset(self, day: date) -> timedelta | None:
        """The zone's offset during the whole UTC day, or None when it changes during it."""
        start = datetime.combine(day, time(0), UTC)
        first = start.astimezone(self.zone).utcoffset()
        last = (start + timedelta(days=1, microseconds=-1)).astimezone(self.zone).utcoffset()
        return first if first == last else None


class WorkdayIndex:
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
class CaseInfo:
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


def raw_column(column: Any) -> Any:
    """A time column read as the stored naive UTC value (without the per-row type decorator:
    bulk reads of many thousand rows), compared with `naive_utc` bounds."""
    return type_coerce(column, DateTime())


def naive_utc(at: datetime) -> datetime:
    """An aware instant as the stored naive UTC value (to compare with a `raw_column` column)."""
    return at.astimezone(UTC).replace(tzinfo=None)


def utc_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(UTC)


def naive(at: Any) -> Any:
    """A time column's value as naive UTC: SQLite returns it so; PostgreSQL (timestamptz) returns
    an aware UTC value, made naive here. None stays None."""
    if at is None or at.tzinfo is None:
        return at
    return at.astimezone(UTC).replace(tzinfo=None)


def frozen_ids(items: Iterable[int]) -> tuple[int, ...]:
    """Case ids as a `Value` keeps them: each once, in order."""
    return tuple(sorted(set(items)))


def count_value(key: str, label: str, ids: Iterable[int], **dims: str) -> Value:
    found = frozen_ids(ids)
    return Value(key, label, len(found), dims=dict(dims), case_ids=found)


def share_value(key: str, label: str, hits: set[int], base: set[int]) -> Value:
    value = round(len(hits) / len(base), 4) if base else None
    return Value(key, label, value, n=len(base), case_ids=frozen_ids(base))


@dataclass(frozen=True)
class Spec:
    key: str
    group: str
    label: str
    definition: str
    unit: str
    compute: Any  # Callable[[Context], list[Value]]
    available: bool = True

    def build(self, ctx: Context) -> Measure:
        values = self.compute(ctx) if self.available else []
        return Measure(
            self.key, self.group, self.label, self.definition, self.unit, values, self.available
        )
