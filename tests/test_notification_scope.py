"""Notices about a case go only to people who may read it (issue 9: the rules hold for the worker's
door too). An officer whose chef leads another team: the chef may not open the case, so neither the
escalation of a missed deadline nor an event's notice reaches her; the owner is told instead."""

from __future__ import annotations

from sqlalchemy import select

from storning import services
from storning.store.models import Outbox, User
from storning.timers import run_due
from tests.conftest import at
from tests.helpers import open_storning


def _outbox_of(app, username):
    with app.db.read() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
        return [
            (row.channel, row.subject, row.body)
            for row in session.scalars(select(Outbox).where(Outbox.user_id == user_id))
        ]


def _world(app):
    services.add_user(app, "sara", "Sara Chef", ["chef"], team="syd", email="sara@example.se")
    services.add_user(
        app, "olle", "Olle Handläggare", ["handlaggare"], team="norr", supervisor="sara",
        email="olle@example.se",
    )  # fmt: skip
    return open_storning(app, "olle")["ref"]


def test_an_event_notice_to_the_supervisor_goes_to_the_owner_when_the_chef_may_not_read(app):
    ref = _world(app)
    services.fire_event(app, "olle", at(1), ref, "mark_unreachable")  # notify: [supervisor]
    assert _outbox_of(app, "sara") == []
    assert any(ref in subject for _, subject, _ in _outbox_of(app, "olle"))


def test_an_escalated_deadline_is_not_sent_to_a_chef_of_another_team(app):
    """Opened Mon 2 Mar 2026; first contact is due five working days later, Mon 9 Mar, and escalates to
    the supervisor the day after (the timer's escalate step). A run on 20 March fires them all."""
    ref = _world(app)
    result = run_due(app, at(18))
    assert result.fired >= 1
    assert all(ref not in subject + body for _, subject, body in _outbox_of(app, "sara"))
    assert any(ref in subject for _, subject, _ in _outbox_of(app, "olle"))


def test_a_chef_of_the_same_team_is_told(app):
    """The positive control: alice's chef carl leads her team and gets the notice."""
    ref = open_storning(app, "alice")["ref"]
    services.fire_event(app, "alice", at(1), ref, "mark_unreachable")
    assert any(ref in subject for _, subject, _ in _outbox_of(app, "carl"))
