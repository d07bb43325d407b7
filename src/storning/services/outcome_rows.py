"""The case rows behind the outcome measures (issue 14), as one viewer may see them: never a
complainant, never a personnummer; the tenant's name only for those who may act on the case, for
everyone else a stable pseudonym `H-xxxxxxxx` (the first eight hex digits of HMAC-SHA256(a per-database
secret, the case id)). Read through Core with the stored (naive UTC) times: an export reads 100,000.
`storning.services.outcomes` decides which cases; this module only reads and shapes them."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storning import access
from storning.access import CaseScope, Principal
from storning.app import App
from storning.outcomes.context import LocalDays, first_reached, naive, raw_column
from storning.outcomes.measures import outcome_of
from storning.outcomes.milestones import MILESTONES
from storning.readmodel import _visible  # the worklist's own visibility clause: one rule for both
from storning.security import new_secret
from storning.store.models import AppSecret, Case, CaseTrack, JournalEntry, User

PSEUDONYM_KEY = "outcomes_pseudonym_key"


@dataclass
class CaseRow:
    """One case behind a number, as the viewer may see it: never a complainant, never a personnummer;
    `tenant` is the name or a pseudonym (`named` says which)."""

    ref: str
    case_type: str
    team: str | None
    owner: str
    tenant: str
    named: bool
    status: str
    source: str | None
    children: int | None
    outcome: str | None
    legal_state: str
    opened_on: date
    closed_on: date | None
    milestones: dict[str, date | None] = field(default_factory=dict)
    legal_label: str = ""  # the legal state as its workflow names it ("Uppmaning given")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (days as ÅÅÅÅ-MM-DD); built by hand: exports call it for every row."""
        return {
            "ref": self.ref,
            "case_type": self.case_type,
            "team": self.team,
            "owner": self.owner,
            "tenant": self.tenant,
            "named": self.named,
            "status": self.status,
            "source": self.source,
            "children": self.children,
            "outcome": self.outcome,
            "legal_state": self.legal_state,
            "legal_state_label": self.legal_label or self.legal_state,
            "opened_on": self.opened_on.isoformat(),
            "closed_on": self.closed_on.isoformat() if self.closed_on else None,
            "milestones": {k: (v.isoformat() if v else None) for k, v in self.milestones.items()},
        }


# Up to this many cases are named in the SQL (IN …); more are filtered here: tens of thousands of
# bound ids cost more to send and compile than reading the few other rows.
FEW_IDS = 2000


def rows_for(
    app: App,
    session: Session,
    principal: Principal,
    ids: set[int],
    known: dict[str, dict[int, datetime]] | None = None,
) -> list[CaseRow]:
    """The rows of the cases `ids`, oldest first: read through Core with the stored (naive UTC)
    times, as an export of 100,000 rows needs. `known`: when cases first reached milestones, as the
    measures just read them for cases including `ids` (`measures_for`'s `firsts`); the milestones
    not in it are read from the journal."""
    if not ids:
        return []
    query = (
        select(
            Case.id,
            Case.ref,
            Case.case_type,
            Case.team,
            User.username,
            Case.tenant_name,
            Case.status,
            Case.source,
            Case.children,
            Case.outcome,
            CaseTrack.state,
            raw_column(Case.opened_at),
            raw_column(Case.closed_at),
            Case.workflow_version,
        )
        .join(User, User.id == Case.owner_id)
        .join(CaseTrack, (CaseTrack.case_id == Case.id) & (CaseTrack.track == "legal"))
        # the cases the principal may read now: a list from an earlier computation never shows a
        # case that has since moved out of the viewer's sight
        .where(_visible(session, principal))
        .order_by(Case.opened_at, Case.id)
    )
    if len(ids) <= FEW_IDS:
        query = query.where(Case.id.in_(ids))
    day = LocalDays(app.zone)
    firsts = _milestone_days(session, ids, day, known or {})
    key = _pseudonym_key(app, session) if not principal.is_admin else b""
    may_name: dict[tuple[str, str | None], bool] = {}
    label_of = _legal_labels(app, session)
    rows = []
    for (
        cid,
        ref,
        case_type,
        team,
        owner,
        tenant,
        status,
        source,
        children,
        outcome,
        state,
        opened_at,
        closed_at,
        version,
    ) in session.connection().execute(query).all():
        if cid not in ids:
            continue
        named = may_name.get((owner, team))
        if named is None:
            named = may_name[(owner, team)] = access.can_act(principal, CaseScope(owner, team))
        rows.append(
            CaseRow(
                ref=ref,
                case_type=case_type,
                team=team,
                owner=owner,
                tenant=tenant if named else pseudonym(key, cid),
                named=named,
                status=status,
                source=source,
                children=children,
                outcome=outcome_of(outcome, state) if status == "closed" else None,
                legal_state=state,
                opened_on=day(naive(opened_at)),
                closed_on=day(naive(closed_at)) if closed_at else None,
                milestones=firsts.get(cid) or dict.fromkeys(MILESTONES),
                legal_label=label_of(case_type, version, state),
            )
        )
    return rows


def _legal_labels(app: App, session: Session) -> Any:
    """(case type, workflow version, legal state) → the state's name in that workflow, looked up
    once per triple."""
    known: dict[tuple[str, int, str], str] = {}

    def label_of(case_type: str, version: int, state: str) -> str:
        key = (case_type, version, state)
        if key not in known:
            legal = app.registry.get(session, case_type, version).tracks.get("legal")
            known[key] = legal.label(state) if legal and state in legal.states else state
        return known[key]

    return label_of


def _milestone_days(
    session: Session, ids: set[int], day: LocalDays, known: dict[str, dict[int, datetime]]
) -> dict[int, dict[str, date | None]]:
    """Case id → milestone → the local day the case first reached it (None: not reached), for
    those of the cases `ids` that reached one: from `known` (naive UTC times of cases including
    `ids`) where it holds the milestone, else read."""
    found: dict[int, dict[str, date | None]] = {}
    for key in MILESTONES:
        reached = known.get(key)
        if reached is None:
            query = first_reached(key)
            if len(ids) <= FEW_IDS:
                query = query.where(JournalEntry.case_id.in_(ids))
            reached = {
                cid: naive(at)
                for cid, at in session.connection().execute(query).all()
                if at is not None
            }
        for cid, at in reached.items():
            if cid in ids:
                days = found.get(cid)
                if days is None:
                    days = found[cid] = dict.fromkeys(MILESTONES)
                days[key] = day(at)
    return found


def pseudonym(key: bytes, case_id: int) -> str:
    """A tenant's stable pseudonym in exports for those who may not see names."""
    digest = hmac.new(key, str(case_id).encode(), hashlib.sha256).hexdigest()
    return f"H-{digest[:8]}"


def _pseudonym_key(app: App, session: Session) -> bytes:
    """The per-database secret behind the pseudonyms, made on first use in a transaction of its own
    (the caller's only reads; a concurrent first use is settled by reading the other's)."""
    stored = session.get(AppSecret, PSEUDONYM_KEY)
    if stored is not None:
        return stored.value.encode()
    with app.db.write() as writing:
        made = writing.get(AppSecret, PSEUDONYM_KEY)
        if made is None:
            try:
                with writing.begin_nested():
                    made = AppSecret(name=PSEUDONYM_KEY, value=new_secret(), created_at=_now_utc())
                    writing.add(made)
            except IntegrityError:
                made = writing.get(AppSecret, PSEUDONYM_KEY)
                assert made is not None
        return made.value.encode()


def _now_utc() -> datetime:
    from storning.clock import system_now

    return system_now()
