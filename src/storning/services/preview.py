"""Preview an officer's event: the letters it would draft, rendered, before anything is kept
(issue 12 item 5).

`preview_event` makes exactly the change `fire_event` would make — the same access rules, guards,
written reason, letter gaps, clock and version checks, in the same kind of transaction — and then
rolls it back, always: no letter, journal entry, timer, fact or notice of the event is stored. It
returns the letters the event would draft, each rendered by the letters' own renderer from the data it
would be drafted with. The one row it writes is the access-log row of the read (`fire_preview`), after
the rollback; a refused preview is logged like any refused attempt (`fire_preview_refused`).

`letters_of_event` tells, from the workflow definition alone, whether an event may draft letters: the
web shows the preview only for those.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storning.access import can_see_protected, principal_of
from storning.app import App
from storning.definitions.model import Workflow
from storning.letters import LetterTemplateError, render_letter
from storning.letters.issuing import audience_of, context_of
from storning.letters.rendering import render_pages
from storning.presenters import letters_of
from storning.services.cases import fire_change
from storning.services.common import PROTECTED, _change, log_access, scope_of, unit
from storning.services.gaps import drafted_by, title_of
from storning.services.letters import _names_protected_person
from storning.store.models import Case, JournalEntry, Letter, User

ACTION = "fire_preview"


@dataclass(frozen=True)
class _Draft:
    """A letter as the event would draft it, and the data it would be rendered from (None: it names
    a complainant with skyddad identitet whom the principal may not see)."""

    template: str
    title: str
    audience: str
    to: str
    track: str | None
    context: dict[str, Any] | None


@dataclass(frozen=True)
class _Seen:
    """What the rolled-back event did."""

    case_id: int
    ref: str
    version: int
    track: str
    label: str
    confirm: bool
    drafts: list[_Draft]


class _RolledBack(Exception):
    """Carries what the event would have done out of the transaction it abandons. Not a
    `StorningError`: the unit of work lets it pass, and its transaction rolls back."""

    def __init__(self, seen: _Seen) -> None:
        super().__init__("preview")
        self.seen = seen


def preview_event(
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
    output: Literal["png", "pdf"] = "png",
) -> dict[str, Any]:
    """What firing `event` would draft, with nothing stored; refused exactly as `fire_event` would
    refuse it. Each letter comes with its template, title, audience, recipient (`to`), track, and its
    rendering: `pages` (PNG images, one a page) or, with `output="pdf"`, `pdf`; a letter that cannot
    be rendered has `error` (one sentence) instead. `version` is the case version the preview was
    made from: confirming with it refuses a case that has changed since."""
    work, need = fire_change(
        app, now, event, track=track, params=params, reason=reason, override=override
    )

    def look(session: Session, case: Case, user: User) -> None:
        letters_before = {letter.id for letter in letters_of(session, case)}
        query = select(func.max(JournalEntry.id)).where(JournalEntry.case_id == case.id)
        journal_before = session.scalar(query) or 0
        version = case.version
        work(session, case, user)
        seen = _seen(app, session, case, user, event, letters_before, journal_before, version)
        raise _RolledBack(seen)

    try:
        _change(app, actor, now, ref, expected_version, look, document=False, need=need,
                action=ACTION)  # fmt: skip
        raise AssertionError("a preview always rolls back")  # pragma: no cover
    except _RolledBack as rolled_back:
        seen = rolled_back.seen
    with unit(app) as session:  # the read, in a transaction of its own
        detail = f"{event}: {len(seen.drafts)} brev"
        log_access(session, actor, now, seen.case_id, ACTION, detail)
    return {
        "ref": seen.ref,
        "event": event,
        "track": seen.track,
        "label": seen.label,
        "confirm": seen.confirm,
        "version": seen.version,
        "letters": [_rendered(app, draft, output) for draft in seen.drafts],
    }


def _seen(
    app: App,
    session: Session,
    case: Case,
    user: User,
    event: str,
    letters_before: set[int],
    journal_before: int,
    version: int,
) -> _Seen:
    """The fired event's track and label, and the letters it drafted, still inside its transaction."""
    query = (
        select(JournalEntry)
        .where(JournalEntry.case_id == case.id, JournalEntry.id > journal_before)
        .order_by(JournalEntry.id)
    )
    fired = next(e for e in session.scalars(query) if e.caused_by is None and e.event == event)
    assert fired.track is not None and fired.from_state is not None
    track = app.engine.workflow_of(session, case).tracks[fired.track]
    label = next(t.label for t in track.transitions if t.event == event and not t.system)
    may_see = can_see_protected(principal_of(user), scope_of(case))
    drafts = [
        _draft(app, session, case, letter, may_see)
        for letter in letters_of(session, case)
        if letter.id not in letters_before
    ]
    return _Seen(case.id, case.ref, version, fired.track, label,
                 track.needs_confirmation(event, fired.from_state), drafts)  # fmt: skip


def _draft(app: App, session: Session, case: Case, letter: Letter, may_see: bool) -> _Draft:
    title = title_of(letter.template)
    audience = audience_of(letter.template)
    track = (letter.data or {}).get("track")
    if _names_protected_person(session, letter) and not may_see:
        return _Draft(letter.template, title, audience, PROTECTED, track, None)
    context = context_of(app, session, case, letter)
    return _Draft(letter.template, title, audience, context["recipient"]["name"], track, context)


def _rendered(app: App, draft: _Draft, output: str) -> dict[str, Any]:
    """One previewed letter, rendered after the rollback (no database is held meanwhile)."""
    result: dict[str, Any] = {
        "template": draft.template,
        "title": draft.title,
        "audience": draft.audience,
        "to": draft.to,
        "track": draft.track,
    }
    if draft.context is None:
        return {**result, "error": f"{draft.title} visas bara för den som får se anmälaren."}
    letters_dir = app.settings.letters_dir
    try:
        if output == "pdf":
            result["pdf"] = render_letter(
                draft.template, draft.context, letters_dir=letters_dir
            ).pdf
        else:
            result["pages"] = render_pages(draft.template, draft.context, letters_dir=letters_dir)
    except LetterTemplateError as error:
        result["error"] = str(error)
    return result


def letters_of_event(
    workflow: Workflow, states: Mapping[str, str], track: str, event: str
) -> list[str]:
    """The letter templates the officer's `event` in `track` may draft from the tracks' current
    `states`, with those of the events it sets off (by the workflow definition: a letter drafted only
    under a condition counts)."""
    if track not in workflow.tracks or track not in states:
        return []
    templates: list[str] = []
    for transition in workflow.tracks[track].candidates(event, states[track]):
        if not transition.system:
            templates += [t for t in drafted_by(workflow, states, transition) if t not in templates]
    return templates
