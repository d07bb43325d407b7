"""The register of socialnämnder: each municipality's name in letters and where its socialnämnd
receives post (`letters/socialnamnder.yaml`, or the file `STORNING_SOCIALNAMNDER` names).

```yaml
Norrköping:                      # the municipality as it is written on the case
  name: Norrköpings kommun       # optional; default: the genitive rule below
  address:                       # the address window under "Socialnämnden i …", last line
    - Socialkontoret             # postal code and town
    - 601 81 Norrköping
```

A municipality missing from the register is written by the genitive rule ("Linköpings kommun") and
its letters carry no address lines: the officer addresses the envelope. A bad file stops the letter
with one Swedish sentence naming the file and the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from storning.definitions.yamlsource import SAFE_LOADER
from storning.letters.errors import LetterTemplateError

KEYS = ("name", "address")
MAX_LINES = 5
MAX_LENGTH = 100
POSTAL_LINE = re.compile(r"^\d{3} ?\d{2} \S")
# Official names that do not follow the rule (Falu kommun; Kalmar and Orust take no -s).
EXCEPTIONS = {"falun": "Falu kommun", "kalmar": "Kalmar kommun", "orust": "Orust kommun"}
VOWELS = frozenset("aeiouyåäö")
SUFFIXES = (" kommun", " stad")


@dataclass(frozen=True)
class Socialnamnd:
    municipality: str  # "Norrköpings kommun"
    lines: tuple[str, ...]  # the postal address; empty when the municipality is not in the register

    @property
    def recipient(self) -> dict[str, Any]:
        return {"name": f"Socialnämnden i {self.municipality}", "lines": list(self.lines)}


def municipality_name(municipality: str) -> str:
    """The municipality as it is named: 'Norrköping' → 'Norrköpings kommun', 'Västerås' → 'Västerås
    kommun', 'Umeå' → 'Umeå kommun' (no -s after s, x, z or a vowel), 'Falun' → 'Falu kommun'; a name
    typed with 'kommun' or 'stad' (or 'Region Gotland') is kept as it is."""
    name = " ".join(municipality.split())
    if not name:
        return ""
    lowered = name.lower()
    if lowered.endswith(SUFFIXES) or lowered.startswith("region "):
        return name
    if lowered in EXCEPTIONS:
        return EXCEPTIONS[lowered]
    last = lowered[-1]
    genitive = name if last in "sxz" or last in VOWELS else name + "s"
    return f"{genitive} kommun"


def socialnamnd(municipality: str, register_file: Path) -> Socialnamnd:
    """Socialnämnden of `municipality` (as typed on the case): from the register when it is there."""
    wanted = _key(municipality)
    entry = load_register(register_file).get(wanted)
    if entry is None:  # typed as the register's full name, "Norrköpings kommun"
        entry = next(
            (e for e in load_register(register_file).values() if _key(e.municipality) == wanted),
            None,
        )
    return entry or Socialnamnd(municipality_name(municipality), ())


def load_register(path: Path) -> dict[str, Socialnamnd]:
    """The register in `path`, keyed by the lower-cased municipality (re-read when the file changes)."""
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        raise LetterTemplateError(
            f"Registret över socialnämnder {path} finns inte; ange en befintlig fil i "
            "STORNING_SOCIALNAMNDER."
        ) from None
    return _parse(path, stamp)


@lru_cache(maxsize=8)
def _parse(path: Path, _stamp: int) -> dict[str, Socialnamnd]:
    where = f"Registret över socialnämnder {path}"
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=SAFE_LOADER)
        data = yaml.load(text, Loader=SAFE_LOADER)
    except UnicodeDecodeError:
        raise LetterTemplateError(f"{where} är inte UTF-8-text; spara filen som UTF-8.") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f", rad {mark.line + 1}," if mark is not None else ""
        raise LetterTemplateError(
            f"{where}{line} är inte giltig YAML; rätta filen (se letters/README.md)."
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not isinstance(root, yaml.MappingNode):
        raise LetterTemplateError(
            f"{where}, rad 1: filen ska ha en post per kommun, t.ex. "
            "'Norrköping: {address: [Socialkontoret, 601 81 Norrköping]}'."
        )
    entries = {str(key): value for key, value in data.items()}
    register: dict[str, Socialnamnd] = {}
    for key_node, _ in root.value:
        line = key_node.start_mark.line + 1
        municipality = str(key_node.value).strip()
        checked = _entry(municipality, entries.get(key_node.value), f"{where}, rad {line}")
        if _key(municipality) in register:
            raise LetterTemplateError(
                f"{where}, rad {line}: kommunen {municipality} står två gånger; ta bort den ena."
            )
        register[_key(municipality)] = checked
    return register


def _entry(municipality: str, entry: object, where: str) -> Socialnamnd:
    if not municipality:
        raise LetterTemplateError(f"{where}: kommunens namn saknas före kolonet.")
    if not isinstance(entry, dict):
        raise LetterTemplateError(
            f"{where}: {municipality} ska ha address (och valfritt name), t.ex. "
            "'{address: [Socialkontoret, 601 81 Norrköping]}'."
        )
    unknown = sorted(str(k) for k in entry if k not in KEYS)
    if unknown:
        raise LetterTemplateError(
            f"{where}: {municipality} har okända uppgifter ({', '.join(unknown)}); "
            f"tillåtna är {', '.join(KEYS)}."
        )
    name = entry.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise LetterTemplateError(f"{where}: name för {municipality} ska vara en text.")
    lines = entry.get("address")
    if (
        not isinstance(lines, list)
        or not 1 <= len(lines) <= MAX_LINES
        or not all(isinstance(x, str | int) and str(x).strip() for x in lines)
    ):
        raise LetterTemplateError(
            f"{where}: address för {municipality} ska vara en lista med 1–{MAX_LINES} adressrader."
        )
    cleaned = tuple(" ".join(str(x).split()) for x in lines)
    if any(len(x) > MAX_LENGTH for x in cleaned):
        raise LetterTemplateError(
            f"{where}: en adressrad för {municipality} är längre än {MAX_LENGTH} tecken."
        )
    if not POSTAL_LINE.match(cleaned[-1]):
        raise LetterTemplateError(
            f"{where}: sista adressraden för {municipality} ska vara postnummer och ort, "
            "t.ex. 601 81 Norrköping."
        )
    return Socialnamnd(
        " ".join(name.split()) if isinstance(name, str) else municipality_name(municipality),
        cleaned,
    )


def _key(municipality: str) -> str:
    return " ".join(municipality.split()).lower()
