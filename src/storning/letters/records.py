"""Letter records: drafts created by workflow effects; issued letters never change (invariant 6)."""

from __future__ import annotations

from sqlalchemy import insert

from storning.context import EventContext
from storning.household import contract_holders
from storning.store.models import Letter, table
from storning.store.prepared import Prepared

SENDING_METHODS: dict[str, str] = {
    "vanligt": "Vanligt brev",
    "rekommenderat": "Rekommenderat brev",
    "delgivning": "Delgivning",
    "stamningsman": "Stämningsman",
    "personligen": "Personligen",
    "epost": "E-post",
    "bud": "Bud",
}


_INSERT_LETTERS = insert(table(Letter)).returning(table(Letter).c.id, sort_by_parameter_order=True)
_INSERT_LETTER = Prepared(
    insert(table(Letter)).returning(table(Letter).c.id),
    ("case_id", "template", "status", "created_at", "created_by", "journal_id", "data"),
)


def create_draft(ctx: EventContext, template: str) -> list[int]:
    """Drafts of `template` for the case, linked to the journal entry of the event that asked for them;
    returns their ids. A letter to complainants is one letter per complainant, each naming only its
    own recipient; a letter marked `each_holder` is one letter per contract holder. (Drafts are made
    inside hot events: one letter, the usual case, is a prepared insert (`store.prepared`); several
    are one Core insert, one round trip.)"""
    from storning.letters import TEMPLATE_CATALOG

    base: dict[str, object] = {"event": ctx.event, "track": ctx.track.name}
    entry = TEMPLATE_CATALOG.get(template)
    if entry is not None and entry.audience == "complainant":
        datas = [{**base, "complainant_id": c.id} for c in ctx.complainants]
    elif entry is not None and entry.each_holder:
        # one letter to each contract holder; the drafting event's journal entry names the round
        holders = contract_holders(ctx.case)
        datas = [
            {**base, "holder": h.index, "holder_name": h.name, "round": ctx.journal_id}
            for h in holders
        ]
        names = [h.name for h in holders]
        # who still lacks theirs; kept up to date as each is sent or served (services.letters)
        ctx.set_fact(f"{template}_pending", {"unsent": names, "unserved": names})
    else:
        datas = [base]
    row = {
        "case_id": ctx.case.id,
        "template": template,
        "status": "draft",
        "created_at": ctx.now,
        "created_by": ctx.actor.username,
        "journal_id": ctx.journal_id,
    }
    if len(datas) == 1:
        return [int(_INSERT_LETTER.scalar(ctx.session, {**row, "data": datas[0]}))]
    if not datas:
        return []
    # ids in the rows' order
    result = ctx.session.connection().execute(
        _INSERT_LETTERS, [{**row, "data": data} for data in datas]
    )
    return [int(letter_id) for letter_id in result.scalars()]
