"""Use cases that draft a letter outside the workflow's events: a new draft of an existing letter
(re-issue: the original never changes, invariant 6), and a letter on the officer's own initiative."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storning.access import principal_of
from storning.app import App
from storning.errors import InvalidInput, NotFound, cli
from storning.presenters import letter_dict
from storning.services.common import (
    _actor,
    _case,
    _finish,
    _record,
    authorize,
    check_version,
    unit,
)
from storning.services.letters import _letter_for_change
from storning.services.rounds import latest_in_round
from storning.store.models import Case, Complainant, Letter

# What a new draft keeps of the letter it re-issues: the same recipient (contract holder and round,
# complainant) and meeting.
REISSUE_KEEPS = ("holder", "holder_name", "round", "complainant_id", "meeting")


def reissue_letter(
    app: App,
    actor: str,
    now: datetime,
    letter_id: int,
    *,
    expected_version: int | None = None,
    ref: str | None = None,
) -> dict[str, Any]:
    """A new draft of the same template; the original, issued or not, is never changed (invariant 6)."""
    with unit(app) as session:
        user, letter, case = _letter_for_change(
            app, session, actor, now, letter_id, expected_version, ref, "letter_reissue"
        )
        copy = Letter(
            case_id=case.id,
            template=letter.template,
            status="draft",
            created_at=now,
            created_by=user.username,
            data={
                "reissue_of": letter.id,
                # the same recipient: contract holder (and round), complainant, meeting
                **{k: v for k, v in (letter.data or {}).items() if k in REISSUE_KEEPS},
            },
        )
        session.add(copy)
        session.flush()
        params = {"letter_id": letter.id, "new_letter_id": copy.id, "template": letter.template}
        entry = _record(session, case, user, now, "letter_reissued", params)
        # The tracks may react: a reissued termination counts its lease end from its own day.
        app.engine.dispatch(
            session, case, "letter_reissued", actor=user, now=now, params=params, caused_by=entry
        )
        _finish(session, case)
        return letter_dict(copy, app.zone)


def create_letter(
    app: App,
    actor: str,
    now: datetime,
    ref: str,
    template: str,
    *,
    meeting: dict[str, Any] | None = None,
    complainant_id: int | None = None,
    holder: str | None = None,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """A draft of any catalogued letter on the officer's own initiative (e.g. a meeting invitation or a
    blank disturbance diary); letters that the law ties to an event come from the workflow instead.
    A letter that goes to each contract holder is made for one of them (`holder`, a name) and joins
    the latest round of that letter: e.g. the termination for a co-tenant added after it was drafted."""
    from storning.letters import TEMPLATE_CATALOG

    if template not in TEMPLATE_CATALOG or template == "rapport":
        known = ", ".join(t for t in TEMPLATE_CATALOG if t != "rapport")
        raise NotFound(f"Det finns ingen brevmall '{template}'; välj en av {known}.")
    if template == "kallelse" and not meeting:
        raise InvalidInput(f"En kallelse behöver tid och plats{cli(' (--meeting-at, --place)')}.")
    with unit(app) as session:
        user = _actor(app, session, actor)
        case = _case(session, ref, lock=True)
        authorize(principal_of(user), case, "act", "letter_new")
        check_version(case, expected_version)
        app.engine.check_clock(case, now)
        data: dict[str, Any] = {"meeting": meeting} if meeting else {}
        if TEMPLATE_CATALOG[template].audience == "complainant":
            data["complainant_id"] = _complainant_for(session, case, complainant_id)
        if TEMPLATE_CATALOG[template].each_holder:
            data.update(_holder_for(session, case, template, holder))
        letter = Letter(
            case_id=case.id,
            template=template,
            status="draft",
            created_at=now,
            created_by=user.username,
            data=data,
        )
        session.add(letter)
        session.flush()
        _record(
            session,
            case,
            user,
            now,
            "letter_created",
            {"letter_id": letter.id, "template": template},
        )
        _finish(session, case)
        return letter_dict(letter, app.zone)


def _holder_for(session: Session, case: Case, template: str, wanted: str | None) -> dict[str, Any]:
    """Which contract holder a per-holder letter made by hand goes to, and the round it joins."""
    from storning.household import contract_holders

    holders = contract_holders(case)
    names = [h.name for h in holders]
    if wanted is None and len(holders) == 1:
        chosen = holders[0]
    else:
        found = [h for h in holders if wanted and h.name.casefold() == wanted.strip().casefold()]
        if not found:
            raise InvalidInput(
                f"Brevet går till en kontraktsinnehavare i taget; ange vem{cli(' (--holder)')}: "
                f"{', '.join(names)}."
            )
        chosen = found[0]
    latest = latest_in_round(session, case, template)
    return {
        "holder": chosen.index,
        "holder_name": chosen.name,
        "round": (latest.data or {}).get("round") if latest is not None else None,
    }


def _complainant_for(session: Session, case: Case, complainant_id: int | None) -> int:
    """The complainant a complainant-facing letter goes to: the one given, or the case's only one."""
    ids = list(session.scalars(select(Complainant.id).where(Complainant.case_id == case.id)))
    if complainant_id is not None and complainant_id in ids:
        return complainant_id
    if complainant_id is None and len(ids) == 1:
        return ids[0]
    raise InvalidInput(
        f"Ange vilken anmälare brevet ska till{cli(' (--complainant-id)')}; ärendet har {len(ids)} "
        "anmälare."
    )
