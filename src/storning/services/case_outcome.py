"""What an officer records that the outcome measures need (issue 14): where the complaint came from
and how many children the household has (`update_household`), and how the case ended (its outcome:
chosen at the legal track's `close`, implied by other closing events). Codes and counts only, never
personal data; every change is journaled with the old and the new value."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storning.app import App
from storning.errors import InvalidInput
from storning.services.common import _change, _record
from storning.store.models import Case, User
from storning.vocabulary import COMPLAINT_SOURCES, OUTCOMES


def checked_source(source: str | None) -> str | None:
    """A complaint source code (COMPLAINT_SOURCES), or None."""
    if source is None or str(source).strip() == "":
        return None
    code = str(source).strip().lower()
    if code not in COMPLAINT_SOURCES:
        raise InvalidInput(f"Okänd källa '{source}'; välj en av {', '.join(COMPLAINT_SOURCES)}.")
    return code


def checked_children(children: int | str | None) -> int | None:
    """The number of children in the household (a count, never names), or None when unknown."""
    if children is None or str(children).strip() == "":
        return None
    try:
        count = int(str(children).strip())
    except ValueError:
        raise InvalidInput(
            f"Antalet barn '{children}' ska vara ett heltal (0 eller fler)."
        ) from None
    if not 0 <= count <= 30:
        raise InvalidInput(f"Antalet barn {count} ska vara mellan 0 och 30.")
    return count


def checked_outcome(outcome: str | None) -> str:
    """An outcome code (OUTCOMES); a case cannot be closed without one."""
    code = str(outcome or "").strip().lower()
    if not code:
        raise InvalidInput(
            "Ange hur ärendet slutade (utfall: "
            + ", ".join(OUTCOMES)
            + ") för att kunna avsluta det."
        )
    if code not in OUTCOMES:
        raise InvalidInput(f"Okänt utfall '{outcome}'; välj ett av {', '.join(OUTCOMES)}.")
    return code


def update_household(
    app: App,
    actor: str,
    now: datetime,
    ref: str,
    *,
    children: int | str | None = None,
    source: str | None = None,
    clear_children: bool = False,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Record or correct the number of children in the household and where the complaint came from.
    The journal keeps the old and the new value (a count and a code: no personal data)."""
    count = checked_children(children)
    code = checked_source(source)
    if count is None and code is None and not clear_children:
        raise InvalidInput("Ange antal barn eller källa att ändra.")

    def edit(session: Session, case: Case, user: User) -> None:
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        if count is not None or clear_children:
            before["children"], after["children"] = case.children, count
            case.children = count
        if code is not None:
            before["source"], after["source"] = case.source, code
            case.source = code
        _record(session, case, user, now, "household_updated", {"before": before, "after": after})

    return _change(app, actor, now, ref, expected_version, edit, action="household_update")


def set_outcome(
    session: Session, case: Case, user: User, now: datetime, event: str, given: str | None
) -> None:
    """After an event closed the case: store its outcome and journal it. `close` requires the
    officer's choice (checked before the event by `require_outcome`); other closing events imply it."""
    from storning.outcomes.milestones import OUTCOME_OF_EVENT, OUTCOME_OF_FINAL_STATE

    if case.status != "closed" or case.outcome:
        return
    if event == "close" and given is None:
        checked_outcome(None)  # raises: the officer's close needs the outcome chosen
    code = given or OUTCOME_OF_EVENT.get(event)
    if code is None:
        code = OUTCOME_OF_FINAL_STATE.get(case.track_state("legal").state, "annan")
    case.outcome = code
    _record(session, case, user, now, "outcome_recorded", {"outcome": code})


def take_outcome(
    event: str, track: str, params: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, str | None]:
    """Split the outcome off an event's parameters: required (and checked) for the legal `close`,
    optional for `tenant_moved` (default: moved out); other events keep their parameters as given."""
    if not (track == "legal" and event in ("close", "tenant_moved")):
        return params, None
    rest = dict(params or {})
    given = rest.pop("outcome", None)
    # an unknown code is refused at once; a missing one only once the case has closed (a blocked
    # close says first why it is blocked: `set_outcome`)
    return rest or None, checked_outcome(given) if given not in (None, "") else None


def source_choices() -> dict[str, str]:
    return dict(COMPLAINT_SOURCES)
