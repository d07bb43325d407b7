"""One definition of each list (issue 12 item 2): "due this week", "overdue" and "next deadline" are
the read model's, and the worklist's counts, filter, sort and badges agree with each other.

"This week" is today through the coming Sunday (today on a Sunday), in the landlord's zone.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from storning import due, services
from storning.demo import DEMO_PASSWORD, load_demo
from storning.readmodel import WorklistFilter
from storning.timers import run_due
from tests.conftest import at
from tests.helpers import open_storning

DEMO_NOW = at(days=2)  # Wednesday 4 March 2026
LATER = at(days=12, hours=-1)  # Saturday 14 March, 08:00: more of the demo has become overdue
OFFICERS = ("anna", "erik", "maria")


@pytest.mark.parametrize(
    ("today", "sunday"),
    [
        (date(2026, 3, 2), date(2026, 3, 8)),  # Monday
        (date(2026, 3, 4), date(2026, 3, 8)),  # Wednesday
        (date(2026, 3, 7), date(2026, 3, 8)),  # Saturday
        (date(2026, 3, 8), date(2026, 3, 8)),  # Sunday: only today
        (date(2026, 12, 28), date(2027, 1, 3)),  # across the new year
    ],
)
def test_this_week_is_today_through_the_coming_sunday(today, sunday):
    assert due.week_end(today) == sunday


def test_each_day_belongs_to_one_part_of_the_worklist():
    today = date(2026, 3, 4)
    assert due.when(today - timedelta(days=1), today) == "overdue"
    assert due.when(today, today) == "today"
    assert due.when(date(2026, 3, 8), today) == "week"
    assert due.when(date(2026, 3, 9), today) == "later"


def _mine(app, who, now, **wanted):
    return services.worklist(app, who, now, WorklistFilter(scope="mine", **wanted)).rows


def _agree(app, who, now):
    today = now.astimezone(app.zone).date()
    items = services.due_items(app, who, now)
    rows = _mine(app, who, now)
    overdue_section = {i["ref"] for i in items if i["when"] == "overdue"}
    overdue_filter = {r["ref"] for r in _mine(app, who, now, overdue=True)}
    badged = {r["ref"] for r in rows if r["overdue"]}
    assert overdue_section == overdue_filter == badged, who
    # The week's section names exactly the cases whose next deadline falls this week or before.
    this_week = {
        r["ref"]
        for r in rows
        if r["next_due"] and date.fromisoformat(r["next_due"]) <= due.week_end(today)
    }
    assert {i["ref"] for i in items} == this_week, who
    # Sorted by next deadline: overdue first, nothing due last; an overdue case shows its day.
    days = [r["next_due"] for r in rows]
    assert days == sorted(days, key=lambda d: (d is None, d or ""))
    for row in rows:
        if row["overdue"]:
            assert row["next_due"] is not None and row["when"] == "overdue"
    return overdue_section


def test_the_overdue_section_filter_badges_and_sort_agree_on_the_demo(app):
    load_demo(app, DEMO_NOW)
    for who in OFFICERS:
        _agree(app, who, DEMO_NOW)
    run_due(app, LATER)  # the worker catches up; reminders sent stay on the list until done
    overdue = {who: _agree(app, who, LATER) for who in OFFICERS}
    assert overdue["anna"], "the demo has nothing overdue for anna ten days on"


def test_the_web_worklist_counts_what_its_overdue_filter_shows(app):
    from storning.web.app import create_app
    from storning.web.config import WebSettings
    from tests.web.conftest import Clock, TestClient, login

    load_demo(app, DEMO_NOW)
    run_due(app, LATER)
    settings = WebSettings(secret_key="test-secret-key-" + "x" * 40, secure_cookies=False)
    web = create_app(app, clock=Clock(LATER), web_settings=settings)
    with TestClient(web, base_url="http://testserver", follow_redirects=False) as client:
        login(client, "anna", DEMO_PASSWORD)
        page = client.get("/").text
        section = page.split('id="att-gora"', 1)[1].split("</section>", 1)[0]
        heading = re.search(r"Försenat <span class=\"count\">\((\d+)\)", section)
        assert heading, "nothing overdue on anna's worklist"
        overdue_items = section.split("due-heading due-overdue", 1)[1].split("</ul>", 1)[0]
        in_section = set(re.findall(r'href="/arenden/([A-Z0-9-]+)"', overdue_items))
        assert int(heading.group(1)) == overdue_items.count("<li")
        assert "?visa=mine&amp;forsenade=1" in section
        listed = client.get("/?visa=mine&forsenade=1").text
        table = listed.split('<table class="cases stacked">', 1)[1].split("</table>", 1)[0]
        in_table = set(re.findall(r'<th scope="row"><a href="/arenden/([A-Z0-9-]+)"', table))
        assert in_section == in_table
        assert table.count('class="overdue"') == len(in_table)
        assert table.count("Försenad</strong>") == len(in_table)


def test_the_cli_and_the_api_list_what_the_worklist_has_to_do_this_week(app, db_url, monkeypatch):
    """ "Att göra" (overdue items include reminders sent whose task is open) is the same through the
    service, `storning timers due` and `GET /api/due`, and its overdue part is the web's "Försenat"."""
    from tests.doors import open_doors
    from tests.web.conftest import TestClient, login

    load_demo(app, DEMO_NOW)
    run_due(app, LATER)
    items = services.due_items(app, "anna", LATER)
    assert any(i["when"] == "overdue" for i in items)
    with open_doors(app, db_url, monkeypatch) as doors:
        later = LATER.isoformat()
        via_cli = doors.cli_json("timers", "due", now=later, user="anna")
        via_api = doors.api("anna", "GET", "/api/due", now=later)
        assert via_api.status_code == 200, via_api.text
        assert via_cli == via_api.json() == items
        text = doors.cli("timers", "due", now=later, user="anna").stdout
        overdue = [i for i in items if i["when"] == "overdue"]
        assert text.count("Försenat") == len(overdue)
        doors.clock.now = LATER
        with TestClient(doors.web, base_url="http://testserver", follow_redirects=False) as client:
            login(client, "anna", DEMO_PASSWORD)
            page = client.get("/").text
        heading = re.search(r"Försenat <span class=\"count\">\((\d+)\)", page)
        assert heading and int(heading.group(1)) == len(overdue)


def test_a_reminder_sent_and_not_done_is_the_cases_next_deadline_and_sorts_first(app):
    first = open_storning(app, "alice", at(0))["ref"]  # first contact within five working days
    later = open_storning(app, "alice", at(9), tenant="Sam Senare")["ref"]
    now = at(10)  # Thursday 12 March; the first case's contact reminder was sent on Monday 9 March
    run_due(app, now)
    pending = services.list_timers(app, "alice", now, ref=first)
    assert not [t for t in pending if t["due_on"] < "2026-03-12"], "only a sent reminder is late"
    rows = _mine(app, "alice", now)
    assert [r["ref"] for r in rows] == [first, later]
    assert rows[0]["next_due"] == "2026-03-09" and rows[0]["overdue"]
    assert not rows[1]["overdue"]
    assert [r["ref"] for r in _mine(app, "alice", now, overdue=True)] == [first]
    items = services.due_items(app, "alice", now)
    assert {i["ref"] for i in items if i["when"] == "overdue"} == {first}


def test_the_stored_next_deadline_is_the_computed_one_for_every_demo_case(app):
    """`cases.next_due` is kept by the one writer (save_case, the reminders) and read by the
    worklist; after the demo's opened, advanced, reminded and closed cases and two worker runs,
    every case's stored day equals `due.next_due()` computed from its timers and track states."""
    from sqlalchemy import select

    from storning.store.models import Case

    def mismatches() -> list[tuple[str, object, object]]:
        with app.db.read() as session:
            rows = session.execute(select(Case.ref, Case.next_due, due.next_due())).all()
        assert len(rows) > 20
        return [(ref, stored, computed) for ref, stored, computed in rows if stored != computed]

    load_demo(app, DEMO_NOW)
    assert mismatches() == []
    run_due(app, LATER)  # reminders sent, deadlines fired, follow-ups made
    assert mismatches() == []
    run_due(app, LATER + timedelta(days=60))
    assert mismatches() == []


def test_the_worklist_pages_through_dated_cases_then_those_with_nothing_due(app):
    """Every page is the next slice of one order: cases by next deadline (then by id), then the
    cases with nothing due (closed ones here) by id; paging past the dated cases reaches the undated
    ones without losing or repeating a case, whatever the page size."""
    refs = [open_storning(app, "alice", at(0, hours=n / 60))["ref"] for n in range(5)]
    for ref in refs[1:4]:  # three closed: nothing due
        services.fire_event(app, "alice", at(0, hours=1), ref, "tenant_moved")
    everything = WorklistFilter(scope="mine", include_closed=True, page_size=100)
    whole = [row["ref"] for row in services.worklist(app, "alice", at(1), everything).rows]
    assert sorted(whole) == sorted(refs)
    # the two open cases (same deadlines, so by id) first, then the closed ones by id
    assert whole == [refs[0], refs[4], refs[1], refs[2], refs[3]]
    for size in (1, 2, 3):
        seen, number = [], 1
        while True:
            wanted = WorklistFilter(scope="mine", include_closed=True, page_size=size, page=number)
            page = services.worklist(app, "alice", at(1), wanted)
            seen += [row["ref"] for row in page.rows]
            if not page.has_next:
                break
            number += 1
        assert seen == whole, size
    beyond = WorklistFilter(scope="mine", include_closed=True, page_size=2, page=9)
    assert services.worklist(app, "alice", at(1), beyond).rows == []
