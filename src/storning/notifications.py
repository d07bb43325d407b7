"""Reminders to people, written to the outbox in the event's transaction and delivered after commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from storning.store.models import Case, Outbox, User


def recipients_for(session: Session, case: Case, roles: list[str]) -> list[User]:
    """'owner' is the case's officer; 'supervisor' is the owner's chef (the owner when none is set)."""
    people: dict[int, User] = {}
    owner = case.owner
    for role in roles:
        if role == "owner":
            people[owner.id] = owner
        elif role == "supervisor":
            boss = session.get(User, owner.supervisor_id) if owner.supervisor_id else None
            person = boss or owner
            people[person.id] = person
    return list(people.values())


def notify_case_people(
    session: Session,
    case: Case,
    roles: list[str],
    subject: str,
    now: datetime,
    body: str = "",
    dedupe_key: str | None = None,
) -> list[Outbox]:
    """One in-app row per person, plus an e-mail row for those with an address."""
    rows = []
    for person in recipients_for(session, case, roles):
        channels = ["inapp"] + (["email"] if person.email else [])
        for channel in channels:
            key = f"{dedupe_key}:{person.id}:{channel}" if dedupe_key else None
            row = Outbox(
                user_id=person.id,
                case_id=case.id,
                channel=channel,
                subject=subject,
                body=body or subject,
                created_at=now,
                dedupe_key=key,
                status="pending",
            )
            session.add(row)
            rows.append(row)
    return rows
