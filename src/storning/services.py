"""The use cases. Each is one transaction; the CLI, the web pages and the API call only these.

Every function takes the acting username and `now` (read once by the interface) and returns plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from storning.app import App
from storning.clock import local_day
from storning.engine import append_journal
from storning.errors import InvalidInput, NotFound, PermissionDenied, StaleCase
from storning.letters.records import SENDING_METHODS
from storning.presenters import case_document, letter_dict
from storning.store.cases import load_case, load_case_by_id, save_case
from storning.store.models import (
    Case,
    CaseCounter,
    CaseTrack,
    Complainant,
    Incident,
    JournalEntry,
    Letter,
    User,
    table,
)
from storning.store.schema import upgrade
from storning.vocabulary import INCIDENT_KINDS, VERIFICATION

ALL_ROLES = "handlaggare,chef,admin,lasare"
_INSERT_INCIDENT = insert(table(Incident)).returning(table(Incident).c.id)
SYSTEM_USER = "system"


@dataclass
class NewCase:
    case_type: str
    tenant: str
    address: str
    apartment: str
    municipality: str | None = None
    contract: str | None = None
    postal_code: str | None = None
    city: str | None = None
    co_tenants: list[str] = field(default_factory=list)
    # (name, protected) or (name, protected, postal address with one line per row)
    complainants: list[tuple[str, bool] | tuple[str, bool, str | None]] = field(
        default_factory=list
    )
    facts: dict[str, Any] = field(default_factory=dict)
    owner: str | None = None


# --- set-up ------------------------------------------------------------------------------------------


def init_database(app: App, now: datetime) -> list[tuple[str, int, str]]:
    """Create or upgrade the schema, load the workflow definitions, make the admin and system users."""
    upgrade(app.db.engine)
    with app.db.write() as session:
        installed = app.registry.install(session, app.settings.workflows_dir, now)
        for username, name in (("admin", "Lokal administratör"), (SYSTEM_USER, "Systemet")):
            if _user_or_none(session, username) is None:
                session.add(
                    User(
                        username=username, name=name, roles=ALL_ROLES if username == "admin" else ""
                    )
                )
    return [(w.id, w.version, status) for w, status in installed]


def add_user(
    app: App,
    username: str,
    name: str,
    roles: list[str],
    *,
    email: str | None = None,
    team: str | None = None,
    supervisor: str | None = None,
    password_hash: str | None = None,
) -> None:
    with app.db.write() as session:
        if _user_or_none(session, username) is not None:
            raise InvalidInput(f"Användaren '{username}' finns redan.")
        boss = _user(session, supervisor).id if supervisor else None
        session.add(
            User(
                username=username,
                name=name,
                roles=",".join(roles),
                email=email,
                team=team,
                supervisor_id=boss,
                password_hash=password_hash,
            )
        )


# --- cases -------------------------------------------------------------------------------------------


def open_case(app: App, actor: str, now: datetime, new: NewCase) -> dict[str, Any]:
    """Register a complaint: a case with three tracks in their initial states, its timers and letters."""
    with app.db.write() as session:
        user = _user(session, actor)
        _require_acting(user)
        workflow = app.registry.latest(session, new.case_type)
        owner = _user(session, new.owner) if new.owner else user
        for label, value in (
            ("hyresgäst", new.tenant),
            ("adress", new.address),
            ("lägenhet", new.apartment),
        ):
            if not (value or "").strip():
                raise InvalidInput(f"Ange {label} för ärendet.")
        case = Case(
            ref=_next_ref(session, workflow.ref_prefix, local_day(now, app.zone).year),
            case_type=workflow.id,
            workflow_version=workflow.version,
            status="open",
            owner_id=owner.id,
            team=owner.team,
            tenant_name=new.tenant.strip(),
            co_tenants=new.co_tenants,
            address=new.address.strip(),
            postal_code=new.postal_code,
            city=new.city,
            apartment=new.apartment.strip(),
            municipality=new.municipality,
            contract=new.contract,
            facts=_json_facts(new.facts),
            opened_at=now,
            updated_at=now,
            last_event_at=now,
            version=1,
        )
        session.add(case)
        session.flush()
        for name, track in workflow.tracks.items():
            session.add(CaseTrack(case_id=case.id, track=name, state=track.initial, since=now))
        for name, protected, *rest in new.complainants:
            address = rest[0] if rest else None
            session.add(
                Complainant(case_id=case.id, name=name, protected=protected, address=address)
            )
        session.add(
            JournalEntry(
                case_id=case.id,
                at=now,
                actor=user.username,
                event="case_opened",
                params={"type": workflow.id, "version": workflow.version},
            )
        )
        session.flush()
        session.refresh(case, ["tracks"])
        app.engine.start_case(session, case, workflow, user, now)
        session.flush()
        return case_document(session, app.engine, case, user, now)


def show_case(app: App, actor: str, now: datetime, ref: str) -> dict[str, Any]:
    with app.db.read() as session:
        user = _user(session, actor)
        return case_document(session, app.engine, _case(session, ref), user, now)


def list_cases(
    app: App,
    actor: str,
    now: datetime,
    *,
    open_only: bool = False,
    mine: bool = False,
    overdue: bool = False,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """A worklist row per case: reference, tenant, states and the next pending deadline."""
    from storning.worklist import worklist

    with app.db.read() as session:
        user = _user(session, actor)
        return worklist(
            session,
            app.engine,
            user,
            now,
            open_only=open_only,
            mine=mine,
            overdue=overdue,
            limit=limit,
        )


def fire_event(
    app: App,
    actor: str,
    now: datetime,
    ref: str,
    event: str,
    *,
    track: str | None = None,
    params: dict[str, Any] | None = None,
    reason: str | None = None,
    override: str | None = None,
    expected_version: int | None = None,
    document: bool = True,
) -> dict[str, Any]:
    """Fire an officer's event; `expected_version` (from a form) refuses a stale edit.

    Returns the case document, or `{}` with `document=False` (scripts and benchmarks that don't read it).
    """
    return _change(
        app,
        actor,
        now,
        ref,
        expected_version,
        lambda s, case, user: app.engine.fire(
            s,
            case,
            _resolve_track(app, s, case, event, track),
            event,
            actor=user,
            now=now,
            params=params,
            reason=reason,
            override=override,
        ),
        document=document,
    )


def add_incident(
    app: App,
    actor: str,
    now: datetime,
    ref: str,
    *,
    at: datetime,
    kind: str,
    text: str,
    verified_by: str | None = None,
    reporter: str | None = None,
    place: str | None = None,
    expected_version: int | None = None,
    document: bool = True,
) -> dict[str, Any]:
    """Record an incident on the case and offer `incident_recorded` to every track."""
    if kind not in INCIDENT_KINDS:
        raise InvalidInput(f"Okänd händelsetyp '{kind}'; välj en av {', '.join(INCIDENT_KINDS)}.")
    if verified_by is not None and verified_by not in VERIFICATION:
        raise InvalidInput(
            f"Okänd verifiering '{verified_by}'; välj en av {', '.join(VERIFICATION)}."
        )
    if not text.strip():
        raise InvalidInput("Beskriv händelsen (--text).")

    def record(session: Session, case: Case, user: User) -> None:
        values = {
            "case_id": case.id,
            "at": at,
            "kind": kind,
            "text": text.strip(),
            "place": place,
            "verified_by": verified_by,
            "reporter": reporter,
            "recorded_at": now,
            "recorded_by": user.username,
        }
        # A prepared Core insert (incidents arrive in bulk from the störningsjour); the guards see a
        # transient copy of the row.
        incident = Incident(
            id=session.connection().execute(_INSERT_INCIDENT, values).scalar_one(), **values
        )
        entry = _record(
            session,
            case,
            user,
            now,
            "incident_added",
            {"incident_id": incident.id, "kind": kind, "at": at.isoformat()},
        )
        app.engine.dispatch(
            session,
            case,
            "incident_recorded",
            actor=user,
            now=now,
            params={"incident_id": incident.id},
            incident=incident,
            caused_by=entry,
        )

    return _change(app, actor, now, ref, expected_version, record, document=document)


# --- letters -----------------------------------------------------------------------------------------


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

    issue_if_draft(app, session, case, letter, now)
    letter.sent_at, letter.sent_method, letter.status = sent_at, method, "sent"
    letter.delivered_on = delivered_on
    day = local_day(sent_at, app.zone)
    case.facts = {**case.facts, f"{letter.template}_sent_on": day.isoformat()}
    params = {
        "template": letter.template,
        "sent_on": day.isoformat(),
        "sent_at": sent_at.isoformat(),
        "method": method,
        "letter_id": letter.id,
        "delivered_on": delivered_on.isoformat() if delivered_on else None,
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
    letter = session.get(Letter, letter_id)
    if letter is None:
        raise NotFound(f"Det finns inget brev med id {letter_id}; se 'storning letter list REF'.")
    case = _locked_case(session, letter.case_id)
    app.engine.check_clock(case, now)
    return user, letter, case


# --- helpers -----------------------------------------------------------------------------------------


def _change(
    app: App,
    actor: str,
    now: datetime,
    ref: str,
    expected_version: int | None,
    work: Any,
    *,
    document: bool = True,
) -> dict[str, Any]:
    try:
        with app.db.write() as session:
            user = _actor(app, session, actor)
            _require_acting(user)
            case = _case(session, ref, lock=True)
            if expected_version is not None and expected_version != case.version:
                raise StaleCase(
                    f"Ärendet {ref} har ändrats av någon annan sedan du öppnade det "
                    f"(version {expected_version}, nu {case.version}); ladda om och försök igen."
                )
            app.engine.check_clock(case, now)
            work(session, case, user)
            _finish(session, case)
            result = case_document(session, app.engine, case, user, now) if document else {}
            # save_case wrote everything; detach so the commit does not re-inspect the written rows.
            session.expunge_all()
            return result
    except StaleDataError:
        raise StaleCase(
            f"Ärendet {ref} ändrades samtidigt av någon annan; ladda om och försök igen."
        ) from None


def _finish(session: Session, case: Case) -> None:
    """One version step per committed change, whatever the change touched (invariant 8)."""
    save_case(session, case)


def _record(
    session: Session, case: Case, user: User, now: datetime, event: str, params: dict[str, Any]
) -> int:
    """A case-level journal entry (incident added, letter sent, …); returns its id."""
    entry_id = append_journal(session, case.id, now, user.username, event, params=params)
    case.updated_at = now
    case.last_event_at = max(case.last_event_at, now)
    return entry_id


def _resolve_track(app: App, session: Session, case: Case, event: str, track: str | None) -> str:
    if track is not None:
        return track
    workflow = app.engine.workflow_of(session, case)
    having = [
        name
        for name, t in workflow.tracks.items()
        if any(x.event == event and not x.system for x in t.transitions)
    ]
    if not having:
        raise NotFound(f"Ärendetypen {case.case_type} har ingen händelse '{event}'.")
    if len(having) == 1:
        return having[0]
    ready = [
        n
        for n in having
        if any(t.event == event for t in workflow.tracks[n].events_from(case.track_state(n).state))
    ]
    if len(ready) == 1:
        return ready[0]
    raise InvalidInput(
        f"Händelsen '{event}' finns i flera spår ({', '.join(having)}); ange --track."
    )


def _next_ref(session: Session, prefix: str, year: int) -> str:
    counter = session.get(CaseCounter, (prefix, year), with_for_update=True)
    if counter is None:
        counter = CaseCounter(prefix=prefix, year=year, last=0)
        session.add(counter)
    counter.last += 1
    return f"{prefix}-{year}-{counter.last:04d}"


def _json_facts(facts: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (
            v.isoformat()
            if isinstance(v, date | datetime)
            else str(v)
            if not isinstance(v, bool | int | str | list)
            else v
        )
        for k, v in facts.items()
        if v is not None
    }


def _user_or_none(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def _actor(app: App, session: Session, username: str) -> User:
    user = app.actor(session, username)
    if user is None or not user.active:
        raise NotFound(f"Okänd användare '{username}'; lägg till den med 'storning user add'.")
    return user


def _user(session: Session, username: str) -> User:
    user = _user_or_none(session, username)
    if user is None or not user.active:
        raise NotFound(f"Okänd användare '{username}'; lägg till den med 'storning user add'.")
    return user


def _require_acting(user: User) -> None:
    if not {"handlaggare", "chef", "admin"} & user.role_set:
        raise PermissionDenied(f"Användaren {user.username} får bara läsa ärenden.")


def _case(session: Session, ref: str, *, lock: bool = False) -> Case:
    case = load_case(session, ref, lock=lock)
    if case is None:
        raise NotFound(f"Det finns inget ärende '{ref}'; se 'storning case list'.")
    return case


def _locked_case(session: Session, case_id: int) -> Case:
    case = load_case_by_id(session, case_id)
    assert case is not None
    return case


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


def count_cases(session: Session) -> int:
    return session.scalar(select(func.count(Case.id))) or 0


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


def migrate_cases(
    app: App, actor: str, now: datetime, case_type: str, *, apply: bool
) -> dict[str, Any]:
    """Move open cases of `case_type` to the newest definition where every track's current state exists
    in it under the same id (states map one to one). A dry run (apply=False) only reports."""
    with app.db.write() as session:
        user = _actor(app, session, actor)
        if "admin" not in user.role_set:
            raise PermissionDenied(
                "Endast administratörer får flytta ärenden till en ny arbetsflödesversion."
            )
        target = app.registry.latest(session, case_type)
        query = (
            select(Case)
            .where(
                Case.case_type == case_type,
                Case.status == "open",
                Case.workflow_version < target.version,
            )
            .order_by(Case.id)
        )
        movable: list[tuple[Case, list[str]]] = []
        blocked: list[tuple[Case, list[str]]] = []
        for case in session.scalars(query):
            missing = [
                f"{t.track}:{t.state}"
                for t in case.tracks
                if t.state not in target.tracks[t.track].states
            ]
            (blocked if missing else movable).append((case, missing))
        if apply:
            for case, _ in movable:
                _record(
                    session,
                    case,
                    user,
                    now,
                    "workflow_migrated",
                    {"from_version": case.workflow_version, "to_version": target.version},
                )
                case.workflow_version = target.version
                _finish(session, case)
        return {
            "type": case_type,
            "to_version": target.version,
            "applied": apply,
            "movable": [c.ref for c, _ in movable],
            "blocked": [{"ref": c.ref, "unmapped_states": m} for c, m in blocked],
        }


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
