"""Deadlines and reminders: fired where the law and the landlord's practice put them, exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime

import pytest
from sqlalchemy import func, insert, select

from storning import services
from storning.notifications import deliver_email, reminders_for, send_digests
from storning.store.models import Case, CaseTrack, JournalEntry, Outbox, Timer, User
from storning.timers import run_due
from tests.conftest import ROOT, ZONE, at
from tests.helpers import GROUNDS, letter_id, open_storning


def pending(doc, name):
    return [t for t in doc["timers"] if t["name"] == name and t["status"] == "pending"]


def test_a_reminder_fires_at_seven_on_its_day_and_only_once(app):
    ref = open_storning(app)["ref"]  # Monday 2 March: first contact due Monday 9 March
    assert run_due(app, datetime(2026, 3, 9, 6, 59, tzinfo=ZONE)).fired == 0
    assert run_due(app, datetime(2026, 3, 9, 7, 0, tzinfo=ZONE)).fired == 1
    assert run_due(app, datetime(2026, 3, 9, 7, 30, tzinfo=ZONE)).fired == 0
    subjects = [r["subject"] for r in reminders_for(app, "alice")]
    assert subjects == [f"Att göra: Ta första kontakt med hyresgästen – {ref} (senast 2026-03-09)"]
    doc = services.show_case(app, "alice", at(8), ref)
    fired = [e for e in doc["journal"] if e["event"] == "timer_reminds"]
    assert len(fired) == 1


def test_an_unhandled_first_contact_escalates_to_the_supervisor(app):
    open_storning(app)
    run_due(app, datetime(2026, 3, 10, 0, 0, tzinfo=ZONE))
    assert any("Frist passerad" in r["subject"] for r in reminders_for(app, "carl"))


def test_leaving_the_state_cancels_its_timers(app):
    ref = open_storning(app)["ref"]
    services.fire_event(app, "alice", at(1), ref, "record_contact", params={"channel": "phone"})
    assert (
        run_due(app, datetime(2026, 3, 20, 8, 0, tzinfo=ZONE)).fired == 0 + 1
    )  # only the complainant update
    assert reminders_for(app, "carl") == []


def test_the_complainant_update_recurs_every_ten_working_days_while_the_case_is_open(app):
    ref = open_storning(app)["ref"]
    doc = services.show_case(app, "alice", at(0), ref)
    assert [t["due_on"] for t in pending(doc, "complainant_updates")] == ["2026-03-16"]
    run_due(app, datetime(2026, 3, 16, 7, 0, tzinfo=ZONE))
    doc = services.show_case(app, "alice", at(15), ref)
    assert [t["due_on"] for t in pending(doc, "complainant_updates")] == ["2026-03-30"]
    services.fire_event(app, "alice", at(16), ref, "tenant_moved")
    doc = services.show_case(app, "alice", at(16), ref)
    assert pending(doc, "complainant_updates") == []


def test_the_referral_deadline_reminds_before_and_escalates_after(app):
    ref = open_storning(app)["ref"]
    services.add_incident(
        app, "alice", at(1), ref, at=at(0.6), kind="noise", text="Fest", verified_by="jour"
    )
    doc = services.fire_event(app, "alice", at(1, 1), ref, "issue_uppmaning")
    services.mark_letter_sent(
        app, "alice", at(1, 2), letter_id(doc, "uppmaning"), method="rekommenderat"
    )
    services.mark_letter_sent(
        app, "alice", at(1, 3), letter_id(doc, "underrattelse_socialnamnd"), method="rekommenderat"
    )
    services.fire_event(app, "alice", at(3), ref, "terminate_term_end", reason=GROUNDS)
    run_due(app, datetime(2026, 7, 10, 7, 0, tzinfo=ZONE))
    assert any(
        "Påminnelse: Sista dag att hänskjuta" in r["subject"] for r in reminders_for(app, "alice")
    )
    run_due(app, datetime(2026, 7, 31, 0, 0, tzinfo=ZONE))
    assert any(
        "Frist passerad: Sista dag att hänskjuta" in r["subject"]
        for r in reminders_for(app, "carl")
    )


def test_a_timer_whose_state_was_left_is_obsolete_not_fired(app):
    ref = open_storning(app)["ref"]
    with app.db.write() as session:
        case = session.scalar(select(Case).where(Case.ref == ref))
        session.get(CaseTrack, (case.id, "customer")).state = "contacted"  # simulate a lost cancel
    result = run_due(app, datetime(2026, 3, 9, 7, 0, tzinfo=ZONE))
    assert (result.fired, result.obsolete) == (0, 1)


def test_email_goes_through_a_real_smtp_server_on_loopback(app, smtp):
    from dataclasses import replace

    port, received = smtp
    app.settings = replace(app.settings, smtp_host="127.0.0.1", smtp_port=port)
    ref = open_storning(app)["ref"]
    run_due(app, datetime(2026, 3, 9, 7, 0, tzinfo=ZONE))
    assert deliver_email(app, datetime(2026, 3, 9, 7, 1, tzinfo=ZONE)) == 1
    assert deliver_email(app, datetime(2026, 3, 9, 7, 2, tzinfo=ZONE)) == 0  # at most once
    [mail] = received
    text = mail.content.decode()
    assert mail.rcpt_tos == ["alice@example.se"]
    assert (ref in text and "Ta f=C3=B6rsta kontakt" in text) or "Ta första kontakt" in text
    assert f"/arenden/{ref}" in text


def test_the_digest_is_made_once_per_officer_and_day(app):
    open_storning(app)
    monday = datetime(2026, 3, 9, 7, 0, tzinfo=ZONE)
    assert send_digests(app, monday) == 2  # alice: in-app and e-mail
    assert send_digests(app, monday) == 0
    with app.db.read() as session:
        rows = list(session.scalars(select(Outbox).where(Outbox.dedupe_key.like("digest:%"))))
    assert len(rows) == 2 and "2026-03-09" in rows[0].body


def _digest(app, now: datetime) -> str:
    send_digests(app, now)
    key = f"digest:{now.date().isoformat()}:%"
    with app.db.read() as session:
        rows = session.scalars(select(Outbox).where(Outbox.dedupe_key.like(key)))
        return "\n".join(r.body for r in rows if r.channel == "inapp")


def test_the_digest_lists_this_week_as_every_list_means_it(app):
    """Opened Monday 2 March 2026: first contact is due five working days later, Monday 9 March; the
    first complainant update ten working days later, Monday 16 March. "This week" ends on the coming
    Sunday (storning.due.week_end), never today + 7 days."""
    open_storning(app)
    # Tuesday 3 March: the week ends Sunday 8 March; nothing is due by then (today + 7 would have
    # reached the first contact on 9 March)
    assert "Ta första kontakt" not in _digest(app, datetime(2026, 3, 3, 7, 0, tzinfo=ZONE))
    # Monday 9 March: first contact is due today; the update on 16 March is next week
    monday = _digest(app, datetime(2026, 3, 9, 7, 0, tzinfo=ZONE))
    assert "2026-03-09" in monday and "Ta första kontakt" in monday
    assert "lägesuppdatering" not in monday
    # Tuesday 10 March: the reminder was sent yesterday but no contact is recorded: still to do, late
    run_due(app, datetime(2026, 3, 9, 8, 0, tzinfo=ZONE))
    tuesday = _digest(app, datetime(2026, 3, 10, 7, 0, tzinfo=ZONE))
    assert "FÖRSENAT 2026-03-09" in tuesday and "Ta första kontakt" in tuesday


def _bulk_timers(app, cases: int, per_case: int) -> int:
    """Make `cases` open cases with `per_case` due reminders each, straight into the tables."""
    now = at(0)
    with app.db.write() as session:
        alice = session.scalar(select(User).where(User.username == "alice"))
        case_rows = [
            dict(
                ref=f"S-2026-{n:05d}",
                case_type="storning",
                workflow_version=1,
                status="open",
                owner_id=alice.id,
                tenant_name="T",
                co_tenants=[],
                address="A",
                apartment=str(n),
                facts={},
                opened_at=now,
                updated_at=now,
                last_event_at=now,
                version=1,
            )
            for n in range(cases)
        ]
        session.execute(insert(Case), case_rows)
        ids = list(session.scalars(select(Case.id).order_by(Case.id)))
        session.execute(
            insert(CaseTrack),
            [
                dict(case_id=i, track=t, state=s, since=now)
                for i in ids
                for t, s in (
                    ("legal", "assessment"),
                    ("authority", "not_notified"),
                    ("customer", "contact_pending"),
                )
            ],
        )
        timer_rows = [
            dict(
                case_id=i,
                track="legal",
                name="bulk",
                label="Bulk",
                kind="reminds",
                recipients=["owner"],
                scope="case",
                due_on=now.date(),
                due_at=at(0, k % 24),
                status="pending",
                created_at=now,
                owner_id=alice.id,
            )
            for k in range(per_case)
            for i in ids
        ]
        session.execute(insert(Timer), timer_rows)
    return cases * per_case


def _worker(url, *extra):
    return subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "timer_worker.py"), url, *extra],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def _assert_each_fired_once(app, total):
    with app.db.read() as session:
        fired = session.scalar(
            select(func.count()).select_from(Timer).where(Timer.status == "fired")
        )
        left = session.scalar(
            select(func.count()).select_from(Timer).where(Timer.status == "pending")
        )
        journal = session.scalar(select(func.count(JournalEntry.timer_id.distinct())))
        rows = session.scalar(
            select(func.count()).select_from(JournalEntry).where(JournalEntry.timer_id.isnot(None))
        )
    assert (fired, left, journal, rows) == (total, 0, total, total)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql"], indirect=False)
def test_four_worker_processes_fire_ten_thousand_timers_exactly_once(app, db_url, backend):
    total = _bulk_timers(app, cases=500, per_case=20)
    workers = [_worker(db_url) for _ in range(4)]
    outputs = [w.communicate(timeout=600)[0] for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    assert sum(int(o.split("FIRED ")[1]) for o in outputs) == total
    _assert_each_fired_once(app, total)


@pytest.mark.slow
def test_a_worker_killed_mid_batch_loses_nothing(app, db_url):
    total = _bulk_timers(app, cases=50, per_case=10)
    victim = _worker(db_url, "stall")
    assert victim.stdout.readline().strip() == "CLAIMED"
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    victim.stdin.close()
    victim.stdout.close()
    survivors = [_worker(db_url) for _ in range(2)]
    outputs = [w.communicate(timeout=300)[0] for w in survivors]
    assert sum(int(o.split("FIRED ")[1]) for o in outputs) == total
    _assert_each_fired_once(app, total)
