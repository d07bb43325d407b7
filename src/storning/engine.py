"""The engine: `fire` is the only writer of track state (invariant 1).

One call runs, inside the caller's transaction: choose the transition (source state and `when`), check its
guards (blocking with reasons, or honouring a written override by a role that may), let the cached flat
state machine move the request-local model, journal the event, cancel the timers scoped to the state that
was left, run the effects (letters, emitted events, timers, facts) and start the new state's timers. If
anything raises, the caller's transaction rolls back and nothing of the event is stored (invariant 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from time import perf_counter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from storning.access import ACTING_ROLES, OVERRIDING_ROLES
from storning.calendar import SwedishCalendar
from storning.context import EventContext
from storning.definitions.model import Track, Transition, Workflow
from storning.definitions.params import coerce_params, jsonable
from storning.definitions.registry import WorkflowRegistry
from storning.definitions.schema import ParamDef
from storning.effects import EFFECTS, matches
from storning.errors import (
    ClockError,
    EventNotAvailable,
    GuardBlocked,
    InvalidInput,
    NotFound,
    PermissionDenied,
    cli,
)
from storning.guards import blocked_by
from storning.journal import append_journal
from storning.store.cases import refresh_next_due
from storning.store.models import Case, Complainant, Incident, Timer, User
from storning.timers import TimerBook


class _TrackModel:
    """The request-local object the shared machine moves; never attached to the machine."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


@dataclass
class Probe:
    """Where a change's time goes, for the benchmark (`bench/engine.py`): `switch(phase)` charges the time
    since the last switch to the phase that was running and starts `phase`; it returns the phase it
    interrupted, so a nested event (an `emit`) can hand the clock back. Off (`Engine.probe is None`)
    it costs one attribute test per phase."""

    seconds: dict[str, float] = field(default_factory=dict)
    current: str | None = None
    since: float = 0.0

    def switch(self, phase: str | None) -> str | None:
        now = perf_counter()
        previous = self.current
        if previous is not None:
            self.seconds[previous] = self.seconds.get(previous, 0.0) + now - self.since
        self.current, self.since = phase, now
        return previous


@dataclass(frozen=True)
class Action:
    track: str
    event: str
    label: str
    allowed: bool
    blocked_by: list[dict[str, object]]
    requires_reason: bool
    params: dict[str, ParamDef]

    def as_dict(self) -> dict[str, object]:
        return {
            "track": self.track,
            "event": self.event,
            "label": self.label,
            "allowed": self.allowed,
            "blocked_by": self.blocked_by,
            "requires_reason": self.requires_reason,
            "params": {k: p.model_dump() for k, p in self.params.items()},
        }


class Engine:
    def __init__(
        self,
        registry: WorkflowRegistry,
        zone: ZoneInfo,
        calendar: SwedishCalendar,
        severe_kinds: frozenset[str],
        *,
        clock_tolerance: timedelta = timedelta(0),
    ) -> None:
        self.registry = registry
        self.zone = zone
        self.calendar = calendar
        self.severe_kinds = severe_kinds
        # two changes saved at once: the later-committed one may carry the earlier clock
        self.clock_tolerance = clock_tolerance
        self.timers = TimerBook(zone, calendar)
        self.probe: Probe | None = None  # the benchmark's breakdown; None in production

    # --- public ------------------------------------------------------------------------------------

    def workflow_of(self, session: Session, case: Case) -> Workflow:
        return self.registry.get(session, case.case_type, case.workflow_version)

    def fire(
        self,
        session: Session,
        case: Case,
        track: str,
        event: str,
        *,
        actor: User,
        now: datetime,
        params: dict[str, Any] | None = None,
        reason: str | None = None,
        override: str | None = None,
        timer_id: int | None = None,
    ) -> list[int]:
        """Fire a user (or timer) event into one track. Raises when it is unknown, unavailable or blocked."""
        self.check_clock(case, now)
        if not ACTING_ROLES & actor.role_set and actor.username != "system":
            raise PermissionDenied(
                f"Användaren {actor.username} har inte behörighet att handlägga ärenden."
            )
        entries: list[int] = []
        self._fire(
            session,
            case,
            track,
            event,
            actor,
            now,
            params or {},
            reason,
            override,
            None,
            timer_id,
            None,
            entries,
            system=False,
        )
        self._touch(case, now)
        return entries

    def dispatch(
        self,
        session: Session,
        case: Case,
        event: str,
        *,
        actor: User,
        now: datetime,
        params: dict[str, Any],
        incident: Incident | None = None,
        caused_by: int | None = None,
    ) -> list[int]:
        """Offer a system event (incident_recorded, letter_sent, …) to every track; those with a matching
        transition whose guards pass react, the others ignore it."""
        entries: list[int] = []
        workflow = self.workflow_of(session, case)
        for name in workflow.tracks:
            if case.status == "closed":
                break
            self._fire(
                session,
                case,
                name,
                event,
                actor,
                now,
                params,
                None,
                None,
                incident,
                None,
                caused_by,
                entries,
                system=True,
            )
        self._touch(case, now)
        return entries

    def check_clock(self, case: Case, now: datetime) -> None:
        """The journal is ordered by time: a change older than the case's latest event is refused,
        unless it is within `clock_tolerance` of it — two people saving at once, where the one who
        started first commits second. The case lock serializes them; `last_event_at` never goes back."""
        if now < case.last_event_at - self.clock_tolerance:
            raise ClockError(
                f"Tidpunkten {now.astimezone(self.zone):%Y-%m-%d %H:%M} är tidigare än ärendets senaste "
                f"händelse ({case.last_event_at.astimezone(self.zone):%Y-%m-%d %H:%M}); journalen "
                f"är ordnad efter tid{cli(', ange en senare --now')}."
            )

    def available_actions(
        self, session: Session, case: Case, actor: User, now: datetime
    ) -> list[Action]:
        """Every user event the current state of each track has a transition for, allowed or not."""
        if case.status == "closed":
            return []
        workflow = self.workflow_of(session, case)
        actions = []
        for name, track in workflow.tracks.items():
            state = case.track_state(name).state
            for transition in track.events_from(state):
                ctx = self._context(
                    session, case, workflow, track, transition.event, actor, now, {}
                )
                ctx.transition = transition
                blocked = [g.reason(ctx).as_dict() for g in blocked_by(ctx, transition.guards)]
                actions.append(
                    Action(
                        name,
                        transition.event,
                        transition.label,
                        not blocked,
                        blocked,
                        transition.requires_reason,
                        transition.params,
                    )
                )
        return actions

    def start_case(
        self, session: Session, case: Case, workflow: Workflow, actor: User, now: datetime
    ) -> None:
        """Enter every track's initial state: its timers and the track's `on_open` effects."""
        for track in workflow.tracks.values():
            ctx = self._context(session, case, workflow, track, "open", actor, now, {})
            self.timers.start_state_timers(ctx, track.initial)
            self._run_effects(ctx, track.on_open)
        session.flush()
        refresh_next_due(session, [case.id])  # the new case's first deadlines

    def welcome_complainant(
        self, session: Session, case: Case, complainant: Complainant, actor: User, now: datetime
    ) -> None:
        """A complainant added to an open case gets what one named at its opening got: the `on_open`
        effects that depend on complainants (the confirmation letter, the update reminders), for this
        complainant only; a timer that already runs is not started twice."""
        workflow = self.workflow_of(session, case)
        for track in workflow.tracks.values():
            ctx = self._context(session, case, workflow, track, "complainant_added", actor, now, {})
            ctx.__dict__["complainants"] = [
                complainant
            ]  # the cached property, narrowed to this one
            for call in track.on_open:
                if "complainants" not in call.when or not matches(ctx, call.when):
                    continue
                if call.name == "timer" and self._timer_running(
                    session, case, track.name, call.arg
                ):
                    continue
                EFFECTS[call.name].apply(ctx, call.arg)

    def _timer_running(self, session: Session, case: Case, track: str, name: str) -> bool:
        running = select(Timer.id).where(
            Timer.case_id == case.id,
            Timer.track == track,
            Timer.name == name,
            Timer.status == "pending",
        )
        return session.scalar(running.limit(1)) is not None

    # --- the event -------------------------------------------------------------------------------

    def _fire(
        self,
        session: Session,
        case: Case,
        track_name: str,
        event: str,
        actor: User,
        now: datetime,
        params: dict[str, Any],
        reason: str | None,
        override: str | None,
        incident: Incident | None,
        timer_id: int | None,
        caused_by: int | None,
        entries: list[int],
        *,
        system: bool,
    ) -> None:
        probe = self.probe
        outer = probe.switch("machine") if probe is not None else None
        workflow = self.workflow_of(session, case)
        track = workflow.tracks.get(track_name)
        if track is None:
            raise NotFound(f"Okänt spår '{track_name}'; spåren är {', '.join(workflow.tracks)}.")
        if case.status == "closed":
            raise EventNotAvailable(f"Ärendet {case.ref} är avslutat; inga händelser kan utföras.")
        row = case.track_state(track_name)
        ctx = self._context(session, case, workflow, track, event, actor, now, params)
        ctx.reason, ctx.override, ctx.incident = reason, override, incident
        transition = self._choose(ctx, track, row.state, system)
        if transition is None:
            if probe is not None:
                probe.switch(outer)
            return
        ctx.transition = transition
        if not transition.system:
            ctx.params = coerce_params(transition, params, self.zone, ctx.today)
        if probe is not None:
            probe.switch("guards")
        overridden = self._check_guards(ctx, transition, actor, override)
        if probe is not None:
            probe.switch("machine")
        if overridden is None:
            if probe is not None:
                probe.switch(outer)
            return  # a system reaction whose guard does not hold: nothing happens
        if transition.requires_reason and not (reason or "").strip():
            raise InvalidInput(
                f"Åtgärden ”{transition.label}” kräver en skriftlig motivering"
                f"{cli(' (--reason)')}; skriv varför den görs."
            )
        model = _TrackModel(row.state)
        track.machine.events[event].trigger(model, transition.index)
        from_state = row.state
        if probe is not None:
            probe.switch("effects")
        entry_id = append_journal(
            session,
            case.id,
            now,
            actor.username,
            event,
            track=track_name,
            from_state=from_state,
            to_state=model.state,
            reason=reason,
            override=(override or "").strip() or None if not transition.system else None,
            overridden=overridden or None,
            params=jsonable(ctx.params) or None,
            caused_by=caused_by,
            timer_id=timer_id,
        )
        entries.append(entry_id)
        ctx.journal_id = entry_id
        external = transition.dest is not None
        if external:
            self.timers.cancel_state_timers(ctx, from_state)
            row.state, row.since = model.state, now
        self._run_effects(ctx, transition.effects)
        if external:
            self.timers.start_state_timers(ctx, model.state)
            if track_name == "legal" and track.is_final(model.state):
                self._close(session, case, now)
        if probe is not None:
            probe.switch(outer)

    def _choose(
        self, ctx: EventContext, track: Track, state: str, system: bool
    ) -> Transition | None:
        candidates = [t for t in track.candidates(ctx.event, state) if matches(ctx, t.when)]
        if candidates:
            return candidates[0]
        if system:
            return None
        if not any(t.event == ctx.event and not t.system for t in track.transitions):
            raise NotFound(f"Spåret '{track.name}' har ingen händelse '{ctx.event}'.")
        label = track.event_label(ctx.event)
        named = f"'{label}' ({ctx.event})" if label else f"'{ctx.event}'"
        raise EventNotAvailable(
            f"Åtgärden {named} kan inte utföras i läget '{track.label(state)}' "
            f"({track.title.lower()}); se ärendets möjliga åtgärder"
            f"{cli(f' med storning case show {ctx.case.ref}')}."
        )

    def _check_guards(
        self, ctx: EventContext, transition: Transition, actor: User, override: str | None
    ) -> list[str] | None:
        """The ids of overridden guards ([] when all pass); None for a system reaction that is blocked."""
        blocked = blocked_by(ctx, transition.guards)
        if not blocked:
            if (override or "").strip() and not transition.system:
                self._require_override_role(
                    actor
                )  # an override text still says something (e.g. oral)
            return []
        if transition.system:
            return None
        if any(not g.overridable for g in blocked) or not (override or "").strip():
            raise GuardBlocked(ctx.event, [g.reason(ctx) for g in blocked], transition.label)
        self._require_override_role(actor)
        return [g.id for g in blocked]

    @staticmethod
    def _require_override_role(actor: User) -> None:
        if not OVERRIDING_ROLES & actor.role_set:
            raise PermissionDenied(
                f"Endast chef eller administratör får åsidosätta en spärr; {actor.username} saknar den rollen."
            )

    def _run_effects(self, ctx: EventContext, effects: tuple[Any, ...]) -> None:
        for call in effects:
            if matches(ctx, call.when):
                EFFECTS[call.name].apply(ctx, call.arg)

    def _close(self, session: Session, case: Case, now: datetime) -> None:
        case.status = "closed"
        case.closed_at = now
        self.timers.cancel_all(session, case)

    def _touch(self, case: Case, now: datetime) -> None:
        case.updated_at = now
        case.last_event_at = max(case.last_event_at, now)

    def _context(
        self,
        session: Session,
        case: Case,
        workflow: Workflow,
        track: Track,
        event: str,
        actor: User,
        now: datetime,
        params: dict[str, Any],
    ) -> EventContext:
        return EventContext(
            session=session,
            case=case,
            workflow=workflow,
            track=track,
            event=event,
            actor=actor,
            now=now,
            zone=self.zone,
            calendar=self.calendar,
            severe_kinds=self.severe_kinds,
            operations=self,
            params=params,
        )

    # --- operations for effects --------------------------------------------------------------------

    def emit(self, ctx: EventContext, track: str, event: str) -> None:
        """Fire `event` into another track if its current state has a transition for it."""
        target = ctx.workflow.tracks[track]
        if not target.candidates(event, ctx.case.track_state(track).state):
            return
        entries: list[int] = []
        self._fire(
            ctx.session,
            ctx.case,
            track,
            event,
            ctx.actor,
            ctx.now,
            {},
            None,
            None,
            None,
            None,
            ctx.journal_id,
            entries,
            system=False,
        )

    def start_timer(self, ctx: EventContext, name: str) -> None:
        self.timers.start(ctx, name)

    def start_reminder(self, ctx: EventContext, name: str, label: str, due_on: date) -> None:
        self.timers.start_reminder(ctx, name, label, due_on)

    def cancel_timers(self, ctx: EventContext, name: str | None) -> None:
        self.timers.cancel(ctx, name)

    def create_letter(self, ctx: EventContext, template: str) -> None:
        from storning.letters.records import create_draft

        create_draft(ctx, template)

    def notify(self, ctx: EventContext, recipients: list[str], subject: str) -> None:
        from storning.notifications import notify_case_people

        notify_case_people(ctx.session, ctx.case, recipients, subject, ctx.now)


__all__ = ["Action", "Engine"]
