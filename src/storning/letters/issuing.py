"""Issuing a letter: render its PDF from the case once, store bytes, sha256, template version and the data
it was rendered from. An issued letter never changes; re-issuing makes a new letter (invariant 6)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from storning.clock import local_day
from storning.letters.context import build_context, jsonable
from storning.store.models import Case, Letter

if TYPE_CHECKING:
    from storning.letters.rendering import RenderedLetter
    from storning.runtime import Runtime


def dated(app: Runtime, letter: Letter) -> date:
    """A letter is dated the day it was drafted (a reissue is a new letter with its own day): never
    the day its PDF happens to be rendered."""
    return local_day(letter.created_at, app.zone)


# What a draft's data says about the letter itself, kept when it is issued.
DRAFTING_KEYS = frozenset(
    {"event", "track", "holder", "holder_name", "round", "complainant_id", "reissue_of"}
)


def audience_of(template: str) -> str:
    from storning.letters import TEMPLATE_CATALOG

    entry = TEMPLATE_CATALOG.get(template)
    return entry.audience if entry is not None else "tenant"


def context_of(app: Runtime, session: Session, case: Case, letter: Letter) -> dict[str, Any]:
    """The data the letter is rendered from, dated the day it was drafted."""
    return build_context(
        session, app.settings, case, letter, audience_of(letter.template), dated(app, letter)
    )


def _render(
    app: Runtime, session: Session, case: Case, letter: Letter
) -> tuple[dict[str, Any], RenderedLetter]:
    """The letter's data and its rendering, dated the day it was drafted."""
    from storning.letters import render_letter

    context = context_of(app, session, case, letter)
    return context, render_letter(letter.template, context, letters_dir=app.settings.letters_dir)


def issue(app: Runtime, session: Session, case: Case, letter: Letter, now: datetime) -> Letter:
    """Render a draft and freeze it; an already issued letter is returned unchanged."""
    if letter.pdf is not None:
        return letter
    context, rendered = _render(app, session, case, letter)
    letter.pdf = rendered.pdf
    letter.sha256 = rendered.sha256
    letter.template_version = rendered.template_version
    # the rendered data, and what the draft was made for (its holder and round, its complainant)
    drafted = {k: v for k, v in (letter.data or {}).items() if k in DRAFTING_KEYS}
    letter.data = {**jsonable(context), **drafted}
    letter.issued_at = now
    if letter.status == "draft":
        letter.status = "issued"
    return letter


def render_draft(app: Runtime, session: Session, case: Case, letter: Letter) -> tuple[bytes, str]:
    """A draft's PDF as it reads now, for reading: nothing is stored."""
    _context, rendered = _render(app, session, case, letter)
    return rendered.pdf, rendered.sha256


def issue_if_draft(
    app: Runtime, session: Session, case: Case, letter: Letter, now: datetime
) -> None:
    if letter.pdf is None:
        issue(app, session, case, letter, now)
