"""docs/dataskydd.md backs every statement about the product with a named test: each one must exist."""

from __future__ import annotations

import ast
import re

from tests.conftest import ROOT

NAMED = re.compile(r"(tests/[\w/]+\.py)::(test_\w+)")


def test_every_test_named_in_docs_dataskydd_exists():
    text = (ROOT / "docs" / "dataskydd.md").read_text(encoding="utf-8")
    named = NAMED.findall(text)
    assert len(named) >= 25
    missing = []
    for path, name in named:
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        functions = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        if name not in functions:
            missing.append(f"{path}::{name}")
    assert not missing, missing
