"""Prepared statements for the engine's hot path (issue 13): a Core statement compiled once per dialect
and run on the connection's DBAPI cursor.

An engine step runs five to eight small statements. Through `Connection.execute` each costs ~30 µs of
Python (cache lookup, execution context, result object) on top of the ~10 µs SQLite needs; here it
costs what the driver call and the parameters' conversion cost. Nothing about the statement changes:
it is the same Core statement, compiled by the same dialect, its values converted by the same bind
processors (UTC datetimes, JSON) and its rows by the same result processors, and it still runs through
SQLAlchemy's cursor path (`Connection._cursor_execute`): cursor events, echo logging and the engine's
error translation (`storning.store.db`: a busy or unreachable database is `DatabaseUnavailable`, a
constraint an `IntegrityError`) behave as for any other statement. It runs inside the session's
transaction, on the session's connection.

Parameters are given by the names of the statement's bind parameters (`bindparam("b_id")`) or, for an
INSERT, by the column names listed in `keys`; an INSERT must be given every column it lists (no
Python-side defaults are computed here).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeEngine


@dataclass(frozen=True)
class _Compiled:
    """One statement for one dialect: the SQL text and, per parameter slot, where its value comes from
    (the caller's key, or a constant of the statement) and its bind processor."""

    sql: str
    positional: bool
    slots: tuple[str, ...]  # the DBAPI parameter names, in order
    keys: tuple[str | None, ...]  # the caller's key for each slot, None for a constant
    constants: tuple[Any, ...]  # each slot's constant (unused where a key is given)
    processors: tuple[Any, ...]  # each slot's bind processor or None
    result_types: tuple[Any, ...]  # the type of each column the statement returns
    # Derived from the above, for `parameters` (a step converts a few dozen values: this is its loop).
    _keyed: tuple[int, ...] = field(init=False)  # the slots the caller gives
    _fetch: Callable[[Mapping[str, Any]], tuple[Any, ...]] = field(init=False)
    _converting: tuple[tuple[int, Any], ...] = field(init=False)  # (slot, its bind processor)

    def __post_init__(self) -> None:
        keyed = tuple(i for i, key in enumerate(self.keys) if key is not None)
        names = [key for key in self.keys if key is not None]
        fetch: Callable[[Mapping[str, Any]], tuple[Any, ...]]
        if len(names) > 1:
            fetch = itemgetter(*names)
        else:  # itemgetter of one key gives the value itself, of none is not allowed
            fetch = lambda values: tuple(values[name] for name in names)  # noqa: E731
        converting = tuple((i, p) for i, p in enumerate(self.processors) if p is not None)
        object.__setattr__(self, "_keyed", keyed)
        object.__setattr__(self, "_fetch", fetch)
        object.__setattr__(self, "_converting", converting)

    def parameters(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        """The DBAPI parameters for the caller's `values`: each slot's value (or the statement's
        constant) passed through its bind processor."""
        given = self._fetch(values)
        if len(self._keyed) == len(self.keys):
            converted = list(given)
        else:
            converted = list(self.constants)
            for i, value in zip(self._keyed, given, strict=True):
                converted[i] = value
        for i, process in self._converting:
            converted[i] = process(converted[i])
        if self.positional:
            return converted
        return dict(zip(self.slots, converted, strict=True))


class Prepared:
    """A Core statement run on the DBAPI cursor of a session's connection (see the module)."""

    __slots__ = ("_by_dialect", "_named", "_result", "keys", "statement")

    def __init__(self, statement: ClauseElement, keys: Iterable[str] | None = None) -> None:
        self.statement = statement
        self.keys = tuple(keys) if keys is not None else None
        self._by_dialect: dict[str, _Compiled] = {}
        # per dialect: the result processors, known once a cursor has described the columns
        self._result: dict[str, tuple[Any, ...]] = {}
        self._named: Any = None  # the named tuple of a SELECT's rows (`named_rows`), made once

    def rows(self, session: Session, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """The rows the statement returns (a SELECT, or DML with RETURNING), converted."""
        fetched, processors = self.raw_rows(session, values)
        pairs = [(i, p) for i, p in enumerate(processors) if p is not None]
        if not pairs:
            return [tuple(row) for row in fetched]
        result = []
        for row in fetched:
            converted = list(row)
            for i, process in pairs:
                converted[i] = process(converted[i])
            result.append(tuple(converted))
        return result

    def raw_rows(
        self, session: Session, values: Mapping[str, Any]
    ) -> tuple[Sequence[Any], tuple[Any, ...]]:
        """The rows as the driver returns them, and each column's result processor (or None), for a
        caller that converts only the columns it needs (`convert`)."""
        connection = _connection_of(session)
        compiled = self._compiled(connection.dialect)
        cursor = connection.connection.cursor()
        try:
            connection._cursor_execute(cursor, compiled.sql, compiled.parameters(values))
            fetched = cursor.fetchall()
            if not fetched:
                return [], ()
            return fetched, self._processors(connection.dialect, compiled, cursor.description)
        finally:
            cursor.close()

    def named_rows(self, session: Session, values: Mapping[str, Any]) -> list[Any]:
        """The rows of a SELECT, converted, as named tuples: each selected column's name is an
        attribute, as on SQLAlchemy's `Row` (read-only rows for a page, at the cost of a tuple)."""
        named = self._named
        if named is None:
            names = [column.key for column in self.statement.selected_columns]  # type: ignore[attr-defined]
            named = self._named = namedtuple("Row", names)
        return [named._make(row) for row in self.rows(session, values)]

    def scalar(self, session: Session, values: Mapping[str, Any]) -> Any:
        """The first column of the one row returned (an INSERT … RETURNING id)."""
        rows = self.rows(session, values)
        if len(rows) != 1:
            raise RuntimeError(f"expected one row, got {len(rows)}")
        return rows[0][0]

    def run(self, session: Session, values: Mapping[str, Any]) -> int:
        """Execute once; the number of rows the statement changed."""
        connection = _connection_of(session)
        compiled = self._compiled(connection.dialect)
        cursor = connection.connection.cursor()
        try:
            connection._cursor_execute(cursor, compiled.sql, compiled.parameters(values))
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def run_each(self, session: Session, many: Iterable[Mapping[str, Any]]) -> int:
        """Execute once per parameter set, on one cursor; the rows changed in all. (A few rows at a
        time: single executions cost less than the executemany machinery.)"""
        connection = _connection_of(session)
        compiled = self._compiled(connection.dialect)
        cursor = connection.connection.cursor()
        changed = 0
        try:
            for values in many:
                connection._cursor_execute(cursor, compiled.sql, compiled.parameters(values))
                changed += int(cursor.rowcount)
        finally:
            cursor.close()
        return changed

    # --- compiling, once per dialect ---------------------------------------------------------------

    def _compiled(self, dialect: Dialect) -> _Compiled:
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            compiled = self._by_dialect[dialect.name] = self._compile(dialect)
        return compiled

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiler = self.statement.compile(dialect=dialect, column_keys=self.keys)
        assert isinstance(compiler, SQLCompiler)
        if compiler.insert_prefetch or compiler.update_prefetch:
            raise ValueError(
                "a prepared statement computes no column defaults; give every column: "
                + ", ".join(c.key for c in (*compiler.insert_prefetch, *compiler.update_prefetch))
            )
        given = {name for name, bind in compiler.binds.items() if bind.required}
        # Expanding parameters (an IN list of constants) are rendered now, once.
        state = compiler.construct_expanded_state(dict.fromkeys(given))
        slots = tuple(state.positiontup or state.parameters)
        unescaped = {escaped: name for name, escaped in (compiler.escaped_bind_names or {}).items()}
        names = [unescaped.get(slot, slot) for slot in slots]
        return _Compiled(
            sql=state.statement,
            positional=compiler.positional,
            slots=slots,
            keys=tuple(name if name in given else None for name in names),
            constants=tuple(state.parameters.get(slot) for slot in slots),
            processors=tuple(
                state.processors[slot]
                if slot in state.processors
                else _bind_processor(compiler.binds[name].type, dialect)
                if name in compiler.binds
                else None
                for slot, name in zip(slots, names, strict=True)
            ),
            result_types=tuple(column.type for column in compiler._result_columns),
        )

    def _processors(
        self, dialect: Dialect, compiled: _Compiled, description: Any
    ) -> tuple[Any, ...]:
        processors = self._result.get(dialect.name)
        if processors is None:
            processors = self._result[dialect.name] = tuple(
                kind.dialect_impl(dialect).result_processor(dialect, column[1])
                for kind, column in zip(compiled.result_types, description, strict=True)
            )
        return processors


_CONNECTION = "storning.prepared.connection"  # session.info: (root transaction, its connection)


def _connection_of(session: Session) -> Connection:
    """The connection of the session's transaction (`Session.connection()`, beginning it if need
    be), remembered for the rest of that transaction: a step runs five to eight statements, and
    finding the connection through the session's layers each time cost about as much as SQLite's
    own work for one of them."""
    cached = session.info.get(_CONNECTION)
    if cached is not None:
        transaction, connection = cached
        current = session.get_transaction()
        if current is transaction and current is not None and current.is_active:
            return connection  # type: ignore[no-any-return]
    connection = session.connection()
    session.info[_CONNECTION] = (session.get_transaction(), connection)
    return connection


def convert(values: Sequence[Any], processors: Sequence[Any]) -> list[Any]:
    """`values` converted by their processors (`Prepared.raw_rows`)."""
    return [
        value if process is None or value is None else process(value)
        for value, process in zip(values, processors, strict=True)
    ]


def _bind_processor(kind: TypeEngine[Any], dialect: Dialect) -> Any:
    return kind.dialect_impl(dialect).bind_processor(dialect)


__all__ = ["Prepared", "convert"]
