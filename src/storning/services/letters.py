"""Use cases on letters: list, mark sent (one letter, or every letter of a step), served or received,
read the PDF. Drafting on request and re-issuing are `services.drafting`.

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
from storning.presenters import journal_parents, letter_dict, letters_of, step_of
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
from storning.services.gaps import title_of
from storning.services.rounds import (
    TERM_END_LETTER,
    TERMINATION_POSTED_BY,
    TERMINATION_SENT_BY,
    holder_round,
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
        parents = journal_parents(session, case)
        return [
            {**letter_dict(letter, app.zone), "step": step_of(letter, parents)}
            for letter in letters_of(session, case)
        ]


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
    _check_method(method)
    with unit(app) as session:
        user, letter, case = _letter_for_change(
            app, session, actor, now, letter_id, expected_version, ref, "letter_sent"
        )
        received = _day(delivered_on) if delivered_on is not None else None
        _mark_sent(app, session, case, user, letter, now, method, at, received)
        _finish(session, case)
        return letter_dict(letter, app.zone)


def mark_step_letters_sent(
    app: App,
    actor: str,
    now: datetime,
    letter_id: int,
    *,
    method: str,
    at: str | datetime | None = None,
    expected_version: int | None = None,
    ref: str | None = None,
) -> list[dict[str, Any]]:
    """Record that every letter drafted in the same step as `letter_id` (the action that drafted it
    and what that set off: an uppmaning and the notice to socialnämnden) and not yet sent was sent,
    on one day with one method. Each letter's own rules apply as in `mark_letter_sent`, in one
    transaction: if one letter is refused, none is marked. Returns the letters marked, oldest first."""
    _check_method(method)
    with unit(app) as session:
        user, letter, case = _letter_for_change(
            app, session, actor, now, letter_id, expected_version, ref, "letter_sent"
        )
        parents = journal_parents(session, case)
        step = step_of(letter, parents)
        unsent = [
            x
            for x in letters_of(session, case)
            if x.sent_at is None
            and (x.id == letter.id or (step is not None and step_of(x, parents) == step))
        ]
        if not unsent:
            raise InvalidInput(
                f"Breven från steget där brev {letter_id} upprättades är redan markerade som "
                "skickade."
            )
        for each in unsent:
            try:
                _mark_sent(app, session, case, user, each, now, method, at, None)
            except InvalidInput as error:  # name the letter that was refused, and mark none
                raise InvalidInput(
                    f"{title_of(each.template)} (brev {each.id}): {error.args[0]}"
                ) from None
        _finish(session, case)
        return [letter_dict(x, app.zone) for x in unsent]


def _check_method(method: str) -> None:
    if method not in SENDING_METHODS:
        raise InvalidInput(f"Okänt sändsätt '{method}'; välj en av {', '.join(SENDING_METHODS)}.")


def _mark_sent(
    app: App,
    session: Session,
    case: Case,
    user: User,
    letter: Letter,
    now: datetime,
    method: str,
    at: str | datetime | None,
    received: date | None,
) -> None:
    """One letter sent, by the rules for sending it, inside the caller's transaction."""
    if letter.sent_at is not None:
        raise InvalidInput(
            f"Brev {letter.id} är redan markerat som skickat {letter.sent_at:%Y-%m-%d}."
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
    _send(app, session, case, user, letter, now, method, sent_at, received)


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
