"""Privacy use cases (issue 15, DOMAIN §7): who read what, registerutdrag (GDPR art. 15) and the
redacted release of a case file (OSL 2 kap. 3 §).

Who may do them (`access.privacy_visibility`): the privacy officer (`dataskydd`) and the
administrator for every case, a chef for the own team's cases; officers and readers never. Each is
written to the access log: reading the log itself, each case an extract includes, each proposal and
each release; a release also writes its decision to `case_releases` (who, when, the request's
reference, which fields were masked under which OSL provision, the PDF's sha256).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from storning import access
from storning.access import Principal, principal_of
from storning.app import App
from storning.clock import at_local, iso, local_day, parse_day, start_of_next_day
from storning.errors import InvalidInput, NotFound, PermissionDenied, StorningError
from storning.letters import render_letter
from storning.records import accesslog, extract, extract_sources, release
from storning.services.common import (
    _actor,
    _case,
    log_access,
    refuse,
    scope_of,
    unit,
)
from storning.store.models import Case, CaseRelease, Complainant, Incident, User, table

NOT_ALLOWED = (
    "Bara dataskyddsombud, administratörer och chefer (för det egna teamets ärenden) får {what}."
)
_INSERT_RELEASE = insert(table(CaseRelease))


# --- who may ----------------------------------------------------------------------------------------


def _privacy_principal(
    app: App, session: Session, actor: str, what: str, action: str
) -> tuple[User, Principal]:
    user = _actor(app, session, actor)
    principal = principal_of(user)
    if access.privacy_visibility(principal) == "none":
        raise refuse(PermissionDenied(NOT_ALLOWED.format(what=what)), user.username, None, action)
    return user, principal


def _privacy_case(principal: Principal, session: Session, ref: str, action: str) -> Case:
    """The case, if the principal may do privacy work on it; otherwise it does not exist for them."""
    case = _case(session, ref)
    if not access.can_handle_privacy(principal, scope_of(case)):
        raise refuse(
            NotFound(f"Det finns inget ärende '{ref}' som du har tillgång till."),
            principal.username,
            case.id,
            action,
        )
    return case


def _team_of(principal: Principal) -> str | None:
    """None: every case; else the only team whose cases the principal reaches."""
    return None if access.privacy_visibility(principal) == "all" else principal.team


def shows_privacy(principal: Principal | None) -> bool:
    """Whether the menu offers the privacy pages to this principal (no database work)."""
    return principal is not None and access.privacy_visibility(principal) != "none"


def shows_case_privacy(principal: Principal | None, document: dict[str, Any]) -> bool:
    """Whether the case page links to "who read the case" and the redacted release."""
    if principal is None:
        return False
    scope = access.CaseScope(str(document.get("owner") or ""), document.get("team"))
    return access.can_handle_privacy(principal, scope)


def require_privacy(app: App, actor: str, what: str = "arbeta med dataskydd") -> None:
    """Refuse (and log the refusal) unless the actor may do privacy work at all."""
    with unit(app, write=False) as session:
        _privacy_principal(app, session, actor, what, "privacy")


# --- who read what ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogQuery:
    """What to read from the access log, as typed: a case reference, a user name, a period of days
    (inclusive, in the landlord's zone), an action, and at most `limit` rows (newest first)."""

    ref: str | None = None
    user: str | None = None
    start: str | None = None
    end: str | None = None
    action: str | None = None
    limit: int = accesslog.DEFAULT_LIMIT


def read_access_log(app: App, actor: str, now: datetime, query: LogQuery) -> dict[str, Any]:
    """The access-log rows the actor may read that match `query`: everything for the privacy
    officer and the administrator; a chef only rows about the own team's cases. Reading the log is
    itself logged."""
    if not 1 <= query.limit <= accesslog.MAX_LIMIT:
        raise InvalidInput(f"Antalet rader ska vara mellan 1 och {accesslog.MAX_LIMIT}.")
    start, end = _period(query.start, query.end, app)
    with unit(app) as session:
        user, principal = _privacy_principal(
            app, session, actor, "läsa åtkomstloggen", "accesslog_read"
        )
        case_id = None
        if query.ref:
            case_id = _privacy_case(principal, session, query.ref, "accesslog_read").id
        team = _team_of(principal)
        wanted = accesslog.LogFilter(
            case_id=case_id,
            actor=extract.one_line("Användarnamnet", query.user, 80) or None,
            start=start,
            end=end,
            action=extract.one_line("Åtgärden", query.action, 40) or None,
            team=team,
            cases_only=team is not None,
            limit=query.limit,
        )
        rows = accesslog.read_log(session, wanted, app.zone)
        described = _described(query)
        log_access(session, user.username, now, case_id, "accesslog_read", described)
        return {
            "scope": "alla ärenden" if team is None else f"team {team}",
            "filter": {
                "case": query.ref,
                "user": wanted.actor,
                "from": query.start,
                "to": query.end,
                "action": wanted.action,
            },
            "rows": rows,
            "truncated": len(rows) == query.limit,
        }


def access_log_csv(app: App, actor: str, now: datetime, query: LogQuery) -> str:
    """`read_access_log` as CSV (semicolon-separated, a header row)."""
    return accesslog.to_csv(read_access_log(app, actor, now, query)["rows"])


def _period(
    start: str | None, end: str | None, app: App
) -> tuple[datetime | None, datetime | None]:
    first = parse_day(start) if start else None
    last = parse_day(end) if end else None
    if first and last and first > last:
        raise InvalidInput(
            "Periodens första dag ligger efter dess sista dag; byt plats på datumen."
        )
    return (
        at_local(first, time(0, 0), app.zone) if first else None,
        start_of_next_day(last, app.zone) if last else None,
    )


def _described(query: LogQuery) -> str:
    parts = [
        f"{name}={value}"
        for name, value in (
            ("ärende", query.ref),
            ("användare", query.user),
            ("från", query.start),
            ("till", query.end),
            ("åtgärd", query.action),
        )
        if value
    ]
    return ", ".join(parts) or "hela loggen"


# --- registerutdrag (art. 15) -----------------------------------------------------------------------


def register_extract(app: App, actor: str, now: datetime, who: str) -> dict[str, Any]:
    """Every case in which the person appears, the tenancy register's contracts they hold and the
    intake queue's items about them (jour reports about their tenancy, their own diary entries not
    accepted into a case), with their own data only (art. 15.4; see `records.extract` and
    `records.extract_sources`). Nobody (a blank or malformed query) is refused in one sentence; a
    person the product knows nothing about gets an explicit answer that no data is held (art. 15.1
    asks for that confirmation too). Each case, contract and item included is written to the access
    log.

    A chef's extract holds the own team's cases, the intake items of the team and those no team owns
    yet (every officer sees those in the queue), and the whole register (it has no teams, and every
    officer may look a contract up in it)."""
    subject = extract.parse_subject(who, local_day(now, app.zone))
    with unit(app) as session:
        user, principal = _privacy_principal(
            app, session, actor, "ta fram registerutdrag", "extract"
        )
        team = _team_of(principal)
        cases = []
        tenant_cases = []
        for case in extract.candidate_cases(session, subject, team):
            complainants = session.scalars(
                select(Complainant).where(Complainant.case_id == case.id)
            ).all()
            incidents = session.scalars(select(Incident).where(Incident.case_id == case.id)).all()
            roles = extract.roles_in(case, complainants, subject, incidents)
            if roles:
                found = extract.case_extract(session, case, roles, subject, app.zone)
                found["retention"] = _retention(app, case) or found["retention"]
                cases.append(found)
                log_access(session, user.username, now, case.id, "extract", _roles(roles))
                if "tenant" in roles or "co_tenant" in roles:
                    tenant_cases.append(case)
        sources = extract_sources.collect(session, subject, tenant_cases, team, app.zone)
        for hit in sources.hits:
            log_access(session, user.username, now, hit.case_id, "extract", hit.detail)
        if not cases and not sources.found:
            log_access(session, user.username, now, None, "extract", "inga träffar")
        scope = (
            "Alla ärenden hos hyresvärden, hela hyresregistret och hela inkorgen."
            if team is None
            else f"Bara team {team}s ärenden och inkorgsposter (och inkorgsposter som inget team "
            "har ännu); hyresregistret, som inte är uppdelat på team, ingår helt. Ett fullständigt "
            "registerutdrag tas fram av dataskyddsombudet."
        )
        document = extract.extract_document(subject, cases, now, app.zone, scope)
        extract_sources.complete(document, subject, sources)
        document["produced_by"] = user.name or user.username
        return document


def register_extract_pdf(app: App, actor: str, now: datetime, who: str) -> bytes:
    """The extract as a PDF (letters/registerutdrag.typ.j2), from the same data as the JSON."""
    document = register_extract(app, actor, now, who)
    with unit(app, write=False) as session:
        user = _actor(app, session, actor)
        context = _letterhead(
            app, user, now, "registerutdrag", "RU-" + local_day(now, app.zone).isoformat()
        )
    context["recipient"] = {"name": document["subject"]["query"], "lines": []}
    context["extract"] = document
    return render_letter("registerutdrag", context, letters_dir=app.settings.letters_dir).pdf


def _retention(app: App, case: Case) -> str | None:
    """The retention of the case under the landlord's retention policy (docs/gallring.md), or None
    when there is no valid policy (the extract then states the default of DOMAIN §7)."""
    from storning.records import gallring

    try:
        policy = gallring.current_policy(app.settings)
    except StorningError:
        return None
    kind = policy.case_types.get(case.case_type)
    if kind is None:
        return None
    rules = policy.rules_for(case.case_type, None, case.facts)
    longest = max(rules, key=lambda r: r.keep.after(case.opened_at))
    text = (
        f"Personuppgifterna gallras {longest.keep.text} efter att ärendet avslutats "
        f"({longest.decision})."
    )
    if kind.outcomes:
        text += " Vissa utfall har längre tid (till exempel vid avhysning)."
    if kind.dispute_states:
        text += " Ärendet gallras inte medan en tvist pågår (spärr)."
    if longest.kept_after:
        text += f" Därefter sparas: {longest.kept_after.rstrip('.')}."
    return text


def _roles(roles: list[str]) -> str:
    return "registerutdrag: " + ", ".join(extract.ROLE_LABELS[r].lower() for r in roles)


# --- redacted release (OSL 2 kap. 3 §) ---------------------------------------------------------------


def release_proposal(app: App, actor: str, now: datetime, ref: str) -> dict[str, Any]:
    """The case file's maskable fields, each with whether the product proposes to mask it, under
    which OSL provision, and whether it must be masked (a protected complainant's identity). The
    values are not returned: the person deciding sees them on the case page."""
    with unit(app) as session:
        user, principal = _privacy_principal(
            app, session, actor, "lämna ut ärendehandlingar", "release_proposal"
        )
        case = _privacy_case(principal, session, ref, "release_proposal")
        _document, fields = release.case_file(session, case, app.zone)
        log_access(session, user.username, now, case.id, "release_proposal", None)
        return {
            "ref": case.ref,
            "fields": [f.as_dict() for f in fields],
            "reasons": release.REASONS,
        }


@dataclass(frozen=True)
class ReleaseResult:
    id: int
    ref: str
    pdf: bytes
    sha256: str
    masked: list[dict[str, str]]


def release_case(
    app: App,
    actor: str,
    now: datetime,
    ref: str,
    request_ref: str,
    masks: dict[str, str],
) -> ReleaseResult:
    """Release the case file with `masks` (field id → OSL reason key) burnt in: the masked text is
    removed from the data before the PDF is typeset. The decision is logged in `case_releases` and
    the access log."""
    reference = extract.one_line("Begärans referens", request_ref, 100)
    if not reference:
        raise InvalidInput(
            "Ange begärans diarienummer eller referens (till exempel 'Dnr 2026/123')."
        )
    with unit(app) as session:
        user, principal = _privacy_principal(
            app, session, actor, "lämna ut ärendehandlingar", "release"
        )
        case = _privacy_case(principal, session, ref, "release")
        document, fields = release.case_file(session, case, app.zone)
        chosen = release.check_masks(fields, masks)
        masked = release.masked_list(fields, chosen)
        context = _letterhead(app, user, now, "utlamnande", case.ref)
        context["recipient"] = {"name": "Utlämnande av allmän handling", "lines": [reference]}
        context["release"] = {
            "request_ref": reference,
            "decided_by": user.name or user.username,
            "decided_on": local_day(now, app.zone).isoformat(),
            "masked": masked,
            "file": release.redacted(document, fields, chosen),
        }
        rendered = render_letter("utlamnande", context, letters_dir=app.settings.letters_dir)
        result = session.connection().execute(
            _INSERT_RELEASE.returning(table(CaseRelease).c.id),
            {
                "case_id": case.id,
                "at": now,
                "actor": user.username,
                "request_ref": reference,
                "masked": [{"field": m["field"], "reason": m["reason"]} for m in masked],
                "sha256": rendered.sha256,
            },
        )
        release_id = int(result.scalar_one())
        log_access(
            session,
            user.username,
            now,
            case.id,
            "release",
            f"utlämnande {release_id}, {len(masked)} fält maskerade",
        )
        return ReleaseResult(release_id, case.ref, rendered.pdf, rendered.sha256, masked)


def list_releases(app: App, actor: str, now: datetime, ref: str) -> list[dict[str, Any]]:
    """The release decisions of a case, oldest first."""
    with unit(app, write=False) as session:
        _user, principal = _privacy_principal(app, session, actor, "se utlämnanden", "release_list")
        case = _privacy_case(principal, session, ref, "release_list")
        rows = session.scalars(
            select(CaseRelease).where(CaseRelease.case_id == case.id).order_by(CaseRelease.id)
        )
        return [
            {
                "id": r.id,
                "at": iso(r.at, app.zone),
                "actor": r.actor,
                "request_ref": r.request_ref,
                "masked": r.masked,
                "sha256": r.sha256,
            }
            for r in rows
        ]


# --- the letterhead ---------------------------------------------------------------------------------


def _letterhead(app: App, user: User, now: datetime, template: str, ref: str) -> dict[str, Any]:
    """What `letters/_brev.typ.j2` needs: the landlord, the producer as officer, date, reference."""
    landlord = app.settings.landlord
    title = "Dataskyddsombud" if "dataskydd" in user.role_set else "Chef"
    return {
        "landlord": {
            "name": landlord.name,
            "org_number": landlord.org_number,
            "address": landlord.address,
            "postal_address": landlord.postal_address,
            "phone": landlord.phone,
            "email": landlord.email,
            "jour_phone": landlord.jour_phone,
            "logo": None,
            "website": "",
        },
        "officer": {
            "name": user.name or user.username,
            "title": title,
            "phone": user.phone or landlord.phone,
            "email": user.email or landlord.email,
        },
        "letter": {"date": local_day(now, app.zone), "template": template, "id": 0},
        "case": {"ref": ref},
    }
