"""Where the letter templates are and what each one is: `letters/catalog.yaml`, one line a template.

```yaml
uppmaning: {title: Uppmaning att vidta rättelse, audience: tenant}
```

`audience` is who reads the letter: `tenant`, `complainant`, `social_services` or `internal`. Only
`complainant` letters ever see complainant data; the renderer removes it for every other audience.
`each_holder: true` drafts one letter for each contract holder (the tenant and every co-tenant), each
with its own sending and service: terminations and their notices (12 kap. 8 § JB).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

import storning
from storning.definitions.yamlsource import SAFE_LOADER
from storning.letters.errors import LetterTemplateError

AUDIENCES = ("tenant", "complainant", "social_services", "internal")
NAME = re.compile(r"[a-z][a-z0-9_]*")
SUFFIX = ".typ.j2"


@dataclass(frozen=True)
class TemplateInfo:
    """One catalog entry."""

    name: str
    title: str
    audience: str
    # One letter to each contract holder, each with its own sending and service (12 kap. 8 § JB).
    each_holder: bool = False

    @property
    def to_tenant(self) -> bool:
        """The letter goes to the tenant: it must never contain complainant data."""
        return self.audience == "tenant"

    @property
    def sees_complainants(self) -> bool:
        """Only letters to the complainant may be given `complainants`."""
        return self.audience == "complainant"


def default_letters_dir() -> Path:
    """`STORNING_LETTERS_DIR`, else the checkout's `letters/`, else the wheel's bundled copy."""
    configured = os.environ.get("STORNING_LETTERS_DIR")
    if configured:
        return _resolved(configured, _cwd_if_relative(configured))
    return _packaged_dir()


@lru_cache(maxsize=1)
def _packaged_dir() -> Path:
    checkout = Path(__file__).resolve().parents[3] / "letters"
    if checkout.is_dir():
        return checkout
    return Path(storning.__file__).resolve().parent / "_bundled" / "letters"


def resolve_dir(letters_dir: Path | None) -> Path:
    """The letters directory as an absolute path without symlinks. Resolved once per path (and working
    directory, for a relative one): the letter-gap check asks for it on every event."""
    if letters_dir is None:
        return default_letters_dir()
    return _resolved(letters_dir, _cwd_if_relative(letters_dir))


def _cwd_if_relative(path: Path | str) -> str:
    return "" if os.path.isabs(path) else os.getcwd()


@lru_cache(maxsize=64)
def _resolved(path: Path | str, _cwd: str) -> Path:
    return Path(path).resolve()


def load_catalog(letters_dir: Path | None = None) -> dict[str, TemplateInfo]:
    """The catalog of `letters_dir` (re-read when the file changes)."""
    path = resolve_dir(letters_dir) / "catalog.yaml"
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise LetterTemplateError(f"Brevkatalogen {path} saknas.") from None
    return _parse_catalog(path, stamp)


@lru_cache(maxsize=16)
def _parse_catalog(path: Path, _stamp: int) -> dict[str, TemplateInfo]:
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.load(text, Loader=SAFE_LOADER) or {}
        root = yaml.compose(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as e:
        raise LetterTemplateError(f"Brevkatalogen {path} är inte giltig YAML: {e}") from None
    if not isinstance(data, dict) or not isinstance(root, yaml.MappingNode):
        raise LetterTemplateError(
            f"{path}: katalogen ska ha en rad per mall: namn: {{title: …, audience: …}}."
        )
    lines = {key.value: key.start_mark.line + 1 for key, _ in root.value}
    return {
        str(name): _entry(str(name), entry, f"{path}, rad {lines.get(str(name), '?')}")
        for name, entry in data.items()
    }


def _entry(name: str, entry: object, where: str) -> TemplateInfo:
    if not NAME.fullmatch(name):
        raise LetterTemplateError(f"{where}: mallnamnet {name!r} får bara ha a–z, 0–9 och _.")
    if not isinstance(entry, dict) or not str(entry.get("title") or "").strip():
        raise LetterTemplateError(f"{where}: mallen {name} saknar title.")
    if entry.get("audience") not in AUDIENCES:
        allowed = ", ".join(AUDIENCES)
        raise LetterTemplateError(f"{where}: mallen {name} ska ha audience: en av {allowed}.")
    each = entry.get("each_holder", False)
    if not isinstance(each, bool):
        raise LetterTemplateError(
            f"{where}: each_holder i mallen {name} ska vara true eller false."
        )
    return TemplateInfo(name, str(entry["title"]).strip(), str(entry["audience"]), each)


def template_info(name: str, letters_dir: Path | None = None) -> TemplateInfo:
    """The catalog entry for `name`, or a `LetterTemplateError` listing the known templates."""
    catalog = load_catalog(letters_dir)
    if name not in catalog:
        known = ", ".join(catalog)
        raise LetterTemplateError(
            f"Brevmallen {name!r} finns inte i brevkatalogen; tillgängliga mallar: {known}.",
            template=name,
        )
    return catalog[name]


def template_path(name: str, letters_dir: Path | None = None) -> Path:
    """The file `NAME.typ.j2` of a catalogued template (which must exist)."""
    info = template_info(name, letters_dir)
    path = resolve_dir(letters_dir) / f"{info.name}{SUFFIX}"
    if not path.is_file():
        raise LetterTemplateError(
            f"Brevmallen {name!r} står i brevkatalogen men filen {path} saknas.", template=name
        )
    return path


def available_templates(letters_dir: Path | None = None) -> tuple[str, ...]:
    """The names in the catalog, in catalog order."""
    return tuple(load_catalog(letters_dir))


class _DefaultCatalog(Mapping[str, TemplateInfo]):
    """The catalog of the default letters directory, read on first use and when it changes."""

    def __getitem__(self, name: str) -> TemplateInfo:
        return load_catalog()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(load_catalog())

    def __len__(self) -> int:
        return len(load_catalog())

    def __repr__(self) -> str:
        return f"TEMPLATE_CATALOG({default_letters_dir()})"


TEMPLATE_CATALOG: Mapping[str, TemplateInfo] = _DefaultCatalog()
