"""The read model is the one place with read SQL: the case's incidents are read by one function and every
reader of them (the case document, the letters, the compiled report) shows them in the same order; and no
module outside an explicit list builds SQL at all."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from storning import services
from storning.letters.context import build_context
from storning.reports import report_context
from storning.store.cases import load_case
from storning.store.models import Letter
from storning.store.queries import incidents_of
from tests.conftest import at
from tests.helpers import open_storning

SOURCE = Path(__file__).resolve().parents[1] / "src" / "storning"

# What builds a SQL statement: the statement constructors of SQLAlchemy, and the legacy `session.query`.
SQL_NAMES = frozenset({"select", "text", "union", "union_all", "exists"})

# The packages whose every module may build SQL (pyproject.toml lets them import the table models): the
# use cases, each reading the rows it changes or checks inside its own transaction for a principal
# (DESIGN.md invariant 9), and the feature packages that own their tables and their queries.
ALLOWED_PACKAGES = {
    "services/": "the use cases: the rows each changes or checks, in its transaction, for a principal",
    "intake/": "the intake queue and register: their own tables",
    "outcomes/": "the measures of eviction prevention: aggregate Core SQL over the journal",
    "records/": "the records package: access log and register extracts, its own tables",
    "integrations/": "the integrations package: its own tables",
}

# Every other module (path under src/storning, without .py) that may build SQL, and why. A new module
# that reads must call the read model (store/queries.py for one case in a session, readmodel.py and
# worklist_page.py for the lists), or be added here with its reason; a module that stops building SQL
# must be taken off the list.
ALLOWED = {
    # the store and the read model
    "store/cases": "the case aggregate's loader and its optimistic-locking save",
    "store/queries": "the read model of one case in a session: incidents, letters, complainants, timers",
    "readmodel": "the read model of lists for a principal: search, timers, people, teams",
    "worklist_page": "the read model's worklist: a page of cases by filters, search and next deadline",
    "due_lists": "the read model of what is due for one officer: Att göra and `timers due`",
    "worklist": "the worklist's SQL expressions (open items, next deadline) used by the read model",
    "due": "due/overdue/next deadline as SQL expressions, the one definition the lists share",
    # the writers of a table of record (DESIGN.md invariant 10), reading what they are about to change
    "engine": "the engine: running timers of the state being left, inside the event's transaction",
    "journal": "the journal's writer: the latest entry it must not predate, and the journal of a case",
    "timers": "the timers' writer: claiming due timers (SKIP LOCKED / BEGIN IMMEDIATE)",
    "reminders": "the reminders' writer: due reminders and their recipients, claimed like timers",
    "notifications": "the outbox's writer: unsent rows, the digest's recipients and items",
    "definitions/registry": "the workflow versions' writer: registering and loading definitions",
    "app": "the application object: the acting user, cached per process",
    "demo": "the demo data's writer: whether the database is still empty",
    # interfaces: no data, only the server's start-up check of SQLite's journal mode (PRAGMA)
    "cli/serve": "PRAGMA journal_mode at start-up; no data is read",
}


def modules_building_sql() -> set[str]:
    found = set()
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue  # Alembic scripts write the schema, they read nothing of a case
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            imports_sql = (
                isinstance(node, ast.ImportFrom)
                and (node.module or "").split(".")[0] == "sqlalchemy"
                and any(alias.name in SQL_NAMES for alias in node.names)
            )
            uses_sql = (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and (
                    (node.attr == "query" and node.value.id == "session")
                    or (node.attr in SQL_NAMES and node.value.id in {"sqlalchemy", "sa"})
                )
            )
            if imports_sql or uses_sql:
                found.add(path.relative_to(SOURCE).with_suffix("").as_posix())
    return found


def _allowed(module: str) -> bool:
    return module in ALLOWED or module.startswith(tuple(ALLOWED_PACKAGES))


def test_only_the_listed_modules_build_sql():
    outside = {m for m in modules_building_sql() if not _allowed(m)}
    assert not outside, f"read SQL outside the read model, store and writers: {sorted(outside)}"


def test_the_list_of_modules_that_build_sql_is_not_stale():
    stale = set(ALLOWED) - modules_building_sql()
    assert not stale, f"these modules no longer build SQL; take them off ALLOWED: {sorted(stale)}"


def test_the_scan_finds_a_select_in_a_module(tmp_path, monkeypatch):
    # the scan must be able to fail: a module of the same shape as the old copies is found
    (tmp_path / "presenters.py").write_text(
        "from sqlalchemy import select\n\ndef f(s):\n    return s.scalars(select(1))\n"
    )
    (tmp_path / "quiet.py").write_text("def g() -> int:\n    return 1\n")
    monkeypatch.setattr(sys.modules[__name__], "SOURCE", tmp_path)
    assert modules_building_sql() == {"presenters"}


def test_the_old_copies_of_incidents_of_a_case_are_gone():
    for module in ("presenters", "reports", "context", "letters/context"):
        assert module not in modules_building_sql(), module


def _case_with_incidents(app):
    """Three incidents recorded out of order: the night's noise (22:00) is recorded last, and two
    reports of the same minute (the 19:00 harassment before the 19:00 damage in the laundry)."""
    ref = open_storning(app)["ref"]
    recorded = [
        # (recorded at, happened at, kind, text, reporter)
        (at(1), at(0, 19), "harassment", "Hot i trapphuset", "Olle Ovan"),
        (at(1, 1), at(0, 19), "common_areas", "Sönderslagen dörr i tvättstugan", "Greta Granne"),
        (at(1, 2), at(0, 12), "noise", "Hög musik mitt på dagen", "Greta Granne"),
    ]
    for now, happened, kind, text, reporter in recorded:
        services.add_incident(
            app, "alice", now, ref, at=happened, kind=kind, text=text, reporter=reporter
        )
    return ref


# Oldest first; of two at the same minute, the one recorded first.
EXPECTED_TEXTS = ["Hög musik mitt på dagen", "Hot i trapphuset", "Sönderslagen dörr i tvättstugan"]


def test_every_reader_shows_a_cases_incidents_in_the_same_order(app):
    ref = _case_with_incidents(app)
    document = services.show_case(app, "alice", at(2), ref)
    assert [i["text"] for i in document["incidents"]] == EXPECTED_TEXTS
    with app.db.read() as session:
        case = load_case(session, ref)
        assert case is not None
        assert [i.text for i in incidents_of(session, case.id)] == EXPECTED_TEXTS
        letter = Letter(id=0, template="uppmaning", case_id=case.id)
        context = build_context(session, app.settings, case, letter, "tenant", at(2).date())
        assert [i["text"] for i in context["incidents"]] == EXPECTED_TEXTS
        report = report_context(session, app, case, at(2), disclose=False)
    # the report's pseudonyms follow the same order: Greta (12:00) is A, Olle (19:00) is B
    assert [(i["text"], i["reporter_label"]) for i in report["incidents"]] == [
        ("Hög musik mitt på dagen", "Anmälare A"),
        ("Hot i trapphuset", "Anmälare B"),
        ("Sönderslagen dörr i tvättstugan", "Anmälare A"),
    ]
