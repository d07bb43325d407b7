"""Use cases on the outcomes of eviction prevention (issue 14): the measures for a principal, the cases
behind a number and exports (what officers record for them, source, children and outcome, is
`services.case_outcome`).

Who may see the measures (decided here, with `storning.access`; the doors only translate):

- every role sees the measures over the cases it may read on the worklist (`access.visibility`, the
  read model's own clause): an admin every case; a chef, an officer and a reader their team's cases
  (an officer or a chef also their own cases in another team; a reader only the team's); a user with
  no team and no acting role sees nothing;
- a team filter only narrows that set (a reader of another team sees none of ours);
- the cases behind a number are listed with the same rule; they never carry complainant data (no
  complainant column exists in the rows), so protected identities cannot leak;
- tenant names appear only to those who may act on the case (`access.can_act`: the officer, the
  team's chef, an admin); for everyone else (a reader) a stable pseudonym `H-xxxxxxxx`: the first
  eight hex digits of HMAC-SHA256(a per-database secret, the case id). The same case gets the same
  pseudonym in every export; it cannot be turned back into a name without the database.

Every call writes one access-log row (`stats_view`, `stats_cases`, `stats_export`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storning import access
from storning.access import Principal, principal_of
from storning.app import App
from storning.clock import EARLIEST_YEAR, LATEST_YEAR, local_day
from storning.errors import InvalidInput, PermissionDenied
from storning.outcomes.bulk import collector_paused
from storning.outcomes.measures import (
    MEASURE_KEYS,
    Stats,
    StatsFilter,
)
from storning.readmodel import _visible  # the worklist's own visibility clause: one rule for both
from storning.services.common import _actor, log_access, refuse, unit
from storning.services.outcome_rows import CaseRow as CaseRow
from storning.services.outcome_rows import pseudonym as pseudonym
from storning.services.outcome_rows import rows_for
from storning.services.outcomes_cache import measures_for
from storning.services.outcomes_cache import stop_refreshing as stop_refreshing
from storning.services.outcomes_cache import wait_for_refreshes as wait_for_refreshes
from storning.store.models import Case, User
from storning.vocabulary import CASE_TYPES

ExportFormat = Literal["csv", "xlsx", "json"]


# --- the measures ------------------------------------------------------------------------------------


# The days a period may cover: the years the product reads anywhere (`storning.clock`); the ends of
# the calendar (year 1, year 9999) cannot be turned into instants in every time zone.
EARLIEST, LATEST = date(EARLIEST_YEAR, 1, 1), date(LATEST_YEAR, 12, 31)


def check_filter(flt: StatsFilter) -> StatsFilter:
    """Refuse a filter that cannot mean anything, with one Swedish sentence."""
    if flt.start < EARLIEST or flt.end > LATEST:
        raise InvalidInput(
            f"Perioden måste ligga mellan {EARLIEST} och {LATEST}; ange datum mellan de åren."
        )
    if flt.end < flt.start:
        raise InvalidInput(
            f"Periodens slut {flt.end} ligger före dess början {flt.start}; byt plats på datumen."
        )
    if (flt.end - flt.start).days > 366 * 5:
        raise InvalidInput("Perioden får vara högst fem år; välj en kortare period.")
    if flt.case_type and flt.case_type not in CASE_TYPES:
        raise InvalidInput(f"Okänd ärendetyp '{flt.case_type}'; välj {' eller '.join(CASE_TYPES)}.")
    return flt


def default_filter(app: App, now: datetime) -> StatsFilter:
    """This calendar year up to today (the dashboard's and the CLI's default)."""
    today = local_day(now, app.zone)
    return StatsFilter(date(today.year, 1, 1), today)


def stats(
    app: App,
    actor: str,
    now: datetime,
    flt: StatsFilter,
    *,
    only: list[str] | None = None,
    recent: bool = False,
) -> Stats:
    """Every measure (or `only` those keys) over the cases the actor may read, as the data is now.

    `recent` (the dashboard): when the data has changed since the last computation of the same
    view and that computation took longer than `STORNING_STATS_WAIT_MS`, the last one is returned
    (`current` False, `computed_at` its time) and a new one is started in the background, so
    the viewer does not wait; the next view shows it."""
    check_filter(flt)
    _check_keys(only)
    with unit(app, write=False) as session:
        principal = _stats_principal(app, session, actor, flt)
        result = measures_for(app, session, principal, flt, now, only, recent=recent)
    _logged(app, principal.username, now, "stats_view", _detail(flt))
    return result


def case_rows(
    app: App,
    actor: str,
    now: datetime,
    flt: StatsFilter,
    *,
    measure: str | None = None,
    value: str | None = None,
) -> list[CaseRow]:
    """The cases behind one value of one measure (or behind every measure, `measure=None`), oldest
    first, as the actor may see them, counted from the data as it is."""
    return cases_behind(app, actor, now, flt, measure=measure, value=value).rows


@dataclass
class CasesBehind:
    """The cases behind a number, and the computation they come from (`Stats.computed_at`,
    `Stats.current`)."""

    rows: list[CaseRow]
    computed_at: datetime | None
    current: bool


def cases_behind(
    app: App,
    actor: str,
    now: datetime,
    flt: StatsFilter,
    *,
    measure: str | None = None,
    value: str | None = None,
    recent: bool = False,
) -> CasesBehind:
    """`case_rows` with the computation they come from. `recent` (a number clicked on the
    dashboard): the computation the dashboard shows now (see `stats`), which may be newer than the
    one the number was read from; the page says which. The cases are those the actor may read now."""
    check_filter(flt)
    if measure is not None:
        _check_keys([measure])
    with collector_paused(), unit(app, write=False) as session:  # see storning.outcomes.bulk
        principal = _stats_principal(app, session, actor, flt)
        only = [measure] if measure else None
        firsts: dict[str, dict[int, datetime]] = {}  # as in `export`
        result = measures_for(app, session, principal, flt, now, only, recent=recent, firsts=firsts)
        if measure is None:
            ids: set[int] = set()
            for m in result.measures:
                ids |= result.cases_behind(m.key)
        else:
            ids = set(result.cases_behind(measure, value))
        rows = rows_for(app, session, principal, ids, firsts)
    detail = f"{_detail(flt)} {measure or '*'}:{value or '*'} ({len(rows)} ärenden)"
    _logged(app, principal.username, now, "stats_cases", detail)
    return CasesBehind(rows, result.computed_at, result.current)


def _logged(app: App, username: str, now: datetime, action: str, detail: str) -> None:
    """The access log's line of a read of the measures, in a short transaction of its own after the
    read: the measures take seconds at 100,000 cases, and on SQLite a transaction that writes holds
    the database's one write lock from its start — every officer's change would wait for them."""
    with unit(app) as session:
        log_access(session, username, now, None, action, detail[:400])


def viewed_team(app: App, actor: str, team: str | None) -> str | None:
    """The team a report of `actor` covers: `team` when asked for, else the actor's own team when
    they see no other (a chef's or a reader's report is their team's, and must say so)."""
    if team:
        return team
    with unit(app, write=False) as session:
        principal = principal_of(_actor(app, session, actor))
        return None if access.visibility(principal) == "all" else principal.team


def _stats_principal(
    app: App, session: Session, actor: str, flt: StatsFilter | None = None
) -> Principal:
    user = _actor(app, session, actor)
    principal = principal_of(user)
    if flt is not None and flt.team:
        _check_team(session, principal, flt.team)
    if access.visibility(principal) == "none":
        raise refuse(
            PermissionDenied(
                f"Användaren {user.username} har inget team och får därför inte se några "
                "ärenden eller mått; be en administratör om ett team."
            ),
            user.username,
            None,
            "stats_view",
        )
    return principal


def _check_team(session: Session, principal: Principal, team: str) -> None:
    """A team filter names a team there is, and one whose cases the principal may read: a report of
    another team would otherwise come out as zeros under that team's name."""
    known = session.scalar(
        select(func.count()).select_from(User).where(User.team == team)
    ) or session.scalar(select(func.count()).select_from(Case).where(Case.team == team))
    if not known:
        raise InvalidInput(f"Det finns inget team som heter '{team[:80]}'.")
    if access.visibility(principal) != "all" and team != principal.team:
        visible = select(Case.id).where(Case.team == team, _visible(session, principal)).limit(1)
        if session.scalar(visible) is None:
            raise refuse(
                PermissionDenied(
                    f"Användaren {principal.username} ser inga ärenden i team {team[:80]}; välj "
                    f"team {principal.team} eller inget team."
                ),
                principal.username,
                None,
                "stats_view",
            )


def _check_keys(keys: list[str] | None) -> None:
    unknown = sorted(set(keys or ()) - set(MEASURE_KEYS))
    if unknown:
        raise InvalidInput(f"Okänt mått {', '.join(unknown)}; måtten är {', '.join(MEASURE_KEYS)}.")


def _detail(flt: StatsFilter) -> str:
    parts = [f"{flt.start}..{flt.end}"]
    parts += [
        f"{k}={v}"
        for k, v in (("team", flt.team), ("typ", flt.case_type), ("handläggare", flt.owner))
        if v
    ]
    return " ".join(parts)


# --- exports -----------------------------------------------------------------------------------------

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
Table = Literal["measures", "cases"]


@dataclass(frozen=True)
class Export:
    """An export ready to write or send: a file name, its media type and its bytes."""

    filename: str
    media_type: str
    content: bytes


def export(
    app: App,
    actor: str,
    now: datetime,
    flt: StatsFilter,
    fmt: str,
    *,
    table: str = "measures",
    measure: str | None = None,
    value: str | None = None,
) -> Export:
    """The measures and the cases behind them as CSV (`table`: the measures or the cases), XLSX (both,
    with the definitions) or JSON (both). `measure`/`value` narrow the cases to those behind one
    number. No complainant data; tenant names only for those who may act on the case."""
    if fmt not in MEDIA_TYPES:
        raise InvalidInput(f"Okänt format '{fmt}'; välj {', '.join(MEDIA_TYPES)}.")
    if table not in ("measures", "cases"):
        raise InvalidInput(
            f"Okänd tabell '{table}'; välj measures (måtten) eller cases (ärendena)."
        )
    check_filter(flt)
    if measure is not None:
        _check_keys([measure])
    with collector_paused():  # 100,000 rows: see storning.outcomes.bulk
        return _export(app, actor, now, flt, fmt, table, measure, value)


def _export(
    app: App,
    actor: str,
    now: datetime,
    flt: StatsFilter,
    fmt: str,
    table: str,
    measure: str | None,
    value: str | None,
) -> Export:
    import json

    from storning.outcomes import exports

    with unit(app, write=False) as session:
        principal = _stats_principal(app, session, actor, flt)
        # the milestones the measures read (when computed now) serve the rows too
        firsts: dict[str, dict[int, datetime]] = {}
        result = measures_for(app, session, principal, flt, now, None, firsts=firsts)
        ids: set[int] = set()
        if measure is not None:
            ids = set(result.cases_behind(measure, value))
        else:
            for m in result.measures:
                ids |= result.cases_behind(m.key)
        rows = (
            []
            if fmt == "csv" and table == "measures"
            else rows_for(app, session, principal, ids, firsts)
        )
    named = sum(1 for r in rows if r.named)
    detail = f"{_detail(flt)} {fmt} {table} ({len(rows)} ärenden, {named} med namn)"
    _logged(app, principal.username, now, "stats_export", detail)
    stem = file_stem("storning-matt", str(flt.start), str(flt.end), flt.team, flt.case_type)
    if fmt == "csv":
        if table == "cases":
            content = exports.to_csv(exports.case_headers(), exports.case_table(rows))
            return Export(f"{stem}-arenden.csv", MEDIA_TYPES["csv"], content)
        content = exports.to_csv(exports.MEASURE_HEADERS, exports.measure_rows(result))
        return Export(f"{stem}.csv", MEDIA_TYPES["csv"], content)
    if fmt == "xlsx":
        title = f"Vräkningsförebyggande arbete och störningsärenden {flt.start}–{flt.end}"
        content = exports.to_xlsx(result, rows, title=title)
        return Export(f"{stem}.xlsx", MEDIA_TYPES["xlsx"], content)
    document = exports.stats_json(result)
    document["cases"] = [r.as_dict() for r in rows]
    content = json.dumps(document, ensure_ascii=False, indent=2).encode()
    return Export(f"{stem}.json", MEDIA_TYPES["json"], content)


def file_stem(*parts: str | None) -> str:
    """A file's name (without its ending) that says what it holds, in characters every door can use
    as they are: in an HTTP header, and as a file in the current folder (no path separator, no
    quote): the given parts joined by "-", every other character "_"."""
    return "".join(
        c if c.isascii() and (c.isalnum() or c in "-_.") else "_"
        for c in "-".join(part for part in parts if part)
    )


def may_see_outcomes(principal: Principal) -> bool:
    """Whether the menu offers Utfall: to chefs, readers and administrators who may read some cases.
    (The page counts only the cases the person may read and refuses those who may read none; an
    officer who follows a link sees the own team's numbers.)"""
    roles = {"chef", "lasare", "admin"} & principal.roles
    return bool(roles) and access.visibility(principal) != "none"


def filter_from(
    app: App,
    now: datetime,
    *,
    start: str | date | None = None,
    end: str | date | None = None,
    team: str | None = None,
    case_type: str | None = None,
    owner: str | None = None,
) -> StatsFilter:
    """A filter from what a person typed: days as ÅÅÅÅ-MM-DD in the landlord's zone; without `end`,
    today; without `start`, the first of January of the end's year. Empty texts mean "all". A day
    outside the years the product reads is refused by `check_filter`, saying which years."""

    def day(value: str | date | None, name: str) -> date | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            raise InvalidInput(
                f"{name} '{value}' är inget datum; skriv ÅÅÅÅ-MM-DD (till exempel 2026-01-01)."
            ) from None

    last = day(end, "Periodens slut") or local_day(now, app.zone)
    first = day(start, "Periodens början") or date(last.year, 1, 1)
    return check_filter(
        StatsFilter(
            first,
            last,
            team=(team or "").strip() or None,
            owner=(owner or "").strip() or None,
            case_type=(case_type or "").strip() or None,
        )
    )
