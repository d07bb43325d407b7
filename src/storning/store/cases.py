"""Loading and saving a case aggregate (the case row and its three track rows) in one transaction.

`save_case` is the optimistic-locking write of invariant 8: it bumps the version once and updates the
case row only if the version is still the one that was read, else `StaleCase`. It writes the changed
columns with prepared Core statements instead of a unit-of-work flush (the flush cost more than the rest
of an event), then tells the ORM those values are now committed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from storning.errors import StaleCase
from storning.store.models import Case, CaseTrack, table

_BY_REF = select(Case).where(Case.ref == bindparam("ref")).options(joinedload(Case.tracks))
_BY_REF_LOCKED = _BY_REF.with_for_update(of=Case)
_BY_ID_LOCKED = (
    select(Case)
    .where(Case.id == bindparam("id"))
    .options(joinedload(Case.tracks))
    .with_for_update(of=Case)
)
_CASES = table(Case)
_TRACKS = table(CaseTrack)
_UPDATE_TRACK = (
    update(_TRACKS)
    .where(_TRACKS.c.case_id == bindparam("b_case_id"), _TRACKS.c.track == bindparam("b_track"))
    .values(state=bindparam("state"), since=bindparam("since"))
)


def load_case(session: Session, ref: str, *, lock: bool = False) -> Case | None:
    """The case with its tracks; `lock` takes the row lock on PostgreSQL (SQLite's writer already has it)."""
    statement = _BY_REF_LOCKED if lock else _BY_REF
    return session.scalars(statement, {"ref": ref.strip().upper()}).unique().first()


def load_case_by_id(session: Session, case_id: int) -> Case | None:
    return session.scalars(_BY_ID_LOCKED, {"id": case_id}).unique().first()


def save_case(session: Session, case: Case) -> None:
    """Write what changed on the case and its tracks, with one version step; refuse a stale case."""
    changes = _changed_columns(case)
    new_version = case.version + 1
    result = session.connection().execute(
        _update_statement(tuple(sorted(changes))),
        {**changes, "b_id": case.id, "b_version": case.version, "new_version": new_version},
    )
    if result.rowcount != 1:
        raise StaleCase(
            f"Ärendet {case.ref} ändrades samtidigt av någon annan; ladda om och försök igen."
        )
    for key, value in changes.items():
        set_committed_value(case, key, value)
    set_committed_value(case, "version", new_version)
    for track in case.tracks:
        track_changes = _changed_columns(track)
        if track_changes:
            session.connection().execute(
                _UPDATE_TRACK,
                {
                    "b_case_id": track.case_id,
                    "b_track": track.track,
                    "state": track.state,
                    "since": track.since,
                },
            )
            for key, value in track_changes.items():
                set_committed_value(track, key, value)
    if session.new:
        session.flush()  # whatever else the event added (letters, timers, incidents)


@lru_cache(maxsize=256)
def _update_statement(columns: tuple[str, ...]) -> Any:
    """A prepared UPDATE for one set of changed columns (building `.values()` per call is costly)."""
    values: dict[str, Any] = {name: bindparam(name) for name in columns if name != "version"}
    return (
        update(_CASES)
        .where(_CASES.c.id == bindparam("b_id"), _CASES.c.version == bindparam("b_version"))
        .values(**values, version=bindparam("new_version"))
    )


def _changed_columns(obj: Any) -> dict[str, Any]:
    """Column attributes set since load: the ORM records each one in `committed_state`."""
    state = inspect(obj)
    columns = state.mapper.column_attrs
    return {key: getattr(obj, key) for key in state.committed_state if key in columns}
