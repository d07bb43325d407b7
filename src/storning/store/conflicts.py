"""INSERT … ON CONFLICT DO NOTHING on either database: a unique key decides between two transactions
racing to make the same row, and the one that lost carries on in a usable transaction (no savepoint,
no IntegrityError to catch) and reads the row the other made."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert


def insert_if_new(target: Any, dialect: str) -> Insert:
    """An INSERT into `target` (a table or a mapped class) that does nothing when a row with the same
    unique key exists; `dialect` is the connection's dialect name."""
    if dialect == "postgresql":
        return postgresql.insert(target).on_conflict_do_nothing()
    return sqlite.insert(target).on_conflict_do_nothing()


__all__ = ["insert_if_new"]
