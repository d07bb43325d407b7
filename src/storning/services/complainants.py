"""Use cases on a case's complainants (anmälare): add one to an open case, correct or complete one's
details (name, postal address, phone, e-mail, skyddad identitet).

A complainant's identity and contact details are protected like the name (`access.can_see_protected`;
the case document redacts them for everyone else). The journal records that a complainant was added or
which of their details changed, never the values: it is read by everyone who may read the case and is
exported in reports. Lifting skyddad identitet exposes a neighbour who asked for protection, so it is a
chef's decision (`access.can_disclose`), like disclosing them in a report.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storning import access, validation
from storning.access import principal_of
from storning.app import App
from storning.errors import EventNotAvailable, InvalidInput, NotFound, PermissionDenied
from storning.services.common import _change, _record, refuse, scope_of
from storning.store.models import Case, Complainant, User


@dataclass(frozen=True)
class ComplainantDetails:
    """A complainant as a person types them: the name is required, the rest as far as known."""

    name: str
    protected: bool = False
    address: str | None = None  # postal address, one line per row
    phone: str | None = None
    email: str | None = None


EDITABLE = tuple(f.name for f in fields(ComplainantDetails))


def checked(details: ComplainantDetails) -> ComplainantDetails:
    """The details by the one set of field rules (a name, a printable address, a phone number and an
    e-mail address that look like one)."""
    name = validation.text("complainant", details.name, required=True)
    assert name is not None
    return ComplainantDetails(
        name=name,
        protected=bool(details.protected),
        address=validation.text("complainant_address", details.address),
        phone=validation.phone(details.phone),
        email=validation.email(details.email),
    )


def as_details(value: ComplainantDetails | tuple[Any, ...]) -> ComplainantDetails:
    """A complainant given as details or, as older callers do, (name, protected[, address])."""
    if isinstance(value, ComplainantDetails):
        return value
    name, protected, *rest = value
    return ComplainantDetails(name=name, protected=protected, address=rest[0] if rest else None)


def add_complainant(
    app: App,
    actor: str,
    now: datetime,
    ref: str,
    details: ComplainantDetails,
    *,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Add a complainant to an open case. They get what a complainant named at the opening gets (the
    confirmation letter, the officer's update reminders: the workflow's `on_open` effects that depend
    on complainants)."""
    new = checked(details)

    def add(session: Session, case: Case, user: User) -> None:
        if case.status != "open":
            raise EventNotAvailable(
                f"Ärendet {case.ref} är avslutat; anmälare kan inte läggas till."
            )
        complainant = Complainant(case_id=case.id, added_at=now, **_columns(new))
        session.add(complainant)
        session.flush()
        _record(
            session,
            case,
            user,
            now,
            "complainant_added",
            {"complainant": complainant.id, "protected": new.protected},
        )
        app.engine.welcome_complainant(session, case, complainant, user, now)

    return _change(app, actor, now, ref, expected_version, add, action="complainant_add")


def update_complainant(
    app: App,
    actor: str,
    now: datetime,
    ref: str,
    complainant_id: int,
    changes: dict[str, Any],
    *,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Correct or complete a complainant's details; an empty value clears an optional one. Letters
    already issued keep the details they were drafted with."""
    if not changes:
        raise InvalidInput("Ange minst en uppgift om anmälaren att ändra.")
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInput(
            f"Kan inte ändra {', '.join(unknown)} för en anmälare; ändringsbara: "
            f"{', '.join(EDITABLE)}."
        )

    def edit(session: Session, case: Case, user: User) -> None:
        if case.status != "open":
            raise EventNotAvailable(
                f"Ärendet {case.ref} är avslutat; anmälarens uppgifter kan inte ändras."
            )
        complainant = _complainant(session, case, complainant_id)
        current = ComplainantDetails(**_columns(complainant))
        wanted = checked(replace(current, **changes))
        if current.protected and not wanted.protected:
            principal = principal_of(user)
            if not access.can_disclose(principal, scope_of(case)):
                raise refuse(
                    PermissionDenied(
                        "Bara en chef för teamet kan ta bort skyddad identitet för en anmälare."
                    ),
                    user.username,
                    case.id,
                    "complainant_unprotect",
                )
        changed = [name for name in EDITABLE if getattr(current, name) != getattr(wanted, name)]
        if not changed:
            raise _Unchanged  # nothing to save: the transaction rolls back, no version step
        for name, value in _columns(wanted).items():
            setattr(complainant, name, value)
        _record(
            session,
            case,
            user,
            now,
            "complainant_updated",
            {"complainant": complainant.id, "changed": changed},
        )

    try:
        return _change(app, actor, now, ref, expected_version, edit, action="complainant_update")
    except _Unchanged:
        from storning.services.cases import show_case  # (cases imports this module)

        return show_case(app, actor, now, ref)


class _Unchanged(Exception):
    """A save that changes nothing (a form saved without an edit). Not a `StorningError`: the unit of
    work lets it pass and its transaction rolls back."""


def _complainant(session: Session, case: Case, complainant_id: int) -> Complainant:
    found = session.scalar(
        select(Complainant).where(Complainant.id == complainant_id, Complainant.case_id == case.id)
    )
    if found is None:
        raise NotFound(f"Ärendet {case.ref} har ingen anmälare med nummer {complainant_id}.")
    return found


def _columns(details: ComplainantDetails | Complainant) -> dict[str, Any]:
    return {name: getattr(details, name) for name in EDITABLE}
