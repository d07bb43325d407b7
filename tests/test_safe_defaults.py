"""Safe defaults (issue 11 item 7, first part): a new SQLite database is readable by its owner only,
and the web server is part of the base install."""

from __future__ import annotations

import stat
import tomllib

from storning.store.db import Database
from tests.conftest import ROOT


def test_a_new_sqlite_file_is_created_for_its_owner_only(tmp_path):
    path = tmp_path / "storning.db"
    db = Database.connect(f"sqlite:///{path}")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    db.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_web_server_is_in_the_base_dependencies():
    """`pip install storning` then `storning serve` must work: no web extra needed."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    base = {dep.split(">")[0].split("=")[0].split("[")[0] for dep in project["dependencies"]}
    assert {"fastapi", "uvicorn", "python-multipart", "itsdangerous"} <= base


def test_by_default_two_long_requests_leave_a_process_room_for_pages():
    """Exports run seconds at 100,000 rows and take one of a process's database slots each (the web's
    threads less the two kept for the login page): two at once must leave slots for the pages."""
    from storning.config import Settings
    from storning.web.errors import RESERVED_THREADS

    assert Settings.from_env({}).web_threads - RESERVED_THREADS - 2 >= 2
