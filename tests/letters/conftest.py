"""Fixtures for the letter tests; the sample world itself is `storning.letters.samples`."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from storning.letters.samples import sample_context


def _pdf_text(pdf: bytes) -> str:
    reader = PdfReader(BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


@pytest.fixture
def pdf_text() -> Callable[[bytes], str]:
    """The PDF's text with all whitespace (incl. non-breaking spaces) collapsed to single spaces."""
    return _pdf_text


@pytest.fixture
def make_context() -> Callable[[str], dict[str, Any]]:
    """A fresh, realistic context for a template name."""
    return sample_context


@pytest.fixture
def ctx() -> dict[str, Any]:
    """The uppmaning context of tenant Kim."""
    return sample_context("uppmaning")


REPO_LETTERS = Path(__file__).resolve().parents[2] / "letters"


@pytest.fixture
def letters_copy(tmp_path: Path) -> Path:
    """A private copy of the repository's letters/ to edit in a test."""
    target = tmp_path / "letters"
    shutil.copytree(REPO_LETTERS, target)
    return target
