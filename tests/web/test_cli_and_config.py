"""`storning user add|token`, `storning serve` start-up checks, and the web settings (secret key file,
cookie flags)."""

from __future__ import annotations

import os
import stat
from dataclasses import replace

import pytest
from click.testing import CliRunner
from tests.conftest import T0

from storning.cli import main
from storning.config import Settings
from storning.errors import InvalidInput
from storning.web.accounts import authenticate, principal_by_token
from storning.web.config import WebSettings, make_clock, secret_path


def run(db_url: str, *args: str, stdin: str | None = None):
    return CliRunner().invoke(main, ["--db", db_url, *args], input=stdin, catch_exceptions=False)


def test_user_add_stores_an_argon2_hash_and_the_password_logs_in(app, db_url):
    result = run(
        db_url, "user", "add", "dora", "--name", "Dora Handläggare", "--role", "handlaggare",
        "--role", "chef", "--team", "norr", "--supervisor", "carl", "--email", "dora@example.se",
        "--password-stdin", stdin="ett-langt-losenord\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "dora (handläggare, chef) är tillagd" in result.output
    principal = authenticate(app, "dora", "ett-langt-losenord")
    assert principal is not None and principal.roles == {"handlaggare", "chef"}
    assert principal.team == "norr"
    assert authenticate(app, "dora", "fel-losenord") is None


def test_user_add_refuses_a_short_password_and_a_duplicate(db_url):
    short = run(db_url, "user", "add", "eva", "--name", "Eva", "--role", "lasare",
                "--password-stdin", stdin="kort\n")  # fmt: skip
    assert short.exit_code == 1 and "minst 10 tecken" in short.output
    again = run(db_url, "user", "add", "alice", "--name", "A", "--role", "lasare",
                "--password-stdin", stdin="ett-langt-losenord\n")  # fmt: skip
    assert again.exit_code == 1 and "finns redan" in again.output


def test_user_token_prints_a_token_once_and_stores_only_its_hash(app, db_url):
    result = run(db_url, "user", "token", "alice")
    assert result.exit_code == 0
    token = result.stdout.strip()
    assert token.startswith("stn_")
    assert principal_by_token(app, token).username == "alice"
    with app.db.read() as session:
        from sqlalchemy import select

        from storning.store.models import User

        stored = session.scalar(select(User.api_token_hash).where(User.username == "alice"))
    assert stored and token not in stored
    assert run(db_url, "user", "token", "nobody").exit_code == 1


def test_serve_refuses_a_database_that_was_never_created(tmp_path):
    result = run(f"sqlite:///{tmp_path / 'tom.db'}", "serve", "--no-worker")
    assert result.exit_code == 1
    assert "storning init" in result.output


def test_a_generated_secret_key_lives_next_to_the_sqlite_file_readable_only_by_its_owner(tmp_path):
    settings = replace(Settings.from_env({}), db_url=f"sqlite:///{tmp_path / 'x.db'}")
    first = WebSettings.from_env(settings, {})
    second = WebSettings.from_env(settings, {})
    path = tmp_path / "x.db.secret-key"
    assert first.secret_key == second.secret_key == path.read_text().strip()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    given = WebSettings.from_env(settings, {"STORNING_SECRET_KEY": "k" * 40})
    assert given.secret_key == "k" * 40


def test_without_a_sqlite_file_the_key_goes_to_the_state_folder(tmp_path):
    url = "postgresql+psycopg://postgres@127.0.0.1/test"
    assert (
        secret_path(url, {"XDG_STATE_HOME": str(tmp_path)}) == tmp_path / "storning" / "secret-key"
    )


def test_cookies_are_secure_behind_https_and_settings_fail_loudly():
    https = replace(Settings.from_env({}), base_url="https://storning.example.se")
    assert WebSettings.from_env(https, {"STORNING_SECRET_KEY": "k" * 40}).secure_cookies
    plain = Settings.from_env({})
    env = {"STORNING_SECRET_KEY": "k" * 40, "STORNING_SECURE_COOKIES": "ja"}
    assert WebSettings.from_env(plain, env).secure_cookies
    with pytest.raises(InvalidInput):
        WebSettings.from_env(plain, {**env, "STORNING_SECURE_COOKIES": "kanske"})
    with pytest.raises(InvalidInput):
        WebSettings.from_env(plain, {**env, "STORNING_WEB_THREADS": "0"})


def test_storning_now_fixes_the_time_of_every_request():
    settings = replace(Settings.from_env({}), now="2026-03-02T09:00")
    clock = make_clock(settings)
    assert clock() == T0 and clock() == T0
