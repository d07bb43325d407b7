"""Use cases on letters: list, mark sent or served, issue the PDF, re-issue, draft on request."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storning.app import App
from storning.clock import local_day
from storning.errors import InvalidInput, NotFound
from storning.letters.records import SENDING_METHODS
from storning.presenters import letter_dict
from storning.services.common import (
    _actor,
    _case,
    _finish,
    _locked_case,
    _record,
    _require_acting,
    _user,
)
from storning.store.models import (
    Case,
    Complainant,
    Letter,
    User,
)


def list_letters(app: App, actor: str, ref: str) -> list[dict[str, Any]]:
    from storning.presenters import letters_of

    with app.db.read() as session:
        _user(session, actor)
        return [
            letter_dict(letter, app.zone) for letter in letters_of(session, _case(session, ref))
        ]


def mark_letter_sent(
    app: App,
    actor: str,
    now: datetime,
    letter_id: int,
    *,
    method: str,
    at: datetime | None = None,
    delivered_on: date | None = None,
) -> dict[str, Any]:
    """Record that a letter was sent (and, optionally, when it was received); the tracks may react."""
    if method not in SENDING_METHODS:
        raise InvalidInput(f"Okänt sändsätt '{method}'; välj en av {', '.join(SENDING_METHODS)}.")
    sent_at = at or now
    with app.db.write() as session:
        user, letter, case = _letter_for_change(app, session, actor, now, letter_id)
        if letter.sent_at is not None:
            raise InvalidInput(
                f"Brev {letter_id} är redan markerat som skickat {letter.sent_at:%Y-%m-%d}."
            )
        _send(app, session, case, user, letter, now, method, sent_at, delivered_on)
        _finish(session, case)
        return letter_dict(letter, app.zone)


def mark_letter_served(
    app: App,
    actor: str,
    now: datetime,
    letter_id: int,
    *,
    at: datetime,
    proof: str | None = None,
) -> dict[str, Any]:
    """Record service (delgivning) of a letter on a date, with proof; it implies that it was sent."""
    with app.db.write() as session:
        user, letter, case = _letter_for_change(app, session, actor, now, letter_id)
        if letter.served_at is not None:
            raise InvalidInput(f"Brev {letter_id} är redan delgivet {letter.served_at:%Y-%m-%d}.")
        if letter.sent_at is None:
            _send(app, session, case, user, letter, now, "delgivning", at, None)
        letter.served_at, letter.proof, letter.status = at, proof, "served"
        day = local_day(at, app.zone)
        case.facts = {**case.facts, f"{letter.template}_served_on": day.isoformat()}
        entry = _record(
            session,
            case,
            user,
            now,
            "letter_served",
            {
                "letter_id": letter.id,
                "template": letter.template,
                "served_on": day.isoformat(),
                "proof": proof,
            },
        )
        app.engine.dispatch(
            session,
            case,
            "letter_served",
            actor=user,
            now=now,
            caused_by=entry,
            params={
                "template": letter.template,
                "served_on": day.isoformat(),
                "served_at": at.isoformat(),
                "letter_id": letter.id,
            },
        )
        _finish(session, case)
        return letter_dict(letter, app.zone)


def _send(
    app: App,
    session: Session,
    case: Case,
    user: User,
    letter: Letter,
    now: datetime,
    method: str,
    sent_at: datetime,
    delivered_on: date | None,
) -> None:
    from storning.letters.issuing import issue_if_draft

    day = local_day(sent_at, app.zone)
    if delivered_on is not None and delivered_on < day:
        raise InvalidInput(f"Mottagningsdagen {delivered_on} är före avsändningsdagen {day}.")
    issue_if_draft(app, session, case, letter, now)
    letter.sent_at, letter.sent_method, letter.status = sent_at, method, "sent"
    letter.delivered_on = delivered_on
    case.facts = {**case.facts, f"{letter.template}_sent_on": day.isoformat()}
    params = {
        "template": letter.template,
        "sent_on": day.isoformat(),
        "sent_at": sent_at.isoformat(),
        "method": method,
        "letter_id": letter.id,
        "delivered_on": delivered_on.isoformat() if delivered_on else None,
        # DOMAIN §3: a notice counts from the later of sending and receipt when both are known
        "later_date": max(day, delivered_on or day).isoformat(),
    }
    entry = _record(session, case, user, now, "letter_sent", params)
    app.engine.dispatch(
        session, case, "letter_sent", actor=user, now=now, params=params, caused_by=entry
    )


def _letter_for_change(
    app: App, session: Session, actor: str, now: datetime, letter_id: int
) -> tuple[User, Letter, Case]:
    user = _user(session, actor)
    _require_acting(user)
    case_id = session.scalar(select(Letter.case_id).where(Letter.id == letter_id))
    if case_id is None:
        raise NotFound(f"Det finns inget brev med id {letter_id}; se 'storning letter list REF'.")
    case = _locked_case(session, case_id)  # lock first, then read the letter: no two writers race
    letter = session.get(Letter, letter_id)
    assert letter is not None
    app.engine.check_clock(case, now)
    return user, letter, case


# --- helpers -----------------------------------------------------------------------------------------


def letter_pdf(app: App, actor: str, now: datetime, letter_id: int) -> tuple[bytes, str]:
    """The letter's PDF; a draft is issued first (rendered once, then frozen)."""
    from storning.letters.issuing import issue

    with app.db.write() as session:
        user = _user(session, actor)
        letter = session.get(Letter, letter_id)
        if letter is None:
            raise NotFound(
                f"Det finns inget brev med id {letter_id}; se 'storning letter list REF'."
            )
        if letter.pdf is None:
            _require_acting(user)
            case = _locked_case(session, letter.case_id)
            issue(app, session, case, letter, now)
        assert letter.pdf is not None and letter.sha256 is not None
        return letter.pdf, letter.sha256


def reissue_letter(app: App, actor: str, now: datetime, letter_id: int) -> dict[str, Any]:
    """A new draft of the same template; the original, issued or not, is never changed (invariant 6)."""
    with app.db.write() as session:
        user, letter, case = _letter_for_change(app, session, actor, now, letter_id)
        copy = Letter(
            case_id=case.id,
            template=letter.template,
            status="draft",
            created_at=now,
            created_by=user.username,
            data={"reissue_of": letter.id},
        )
        session.add(copy)
        session.flush()
        _record(
            session,
            case,
            user,
            now,
            "letter_reissued",
            {"letter_id": letter.id, "new_letter_id": copy.id, "template": letter.template},
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
) -> dict[str, Any]:
    """A draft of any catalogued letter on the officer's own initiative (e.g. a meeting invitation or a
    blank disturbance diary); letters that the law ties to an event come from the workflow instead."""
    from storning.letters import TEMPLATE_CATALOG

    if template not in TEMPLATE_CATALOG or template == "rapport":
        known = ", ".join(t for t in TEMPLATE_CATALOG if t != "rapport")
        raise NotFound(f"Det finns ingen brevmall '{template}'; välj en av {known}.")
    if template == "kallelse" and not meeting:
        raise InvalidInput("En kallelse behöver tid och plats (--meeting-at, --place).")
    with app.db.write() as session:
        user = _actor(app, session, actor)
        _require_acting(user)
        case = _case(session, ref, lock=True)
        app.engine.check_clock(case, now)
        data: dict[str, Any] = {"meeting": meeting} if meeting else {}
        if TEMPLATE_CATALOG[template].audience == "complainant":
            data["complainant_id"] = _complainant_for(session, case, complainant_id)
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


def _complainant_for(session: Session, case: Case, complainant_id: int | None) -> int:
    """The complainant a complainant-facing letter goes to: the one given, or the case's only one."""
    ids = list(session.scalars(select(Complainant.id).where(Complainant.case_id == case.id)))
    if complainant_id is not None and complainant_id in ids:
        return complainant_id
    if complainant_id is None and len(ids) == 1:
        return ids[0]
    raise InvalidInput(
        f"Ange vilken anmälare brevet ska till (--complainant-id); ärendet har {len(ids)} anmälare."
    )


def mark_letter_delivered(
    app: App, actor: str, now: datetime, letter_id: int, *, on: date
) -> dict[str, Any]:
    """Record the day a sent letter was received (e.g. socialnämnden's stamp); a notice then counts from
    the later of sending and receipt, and the tracks may react (the 12:44 period is recomputed)."""
    with app.db.write() as session:
        user, letter, case = _letter_for_change(app, session, actor, now, letter_id)
        if letter.sent_at is None:
            raise InvalidInput(f"Brev {letter_id} är inte markerat som skickat; gör det först.")
        sent_on = local_day(letter.sent_at, app.zone)
        if on < sent_on:
            raise InvalidInput(f"Mottagningsdagen {on} är före avsändningsdagen {sent_on}.")
        letter.delivered_on = on
        params = {
            "template": letter.template,
            "letter_id": letter.id,
            "delivered_on": on.isoformat(),
            "sent_on": sent_on.isoformat(),
            "later_date": max(on, sent_on).isoformat(),
        }
        entry = _record(session, case, user, now, "letter_delivered", params)
        app.engine.dispatch(
            session, case, "letter_delivered", actor=user, now=now, params=params, caused_by=entry
        )
        _finish(session, case)
        return letter_dict(letter, app.zone)
