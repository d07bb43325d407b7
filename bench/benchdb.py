"""The database a benchmark runs on: a fresh SQLite file, or a private schema in a PostgreSQL (made
at the start, dropped at the end), so a run never leaves tables behind or reads an earlier run's."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text


@contextmanager
def database(url: str | None, name: str) -> Iterator[str]:
    """A URL for this run: `url` is None for a temporary SQLite file, else a PostgreSQL URL in which
    a schema `storning_<name>_<random>` is made for the run and dropped after it."""
    if url is None:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/{name}.db"
        return
    schema = f"storning_{name}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"create schema {schema}"))
    try:
        separator = "&" if "?" in url else "?"
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"drop schema {schema} cascade"))
        engine.dispose()
