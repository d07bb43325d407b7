"""One letter to each contract holder (12 kap. 8 § JB): the letters an event drafts once per holder
form a round, and a round is sent, served or made (a termination) only when every holder's letter is.

`holder_round` says where a round stands and keeps the case's `<template>_pending` fact (who still
lacks theirs) up to date; the letter services pass its `params()` with `letter_sent`/`letter_served`
so the workflows react to the round, not to the single letter (workflows/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storning.app import App
from storning.clock import local_day
from storning.store.models import Case, Letter

# 12 kap. 8 § JB: a termination sent by registered letter is made the day it is posted (one that is
# served, the day it is served); the lease end of a termination to the end of the term counts from then.
TERM_END_LETTER = "uppsagning_hyrestid"
TERMINATION_POSTED_BY = frozenset({"rekommenderat"})
# The ways a termination may reach the tenant under 12:8: posted by registered letter, or served.
TERMINATION_SENT_BY = TERMINATION_POSTED_BY | {"delgivning", "stamningsman", "personligen"}


@dataclass(frozen=True)
class HolderRound:
    """Where a letter's round stands: for a letter to each contract holder (12 kap. 8 § JB), which
    holders have had theirs sent, served and (a termination) made; for any other letter, itself.
    `*_on` are the latest day among the holders, set only once every holder's letter has it."""

    template: str
    unsent: tuple[str, ...]
    unserved: tuple[str, ...]
    unmade: tuple[str, ...]
    sent_on: str | None
    sent_at: str | None
    served_on: str | None
    made_on: str | None
    # holders whose termination to the end of the term prints another lease end than the one the
    # whole round gives (made to them earlier than to the last holder): they need a new letter
    wrong_date: tuple[str, ...] = ()

    @property
    def all_sent(self) -> bool:
        return not self.unsent

    @property
    def all_served(self) -> bool:
        return not self.unserved

    def params(self) -> dict[str, Any]:
        """What the tracks see with `letter_sent` / `letter_served` (workflows/README.md)."""
        return {
            "all_sent": self.all_sent,
            "all_served": self.all_served,
            "all_made": not self.unmade,
            "round_sent_on": self.sent_on,
            "round_sent_at": self.sent_at,
            "round_served_on": self.served_on,
            "round_made_on": self.made_on,
        }

    def fact(self) -> dict[str, list[str]]:
        fact = {"unsent": list(self.unsent), "unserved": list(self.unserved)}
        if self.wrong_date:
            fact["wrong_date"] = list(self.wrong_date)
        return fact


def holder_round(app: App, session: Session, case: Case, letter: Letter) -> HolderRound:
    """The round `letter` belongs to (the per-holder letters drafted by one event, and their
    reissues), as it stands now. For a per-holder letter it is also stored on the case as the fact
    `<template>_pending`, so the guards can name whoever is still missing."""
    from storning.household import contract_holders, holder_index

    per_holder = "holder" in (letter.data or {})
    if per_holder:
        round_id = (letter.data or {}).get("round")
        names = [h.name for h in contract_holders(case)]
        query = select(Letter).where(Letter.case_id == case.id, Letter.template == letter.template)
        groups: list[list[Letter]] = [[] for _ in names]
        for item in session.scalars(query):
            index = holder_index(case, item.data or {})
            if (item.data or {}).get("round") == round_id and index is not None:
                groups[index].append(item)
    else:
        names, groups = [case.tenant_name], [[letter]]

    def last(values: list[datetime]) -> datetime | None:
        """A holder's latest: a reissued letter sent or served again counts from then."""
        return max(values, default=None)

    sent = [last([x.sent_at for x in group if x.sent_at]) for group in groups]
    served = [last([x.served_at for x in group if x.served_at]) for group in groups]
    posted = [
        last([x.sent_at for x in group if x.sent_at and x.sent_method in TERMINATION_POSTED_BY])
        for group in groups
    ]
    made = [served[i] or posted[i] for i in range(len(groups))]  # 12 kap. 8 § JB
    wrong: tuple[str, ...] = ()
    if per_holder and letter.template == TERM_END_LETTER and all(made):
        ends = app.engine.calendar.lease_end_12_4(
            max(local_day(m, app.zone) for m in made if m is not None)
        ).isoformat()
        wrong = tuple(
            name
            for name, group in zip(names, groups, strict=True)
            if printed_lease_end(_latest_made(group)) not in (None, ends)
        )
    status = HolderRound(
        letter.template,
        unsent=_missing(names, sent),
        unserved=_missing(names, served),
        unmade=_missing(names, made),
        sent_on=_last_day(app, sent),
        sent_at=_last_instant(app, sent),
        served_on=_last_day(app, served),
        made_on=_last_day(app, made),
        wrong_date=wrong,
    )
    if per_holder:
        case.facts = {**case.facts, f"{letter.template}_pending": status.fact()}
    return status


def _latest_made(group: list[Letter]) -> Letter | None:
    made = [
        x for x in group if x.served_at or (x.sent_at and x.sent_method in TERMINATION_POSTED_BY)
    ]
    return max(made, key=lambda x: x.served_at or x.sent_at or x.created_at, default=None)


def printed_lease_end(letter: Letter | None) -> str | None:
    """The lease end an issued letter printed (from its frozen data)."""
    if letter is None:
        return None
    value = ((letter.data or {}).get("facts") or {}).get("lease_end_on")
    return str(value)[:10] if value else None


def latest_in_round(session: Session, case: Case, template: str) -> Letter | None:
    """The newest per-holder letter of `template` on the case: it names the current round."""
    query = (
        select(Letter)
        .where(Letter.case_id == case.id, Letter.template == template)
        .order_by(Letter.id.desc())
    )
    return next((x for x in session.scalars(query) if "round" in (x.data or {})), None)


def refresh_rounds(app: App, session: Session, case: Case) -> None:
    """Recount every open per-holder round after the contract holders changed: a holder added now
    lacks their letter (and is named), one removed no longer counts."""
    for name in [k for k in case.facts if k.endswith("_pending")]:
        template = name.removesuffix("_pending")
        latest = latest_in_round(session, case, template)
        if latest is not None:
            holder_round(app, session, case, latest)


def _missing(names: list[str], moments: list[datetime | None]) -> tuple[str, ...]:
    return tuple(name for name, moment in zip(names, moments, strict=True) if moment is None)


def _last_instant(app: App, moments: list[datetime | None]) -> str | None:
    """The latest moment once every holder has one (the round is complete only then)."""
    if not moments or any(m is None for m in moments):
        return None
    return max(m for m in moments if m is not None).astimezone(app.zone).isoformat()


def _last_day(app: App, moments: list[datetime | None]) -> str | None:
    instant = _last_instant(app, moments)
    return instant[:10] if instant else None
