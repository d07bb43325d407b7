"""Påminnelser: each reminder links to its case and shows its deadline, the repeats of one task are
one item with a count, "Markera alla som lästa" marks what was seen, and the menu shows how many tasks
have unread reminders."""

from __future__ import annotations

import re

from tests.helpers import open_storning
from tests.web.conftest import login, post_form

from storning.services import reminders_inbox
from storning.timers import run_due


def _reminded(app, clock, days: int = 40) -> str:
    ref = open_storning(app)["ref"]
    clock.advance(days=days)
    run_due(app, clock.now)
    return ref


def _badge(html: str) -> str | None:
    found = re.search(r'class="badge">(\d+)<', html)
    return found.group(1) if found else None


def test_each_reminder_links_to_its_case_and_shows_its_deadline(app, client, clock):
    ref = _reminded(app, clock, days=7)
    login(client, "alice")
    html = client.get("/paminnelser").text
    assert f'<a href="/arenden/{ref}">{ref}</a>' in html
    assert "Att göra: Ta första kontakt med hyresgästen" in html
    first_contact = next(
        g for g in reminders_inbox.inbox(app, "alice", clock.now) if "första kontakt" in g["label"]
    )
    assert (
        first_contact["deadline"] and f'Frist <time datetime="{first_contact["deadline"]}"' in html
    )


def test_repeats_of_a_task_are_one_item_with_a_count(app, clock):
    ref = _reminded(app, clock)  # the complainant update comes back every ten working days
    groups = reminders_inbox.inbox(app, "alice", clock.now)
    updates = [g for g in groups if g["ref"] == ref and "lägesuppdatering" in g["label"]]
    assert len(updates) == 1 and updates[0]["count"] >= 2
    assert len(groups) == len({(g["ref"], g["label"].split(": ")[-1]) for g in groups})
    assert reminders_inbox.unread_count(app, "alice") == len(groups)


def test_marking_one_item_read_marks_its_repeats(app, client, clock):
    _reminded(app, clock)
    token = login(client, "alice")
    before = reminders_inbox.inbox(app, "alice", clock.now)
    repeated = next(g for g in before if g["count"] >= 2)
    response = post_form(client, f"/paminnelser/{repeated['id']}/last", {}, token)
    assert response.status_code == 303
    after = reminders_inbox.inbox(app, "alice", clock.now)
    assert repeated["id"] not in {g["id"] for g in after}
    assert len(after) == len(before) - 1


def test_mark_all_read_and_the_menu_count(app, client, clock):
    _reminded(app, clock)
    token = login(client, "alice")
    html = client.get("/paminnelser").text
    assert _badge(html) == str(reminders_inbox.unread_count(app, "alice"))
    assert 'name="form_token"' in html
    upto = re.search(r'name="upto" value="(\d+)"', html).group(1)
    response = post_form(client, "/paminnelser/alla-lasta", {"upto": upto}, token)
    assert response.status_code == 303
    html = client.get("/paminnelser").text
    assert "Inga olästa påminnelser." in html and _badge(html) is None
    assert "läst" in client.get("/paminnelser?lasta=1").text


def test_mark_all_read_leaves_what_arrived_after_the_page_was_shown(app, clock):
    _reminded(app, clock, days=7)
    seen = reminders_inbox.newest_id(reminders_inbox.inbox(app, "alice", clock.now))
    clock.advance(days=30)
    run_due(app, clock.now)
    marked = reminders_inbox.mark_all_read(app, "alice", clock.now, up_to=seen)
    assert marked >= 1
    assert all(min(g["ids"]) > seen for g in reminders_inbox.inbox(app, "alice", clock.now))
    assert reminders_inbox.unread_count(app, "alice") >= 1


def test_one_may_not_mark_someone_elses_reminder(app, client, clock):
    _reminded(app, clock, days=7)
    theirs = reminders_inbox.inbox(app, "alice", clock.now)[0]["id"]
    token = login(client, "bob")
    assert post_form(client, f"/paminnelser/{theirs}/last", {}, token).status_code == 404
    assert post_form(client, "/paminnelser/alla-lasta", {"upto": "x"}, token).status_code == 303
    assert reminders_inbox.unread_count(app, "alice") >= 1


def test_the_forms_need_the_csrf_token(app, client, clock):
    _reminded(app, clock, days=7)
    login(client, "alice")
    assert client.post("/paminnelser/alla-lasta", data={}).status_code == 403
