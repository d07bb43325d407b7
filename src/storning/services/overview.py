"""The team overview (Teamöversikt): what a chef, or a reader of the team, needs to see first.

- the team's **overdue and escalated tasks** (a task is an open item as `readmodel.open_item` defines
  it for the officer's own *Att göra* list; escalated: the supervisor was told that a deadline passed
  and the task is still open);
- the **workload per officer**: open cases, overdue tasks and tasks due up to the end of the week;
- what **waits for a chef's decision**: cases in legal review as particularly serious
  (`severe_review`), overrides of a guard recently (the journal's `override`), and cases on their way
  to the hyresnämnd or Kronofogden with a complainant under skyddad identitet, where only a chef may
  decide to disclose the reporters' identities in the report (`access.can_disclose`).

Chefs of a team and readers of a team see their team; an administrator sees every team or the one
asked for. Each read is written to the access log (`team_overview`), like the other lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, true
from sqlalchemy.orm import Session

from storning import access, due, readmodel
from storning.access import Principal
from storning.app import App
from storning.clock import iso, local_day
from storning.errors import PermissionDenied
from storning.services.common import log_access, refuse, unit
from storning.services.lists import principal
from storning.store.models import Case, CaseTrack, Complainant, JournalEntry, Timer, User

OVERRIDES_SINCE_DAYS = 30
# Legal states from which a compiled report (with the reporters) may go to a court or Kronofogden.
COURT_BOUND = (
    "severe_review",
    "terminated",
    "terminated_served",
    "term_end_terminated",
    "hyresnamnd",
    "kronofogden",
)
LIMIT = 200


@dataclass
class TeamOverview:
    """What `team_overview` returns; `team` is None for every team (an administrator)."""

    team: str | None
    teams: list[str]
    read_only: bool
    decides: bool  # a chef or administrator: what waits for a chef's decision waits for them
    today: date
    week_end: date
    urgent: list[dict[str, Any]] = field(default_factory=list)
    workload: list[dict[str, Any]] = field(default_factory=list)
    severe: list[dict[str, Any]] = field(default_factory=list)
    overrides: list[dict[str, Any]] = field(default_factory=list)
    disclosures: list[dict[str, Any]] = field(default_factory=list)
    overrides_since: date | None = None


# --- who sees it, and who lands on it --------------------------------------------------------------


def may_see_team_overview(who: Principal) -> bool:
    """A chef or a reader of a team, or an administrator."""
    if who.is_admin:
        return True
    return bool(who.team) and (who.is_chef or "lasare" in who.roles)


def lands_on_team_overview(who: Principal) -> bool:
    """Whether the principal starts on the team overview after logging in (chefs and readers of a
    team) rather than on their own worklist."""
    return not who.is_admin and may_see_team_overview(who)


def _team_in_view(who: Principal, asked: str) -> str | None:
    if who.is_admin:
        return asked or None
    return who.team


# --- the overview ------------------------------------------------------------------------------------


def team_overview(app: App, actor: str, now: datetime, team: str = "") -> TeamOverview:
    """The overview of the actor's team (an administrator: of `team`, or of every team)."""
    who = principal(app, actor)
    today = local_day(now, app.zone)
    with unit(app) as session:
        if not may_see_team_overview(who):
            raise refuse(
                PermissionDenied("Teamöversikten är till för chefer och läsare i ett team."),
                who.username,
                None,
                "team_overview",
            )
        in_view = _team_in_view(who, readmodel.clean(team, 80))
        scope = Case.team == in_view if in_view is not None else true()
        result = TeamOverview(
            team=in_view,
            teams=readmodel.teams(app) if who.is_admin else [],
            read_only=not access.may_act_at_all(who),
            decides=who.is_chef or who.is_admin,
            today=today,
            week_end=due.week_end(today),
            overrides_since=today - timedelta(days=OVERRIDES_SINCE_DAYS),
        )
        result.urgent = _urgent(app, session, scope, today)
        result.workload = _workload(session, scope, in_view, today, result.week_end)
        result.severe = _severe(app, session, scope)
        result.overrides = _overrides(app, session, scope, now)
        result.disclosures = _disclosures(app, session, scope)
        log_access(session, who.username, now, None, "team_overview", _described(result))
    return result


def _described(result: TeamOverview) -> str:
    return (
        f"team {result.team or 'alla'}: {len(result.urgent)} försenade eller eskalerade, "
        f"{len(result.severe)} särskilt allvarliga, {len(result.overrides)} åsidosättningar, "
        f"{len(result.disclosures)} med skyddad identitet"
    )


def _still_in_state() -> ColumnElement[bool]:
    """The track is still in the state that started the timer (the task is not done)."""
    return exists(
        select(CaseTrack.case_id).where(
            CaseTrack.case_id == Timer.case_id,
            CaseTrack.track == Timer.track,
            CaseTrack.state == Timer.scope_state,
        )
    )


def _escalated() -> ColumnElement[bool]:
    """The supervisor was told that the deadline passed, and the task is still open."""
    return and_(
        Timer.kind == "escalate",
        Timer.status == "fired",
        or_(Timer.scope == "case", _still_in_state()),
    )


def _urgent(
    app: App, session: Session, scope: ColumnElement[bool], today: date
) -> list[dict[str, Any]]:
    """Overdue and escalated tasks, one row per task of a case (escalated first, oldest first)."""
    query = (
        select(
            Timer.case_id,
            Timer.track,
            Timer.name,
            Timer.label,
            Timer.kind,
            Timer.due_on,
            Case.ref,
            Case.tenant_name,
            User.username,
            User.name.label("owner_name"),
        )
        .join(Case, Case.id == Timer.case_id)
        .join(User, User.id == Case.owner_id)
        .where(
            scope,
            Case.status == "open",
            or_(and_(due.open_item(), Timer.due_on < today), _escalated()),
        )
        .order_by(Timer.due_on, Timer.id)
        .limit(LIMIT * 4)
    )
    tasks: dict[tuple[int, str, str], dict[str, Any]] = {}
    for row in session.execute(query):
        key = (row.case_id, row.track, row.name)
        task = tasks.setdefault(
            key,
            {
                "ref": row.ref,
                "tenant": row.tenant_name,
                "owner": row.username,
                "owner_name": row.owner_name or row.username,
                "label": row.label,
                "track": row.track,
                "due_on": row.due_on.isoformat(),
                "days_late": max((today - row.due_on).days, 0),
                "escalated": False,
            },
        )
        if row.kind == "escalate":
            task["escalated"] = True
    rows = sorted(tasks.values(), key=lambda t: (not t["escalated"], t["due_on"], t["ref"]))
    return rows[:LIMIT]


def _workload(
    session: Session, scope: ColumnElement[bool], team: str | None, today: date, last: date
) -> list[dict[str, Any]]:
    """Per officer: open cases, overdue tasks, tasks due from today to the end of the week (by the
    timer's owner, as each officer's own *Att göra* list counts them)."""
    people: dict[str, dict[str, Any]] = {}
    officers = select(User.username, User.name, User.roles).where(
        User.active.is_(True), User.username != "system"
    )
    if team is not None:
        officers = officers.where(User.team == team)
    for username, name, roles in session.execute(officers.order_by(User.name)):
        if set(roles.split(",")) & access.ACTING_ROLES:
            people[username] = _person(username, name)
    cases = (
        select(User.username, User.name, func.count(Case.id))
        .join(Case, Case.owner_id == User.id)
        .where(scope, Case.status == "open")
        .group_by(User.username, User.name)
    )
    for username, name, count in session.execute(cases):
        people.setdefault(username, _person(username, name))["open_cases"] = count
    tasks = (
        select(User.username, User.name, Timer.due_on)
        .join(Timer, Timer.owner_id == User.id)
        .join(Case, Case.id == Timer.case_id)
        .where(scope, Case.status == "open", Timer.due_on <= last, due.open_item())
    )
    for username, name, due_on in session.execute(tasks):
        person = people.setdefault(username, _person(username, name))
        person["overdue" if due_on < today else "due_this_week"] += 1
    return sorted(people.values(), key=lambda p: (-p["overdue"], p["name"].casefold()))


def _person(username: str, name: str | None) -> dict[str, Any]:
    return {
        "username": username,
        "name": name or username,
        "open_cases": 0,
        "overdue": 0,
        "due_this_week": 0,
    }


def _severe(app: App, session: Session, scope: ColumnElement[bool]) -> list[dict[str, Any]]:
    """Open cases whose legal track is in review as particularly serious, longest waiting first."""
    query = (
        select(Case.ref, Case.tenant_name, User.username, User.name, CaseTrack.since)
        .join(CaseTrack, CaseTrack.case_id == Case.id)
        .join(User, User.id == Case.owner_id)
        .where(
            scope,
            Case.status == "open",
            CaseTrack.track == "legal",
            CaseTrack.state == "severe_review",
        )
        .order_by(CaseTrack.since)
        .limit(LIMIT)
    )
    return [
        {
            "ref": ref,
            "tenant": tenant,
            "owner": username,
            "owner_name": name or username,
            "since": iso(since, app.zone),
        }
        for ref, tenant, username, name, since in session.execute(query)
    ]


def _overrides(
    app: App, session: Session, scope: ColumnElement[bool], now: datetime
) -> list[dict[str, Any]]:
    """Guards overridden with a written reason in the last `OVERRIDES_SINCE_DAYS` days, newest first."""
    query = (
        select(
            JournalEntry.at,
            JournalEntry.actor,
            JournalEntry.track,
            JournalEntry.event,
            JournalEntry.from_state,
            JournalEntry.override,
            Case.ref,
            Case.case_type,
            Case.workflow_version,
            Case.tenant_name,
        )
        .join(Case, Case.id == JournalEntry.case_id)
        .where(
            scope,
            JournalEntry.override.is_not(None),
            JournalEntry.at >= now - timedelta(days=OVERRIDES_SINCE_DAYS),
        )
        .order_by(JournalEntry.at.desc(), JournalEntry.id.desc())
        .limit(LIMIT)
    )
    return [
        {
            "ref": row.ref,
            "tenant": row.tenant_name,
            "at": iso(row.at, app.zone),
            "actor": row.actor,
            "event": _event_label(app, session, row),
            "reason": row.override,
        }
        for row in session.execute(query)
    ]


def _event_label(app: App, session: Session, row: Any) -> str:
    """The Swedish label of a journaled event (the event id when the workflow does not name it)."""
    workflow = app.registry.get(session, row.case_type, row.workflow_version)
    track = workflow.tracks.get(row.track or "")
    if track is None:
        return str(row.event)
    found = track.candidates(row.event, row.from_state or "") or [
        t for t in track.transitions if t.event == row.event
    ]
    return found[0].label if found else str(row.event)


def _disclosures(app: App, session: Session, scope: ColumnElement[bool]) -> list[dict[str, Any]]:
    """Open cases on their way to a court or Kronofogden with a complainant under skyddad identitet,
    whose report has not yet been compiled with the reporters disclosed (a chef's decision)."""
    protected = exists(
        select(Complainant.id).where(
            Complainant.case_id == Case.id, Complainant.protected.is_(True)
        )
    )
    disclosed = exists(
        select(JournalEntry.id).where(
            JournalEntry.case_id == Case.id, JournalEntry.event == "report_disclosed"
        )
    )
    query = (
        select(Case.ref, Case.tenant_name, Case.case_type, Case.workflow_version, CaseTrack.state)
        .add_columns(User.username, User.name.label("owner_name"))
        .join(CaseTrack, CaseTrack.case_id == Case.id)
        .join(User, User.id == Case.owner_id)
        .where(
            scope,
            Case.status == "open",
            CaseTrack.track == "legal",
            CaseTrack.state.in_(COURT_BOUND),
            protected,
            ~disclosed,
        )
        .order_by(Case.ref)
        .limit(LIMIT)
    )
    result = []
    for row in session.execute(query):
        workflow = app.registry.get(session, row.case_type, row.workflow_version)
        legal = workflow.tracks.get("legal")
        result.append(
            {
                "ref": row.ref,
                "tenant": row.tenant_name,
                "owner": row.username,
                "owner_name": row.owner_name or row.username,
                "state": legal.label(row.state) if legal else row.state,
            }
        )
    return result
