"""Which of the case's own details (that an officer can complete) each letter template needs.

Every letter to the tenant needs the postal code and city for its address window.

A letter that cannot be produced must be known before anything is sent: the services list the gaps on
the case and refuse an action that would draft a letter with a gap, naming what to complete. What a
template needs is found by asking the template itself: its text is rendered (the Jinja stage only, no
typesetting) with the sample data of `samples.py`, once with each detail removed; a template that then
reports the detail as missing needs it. The answer is cached per template file version.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from storning.letters.catalog import available_templates, resolve_dir, template_info
from storning.letters.errors import LetterTemplateError
from storning.letters.samples import sample_context


@dataclass(frozen=True)
class Detail:
    """A case detail a letter may need: where it sits in the letter data, its Swedish name, and the
    `storning case update` option that completes it."""

    path: str
    label: str
    option: str
    aliases: tuple[str, ...] = ()


DETAILS = (
    Detail("tenant.postal_code", "postnummer", "--postal-code"),
    Detail("tenant.city", "ort", "--city"),
    Detail("tenant.contract", "kontraktsnummer", "--contract"),
    Detail("tenant.municipality", "kommun", "--municipality", ("tenant.municipality_name",)),
    Detail("tenant.personnummer", "personnummer", "--personnummer"),
)


def needed_details(template: str, letters_dir: Path | None = None) -> tuple[Detail, ...]:
    """The details `template` cannot be produced without (in DETAILS order)."""
    directory = resolve_dir(letters_dir)
    path = directory / f"{template_info(template, directory).name}.typ.j2"
    stamp = path.stat().st_mtime_ns if path.is_file() else 0
    return _probe(template, str(directory), stamp)


def needed_by_templates(
    templates: list[str], letters_dir: Path | None = None
) -> dict[str, tuple[Detail, ...]]:
    known = set(available_templates(letters_dir))
    return {t: needed_details(t, letters_dir) for t in templates if t in known}


@lru_cache(maxsize=256)
def _probe(template: str, directory: str, _stamp: int) -> tuple[Detail, ...]:
    from storning.letters.rendering import jinja_source

    base = sample_context(template)
    # A letter that goes to the tenant by post needs a whole address in its window, even where the
    # template would print one without postal code and city.
    postal = template_info(template, Path(directory)).audience == "tenant"
    needed = [d for d in DETAILS if postal and d.path in ("tenant.postal_code", "tenant.city")]
    for detail in DETAILS:
        data = copy.deepcopy(base)
        for path in (detail.path, *detail.aliases):
            _unset(data, path)
        try:
            jinja_source(template, data, letters_dir=Path(directory))
        except LetterTemplateError as error:
            if error.field in (detail.path, *detail.aliases) and detail not in needed:
                needed.append(detail)
    return tuple(d for d in DETAILS if d in needed)


def _unset(data: dict[str, Any], path: str) -> None:
    head, _, rest = path.partition(".")
    inner = data.get(head)
    if isinstance(inner, dict) and rest in inner:
        inner[rest] = None
