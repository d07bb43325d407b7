"""The measures of what the work achieves and costs (DOMAIN §8): recurrence, children, support, rent
arrears and workload — each computation beside its definition (`SPECS`, in the dashboard's order)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import and_, select

from storning.due import open_item
from storning.outcomes.context import (
    Context,
    Spec,
    count_value,
    frozen_ids,
    naive,
    raw_column,
    share_value,
)
from storning.outcomes.milestones import (
    PENDING_LOSS_STATES,
    milestone_rows,
)
from storning.outcomes.model import Value
from storning.outcomes.process_measures import leases_recovered
from storning.store.models import Case, CaseTrack, Incident, JournalEntry, Timer, User
from storning.vocabulary import SUPPORT_KINDS

# --- recurrence --------------------------------------------------------------------------------------


def _recurrence(ctx: Context) -> list[Value]:
    """Uppmaningar given in the period; those followed by a new incident within 6 and 12 months."""
    given = {cid: at for cid, at in ctx.first("uppmaning").items() if ctx.in_period(at)}
    incidents: dict[int, list[datetime]] = defaultdict(list)
    if given:
        # the incidents after the first uppmaning given in the period, of the visible cases with an
        # uppmaning (a subquery, not tens of thousands of ids in the statement)
        with_uppmaning = select(JournalEntry.case_id).where(milestone_rows("uppmaning"))
        query = (
            select(Incident.case_id, raw_column(Incident.at))
            .join(Case, Case.id == Incident.case_id)
            .where(
                ctx.cases,
                Incident.case_id.in_(with_uppmaning),
                raw_column(Incident.at) > min(given.values()),
            )
        )
        for cid, at in ctx.rows(query):
            if cid in given:
                incidents[cid].append(naive(at))
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
                case_ids=frozen_ids(hits),
            )
        )
        values.append(share_value(f"{months}m_share", f"Andel inom {months} månader", hits, base))
    return values


# --- children ----------------------------------------------------------------------------------------


def _children_pending(ctx: Context) -> list[Value]:
    """Open cases now with a pending termination or application, and the children in them."""
    query = (
        select(Case.id, Case.children)
        .join(CaseTrack, and_(CaseTrack.case_id == Case.id, CaseTrack.track == "legal"))
        .where(ctx.cases, Case.status == "open", CaseTrack.state.in_(PENDING_LOSS_STATES))
    )
    rows = list(ctx.rows(query))
    with_children = {cid for cid, n in rows if n}
    unknown = {cid for cid, n in rows if n is None}
    return [
        Value(
            "children",
            "Barn i hushållen",
            sum(n or 0 for _cid, n in rows),
            case_ids=frozen_ids(with_children),
        ),
        count_value("households", "Hushåll med barn", with_children),
        count_value("unknown", "Hushåll där antalet barn är okänt", unknown),
    ]


def _evictions_children(ctx: Context) -> list[Value]:
    rows = ctx.events(milestone_rows("eviction"))
    ids = {r[0] for r in rows}
    children: dict[int, int | None] = {cid: row.children for cid, _at, row in rows}
    with_children = {cid for cid in ids if children.get(cid)}
    return [
        Value(
            "children",
            "Barn som berördes",
            sum(children.get(cid) or 0 for cid in ids),
            case_ids=frozen_ids(with_children),
        ),
        count_value("households", "Avhysningar av hushåll med barn", with_children),
        count_value(
            "unknown",
            "Avhysningar där antalet barn är okänt",
            {c for c in ids if children.get(c) is None},
        ),
    ]


# --- support -----------------------------------------------------------------------------------------


def _support(ctx: Context) -> list[Value]:
    rows = ctx.events(
        and_(JournalEntry.track == "authority", JournalEntry.event == "record_support"),
        params=True,
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
            case_ids=frozen_ids(ids),
        )
        for kind, ids in sorted(by_kind.items())
    ]


def _consent(ctx: Context) -> list[Value]:
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
        count_value("consent", "Samtycke registrerat", consent),
        count_value("collaboration", "Samverkan inledd", collaboration),
    ]


# --- rent arrears ------------------------------------------------------------------------------------


def _amount(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def _arrears(ctx: Context) -> list[Value]:
    """Rent-arrears cases opened in the period (with the debt they were opened for), and the
    balance outstanding now on the open ones."""
    query = select(Case.id, Case.status, raw_column(Case.opened_at), Case.facts).where(
        ctx.cases, Case.case_type == "hyresskuld"
    )
    opened: set[int] = set()
    opened_amount = Decimal(0)
    open_ids: set[int] = set()
    outstanding = Decimal(0)
    for cid, status, opened_at, facts in ctx.rows(query):
        facts = facts or {}
        if ctx.in_period(naive(opened_at)):
            opened.add(cid)
            opened_amount += _amount(facts.get("amount"))
        if status == "open":
            open_ids.add(cid)
            outstanding += _amount(facts.get("balance", facts.get("amount")))
    return [
        count_value("opened", "Nya ärenden", opened),
        Value(
            "opened_amount",
            "Skuld vid öppnandet (kr)",
            float(opened_amount),
            case_ids=frozen_ids(opened),
        ),
        count_value("open", "Öppna ärenden nu", open_ids),
        Value(
            "outstanding", "Utestående nu (kr)", float(outstanding), case_ids=frozen_ids(open_ids)
        ),
    ]


def _payment_plans(ctx: Context) -> list[Value]:
    """Payment plans agreed in the period; kept = no missed instalment recorded after the plan."""
    agreed = {r[0]: r[1] for r in ctx.events(JournalEntry.event == "agree_payment_plan")}
    missed: set[int] = set()
    if agreed:
        # the missed instalments of the visible cases (filtered here to those with a plan agreed in
        # the period: not tens of thousands of ids in the statement)
        query = (
            select(JournalEntry.case_id, raw_column(JournalEntry.at))
            .join(Case, Case.id == JournalEntry.case_id)
            .where(JournalEntry.event == "miss_instalment", ctx.cases)
        )
        missed = {cid for cid, at in ctx.rows(query) if cid in agreed and naive(at) >= agreed[cid]}
    kept = set(agreed) - missed
    return [
        count_value("agreed", "Träffade", agreed),
        count_value("kept", "Hållna", kept),
        count_value("missed", "Med uteblivna delbetalningar", missed),
        share_value("kept_share", "Andel hållna", kept, set(agreed)),
    ]


# --- workload ----------------------------------------------------------------------------------------


def _open_per_officer(ctx: Context) -> list[Value]:
    query = (
        select(Case.id, User.username)
        .join(User, User.id == Case.owner_id)
        .where(ctx.cases, Case.status == "open")
    )
    by_owner: dict[str, set[int]] = defaultdict(set)
    for cid, owner in ctx.rows(query):
        by_owner[owner].add(cid)
    return [count_value(o, o, ids, owner=o) for o, ids in sorted(by_owner.items())]


def _overdue(ctx: Context) -> list[Value]:
    today = ctx.setting.now.astimezone(ctx.setting.zone).date()
    query = (
        select(Case.id, User.username)
        .join(User, User.id == Case.owner_id)
        .join(Timer, Timer.case_id == Case.id)
        .where(ctx.cases, Case.status == "open", open_item(), Timer.due_on < today)
        .distinct()
    )
    by_owner: dict[str, set[int]] = defaultdict(set)
    for cid, owner in ctx.rows(query):
        by_owner[owner].add(cid)
    values = [count_value(o, o, ids, owner=o) for o, ids in sorted(by_owner.items())]
    values.append(
        count_value("total", "Totalt", set().union(*by_owner.values()) if by_owner else set())
    )
    return values


SPECS: tuple[Spec, ...] = (
    Spec(
        "recurrence",
        "recurrence",
        "Nya störningar efter uppmaning",
        "Av de uppmaningar som gavs under perioden: hur många som följdes av en ny händelse inom 6 "
        "respektive 12 månader (perioden efter en sen uppmaning kan vara ofullständig).",
        "count",
        _recurrence,
    ),
    Spec(
        "children_pending",
        "children",
        "Barn i hushåll med pågående uppsägning eller ansökan",
        "Just nu: öppna ärenden där en uppsägning eller en ansökan om avhysning pågår, och antalet "
        "barn i de hushållen (ett antal, aldrig namn; okänt antal räknas inte).",
        "count",
        _children_pending,
    ),
    Spec(
        "evictions_children",
        "children",
        "Avhysningar som berörde barn",
        "Avhysningar som verkställdes under perioden i hushåll med barn, och antalet barn (det "
        "nationella målet är inga).",
        "count",
        _evictions_children,
    ),
    Spec(
        "support",
        "support",
        "Insatser per slag",
        "Insatser som registrerades under perioden i myndighetsprocessen, per slag.",
        "count",
        _support,
    ),
    Spec(
        "consent",
        "support",
        "Samtycke och samverkan med socialtjänsten",
        "Ärenden där samtycke till informationsutbyte registrerades, och där samverkan med "
        "socialtjänsten inleddes, under perioden.",
        "count",
        _consent,
    ),
    Spec(
        "arrears",
        "arrears",
        "Hyresskulder",
        "Hyresskuldsärenden som öppnades under perioden med skulden vid öppnandet, och öppna "
        "ärenden just nu med vad som återstår att betala enligt ärendet.",
        "count",
        _arrears,
    ),
    Spec(
        "arrears_recovered",
        "arrears",
        "Återvunna inom återvinningsfristen",
        "Hyresskuldsärenden där hyresrätten återvanns under perioden genom betalning eller "
        "socialnämndens åtagande inom fristen i 12 kap. 44 § JB.",
        "count",
        leases_recovered,
    ),
    Spec(
        "payment_plans",
        "arrears",
        "Avbetalningsplaner",
        "Avbetalningsplaner som träffades under perioden; hållna är de där ingen utebliven "
        "delbetalning registrerats efter planen.",
        "count",
        _payment_plans,
    ),
    Spec(
        "open_per_officer",
        "workload",
        "Öppna ärenden per handläggare",
        "Just nu: öppna ärenden per ansvarig handläggare.",
        "count",
        _open_per_officer,
    ),
    Spec(
        "overdue",
        "workload",
        "Ärenden med passerad tidsfrist",
        "Just nu: öppna ärenden med en frist eller påminnelse vars dag har passerat, per "
        "handläggare.",
        "count",
        _overdue,
    ),
)
