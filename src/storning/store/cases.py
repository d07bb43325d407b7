"""Loading and saving a case aggregate (the case row, its owner and its three track rows) in one
transaction.

`load_case` reads the aggregate with one prepared statement (the case joined to its owner and its
tracks, locked on PostgreSQL; `store.prepared`) and builds the mapped objects from the rows directly: no
ORM query, no lazy load of the owner, and the case's and the owner's columns converted once, not once per
track row. The objects are detached (not in the session's identity map): every load reads the
database as it is, and nothing about them is flushed by the unit of work, only by `save_case`.

`save_case` is the optimistic-locking write of invariant 8: it bumps the version once and updates the
case row only if the version is still the one that was read, else `StaleCase`. It writes the changed
columns with prepared statements instead of a unit-of-work flush (the flush cost more than the rest
of an event), then tells the ORM those values are now committed. The same UPDATE stores the case's next
deadline (`cases.next_due`), so a step writes the case row once: the tracks and anything the event
added go first, since the deadline is computed from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.attributes import instance_state, set_committed_value

from storning.errors import StaleCase
from storning.store.models import Base, Case, CaseTrack, User, table
from storning.store.prepared import Prepared, convert

_CASES = table(Case)
_TRACKS = table(CaseTrack)
_USERS = table(User)


def _columns(model: type[Base]) -> list[tuple[str, Any]]:
    """(attribute, column) of every column attribute of `model`."""
    return [(prop.key, prop.columns[0]) for prop in inspect(model).column_attrs]


_CASE_COLUMNS = _columns(Case)
_OWNER_COLUMNS = _columns(User)
_TRACK_COLUMNS = [(key, column) for key, column in _columns(CaseTrack) if key != "case_id"]
_CASE_KEYS = tuple(key for key, _ in _CASE_COLUMNS)
_OWNER_KEYS = tuple(key for key, _ in _OWNER_COLUMNS)
_TRACK_KEYS = tuple(key for key, _ in _TRACK_COLUMNS)
_CASE_MAPPER: Mapper[Case] = inspect(Case)
_OWNER_MAPPER: Mapper[User] = inspect(User)
_TRACK_MAPPER: Mapper[CaseTrack] = inspect(CaseTrack)
_PRIMARY_KEYS: dict[type[Base], tuple[str, ...]] = {
    mapper.class_: tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key)
    for mapper in (_CASE_MAPPER, _OWNER_MAPPER, _TRACK_MAPPER)
}
_COLUMN_KEYS: dict[type[Base], frozenset[str]] = {
    Case: frozenset(_CASE_KEYS),
    User: frozenset(_OWNER_KEYS),
    CaseTrack: frozenset(key for key, _ in _columns(CaseTrack)),
}
_OWNER_AT = len(_CASE_KEYS)
_TRACK_AT = _OWNER_AT + len(_OWNER_KEYS)
_TRACK_KEY_AT = _TRACK_AT + _TRACK_KEYS.index("track")

# One row per track (ordered by track, as `Case.tracks` is), each with the case and its owner.
_AGGREGATE = (
    select(
        *(column.label(f"c_{key}") for key, column in _CASE_COLUMNS),
        *(column.label(f"o_{key}") for key, column in _OWNER_COLUMNS),
        *(column.label(f"t_{key}") for key, column in _TRACK_COLUMNS),
    )
    .select_from(
        _CASES.join(_USERS, _USERS.c.id == _CASES.c.owner_id).outerjoin(
            _TRACKS, _TRACKS.c.case_id == _CASES.c.id
        )
    )
    .order_by(_TRACKS.c.track)
)
_BY_REF = _AGGREGATE.where(_CASES.c.ref == bindparam("ref"))
_LOAD_BY_REF = Prepared(_BY_REF)
_LOAD_BY_REF_LOCKED = Prepared(_BY_REF.with_for_update(of=_CASES))
_LOAD_BY_ID_LOCKED = Prepared(
    _AGGREGATE.where(_CASES.c.id == bindparam("id")).with_for_update(of=_CASES)
)
_UPDATE_TRACK = Prepared(
    update(_TRACKS)
    .where(_TRACKS.c.case_id == bindparam("b_case_id"), _TRACKS.c.track == bindparam("b_track"))
    .values(state=bindparam("state"), since=bindparam("since"))
)

M = TypeVar("M", bound=Base)


def load_case(session: Session, ref: str, *, lock: bool = False) -> Case | None:
    """The case with its owner and tracks; `lock` takes the row lock on PostgreSQL (SQLite's writer
    already has it)."""
    statement = _LOAD_BY_REF_LOCKED if lock else _LOAD_BY_REF
    return _aggregate(*statement.raw_rows(session, {"ref": ref.strip().upper()}))


def load_case_by_id(session: Session, case_id: int) -> Case | None:
    return _aggregate(*_LOAD_BY_ID_LOCKED.raw_rows(session, {"id": case_id}))


def _aggregate(rows: Sequence[Sequence[Any]], processors: Sequence[Any]) -> Case | None:
    """The detached case, owner and tracks of the aggregate's rows, as the ORM would load them (every
    column loaded, the relationships set, nothing pending), built directly from the rows: the case's
    and the owner's columns (repeated on every track's row) are converted once."""
    if not rows:
        return None
    first = rows[0]
    case = _loaded(_CASE_MAPPER, _CASE_KEYS, convert(first[:_OWNER_AT], processors[:_OWNER_AT]))
    owner = _loaded(
        _OWNER_MAPPER,
        _OWNER_KEYS,
        convert(first[_OWNER_AT:_TRACK_AT], processors[_OWNER_AT:_TRACK_AT]),
    )
    case.__dict__["owner"] = owner  # a many-to-one's loaded value is the object itself
    tracks = []
    track_processors = processors[_TRACK_AT:]
    for row in rows:
        if row[_TRACK_KEY_AT] is None:  # a case without tracks (the outer join's empty side)
            continue
        values = convert(row[_TRACK_AT:], track_processors)
        track = _loaded(_TRACK_MAPPER, _TRACK_KEYS, values, case_id=case.id)
        track.__dict__["case"] = case
        tracks.append(track)
    set_committed_value(case, "tracks", tracks)  # the instrumented collection
    return case


def _loaded(mapper: Mapper[M], keys: tuple[str, ...], values: Sequence[Any], **more: Any) -> M:
    """A detached instance of `mapper`'s class holding `values`: what the ORM's loader does (a new
    instance without `__init__`, the values as loaded, the identity key), without the query."""
    obj: M = mapper.class_manager.new_instance()
    loaded = obj.__dict__
    loaded.update(zip(keys, values, strict=True))
    if more:
        loaded.update(more)
    instance_state(obj).key = mapper.identity_key_from_primary_key(
        tuple(map(loaded.__getitem__, _PRIMARY_KEYS[mapper.class_]))
    )
    return obj


def save_case(session: Session, case: Case) -> None:
    """Write what changed on the tracks and the case, with one version step and the case's next
    deadline; refuse a stale case."""
    moved = []  # the tracks whose state changed
    for track in case.tracks:
        track_changes = _changed_columns(track)
        if track_changes:
            moved.append(
                {
                    "b_case_id": track.case_id,
                    "b_track": track.track,
                    "state": track.state,
                    "since": track.since,
                }
            )
            for key, value in track_changes.items():
                set_committed_value(track, key, value)
    if moved:
        _UPDATE_TRACK.run_each(session, moved)
    if session.new:
        session.flush()  # whatever else the event added through the ORM
    changes = _changed_columns(case)
    changes.pop("next_due", None)  # computed by the statement
    new_version = case.version + 1
    saved = _update_statement(tuple(sorted(changes))).rows(
        session, {**changes, "b_id": case.id, "b_version": case.version, "new_version": new_version}
    )
    if len(saved) != 1:
        raise StaleCase(
            f"Ärendet {case.ref} ändrades samtidigt av någon annan; ladda om och försök igen."
        )
    for key, value in changes.items():
        set_committed_value(case, key, value)
    set_committed_value(case, "version", new_version)
    set_committed_value(case, "next_due", saved[0][0])


def refresh_next_due(session: Session, case_ids: Sequence[int]) -> None:
    """Store each case's next deadline (`due.next_due_value`) after its timers or track states may
    have changed outside `save_case` (which stores it with the case): a new case's first timers, the
    reminders for the cases whose reminders they sent. Worklists sort and filter by the stored day."""
    statement = _refresh_statement()
    for case_id in sorted(set(case_ids)):  # one at a time: the open-item kinds are an IN list
        statement.run(session, {"b_id": case_id})


@lru_cache(maxsize=1)
def _refresh_statement() -> Prepared:
    """Built once (its compiled form is then reused)."""
    from storning.due import next_due_value  # (due reads the models; the store loads first)

    return Prepared(
        update(_CASES).where(_CASES.c.id == bindparam("b_id")).values(next_due=next_due_value())
    )


@lru_cache(maxsize=256)
def _update_statement(columns: tuple[str, ...]) -> Prepared:
    """A prepared UPDATE for one set of changed columns (building `.values()` per call is costly),
    which also stores the case's next deadline."""
    from storning.due import next_due_value  # (due reads the models; the store loads first)

    values: dict[str, Any] = {name: bindparam(name) for name in columns if name != "version"}
    return Prepared(
        update(_CASES)
        .where(_CASES.c.id == bindparam("b_id"), _CASES.c.version == bindparam("b_version"))
        .values(**values, version=bindparam("new_version"), next_due=next_due_value())
        .returning(_CASES.c.next_due)
    )


def _changed_columns(obj: Any) -> dict[str, Any]:
    """Column attributes set since load: the ORM records each one in `committed_state`."""
    changed = instance_state(obj).committed_state
    if not changed:
        return {}
    columns = _COLUMN_KEYS.get(type(obj)) or frozenset(
        instance_state(obj).mapper.column_attrs.keys()
    )
    return {key: getattr(obj, key) for key in changed if key in columns}
