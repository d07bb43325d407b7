"""The case data as templates see it: records that know their path, and None treated as missing.

`wrap` turns the context's mappings into `Record`s and its lists into `RecordList`s, each knowing
its dotted path (`facts.uppmaning_given_on`, `incidents[2].place`). The environment looks fields up
through `lookup`, which returns a `MissingValue` for an absent key, a None value or blank text: a
legal letter must not print a blank. `MissingValue` is a `StrictUndefined` that is falsy, so
`{% if x %}` and `x is defined` work for optional fields, while printing, filtering, iterating or
comparing it raises `MissingValueError` naming the path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, UndefinedError
from jinja2.utils import missing, object_type_repr


class MissingValueError(UndefinedError):
    """A template used a value the context does not have; `field` is its dotted path."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


class UnsafeAccessError(UndefinedError):
    """A template reached for an attribute the sandbox forbids."""


class MissingValue(StrictUndefined):
    """A missing or empty value: false in `if`, an error in every other use."""

    __slots__ = ()

    def __bool__(self) -> bool:  # type: ignore[override]
        return False

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        if self._undefined_obj is missing or isinstance(self._undefined_obj, (Record, RecordList)):
            return str(self._undefined_name)
        return f"{object_type_repr(self._undefined_obj)}.{self._undefined_name}"

    def __init__(
        self,
        hint: str | None = None,
        obj: Any = missing,
        name: str | None = None,
        exc: type[UndefinedError] = UndefinedError,
    ) -> None:
        super().__init__(hint, obj, name, UnsafeAccessError if hint else MissingValueError)


class Record(dict[str, Any]):
    """A mapping from the context with its dotted path."""

    __slots__ = ("path",)

    def __init__(self, path: str, items: dict[str, Any]) -> None:
        super().__init__(items)
        self.path = path


class RecordList(list[Any]):
    """A list from the context with its path."""

    __slots__ = ("path",)

    def __init__(self, path: str, items: list[Any]) -> None:
        super().__init__(items)
        self.path = path


def wrap(value: Any, path: str) -> Any:
    """`value` with every nested mapping and list wrapped, each knowing its path."""
    if isinstance(value, Mapping):
        return Record(path, {str(k): wrap(v, f"{path}.{k}") for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return RecordList(path, [wrap(v, f"{path}[{i}]") for i, v in enumerate(value)])
    return value


def lookup(container: Record | RecordList, key: Any, undefined: type[MissingValue]) -> Any:
    """`container[key]`, or a `MissingValue` named by path when it is absent, None or blank text."""
    try:
        value = container[key]
    except (KeyError, IndexError, TypeError):
        value = None
    if value is None or (isinstance(value, str) and not value.strip()):
        suffix = f".{key}" if isinstance(container, Record) else f"[{key}]"
        return undefined(name=container.path + suffix, obj=container)
    return value
