"""Letter records: drafts created by workflow effects; issued letters never change (invariant 6)."""

from __future__ import annotations

from sqlalchemy import insert

from storning.context import EventContext
from storning.store.models import Letter, table

SENDING_METHODS: dict[str, str] = {
    "vanligt": "Vanligt brev",
    "rekommenderat": "Rekommenderat brev",
    "delgivning": "Delgivning",
    "stamningsman": "Stämningsman",
    "personligen": "Personligen",
    "epost": "E-post",
    "bud": "Bud",
}


_INSERT_LETTER = insert(table(Letter)).returning(table(Letter).c.id)


def create_draft(ctx: EventContext, template: str) -> int:
    """A draft of `template` for the case, linked to the journal entry of the event that asked for it;
    returns its id. (A prepared Core insert: drafts are made inside hot events.)"""
    return (
        ctx.session.connection()
        .execute(
            _INSERT_LETTER,
            {
                "case_id": ctx.case.id,
                "template": template,
                "status": "draft",
                "created_at": ctx.now,
                "created_by": ctx.actor.username,
                "journal_id": ctx.journal_id,
                "data": {"event": ctx.event, "track": ctx.track.name},
            },
        )
        .scalar_one()
    )
