"""YAML read with the safe loader, remembering the line of every node so errors can name it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


@dataclass
class LocatedDocument:
    """A parsed YAML document plus the 1-based line where each path inside it starts."""

    file: str
    data: Any
    lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int:
        """The line of the deepest known node on `path` (a missing key points at its parent)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return 1

    def where(self, path: Path) -> str:
        """'file, line N, path a.b[2].c' — the prefix of every definition error."""
        return f"{self.file}, rad {self.line_of(path)}, {format_path(path) or '(dokumentet)'}"


class DuplicateKey(ValueError):
    """A mapping names the same key twice (PyYAML would silently keep the last)."""

    def __init__(self, key: object, line: int) -> None:
        self.key = key
        self.line = line
        super().__init__(f"the key '{key}' appears twice")


def format_path(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# libyaml's parser when PyYAML was built with it (the wheels are): the same nodes, tags and marks as
# the pure-Python one, several times faster. Every cold process (a CLI command, a worker) parses both
# workflows, the letter catalogue and the retention policy, some of it inside its first transaction.
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_located(text: str, file: str) -> LocatedDocument:
    """Parse one YAML document; raise yaml.YAMLError (with its own mark) on bad syntax."""
    node = yaml.compose(text, Loader=SAFE_LOADER)
    doc = LocatedDocument(file=file, data=None)
    if node is None:
        return doc
    # the safe loader's constructor alone builds each scalar (no reader or parser of its own)
    doc.data = _build(node, (), doc.lines, yaml.constructor.SafeConstructor())
    return doc


def _build(
    node: yaml.Node,
    path: Path,
    lines: dict[Path, int],
    constructor: yaml.constructor.SafeConstructor,
) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            if key in result:
                raise DuplicateKey(key, key_node.start_mark.line + 1)
            result[key] = _build(value_node, (*path, key), lines, constructor)
            lines[(*path, key)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), lines, constructor) for i, item in enumerate(node.value)]
    return constructor.construct_object(node, deep=True)
