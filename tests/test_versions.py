"""A running case keeps the definition it was opened with; migration moves it only when states map."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace

import pytest

from storning import services
from storning.app import App
from storning.errors import DefinitionError, PermissionDenied
from tests.conftest import ROOT, at
from tests.helpers import open_storning

CURRENT = int(
    re.search(r"^version: (\d+)$", (ROOT / "workflows" / "storning.yaml").read_text(), re.M)[1]
)
NEXT = CURRENT + 1


def _version_two(tmp_path, drop_state: bool = False):
    """The shipped storning workflow as its next version (NEXT)."""
    folder = tmp_path / "workflows"
    shutil.copytree(ROOT / "workflows", folder)
    path = folder / "storning.yaml"
    text = path.read_text().replace(f"version: {CURRENT}\n", f"version: {NEXT}\n", 1)
    text = text.replace("title: Störningsärende", "title: Störningsärende (ny version)")
    if drop_state:
        text = text.replace(
            "      monitoring: {label: Bevakning, timers: [monitoring_end]}\n",
            "      monitoring: {label: Bevakning, timers: [monitoring_end]}\n      watch: {label: Ny}\n",
        )
        text = text.replace(
            "      - event: mark_rectified\n        label: Rättelse har skett\n        from: uppmaning_issued\n        to: monitoring",
            "      - event: mark_rectified\n        label: Rättelse har skett\n        from: uppmaning_issued\n        to: watch",
        )
        text = text.replace(
            "from: [assessment, monitoring]\n        to: uppmaning_issued",
            "from: [assessment, watch]\n        to: uppmaning_issued",
        )
        text = text.replace("      monitoring: {label: Bevakning, timers: [monitoring_end]}\n", "")
        text = text.replace(
            "        from: [uppmaning_issued, monitoring]\n",
            "        from: [uppmaning_issued, watch]\n",
        )
        text = text.replace(
            "        from: monitoring\n        to: assessment",
            "        from: watch\n        to: assessment",
        )
        text = text.replace(
            "[assessment, uppmaning_issued, monitoring, termination_ready]",
            "[assessment, uppmaning_issued, watch, termination_ready]",
        )
        text = text.replace(
            "        to: monitoring\n        requires_reason",
            "        to: watch\n        requires_reason",
        )
        text = text.replace(
            "        from: hyresnamnd\n        to: monitoring\n",
            "        from: hyresnamnd\n        to: watch\n",
        )
        text = text.replace(
            "        from: [assessment, monitoring]\n        to: closed",
            "        from: [assessment, watch]\n        to: closed",
        )
        text = text.replace(
            "      watch: {label: Ny}", "      watch: {label: Ny, timers: [monitoring_end]}"
        )
    path.write_text(text)
    return folder


def test_a_changed_file_without_a_new_version_is_refused(app, tmp_path):
    folder = tmp_path / "workflows"
    shutil.copytree(ROOT / "workflows", folder)
    path = folder / "storning.yaml"
    path.write_text(path.read_text().replace("title: Störningsärende", "title: Ändrad"))
    changed = App.create(replace(app.settings, workflows_dir=folder))
    with pytest.raises(DefinitionError, match="raise 'version'"):
        services.init_database(changed, at(0))
    changed.db.dispose()


def test_running_cases_keep_their_version_and_new_cases_get_the_new_one(app, tmp_path):
    old = open_storning(app)["ref"]
    newer = App.create(replace(app.settings, workflows_dir=_version_two(tmp_path)))
    services.init_database(newer, at(1))
    assert services.show_case(newer, "alice", at(1), old)["workflow_version"] == CURRENT
    assert open_storning(newer, now=at(1, 1))["workflow_version"] == NEXT
    newer.db.dispose()


def test_migration_is_a_dry_run_first_and_moves_only_cases_whose_states_map(app, tmp_path):
    mapped = open_storning(app)["ref"]
    rectified = open_storning(app)["ref"]
    services.add_incident(
        app, "alice", at(1), rectified, at=at(0.5), kind="noise", text="x", verified_by="jour"
    )
    services.fire_event(app, "alice", at(1, 1), rectified, "issue_uppmaning")
    services.fire_event(
        app, "alice", at(1, 2), rectified, "mark_rectified"
    )  # 'monitoring' is gone in the next version
    newer = App.create(replace(app.settings, workflows_dir=_version_two(tmp_path, drop_state=True)))
    services.init_database(newer, at(2))
    with pytest.raises(PermissionDenied):
        services.migrate_cases(newer, "alice", at(2), "storning", apply=True)
    dry = services.migrate_cases(newer, "admin", at(2), "storning", apply=False)
    assert dry["movable"] == [mapped]
    assert dry["blocked"] == [{"ref": rectified, "unmapped_states": ["legal:monitoring"]}]
    assert services.show_case(newer, "alice", at(2), mapped)["workflow_version"] == CURRENT
    done = services.migrate_cases(newer, "admin", at(2, 1), "storning", apply=True)
    assert done["applied"] and done["movable"] == [mapped]
    doc = services.show_case(newer, "alice", at(3), mapped)
    assert doc["workflow_version"] == NEXT
    assert doc["journal"][-1]["event"] == "workflow_migrated"
    assert services.show_case(newer, "alice", at(3), rectified)["workflow_version"] == CURRENT
    newer.db.dispose()


def test_reissuing_a_letter_makes_a_new_draft_and_keeps_the_original(app):
    doc = open_storning(app)
    original = doc["letters"][0]
    services.mark_letter_sent(app, "alice", at(1), original["id"], method="vanligt")  # frozen
    copy = services.reissue_letter(app, "alice", at(2), original["id"])
    assert (
        copy["id"] != original["id"]
        and copy["status"] == "draft"
        and copy["template"] == "bekraftelse"
    )
    letters = services.list_letters(app, "alice", at(1, 2), doc["ref"])
    assert [x["status"] for x in letters] == ["sent", "draft"]


def test_an_officer_can_draft_a_meeting_invitation_and_a_blank_diary(app):
    from io import BytesIO

    from pypdf import PdfReader

    ref = open_storning(app)["ref"]
    meeting = {
        "at": at(3, 1).isoformat(),
        "place": "Kontoret, Storgatan 3",
        "purpose": "att prata om boendet",
        "participants": ["Socialtjänsten"],
    }
    letter = services.create_letter(app, "alice", at(1), ref, "kallelse", meeting=meeting)
    pdf = services.letter_pdf(app, "alice", at(1, 1), letter["id"]).data
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages).split())
    assert "Kontoret, Storgatan 3" in text and "5 mars 2026" in text and "10.00" in text
    diary = services.create_letter(app, "alice", at(1, 2), ref, "storningsdagbok")
    assert services.letter_pdf(app, "alice", at(1, 3), diary["id"]).data.startswith(b"%PDF")
    with pytest.raises(Exception, match="ingen brevmall"):
        services.create_letter(app, "alice", at(1, 4), ref, "okand")


def test_reassigning_moves_the_case_its_team_and_its_reminders(app):
    ref = open_storning(app)["ref"]
    from storning.errors import PermissionDenied

    with pytest.raises(
        PermissionDenied, match="inom ditt team"
    ):  # a chef moves cases within the team
        services.reassign_case(app, "carl", at(1), ref, "bob")
    doc = services.reassign_case(app, "admin", at(1), ref, "bob")  # an admin to anyone who acts
    assert doc["owner"] == "bob" and doc["team"] == "syd"
    assert doc["journal"][-1]["event"] == "case_reassigned"
    from sqlalchemy import select

    from storning.store.models import Case, Timer, User

    with app.db.read() as session:
        case = session.scalar(select(Case).where(Case.ref == ref))
        bob = session.scalar(select(User).where(User.username == "bob"))
        owners = set(
            session.scalars(
                select(Timer.owner_id).where(Timer.case_id == case.id, Timer.status == "pending")
            )
        )
    assert case.owner_id == bob.id and owners == {bob.id}


def test_a_sent_reminder_whose_task_is_open_follows_the_case_to_its_new_owner(app):
    """A reminder scoped to a state stays an open item after it is sent (`due.open_item`): after a
    reassignment it is the new owner's to do, in the worklist's due items and due_this_week."""
    from sqlalchemy import select, update

    from storning.access import Principal
    from storning.due_lists import due_items
    from storning.store.models import Case, CaseTrack, Timer, User
    from storning.worklist import due_this_week

    ref = open_storning(app)["ref"]
    with app.db.write() as session:
        case = session.scalar(select(Case).where(Case.ref == ref))
        assert case is not None
        legal = session.scalar(
            select(CaseTrack.state).where(CaseTrack.case_id == case.id, CaseTrack.track == "legal")
        )
        timer = session.scalar(select(Timer.id).where(Timer.case_id == case.id).limit(1))
        # as the worker leaves a sent state reminder: fired, still open while the state lasts
        session.execute(
            update(Timer)
            .where(Timer.id == timer)
            .values(status="fired", kind="reminds", scope="state", track="legal", scope_state=legal)
        )
    services.reassign_case(app, "admin", at(1), ref, "bob")
    with app.db.read() as session:
        bob = session.scalar(select(User).where(User.username == "bob"))
        alice = session.scalar(select(User).where(User.username == "alice"))
        assert bob is not None and alice is not None
        week = at(200)  # the timers' days are all past: every open item is due
        assert ref in [row["ref"] for row in due_this_week(session, app.engine, bob, week)]
        assert ref not in [row["ref"] for row in due_this_week(session, app.engine, alice, week)]
    mine = due_items(app, Principal("bob", frozenset({"handlaggare"}), team="syd"), at(200))
    assert timer in [item["id"] for item in mine]
