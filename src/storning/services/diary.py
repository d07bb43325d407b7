"""Use cases of the complainant's own diary (issue 16): an officer issues a complainant a personal,
signed, expiring and revocable link; the complainant, without an account, writes diary entries
through it; each entry arrives in the intake queue as an unverified incident for the officer to
accept into the case.

What the complainant sees through a link is their own earlier entries on that link and the case
reference they already have from the confirmation letter, nothing of the case or the tenant. Their
name travels to the intake item as its `reporter`, marked `protected` when they have skyddad
identitet, so the queue hides it from everyone who may not see the case's protected complainants;
the link's journal entries name the complainant by number only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from storning import validation
from storning.access import principal_of
from storning.app import App
from storning.errors import EventNotAvailable, InvalidInput, NotFound, StorningError
from storning.intake import diary as links
from storning.intake.queue import add_item, item_values
from storning.services.common import (
    _actor,
    _case,
    _change,
    _record,
    authorize,
    unit,
)
from storning.services.throttling import Throttled
from storning.store.models import Case, Complainant, DiaryEntry, DiaryLink, LoginAttempt
from storning.store.queries import diary_link_rows
from storning.vocabulary import INCIDENT_KINDS

Delivery = Literal["email", "letter", "manual"]
DELIVERIES: tuple[str, ...] = ("email", "letter", "manual")
LINK_PATH = links.LINK_PATH
# Rate limits for the form (it has no account): entries per link and submissions or bad tokens per
# client address, each within the last hour.
PER_LINK_HOUR = 10
PER_ADDRESS_HOUR = 30
DOOR = "diary"  # login_attempts.door for the per-address count
FIELD_LIMIT = 200
LONGEST_OVER_MIDNIGHT = timedelta(hours=12)  # an end before the start: the next day, within this


class LinkUnusable(StorningError):
    """The link is tampered with (403), expired or revoked (410). `problem` says which."""

    code = "link_unusable"

    def __init__(self, problem: links.Problem) -> None:
        super().__init__(MESSAGES[problem]["sv"])
        self.problem = problem

    @property
    def status(self) -> int:
        return 403 if self.problem == "tampered" else 410


MESSAGES: dict[str, dict[str, str]] = {
    "tampered": {
        "sv": "Länken är inte giltig; kontrollera att du har kopierat hela länken, eller be din "
        "handläggare om en ny.",
        "en": "This link is not valid; check that you copied all of it, or ask your housing officer "
        "for a new one.",
    },
    "expired": {
        "sv": "Länken har slutat gälla; be din handläggare om en ny länk.",
        "en": "This link has expired; ask your housing officer for a new one.",
    },
    "revoked": {
        "sv": "Länken har återkallats och kan inte användas längre; kontakta din handläggare.",
        "en": "This link has been withdrawn and can no longer be used; contact your housing officer.",
    },
}


# --- the officer's side --------------------------------------------------------------------------


def issue_link(
    app: App,
    actor: str,
    now: datetime,
    ref: str,
    complainant_id: int,
    *,
    days: int | None = None,
    delivery: str = "manual",
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Issue the complainant a personal diary link valid for `days` (default STORNING_DIARY_DAYS).
    `delivery` email queues an e-mail with the link to the complainant's address (sent by the
    worker); letter prints it as a QR code on their next confirmation letter; manual only shows it."""
    if delivery not in DELIVERIES:
        raise InvalidInput(
            f"Okänt leveranssätt '{delivery}'; välj e-post (email), brev (letter) eller manual."
        )
    length = app.settings.diary_days if days is None else days
    if not 1 <= length <= 730:
        raise InvalidInput(
            "En dagbokslänk kan gälla 1–730 dagar; ange ett antal dagar i det spannet."
        )
    made: dict[str, Any] = {}

    def issue(session: Session, case: Case, user: Any) -> None:
        if case.status != "open":
            raise EventNotAvailable(
                f"Ärendet {case.ref} är avslutat; ingen dagbokslänk kan skickas."
            )
        complainant = _complainant(session, case, complainant_id)
        if delivery == "email" and not complainant.email:
            raise InvalidInput(
                "Anmälaren har ingen e-postadress; lägg till en eller skriv ut länken på brevet."
            )
        key = links.signing_key(session, app.settings.secret_key, now, create=True)
        assert key is not None
        link = DiaryLink(
            case_id=case.id,
            complainant_id=complainant.id,
            nonce=links.new_nonce(),
            created_at=now,
            created_by=user.username,
            expires_at=now + timedelta(days=length),
            delivery=delivery,
            email_status="pending" if delivery == "email" else None,
        )
        session.add(link)
        session.flush()
        _record(
            session,
            case,
            user,
            now,
            "diary_link_issued",
            {"link": link.id, "complainant": complainant.id, "delivery": delivery},
        )
        made.update(_link_view(app, link, key, now))

    _change(app, actor, now, ref, expected_version, issue, document=False, action="diary_link")
    return made


def revoke_link(
    app: App,
    actor: str,
    now: datetime,
    link_id: int,
    *,
    expected_version: int | None = None,
    ref: str | None = None,
) -> dict[str, Any]:
    """Revoke a link at once: the next request through it gets the "revoked" page. `ref`, when
    given (the case page's button), must be the link's case."""
    with unit(app, write=False) as session:
        link = session.get(DiaryLink, link_id)
        case = session.get(Case, link.case_id) if link is not None else None
        found = case.ref if case is not None else None
    if found is None or (ref is not None and ref.strip().upper() != found):
        raise NotFound(f"Det finns ingen dagbokslänk med nummer {link_id}.")
    done: dict[str, Any] = {}

    def revoke(session: Session, case: Case, user: Any) -> None:
        row = session.get(DiaryLink, link_id)
        assert row is not None
        if row.revoked_at is None:
            row.revoked_at, row.revoked_by = now, user.username
            if row.email_status == "pending":
                row.email_status = "cancelled"
            _record(session, case, user, now, "diary_link_revoked", {"link": row.id})
        key = links.signing_key(session, app.settings.secret_key, now, create=False)
        done.update(_link_view(app, row, key, now))

    _change(
        app, actor, now, found, expected_version, revoke, document=False, action="diary_link_revoke"
    )
    return done


def list_links(app: App, actor: str, now: datetime, ref: str) -> list[dict[str, Any]]:
    """The case's diary links, newest first, with their status and URL (for people who may act)."""
    with unit(app, write=False) as session:
        user = _actor(app, session, actor)
        case = _case(session, ref)
        authorize(principal_of(user), case, "act", "diary_links")
        return links_of(app, session, case, now)


def links_of(app: App, session: Session, case: Case, now: datetime) -> list[dict[str, Any]]:
    """The diary links of a case the caller has authorized acting on, newest first."""
    rows = diary_link_rows(session, case.id)
    if not rows:  # most cases: no key to look up
        return []
    key = links.signing_key(session, app.settings.secret_key, now, create=False)
    return [_link_view(app, row, key, now) for row in rows]


def _link_view(
    app: App, link: DiaryLink | Row[Any], key: bytes | None, now: datetime
) -> dict[str, Any]:
    zone = app.zone
    url = None
    if key is not None:
        url = app.settings.base_url + LINK_PATH + links.token_for(key, link.id, link.nonce)
    return {
        "id": link.id,
        "complainant": link.complainant_id,
        "url": url,
        "delivery": link.delivery,
        "email_status": link.email_status,
        "created_at": link.created_at.astimezone(zone).isoformat(timespec="seconds"),
        "created_by": link.created_by,
        "expires_at": link.expires_at.astimezone(zone).isoformat(timespec="seconds"),
        "revoked_at": link.revoked_at.astimezone(zone).isoformat(timespec="seconds")
        if link.revoked_at
        else None,
        "status": links.status_of(link, now),
    }


def _complainant(session: Session, case: Case, complainant_id: int) -> Complainant:
    found = session.scalar(
        select(Complainant).where(Complainant.id == complainant_id, Complainant.case_id == case.id)
    )
    if found is None:
        raise NotFound(f"Ärendet {case.ref} har ingen anmälare med nummer {complainant_id}.")
    return found


# --- the complainant's side (no account) ----------------------------------------------------------


@dataclass(frozen=True)
class DiaryForm:
    """One diary entry as typed on the phone form (all text; checked by `submit_entry`)."""

    day: str
    starts: str
    ends: str = ""
    kind: str = "noise"
    text: str = ""
    place: str = ""
    disturbed: str = ""
    witnesses: str = ""
    police_ref: str = ""


def open_diary(app: App, token: str, now: datetime, address: str) -> dict[str, Any]:
    """What the form shows: the case reference, when the link expires, and the complainant's own
    earlier entries on this link (oldest first). Raises `LinkUnusable`."""
    try:
        with unit(app) as session:
            link = _usable(app, session, token, now, address)
            return _diary_view(app, session, link)
    except LinkUnusable as error:
        _count_failure(app, address, now, error)
        raise


def submit_entry(
    app: App, token: str, now: datetime, address: str, form: DiaryForm
) -> dict[str, Any]:
    """Store one entry and put it in the intake queue as an unverified incident of the case. Refused
    (`LinkUnusable`, `Throttled`, `InvalidInput`) with nothing stored."""
    try:
        return _submit(app, token, now, address, form)
    except LinkUnusable as error:
        _count_failure(app, address, now, error)
        raise


def _submit(app: App, token: str, now: datetime, address: str, form: DiaryForm) -> dict[str, Any]:
    with unit(app) as session:
        link = _usable(app, session, token, now, address)
        _throttle(session, link, address, now)
        values = _checked(app, form, now)
        case = session.get(Case, link.case_id)
        complainant = session.get(Complainant, link.complainant_id)
        assert case is not None and complainant is not None
        if case.status != "open":
            raise LinkUnusable("expired")
        entry = DiaryEntry(link_id=link.id, submitted_at=now, **values)
        session.add(entry)
        session.flush()
        entry.intake_item_id = add_item(
            session,
            item_values(
                "dagbok",
                _payload(app, entry, complainant.name),
                external_id=f"dagbok-{entry.id}",
                received_at=now,
                source=f"dagbokslänk {link.id}",
                case_id=case.id,
                team=case.team,
                address=case.address,
                apartment=case.apartment,
                contract=case.contract,
                observed_at=entry.starts_at,
                protected=complainant.protected,
            ),
        )
        link.last_used_at = now
        session.add(LoginAttempt(at=now, door=DOOR, address=address[:64], outcome="ok"))
        session.flush()
        return _diary_view(app, session, link)


def _usable(app: App, session: Session, token: str, now: datetime, address: str) -> DiaryLink:
    _check_address(session, address, now)
    key = links.signing_key(session, app.settings.secret_key, now, create=False)
    try:
        return links.link_of(session, key, token, now)
    except links.LinkProblem as problem:
        raise LinkUnusable(problem.problem) from None


def _count_failure(app: App, address: str, now: datetime, error: LinkUnusable) -> None:
    """A tampered token counts against the client address (guessing), in its own transaction after
    the refused one has rolled back."""
    if error.problem == "tampered":
        with app.db.write() as session:
            session.add(LoginAttempt(at=now, door=DOOR, address=address[:64], outcome="failed"))


def _check_address(session: Session, address: str, now: datetime) -> None:
    since = now - timedelta(hours=1)
    count, first = session.execute(
        select(func.count(LoginAttempt.id), func.min(LoginAttempt.at)).where(
            LoginAttempt.door == DOOR, LoginAttempt.address == address[:64], LoginAttempt.at > since
        )
    ).one()
    if int(count or 0) >= PER_ADDRESS_HOUR:
        raise _throttled(first, now)


def _throttle(session: Session, link: DiaryLink, address: str, now: datetime) -> None:
    since = now - timedelta(hours=1)
    count, first = session.execute(
        select(func.count(DiaryEntry.id), func.min(DiaryEntry.submitted_at)).where(
            DiaryEntry.link_id == link.id, DiaryEntry.submitted_at > since
        )
    ).one()
    if int(count or 0) >= PER_LINK_HOUR:
        raise _throttled(first, now)


def _throttled(first: datetime | None, now: datetime) -> Throttled:
    wait = (
        3600 if first is None else max(1, int((first + timedelta(hours=1) - now).total_seconds()))
    )
    minutes = max(1, -(-wait // 60))
    throttled = Throttled(
        f"Du har skickat många anteckningar på kort tid; vänta {minutes} minuter och försök igen.",
        wait,
    )
    throttled.english = (  # type: ignore[attr-defined]
        f"You have sent many notes in a short time; wait {minutes} minutes and try again."
    )
    return throttled


class FormProblem(InvalidInput):
    """A refused diary entry, in Swedish (`str`) and in English (`english`): the complainant's form
    is bilingual."""

    def __init__(self, swedish: str, english: str) -> None:
        super().__init__(swedish)
        self.english = english


# The fields' names in both languages (Swedish, English).
_START = ("Starttiden", "The start time")
_END = ("Sluttiden", "The end time")
_DISTURBED = ("Vem som stördes", "Who was disturbed")
_WITNESSES = ("Vittnena", "The witnesses")
_POLICE = ("Polisens diarienummer", "The police reference")


def _checked(app: App, form: DiaryForm, now: datetime) -> dict[str, Any]:
    zone = app.zone
    try:
        day = date.fromisoformat(form.day.strip())
    except ValueError:
        raise FormProblem(
            "Datumet ska skrivas som ÅÅÅÅ-MM-DD, till exempel 2026-03-01.",
            "Write the date as YYYY-MM-DD, for example 2026-03-01.",
        ) from None
    starts = _local(day, _clock(form.starts, _START), zone, _START)
    ends_time = _clock(form.ends, _END) if form.ends.strip() else None
    ends = None
    if ends_time is not None:
        if ends_time == starts.time():
            raise FormProblem(
                f"Sluttiden {ends_time:%H:%M} är samma som starttiden; lämna sluttiden tom om du "
                "inte vet när störningen slutade.",
                f"The end time {ends_time:%H:%M} is the same as the start time; leave it empty if "
                "you do not know when the disturbance ended.",
            )
        ends = _local(day, ends_time, zone, _END)
        if ends.timestamp() <= starts.timestamp():  # past midnight: it ended the next day
            ends = _local(day + timedelta(days=1), ends_time, zone, _END)
            if ends.timestamp() - starts.timestamp() > LONGEST_OVER_MIDNIGHT.total_seconds():
                hours = LONGEST_OVER_MIDNIGHT.seconds // 3600
                raise FormProblem(
                    f"Sluttiden {ends_time:%H:%M} är före starttiden {starts:%H:%M}. En störning "
                    "som pågick över midnatt läses som att den slutade nästa dag, men högst "
                    f"{hours} timmar senare; kontrollera tiderna.",
                    f"The end time {ends_time:%H:%M} is before the start time {starts:%H:%M}. A "
                    "disturbance past midnight is read as ending the next day, but at most "
                    f"{hours} hours later; please check the times.",
                )
    if starts.timestamp() > now.timestamp():
        raise FormProblem(
            "Störningen kan inte ha börjat i framtiden; kontrollera datum och tid.",
            "The disturbance cannot have started in the future; please check the date and time.",
        )
    if ends is not None and ends.timestamp() > now.timestamp():
        next_day = ends.date() != starts.date()
        raise FormProblem(
            f"Sluttiden {ends:%H:%M}{' nästa dag' if next_day else ''} ligger i framtiden; skriv "
            "när störningen slutade, eller lämna sluttiden tom om den pågår.",
            f"The end time {ends:%H:%M}{' the next day' if next_day else ''} is in the future; "
            "write when the disturbance ended, or leave it empty if it is still going on.",
        )
    if starts < now - timedelta(days=365):
        raise FormProblem(
            "Datumet är mer än ett år bakåt i tiden; kontrollera det.",
            "The date is more than a year ago; please check it.",
        )
    if form.kind not in INCIDENT_KINDS:
        raise FormProblem(
            "Välj vad för slags störning det var i listan.",
            "Choose the kind of disturbance from the list.",
        )
    if not form.text.strip():
        raise FormProblem(
            "Skriv vad som hände: vad du hörde eller såg.",
            "Write what happened: what you heard or saw.",
        )
    try:
        text = validation.text("text", form.text, required=True)
        place = validation.text("place", form.place)
    except InvalidInput as error:
        raise FormProblem(
            str(error),
            "The description or the place is too long or contains an invisible character; "
            "please shorten or rewrite it.",
        ) from None
    assert text is not None
    return {
        "starts_at": starts,
        "ends_at": ends,
        "kind": form.kind,
        "text": text,
        "place": place,
        "disturbed": _short(form.disturbed, _DISTURBED),
        "witnesses": _short(form.witnesses, _WITNESSES),
        "police_ref": _short(form.police_ref, _POLICE, limit=60),
    }


def _local(day: date, clock: time, zone: ZoneInfo, label: tuple[str, str]) -> datetime:
    """The instant of a local day and time; a time that did not exist that day (the hour skipped
    when summer time begins) is refused rather than moved."""
    moment = datetime.combine(day, clock, zone)
    back = moment.astimezone(UTC).astimezone(zone)
    if (back.date(), back.time()) != (day, clock):
        raise FormProblem(
            f"{label[0]} {clock:%H:%M} fanns inte den {day:%Y-%m-%d} (klockan ställdes fram till "
            "sommartid); kontrollera tiden.",
            f"{label[1]} {clock:%H:%M} did not exist on {day:%Y-%m-%d} (the clocks went forward "
            "to summer time); please check the time.",
        )
    return moment


def _clock(value: str, label: tuple[str, str]) -> time:
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        raise FormProblem(
            f"{label[0]} ska skrivas som TT:MM, till exempel 22:30.",
            f"Write {label[1].lower()} as HH:MM, for example 22:30.",
        ) from None


def _short(value: str, label: tuple[str, str], *, limit: int = FIELD_LIMIT) -> str | None:
    cleaned = " ".join(value.split())
    if validation.CONTROL.search(cleaned) or validation.HIDDEN.search(cleaned):
        raise FormProblem(
            f"{label[0]} innehåller ett osynligt tecken; skriv om texten.",
            f"{label[1]} contains an invisible character; please rewrite it.",
        )
    if len(cleaned) > limit:
        raise FormProblem(
            f"{label[0]} får vara högst {limit} tecken; korta texten.",
            f"{label[1]} may be at most {limit} characters; please shorten it.",
        )
    return cleaned or None


def _payload(app: App, entry: DiaryEntry, reporter: str) -> dict[str, Any]:
    """The intake item's payload. Who was disturbed names people as the witnesses do (often the
    complainant's own family), so it stays out of the text that becomes the incident's (letters and
    reports quote it) and goes with the reporter (`services.intake._reporter`)."""
    zone = app.zone
    text = entry.text
    return {
        "at": entry.starts_at.astimezone(zone).isoformat(timespec="minutes"),
        "ends_at": entry.ends_at.astimezone(zone).isoformat(timespec="minutes")
        if entry.ends_at
        else None,
        "kind": entry.kind,
        "text": text,
        "place": entry.place,
        "reporter": reporter,
        "witnesses": entry.witnesses,
        "disturbed": entry.disturbed,
        "police_reference": entry.police_ref,
    }


def _diary_view(app: App, session: Session, link: DiaryLink) -> dict[str, Any]:
    zone = app.zone
    case = session.get(Case, link.case_id)
    assert case is not None
    entries = session.scalars(
        select(DiaryEntry).where(DiaryEntry.link_id == link.id).order_by(DiaryEntry.starts_at)
    )
    return {
        "case_ref": case.ref,
        "expires_on": link.expires_at.astimezone(zone).date().isoformat(),
        "entries": [
            {
                "id": e.id,
                "day": e.starts_at.astimezone(zone).date().isoformat(),
                "starts": e.starts_at.astimezone(zone).strftime("%H:%M"),
                "ends": e.ends_at.astimezone(zone).strftime("%H:%M") if e.ends_at else "",
                "ends_next_day": bool(
                    e.ends_at
                    and e.ends_at.astimezone(zone).date() > e.starts_at.astimezone(zone).date()
                ),
                "kind": e.kind,
                "text": e.text,
                "place": e.place or "",
                "disturbed": e.disturbed or "",
                "witnesses": e.witnesses or "",
                "police_ref": e.police_ref or "",
            }
            for e in entries
        ],
    }
