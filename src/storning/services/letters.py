"""Use cases on letters: list, mark sent, served or received, read the PDF, re-issue, draft on request.

Every one acts for a principal (`services.common.authorize`); a letter to or about a protected
complainant is shown only to those who may see protected identities. Reading a PDF is a read: a draft
is rendered for the reader and nothing is stored; a letter is frozen (its PDF, sha256 and data kept for
good) when it is marked sent or served.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storning import validation
from storning.access import can_see_protected, principal_of
from storning.app import App
from storning.clock import fact_instant, local_day, parse_day
from storning.errors import InvalidInput, NotFound, PermissionDenied, cli
from storning.letters.formatting import datum
from storning.letters.records import SENDING_METHODS
from storning.presenters import letter_dict, letters_of
from storning.services.common import (
    _actor,
    _case,
    _finish,
    _locked_case,
    _record,
    authorize,
    check_version,
    log_access,
    refuse,
    scope_of,
    unit,
)
from storning.services.rounds import (
    TERM_END_LETTER,
    TERMINATION_POSTED_BY,
    TERMINATION_SENT_BY,
    holder_round,
    latest_in_round,
    printed_lease_end,
)
from storning.store.models import (
    Case,
    Complainant,
    Letter,
    User,
)


@dataclass(frozen=True)
class LetterPdf:
    data: bytes
    sha256: str
    case_ref: str
    letter_id: int
    issued: bool  # False: a draft rendered for reading, not yet frozen

    @property
    def filename(self) -> str:
        return f"{self.case_ref}-brev-{self.letter_id}.pdf"


def list_letters(app: App, actor: str, now: datetime, ref: str) -> list[dict[str, Any]]:
    """The case's letters, oldest first; the read is written to the access log."""
    with unit(app) as session:
        user = _actor(app, session, actor)
        case = _case(session, ref)
        authorize(principal_of(user), case, "read", "letter_list")
        log_access(session, user.username, now, case.id, "letter_list")
        return [letter_dict(letter, app.zone) for letter in letters_of(session, case)]


def mark_letter_sent(
    app: App,
    actor: str,
    now: datetime,
    letter_id: int,
    *,
    method: str,
    at: str | datetime | None = None,
    delivered_on: str | date | None = None,
    expected_version: int | None = None,
    ref: str | None = None,
) -> dict[str, Any]:
    """Record that a letter was sent (and, optionally, when it was received); the tracks may react.
    `at` is what the person typed (a bare date: the end of that day, see `clock.fact_instant`)."""
    if method not in SENDING_METHODS:
        raise InvalidInput(f"Okänt sändsätt '{method}'; välj en av {', '.join(SENDING_METHODS)}.")
    with unit(app) as session:
        user, letter, case = _letter_for_change(
            app, session, actor, now, letter_id, expected_version, ref, "letter_sent"
        )
        if letter.sent_at is not None:
            raise InvalidInput(
                f"Brev {letter_id} är redan markerat som skickat {letter.sent_at:%Y-%m-%d}."
            )
        sent_at = _act_time(app, now, letter, at, "Dagen då brevet skickades")
        if letter.template == TERM_END_LETTER and method not in TERMINATION_SENT_BY:
            raise InvalidInput(
                "En uppsägning till hyrestidens utgång ska skickas med rekommenderat brev eller "
                "delges (12 kap. 8 § jordabalken); välj rekommenderat brev, eller registrera "
                "delgivningen."
            )
        if method in TERMINATION_POSTED_BY:
            _checkprinted_lease_end(app, case, letter, local_day(sent_at, app.zone))
        received = _day(delivered_on) if delivered_on is not None else None
        _send(app, session, case, user, letter, now, method, sent_at, received)
        _finish(session, case)
        return letter_dict(letter, app.zone)


def mark_letter_served(
    app: App,
    actor: str,
    now: datetime,
    letter_id: int,
    *,
    at: str | datetime,
    proof: str | None = None,
    expected_version: int | None = None,
    ref: str | None = None,
) -> dict[str, Any]:
    """Record service (delgivning) of a letter on a date, with proof; it implies that it was sent."""
    proof = validation.text("proof", proof)
    if at is None or (isinstance(at, str) and not at.strip()):
        raise InvalidInput("Ange delgivningsdagen: dagen då brevet delgavs.")
    with unit(app) as session:
        user, letter, case = _letter_for_change(
            app, session, actor, now, letter_id, expected_version, ref, "letter_served"
        )
        if letter.served_at is not None:
            raise InvalidInput(f"Brev {letter_id} är redan delgivet {letter.served_at:%Y-%m-%d}.")
        served_at = _act_time(app, now, letter, at, "Delgivningsdagen")
        day = local_day(served_at, app.zone)
        if letter.sent_at is not None:
            validation.not_before(
                served_at,
                letter.sent_at,
                app.zone,
                what="Delgivningen",
                reason="tidpunkten då brevet skickades",
            )
        _checkprinted_lease_end(app, case, letter, day)
        if letter.sent_at is None:
            _send(app, session, case, user, letter, now, "delgivning", served_at, None)
        letter.served_at, letter.proof, letter.status = served_at, proof, "served"
        status = holder_round(app, session, case, letter)
        if status.all_served:
            case.facts = {**case.facts, f"{letter.template}_served_on": status.served_on}
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
                "served_at": served_at.isoformat(),
                "letter_id": letter.id,
                **status.params(),
            },
        )
        _finish(session, case)
        return letter_dict(letter, app.zone)


def _act_time(
    app: App, now: datetime, letter: Letter, typed: str | datetime | None, what: str
) -> datetime:
    """When the landlord acted on a letter: typed by a person (one meaning at every door), never in
    the future, never before the letter was drafted."""
    moment = now if typed is None or typed == "" else fact_instant(typed, app.zone, now, "act")
    validation.not_in_future(moment, now, app.zone, what=what)
    validation.not_before(
        moment, letter.created_at, app.zone, what=what, reason="dagen då brevet upprättades"
    )
    return moment


def _checkprinted_lease_end(app: App, case: Case, letter: Letter, made_on: date) -> None:
    """Refuse to record a termination to the end of the term as sent or served on a day that gives
    another lease end (12:4) than the one the letter prints: the tenant would be told to move on the
    wrong day. The officer reissues the letter (a new draft dated that day) and sends that one."""
    if letter.template != TERM_END_LETTER:
        return
    printed = (
        printed_lease_end(letter) if letter.pdf is not None else case.facts.get("lease_end_on")
    )
    actual = app.engine.calendar.lease_end_12_4(made_on)
    settled = case.facts.get("termination_effective_on") and case.facts.get("lease_end_on")
    if settled and actual.isoformat() != settled:
        raise InvalidInput(
            f"Uppsägningen är redan gjord till alla kontraktsinnehavare och hyrestiden löper ut den "
            f"{datum(date.fromisoformat(str(settled)))}; gjord den {datum(made_on)} skulle den i "
            f"stället löpa ut den {datum(actual)} (12 kap. 4 § jordabalken). Registrera den dag "
            "brevet verkligen gjordes, eller gör en ny uppsägning."
        )
    if printed is None or printed == actual.isoformat():
        return
    raise InvalidInput(
        f"Uppsägningen blir gjord den {datum(made_on)} (12 kap. 8 § jordabalken) och hyrestiden löper "
        f"då ut den {datum(actual)}, men brevet säger {datum(date.fromisoformat(printed))} "
        f"(12 kap. 4 §); gör ett nytt utkast av brev {letter.id} (Nytt utkast på ärendets sida"
        + cli(f", 'storning letter reissue {letter.id}'")
        + "), skicka det och registrera det nya "
        "brevet."
    )


def _day(value: str | date) -> date:
    return parse_day(value) if isinstance(value, str) else parse_day(value.isoformat())


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
    if delivered_on is not None:
        _check_received(app, now, delivered_on, day)
    issue_if_draft(app, session, case, letter, now)
    letter.sent_at, letter.sent_method, letter.status = sent_at, method, "sent"
    letter.delivered_on = delivered_on
    status = holder_round(app, session, case, letter)
    if status.all_sent:
        case.facts = {**case.facts, f"{letter.template}_sent_on": status.sent_on}
    params = {
        "template": letter.template,
        "sent_on": day.isoformat(),
        "sent_at": sent_at.isoformat(),
        "method": method,
        "letter_id": letter.id,
        "delivered_on": delivered_on.isoformat() if delivered_on else None,
        # DOMAIN §3: a notice counts from the later of sending and receipt when both are known
        "later_date": max(day, delivered_on or day).isoformat(),
        **status.params(),
    }
    entry = _record(session, case, user, now, "letter_sent", params)
    app.engine.dispatch(
        session, case, "letter_sent", actor=user, now=now, params=params, caused_by=entry
    )


def _unknown_letter(letter_id: int) -> str:
    """The same sentence for a letter that does not exist and one the reader may not see."""
    return (
        f"Det finns inget brev med id {letter_id} som du har tillgång till"
        + cli("; se 'storning letter list REF'")
        + "."
    )


def _check_received(app: App, now: datetime, received: date, sent_on: date) -> None:
    if received < sent_on:
        raise InvalidInput(f"Mottagningsdagen {received} är före avsändningsdagen {sent_on}.")
    if received > local_day(now, app.zone):
        raise InvalidInput(
            f"Mottagningsdagen {received} ligger i framtiden; ange dagen då brevet togs emot."
        )


def _letter_for_change(
    app: App,
    session: Session,
    actor: str,
    now: datetime,
    letter_id: int,
    expected_version: int | None,
    ref: str | None,
    action: str,
) -> tuple[User, Letter, Case]:
    user = _actor(app, session, actor)
    case_id = session.scalar(select(Letter.case_id).where(Letter.id == letter_id))
    if case_id is None:
        raise NotFound(_unknown_letter(letter_id))
    case = _locked_case(session, case_id)  # lock first, then read the letter: no two writers race
    authorize(principal_of(user), case, "act", action, unknown=_unknown_letter(letter_id))
    if ref is not None and case.ref != ref.strip().upper():
        raise NotFound(f"Ärendet {ref} har inget brev med id {letter_id}.")
    check_version(case, expected_version)
    letter = session.get(Letter, letter_id)
    assert letter is not None
    app.engine.check_clock(case, now)
    return user, letter, case


REISSUE_KEEPS = ("holder", "holder_name", "round", "complainant_id", "meeting")


# --- reading -----------------------------------------------------------------------------------------


def letter_pdf(
    app: App, actor: str, now: datetime, letter_id: int, *, ref: str | None = None
) -> LetterPdf:
    """The letter's PDF for the actor: the frozen one once the letter is sent or served, otherwise the
    draft rendered now and not stored. A letter to or about a protected complainant is refused to
    anyone who may not see protected identities. The read is written to the access log."""
    from storning.letters.issuing import render_draft

    with unit(app) as session:
        user = _actor(app, session, actor)
        principal = principal_of(user)
        case_id = session.scalar(select(Letter.case_id).where(Letter.id == letter_id))
        if case_id is None:
            raise NotFound(_unknown_letter(letter_id))
        case = _locked_case(session, case_id)
        authorize(principal, case, "read", "letter_pdf", unknown=_unknown_letter(letter_id))
        if ref is not None and case.ref != ref.strip().upper():
            raise NotFound(f"Ärendet {ref} har inget brev med id {letter_id}.")
        letter = session.get(Letter, letter_id)
        assert letter is not None
        if _names_protected_person(session, letter) and not can_see_protected(
            principal, scope_of(case)
        ):
            raise refuse(
                PermissionDenied(
                    f"Brev {letter_id} går till eller handlar om en anmälare med skyddad "
                    "identitet; bara handläggare av ärendet får läsa det."
                ),
                user.username,
                case.id,
                "letter_pdf",
            )
        if letter.pdf is not None and letter.sha256 is not None:
            result = LetterPdf(letter.pdf, letter.sha256, case.ref, letter.id, True)
        else:
            data, sha256 = render_draft(app, session, case, letter)
            result = LetterPdf(data, sha256, case.ref, letter.id, False)
        log_access(session, user.username, now, case.id, "letter_pdf", f"letter {letter_id}")
        return result


def _names_protected_person(session: Session, letter: Letter) -> bool:
    """A complainant-facing letter whose complainant has skyddad identitet (or is not known)."""
    from storning.letters.issuing import audience_of

    if audience_of(letter.template) != "complainant":
        return False
    complainant_id = (letter.data or {}).get("complainant_id")
    query = select(Complainant.protected).where(Complainant.case_id == letter.case_id)
    if complainant_id is not None:
        query = query.where(Complainant.id == complainant_id)
    return any(session.scalars(query))


# --- drafting ----------------------------------------------------------------------------------------


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


def mark_letter_delivered(
    app: App,
    actor: str,
    now: datetime,
    letter_id: int,
    *,
    on: str | date,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Record the day a sent letter was received (e.g. socialnämnden's stamp); a notice then counts from
    the later of sending and receipt, and the tracks may react (the 12:44 period is recomputed)."""
    received = _day(on)
    with unit(app) as session:
        user, letter, case = _letter_for_change(
            app, session, actor, now, letter_id, expected_version, None, "letter_delivered"
        )
        if letter.sent_at is None:
            raise InvalidInput(f"Brev {letter_id} är inte markerat som skickat; gör det först.")
        sent_on = local_day(letter.sent_at, app.zone)
        _check_received(app, now, received, sent_on)
        letter.delivered_on = received
        params = {
            "template": letter.template,
            "letter_id": letter.id,
            "delivered_on": received.isoformat(),
            "sent_on": sent_on.isoformat(),
            "later_date": max(received, sent_on).isoformat(),
        }
        entry = _record(session, case, user, now, "letter_delivered", params)
        app.engine.dispatch(
            session, case, "letter_delivered", actor=user, now=now, params=params, caused_by=entry
        )
        _finish(session, case)
        return letter_dict(letter, app.zone)
