"""The layering is written down as import-linter contracts in pyproject.toml (run by scripts/test).
These tests keep the contracts honest as modules are added."""

from __future__ import annotations

import tomllib

from tests.conftest import ROOT

PACKAGE = ROOT / "src" / "storning"
INTERFACES = {"cli", "web", "worker", "__main__"}


def _contract(contract_id: str) -> dict[str, object]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    return next(c for c in contracts if c["id"] == contract_id)


def _top_level_modules() -> set[str]:
    names = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    names |= {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    return {f"storning.{n}" for n in names - INTERFACES}


def test_every_core_module_is_a_source_of_the_core_contract():
    """A new core module that is not listed would be free to import click, FastAPI or APScheduler."""
    assert set(_contract("core")["source_modules"]) == _top_level_modules()  # type: ignore[arg-type]


def test_every_subpackage_is_a_regular_package_the_linter_can_see():
    """import-linter ignores folders without `__init__.py`: their imports would never be checked."""
    missing = [
        str(folder.relative_to(PACKAGE))
        for folder in PACKAGE.rglob("*")
        if folder.is_dir()
        and any(folder.glob("*.py"))
        and not (folder / "__init__.py").exists()
        and "migrations" not in folder.parts  # Alembic's scripts, loaded by path
    ]
    assert missing == []


def test_the_application_object_is_imported_by_nothing_it_is_built_from():
    """`storning.app` composes; what it is built from receives a `storning.runtime.Runtime`."""
    sources = _contract("composition")["source_modules"]
    for name in (
        "storning.engine",
        "storning.timers",
        "storning.reminders",
        "storning.notifications",
    ):
        assert name in sources  # type: ignore[operator]
