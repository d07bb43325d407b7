"""Workflow YAML: a landlord's admin edits it, so every mistake must name file, line and path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from storning.definitions import load_file, load_text
from storning.errors import DefinitionError
from tests.conftest import ROOT

LETTERS = ROOT / "letters"
GOOD = (ROOT / "workflows" / "storning.yaml").read_text(encoding="utf-8")


def problems_for(text: str) -> list[str]:
    with pytest.raises(DefinitionError) as error:
        load_text(text, "wf.yaml", LETTERS)
    return error.value.problems


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("path", sorted((ROOT / "workflows").glob("*.yaml")))
def test_the_shipped_workflows_load(path: Path):
    workflow = load_file(path, LETTERS)
    assert set(workflow.tracks) == {"legal", "authority", "customer"}


def test_the_contract_ids_of_the_disturbance_workflow_are_present():
    wf = load_file(ROOT / "workflows" / "storning.yaml", LETTERS)
    legal = wf.tracks["legal"]
    assert legal.initial == "assessment"
    assert {
        "uppmaning_issued",
        "monitoring",
        "termination_ready",
        "severe_review",
        "terminated",
        "terminated_served",
        "term_end_terminated",
        "hyresnamnd",
        "kronofogden",
        "evicted",
        "closed",
    } <= set(legal.states)
    assert legal.is_final("evicted") and legal.is_final("closed")
    events = {t.event for t in legal.transitions}
    assert {
        "issue_uppmaning",
        "incident_recorded",
        "mark_rectified",
        "classify_severe",
        "terminate",
        "record_service",
        "terminate_term_end",
        "refer_to_hyresnamnd",
        "apply_eviction",
        "record_eviction",
        "withdraw",
        "close",
        "tenant_moved",
    } <= events
    assert wf.tracks["authority"].initial == "not_notified"
    assert wf.tracks["customer"].initial == "contact_pending"


def test_an_unknown_target_state_names_file_line_and_path():
    text = GOOD.replace("to: kronofogden", "to: kronofogen")
    problem, *unreachable = problems_for(text)
    assert any("state 'kronofogden' is unreachable" in p for p in unreachable)
    assert problem.startswith(
        f"wf.yaml, rad {line_of(text, 'to: kronofogen')}, tracks.legal.transitions["
    )
    assert "unknown state 'kronofogen'" in problem


def test_an_unknown_guard_is_rejected_with_the_known_ones_listed():
    text = GOOD.replace("guards: [before_referral_deadline]", "guards: [before_deadline]")
    [problem] = problems_for(text)
    assert f"rad {line_of(text, 'before_deadline')}" in problem
    assert "unknown guard 'before_deadline'" in problem and "before_referral_deadline" in problem


def test_an_unknown_effect_and_a_missing_letter_template_are_both_reported():
    text = GOOD.replace("- letter: ansokan_avhysning", "- letter: ansokan").replace(
        "- notify: [supervisor]", "- notfy: [supervisor]"
    )
    problems = problems_for(text)
    assert any("letter template 'ansokan' has no file ansokan.typ.j2" in p for p in problems)
    assert any(
        "unknown effect 'notfy'" in p and f"rad {line_of(text, 'notfy')}" in p for p in problems
    )


def test_a_duplicate_event_from_one_state_is_rejected():
    text = GOOD.replace(
        "      - event: record_eviction\n",
        "      - event: apply_eviction\n        label: Igen\n        from: terminated_served\n"
        "        to: kronofogden\n      - event: record_eviction\n",
    )
    problems = problems_for(text)
    assert any(
        "duplicate event 'apply_eviction' from state 'terminated_served'" in p for p in problems
    )


def test_an_unreachable_state_is_reported():
    text = GOOD.replace(
        "      evicted: {label: Avhyst, final: true}\n",
        "      evicted: {label: Avhyst, final: true}\n      limbo: {label: Ingenstans}\n",
    )
    [problem] = problems_for(text)
    assert "state 'limbo' is unreachable" in problem and f"rad {line_of(text, 'limbo')}" in problem


def test_a_misspelt_key_and_a_missing_label_are_located():
    text = GOOD.replace(
        "        label: Avhysning verkställd\n", "        lable: Avhysning verkställd\n"
    )
    problems = problems_for(text)
    assert any("unknown key" in p and f"rad {line_of(text, 'lable:')}" in p for p in problems)


def test_broken_yaml_syntax_names_the_line():
    text = GOOD.replace("title: Störningsärende", "title: [Störningsärende")
    [problem] = problems_for(text)
    assert problem.startswith("wf.yaml, rad ")
    assert "invalid YAML" in problem


def test_a_key_written_twice_is_an_error_not_a_silent_overwrite():
    text = re.sub(r"^version: (\d+)$", r"version: \1\nversion: 99", GOOD, count=1, flags=re.M)
    [problem] = problems_for(text)
    assert "the key 'version' appears twice" in problem and "rad 5" in problem


def test_a_timer_with_a_bad_period_is_rejected():
    text = GOOD.replace("after: 15 working days", "after: 15 arbetsdagar")
    [problem] = problems_for(text)
    assert "timers.uppmaning_follow_up.after" in problem and "15 arbetsdagar" in problem


def test_the_tracks_must_be_exactly_legal_authority_and_customer():
    text = GOOD.replace("  customer:\n", "  kund:\n")
    problems = problems_for(text)
    assert any("must define exactly the tracks legal, authority, customer" in p for p in problems)


def test_each_state_machine_is_built_once_and_has_no_automatic_transitions():
    wf = load_file(ROOT / "workflows" / "storning.yaml", LETTERS)
    legal = wf.tracks["legal"]
    assert legal.machine is legal.machine
    assert not any(name.startswith("to_") for name in legal.machine.events)
    assert legal.machine.models == []


# The events that today open behind a confirmation on the case page (an irreversible step).
CONFIRMED = {
    "terminate",
    "terminate_term_end",
    "apply_eviction",
    "record_eviction",
    "tenant_moved",
    "close",
}


@pytest.mark.parametrize("path", sorted((ROOT / "workflows").glob("*.yaml")))
def test_the_irreversible_steps_ask_for_a_confirmation_in_the_workflow_itself(path: Path):
    workflow = load_file(path, LETTERS)
    for track in workflow.tracks.values():
        for t in track.transitions:
            if not t.system:
                assert t.confirm == (t.event in CONFIRMED), (track.name, t.event)
    legal = workflow.tracks["legal"]
    assert legal.needs_confirmation("tenant_moved", legal.initial)
    assert not legal.needs_confirmation("record_contact", legal.initial)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("kanske", "valid boolean"),
        ("[true]", "valid boolean"),
    ],
)
def test_a_bad_confirm_value_names_file_line_and_path(value: str, message: str):
    text = GOOD.replace(
        "        label: Avhysning verkställd\n        confirm: true\n",
        f"        label: Avhysning verkställd\n        confirm: {value}\n",
    )
    assert text != GOOD
    [problem] = problems_for(text)
    line = line_of(text, f"confirm: {value}")
    assert problem.startswith(f"wf.yaml, rad {line}, tracks.legal.transitions[")
    assert problem.split(": ", 1)[0].endswith(".confirm") and message in problem


def test_a_system_event_cannot_ask_for_a_confirmation():
    text = GOOD.replace(
        "      - event: letter_served\n        system: true\n",
        "      - event: letter_served\n        system: true\n        confirm: true\n",
        1,
    )
    assert text != GOOD
    [problem] = problems_for(text)
    line = line_of(text, "event: letter_served") + 2  # the inserted `confirm: true`
    assert problem.startswith(f"wf.yaml, rad {line}, tracks.legal.transitions[")
    assert ".confirm: only an event officers fire can ask for a confirmation." in problem


def test_a_change_of_confirm_only_keeps_the_rules_digest():
    from storning.definitions.loader import rules_digest

    changed = GOOD.replace("        confirm: true\n", "", 1)
    assert rules_digest(changed) == rules_digest(GOOD + "\n# en kommentar\n")
    assert rules_digest(GOOD.replace("title: Störningsärende", "title: Ändrad")) != rules_digest(
        GOOD
    )


def test_a_confirm_only_change_replaces_the_stored_definition_without_a_new_version(app, tmp_path):
    import shutil
    from dataclasses import replace

    from storning import services
    from storning.app import App
    from tests.conftest import at

    folder = tmp_path / "workflows"
    shutil.copytree(ROOT / "workflows", folder)
    path = folder / "storning.yaml"
    path.write_text(GOOD.replace("        confirm: true\n", "", 1) + "# utan bekräftelse\n")
    changed = App.create(replace(app.settings, workflows_dir=folder))
    fresh = App.create(changed.settings)
    try:
        statuses = {wf: status for wf, _version, status in services.init_database(changed, at(0))}
        assert statuses == {"storning": "uppdaterad (samma regler)", "hyresskuld": "oförändrad"}
        with fresh.db.read() as session:
            shipped = fresh.registry.latest(session, "storning").version
            stored = fresh.registry.get(session, "storning", shipped)
        first_terminate = next(
            t for t in stored.tracks["legal"].transitions if t.event == "terminate"
        )
        assert not first_terminate.confirm and stored.version == shipped
    finally:
        changed.db.dispose()
        fresh.db.dispose()


SHIPPED_YAML = sorted(
    [
        *(ROOT / "workflows").rglob("*.yaml"),
        *(ROOT / "letters").glob("*.yaml"),
        ROOT / "docs" / "examples" / "register-mapping.yaml",
    ]
)


@pytest.mark.parametrize("path", SHIPPED_YAML, ids=lambda p: str(p.relative_to(ROOT)))
def test_libyaml_reads_every_shipped_file_as_the_python_parser_does(path, monkeypatch):
    """Definitions are read with libyaml's parser (several times faster: every cold CLI command and
    worker reads them): the same values and the same line for every path as PyYAML's own parser,
    so an error still names the line it did."""
    import yaml

    from storning.definitions import yamlsource

    text = path.read_text(encoding="utf-8")
    fast = yamlsource.load_located(text, path.name)
    monkeypatch.setattr(yamlsource, "SAFE_LOADER", yaml.SafeLoader)
    python = yamlsource.load_located(text, path.name)
    assert fast.data == python.data and fast.data
    assert fast.lines == python.lines


@pytest.mark.parametrize(
    "mistake",
    ["  : [unclosed", "\tindented: with a tab", "  key: 'never closed", "- a list where a map is"],
)
def test_a_syntax_error_names_the_same_line_with_libyaml(mistake, monkeypatch):
    import yaml

    from storning.definitions import yamlsource

    lines = (ROOT / "workflows" / "storning.yaml").read_text(encoding="utf-8").splitlines()
    at = next(n for n, text in enumerate(lines) if text.startswith("tracks:")) + 1
    text = "\n".join([*lines[:at], mistake, *lines[at:]])

    def line_named() -> str:
        with pytest.raises(DefinitionError) as error:
            load_text(text, "storning.yaml", ROOT / "letters")
        found = re.search(r"storning\.yaml, rad (\d+)", str(error.value))
        assert found, error.value
        return found.group(1)

    fast = line_named()
    monkeypatch.setattr(yamlsource, "SAFE_LOADER", yaml.SafeLoader)
    assert fast == line_named()
