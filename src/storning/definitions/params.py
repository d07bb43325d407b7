"""Event parameters: checked against the transition's declaration and coerced to JSON-safe values."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from storning.clock import parse_day, parse_instant
from storning.definitions.model import Transition
from storning.definitions.schema import ParamDef
from storning.errors import InvalidInput, cli

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def coerce_params(
    transition: Transition, given: dict[str, Any], zone: ZoneInfo, today: date | None = None
) -> dict[str, Any]:
    unknown = sorted(set(given) - set(transition.params))
    if unknown:
        known = ", ".join(transition.params) or "inga"
        raise InvalidInput(
            f"Okänd parameter {', '.join(unknown)} för '{transition.event}' (tillåtna: {known})."
        )
    result: dict[str, Any] = {}
    for name, spec in transition.params.items():
        raw = given.get(name)
        if raw is None or raw == "":
            if spec.required:
                raise InvalidInput(
                    f"Händelsen '{transition.event}' kräver {spec.label.lower()} ({name}"
                    + cli(f", --param {name}=…")
                    + ")."
                )
            continue
        result[name] = coerce_value(name, spec, raw, zone)
        dated = spec.past and spec.type == "date" and today is not None
        if dated and today is not None and date.fromisoformat(str(result[name])) > today:
            raise InvalidInput(
                f"{spec.label} ({name}) {result[name]} ligger i framtiden; ange dagen då det hände."
            )
    return result


def coerce_value(name: str, spec: ParamDef, raw: Any, zone: ZoneInfo) -> Any:
    text = str(raw).strip()
    try:
        if spec.type == "date":
            if isinstance(raw, date):
                text = raw.isoformat()[:10]
            elif not (isinstance(raw, str) and _DAY.fullmatch(text)):
                raise InvalidInput(
                    f"Parametern {name}='{text}' ska vara ett datum, ÅÅÅÅ-MM-DD (till exempel "
                    "2026-03-02)."
                )
            return parse_day(text).isoformat()
        if spec.type == "datetime":
            return parse_instant(text, zone).isoformat()
        if spec.type == "amount":
            from storning.validation import amount

            return str(amount(text, field=f"Beloppet ({name})"))
        if spec.type == "int":
            return int(text)
        if spec.type == "bool":
            return text.lower() in {"1", "true", "ja", "yes"}
    except (ValueError, InvalidOperation):
        raise InvalidInput(f"Parametern {name}='{text}' har fel format ({spec.type}).") from None
    if spec.type == "choice" and spec.choices and text not in spec.choices:
        raise InvalidInput(
            f"Parametern {name}='{text}' måste vara en av: {', '.join(spec.choices)}."
        )
    return text


def jsonable(params: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in params.items()}
