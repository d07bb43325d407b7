"""The menu's two numbers, asked on every page: unread reminders and open items in the inbox, in
one transaction that reads (they were two, each looking the user up)."""

from __future__ import annotations

from dataclasses import dataclass

from storning.access import principal_of
from storning.app import App
from storning.services.intake import open_in
from storning.services.reminders_inbox import unread_in


@dataclass(frozen=True)
class MenuCounts:
    unread_reminders: int  # tasks with unread reminders (services.reminders_inbox)
    open_intake: int  # open items the user sees in the inbox (services.intake)


def menu_counts(app: App, actor: str) -> MenuCounts:
    """The badges of `actor`'s menu; none for an unknown or disabled user."""
    with app.db.read() as session:
        user = app.actor(session, actor)  # (cached for a few seconds, as every action's actor)
        if user is None or not user.active:
            return MenuCounts(0, 0)
        return MenuCounts(unread_in(session, user.id), open_in(session, principal_of(user)))
