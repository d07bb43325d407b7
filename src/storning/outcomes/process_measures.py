"""The measures of how cases move (DOMAIN §8): inflow, speed, legal quality and outcomes — each
computation beside its definition (`SPECS`, in the dashboard's order)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_

from storning.outcomes.context import (
    CaseInfo,
    Context,
    Spec,
    count_value,
    frozen_ids,
    share_value,
)
from storning.outcomes.milestones import (
    milestone_rows,
)
from storning.outcomes.model import Value, percentile
from storning.store.models import Case, JournalEntry
from storning.vocabulary import CASE_TYPES, COMPLAINT_SOURCES, OUTCOMES

# --- inflow ------------------------------------------------------------------------------------------


def _inflow(ctx: Context) -> list[Value]:
    """Cases opened in the period, by month, type and source."""
    by_month: dict[tuple[int, int, str, str], set[int]] = defaultdict(set)
    lo, hi, day = ctx.lo, ctx.hi, ctx.day
    for info in ctx.info().values():
        if lo <= info.opened_at < hi:
            opened = day(info.opened_at)
            key = (opened.year, opened.month, info.case_type, info.source or "okand")
            by_month[key].add(info.id)
    groups = {(f"{y:04d}-{m:02d}", t, src): ids for (y, m, t, src), ids in by_month.items()}
    values = []
    for (month, case_type, source), ids in sorted(groups.items()):
        label = (
            f"{month} {CASE_TYPES.get(case_type, case_type)}, "
            f"{COMPLAINT_SOURCES.get(source, 'Okänd källa')}"
        )
        values.append(
            count_value(
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
    def compute(ctx: Context) -> list[Value]:
        # the first time each case reached the milestone, kept when it falls in the period (the
        # complaint is the case's opening: the same instant as its `case_opened` journal row)
        reached = {cid: at for cid, at in ctx.first(milestone).items() if ctx.in_period(at)}
        opened = ctx.opened(set(reached))
        day, days = ctx.day, []
        for cid, at in reached.items():
            days.append(ctx.working_days(day(opened[cid]), day(at)))
        median, p90 = percentile(days, 0.5), percentile(days, 0.9)
        ids = frozen_ids(reached)
        return [
            Value("median", "Median", median, n=len(days), case_ids=ids),
            Value("p90", "90:e percentilen", p90, n=len(days), case_ids=ids),
        ]

    return compute


_SPEED_TAIL = (
    " Räknas i arbetsdagar efter anmälningsdagen (lördagar, söndagar, helgdagar och "
    "midsommar-, jul- och nyårsafton räknas inte), för ärenden som nådde steget under perioden."
)


# --- legal quality -----------------------------------------------------------------------------------


SEVERE_STATES = frozenset({"severe_review"})
"""Legal-track states from which a termination is for particularly serious conduct (12:42 4 st)."""


def _terminations_with_notice(ctx: Context) -> list[Value]:
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
    share = share_value("share", "Andel med underrättelse", hits, base)
    return [
        share,
        count_value("with_notice", "Med skickad underrättelse", hits),
        count_value("without_notice", "Utan skickad underrättelse", base - hits),
        count_value("severe", "Särskilt allvarliga (ingen underrättelse krävs)", severe),
    ]


def _overrides(ctx: Context) -> list[Value]:
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
                case_ids=frozen_ids(by_actor[actor]),
            )
        )
    total = set().union(*by_actor.values()) if by_actor else set()
    values.append(Value("total", "Totalt", sum(counts.values()), case_ids=frozen_ids(total)))
    return values


# --- outcomes ----------------------------------------------------------------------------------------


def _closed_in_period(ctx: Context) -> list[CaseInfo]:
    return [i for i in ctx.info().values() if i.status == "closed" and ctx.in_period(i.closed_at)]


def _outcomes(ctx: Context) -> list[Value]:
    """Cases closed in the period, by outcome."""
    groups: dict[str, set[int]] = defaultdict(set)
    for info in _closed_in_period(ctx):
        groups[info.final_outcome or "okand"].add(info.id)
    return [
        count_value(code, OUTCOMES.get(code, "Utfall saknas"), groups[code], outcome=code)
        for code in [*OUTCOMES, "okand"]
        if code in groups
    ]


def _resolved_without_termination(ctx: Context) -> list[Value]:
    closed = {i.id: i for i in _closed_in_period(ctx)}
    terminated = ctx.first("termination")
    evicted = ctx.first("eviction")
    hits = {
        cid
        for cid, info in closed.items()
        if cid not in terminated and cid not in evicted and info.final_outcome != "avhyst"
    }
    return [
        share_value("share", "Andel", hits, set(closed)),
        count_value("resolved", "Lösta utan uppsägning och avhysning", hits),
    ]


def _milestone_count(milestone: str) -> Any:
    def compute(ctx: Context) -> list[Value]:
        rows = ctx.events(milestone_rows(milestone))
        by_type: dict[str, set[int]] = defaultdict(set)
        for cid, _at, row in rows:
            by_type[row.case_type].add(cid)
        values = [
            count_value(t, CASE_TYPES.get(t, t), ids, case_type=t)
            for t, ids in sorted(by_type.items())
        ]
        values.append(count_value("total", "Totalt", {r[0] for r in rows}))
        return values

    return compute


def leases_recovered(ctx: Context) -> list[Value]:
    rows = ctx.events(and_(JournalEntry.track == "legal", JournalEntry.to_state == "recovered"))
    return [count_value("total", "Totalt", {r[0] for r in rows})]


def _evictions_prevented(ctx: Context) -> list[Value]:
    closed = _closed_in_period(ctx)
    terminated = ctx.first("termination")
    applied = ctx.first("kronofogden")
    hits = {
        i.id
        for i in closed
        if (i.id in terminated or i.id in applied) and i.final_outcome not in ("avhyst", "flyttat")
    }
    return [count_value("total", "Totalt", hits)]


SPECS: tuple[Spec, ...] = (
    Spec(
        "inflow",
        "inflow",
        "Nya ärenden per månad",
        "Ärenden som öppnades under perioden, per månad, ärendetyp och källa (varifrån anmälan kom).",
        "count",
        _inflow,
    ),
    Spec(
        "days_to_first_contact",
        "speed",
        "Tid till första kontakt",
        "Arbetsdagar från anmälan till första kontakt med hyresgästen." + _SPEED_TAIL,
        "days",
        _speed("first_contact"),
    ),
    Spec(
        "days_to_uppmaning",
        "speed",
        "Tid till uppmaning",
        "Arbetsdagar från anmälan till att uppmaning (rättelseanmaning) gavs (störningsärenden)."
        + _SPEED_TAIL,
        "days",
        _speed("uppmaning"),
    ),
    Spec(
        "days_to_social_notice",
        "speed",
        "Tid till underrättelse till socialnämnden",
        "Arbetsdagar från anmälan till att underrättelsen eller meddelandet till socialnämnden "
        "skickades." + _SPEED_TAIL,
        "days",
        _speed("social_notice"),
    ),
    Spec(
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
    Spec(
        "overrides",
        "legal",
        "Åsidosatta spärrar",
        "Antal händelser under perioden där en spärr åsidosattes med skriftlig motivering, per "
        "användare som gjorde det.",
        "count",
        _overrides,
    ),
    Spec(
        "outcomes",
        "outcomes",
        "Avslutade ärenden per utfall",
        "Ärenden som avslutades under perioden, efter utfall (det som valdes vid avslutet, annars "
        "det som slutläget visar).",
        "count",
        _outcomes,
    ),
    Spec(
        "resolved_without_termination",
        "outcomes",
        "Lösta utan uppsägning och avhysning",
        "Andel av ärendena som avslutades under perioden där hyresavtalet aldrig sades upp och "
        "ingen avhysning verkställdes.",
        "share",
        _resolved_without_termination,
    ),
    Spec(
        "terminations",
        "outcomes",
        "Uppsägningar",
        "Antal ärenden där hyresavtalet sades upp under perioden.",
        "count",
        _milestone_count("termination"),
    ),
    Spec(
        "leases_recovered",
        "outcomes",
        "Återvunna hyresrätter",
        "Antal hyresskuldsärenden där hyresrätten återvanns (12 kap. 44 § JB) under perioden.",
        "count",
        leases_recovered,
    ),
    Spec(
        "eviction_applications",
        "outcomes",
        "Ansökningar om avhysning",
        "Antal ärenden där ansökan om avhysning gjordes hos Kronofogden under perioden.",
        "count",
        _milestone_count("kronofogden"),
    ),
    Spec(
        "evictions",
        "outcomes",
        "Verkställda avhysningar",
        "Antal ärenden där avhysningen verkställdes under perioden.",
        "count",
        _milestone_count("eviction"),
    ),
    Spec(
        "evictions_prevented",
        "outcomes",
        "Förhindrade avhysningar",
        "Ärenden som avslutades under perioden efter en uppsägning eller en ansökan om avhysning, "
        "där hyresgästen bor kvar (utfallet är varken avhysning eller flytt).",
        "count",
        _evictions_prevented,
    ),
)
