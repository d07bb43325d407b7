"""The column mapping of a tenancy-register CSV: which column of the landlord's export holds which
field, in a small YAML file (example: `docs/examples/register-mapping.yaml`).

```yaml
delimiter: ";"            # the CSV's separator (default ",")
encoding: utf-8           # or cp1252, latin-1 (utf-8-sig is read too)
date_format: "%Y-%m-%d"   # how move-in and move-out dates are written
co_tenant_separator: "|"  # between several co-tenants in one cell
columns:                  # field: the column's heading in the file
  contract: Kontraktsnummer
  tenant: Hyresgäst
  ...
```

Every problem names the file and the line (`fil.yaml, rad 7: okänd nyckel 'kontrakt'; …`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from storning.definitions.yamlsource import DuplicateKey, LocatedDocument, load_located
from storning.errors import InvalidInput, file_reason

# field: (Swedish label, required)
FIELDS: dict[str, tuple[str, bool]] = {
    "contract": ("kontraktsnummer", True),
    "tenant": ("hyresgästens namn", True),
    "address": ("adress", True),
    "apartment": ("lägenhetsnummer", True),
    "personnummer": ("personnummer", False),
    "co_tenants": ("medhyresgäster", False),
    "postal_code": ("postnummer", False),
    "city": ("ort", False),
    "municipality": ("kommun", False),
    "property": ("fastighet", False),
    "move_in": ("inflyttningsdag", False),
    "move_out": ("utflyttningsdag", False),
}
TOP_KEYS = ("delimiter", "encoding", "date_format", "co_tenant_separator", "columns")
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "iso-8859-1")


@dataclass(frozen=True)
class Mapping:
    """A validated mapping: `columns` maps each field to the heading of its column."""

    columns: dict[str, str]
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    date_format: str = "%Y-%m-%d"
    co_tenant_separator: str = "|"
    file: str = "(standard)"
    extra: dict[str, Any] = field(default_factory=dict)


DEFAULT = Mapping(columns={name: name for name in FIELDS})


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file; raise InvalidInput naming the file and line of the problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInput(f"Kan inte läsa mappningsfilen {path} ({file_reason(error)}).") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"Mappningsfilen {path} är inte UTF-8-text.") from None
    return parse_mapping(text, str(path))


def parse_mapping(text: str, file: str) -> Mapping:
    try:
        doc = load_located(text, file)
    except DuplicateKey as error:
        raise InvalidInput(
            f"{file}, rad {error.line}: nyckeln '{error.key}' förekommer två gånger; ta bort en."
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise InvalidInput(
            f"{file}, rad {line}: filen är inte giltig YAML; rätta syntaxen."
        ) from None
    if not isinstance(doc.data, dict):
        raise InvalidInput(f"{file}, rad 1: mappningen ska vara en YAML-tabell med 'columns'.")
    return _checked(doc)


def _checked(doc: LocatedDocument) -> Mapping:
    data: dict[Any, Any] = doc.data
    file = doc.file
    for key in data:
        if key not in TOP_KEYS:
            raise InvalidInput(
                f"{file}, rad {doc.line_of((key,))}: okänd nyckel '{key}'; "
                f"tillåtna är {', '.join(TOP_KEYS)}."
            )
    columns = data.get("columns")
    if not isinstance(columns, dict):
        raise InvalidInput(
            f"{file}, rad {doc.line_of(('columns',))}: 'columns' saknas eller är inte en tabell "
            "av fält och kolumnrubriker."
        )
    for key, heading in columns.items():
        line = doc.line_of(("columns", key))
        if key not in FIELDS:
            raise InvalidInput(
                f"{file}, rad {line}: okänd nyckel '{key}' under columns; "
                f"tillåtna fält är {', '.join(FIELDS)}."
            )
        if not isinstance(heading, str) or not heading.strip():
            raise InvalidInput(f"{file}, rad {line}: ange kolumnens rubrik för '{key}' som text.")
    missing = [
        name for name, (_label, required) in FIELDS.items() if required and name not in columns
    ]
    if missing:
        raise InvalidInput(
            f"{file}, rad {doc.line_of(('columns',))}: mappningen saknar "
            f"{', '.join(missing)}; de fälten krävs."
        )
    options = {key: data[key] for key in TOP_KEYS if key != "columns" and key in data}
    for key, value in options.items():
        if not isinstance(value, str) or value == "":
            raise InvalidInput(f"{file}, rad {doc.line_of((key,))}: '{key}' ska vara en text.")
    if "delimiter" in options and len(options["delimiter"]) != 1:
        raise InvalidInput(
            f"{file}, rad {doc.line_of(('delimiter',))}: avgränsaren ska vara ett tecken."
        )
    encoding = options.get("encoding", "utf-8-sig").lower()
    if encoding not in ENCODINGS:
        raise InvalidInput(
            f"{file}, rad {doc.line_of(('encoding',))}: okänd teckenkodning '{encoding}'; "
            f"välj en av {', '.join(ENCODINGS)}."
        )
    if encoding == "utf-8":
        encoding = "utf-8-sig"  # a byte order mark from Excel is not part of the first heading
    return Mapping(
        columns={k: v.strip() for k, v in columns.items()},
        delimiter=options.get("delimiter", ","),
        encoding=encoding,
        date_format=options.get("date_format", "%Y-%m-%d"),
        co_tenant_separator=options.get("co_tenant_separator", "|"),
        file=file,
    )
