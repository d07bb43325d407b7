"""`storning user add|token`, `storning serve` start-up checks, and the web settings (secret key file,
cookie flags)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from click.testing import CliRunner
from tests.conftest import ROOT, T0

from storning.cli import main
from storning.config import Settings
from storning.errors import InvalidInput
from storning.services.accounts import authenticate, principal_by_token
from storning.web.config import WebSettings, make_clock


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

        from storning.store.models import ApiToken

        stored = list(session.scalars(select(ApiToken.token_hash)))
    assert len(stored) == 1 and token not in stored[0]
    assert run(db_url, "user", "token", "nobody").exit_code == 1


def test_only_an_administrator_may_make_a_token_for_someone(app, db_url):
    refused = run(db_url, "--as", "alice", "user", "token", "bob")
    assert refused.exit_code == 1 and "får inte hantera användarkonton" in refused.output
    assert "stn_" not in refused.output


def test_serve_refuses_a_database_that_was_never_created(tmp_path):
    result = run(f"sqlite:///{tmp_path / 'tom.db'}", "serve", "--no-worker")
    assert result.exit_code == 1
    assert "storning init" in result.output


def test_a_given_secret_key_is_used_as_it_is(tmp_path):
    """Without one, the key is the database's (tests/web/test_sessions.py)."""
    settings = replace(Settings.from_env({}), db_url=f"sqlite:///{tmp_path / 'x.db'}")
    assert WebSettings.from_settings(settings, {}).secret_key == ""
    assert not list(tmp_path.iterdir())  # no key file is written anywhere
    given = WebSettings.from_settings(replace(settings, secret_key="k" * 40), {})
    assert given.secret_key == "k" * 40
    assert WebSettings.from_env(settings, {"STORNING_SECRET_KEY": "k" * 40}).secret_key == "k" * 40


def test_cookies_are_secure_behind_https_and_web_settings_come_from_settings():
    key = {"STORNING_SECRET_KEY": "k" * 40}
    https = replace(Settings.from_env(key), base_url="https://storning.example.se")
    assert WebSettings.from_settings(https).secure_cookies
    plain = Settings.from_env(key)
    assert not WebSettings.from_settings(plain).secure_cookies
    web = WebSettings.from_settings(
        Settings.from_env(
            {**key, "STORNING_SECURE_COOKIES": "ja", "STORNING_SESSION_HOURS": "1.5",
             "STORNING_WEB_THREADS": "3"}
        )
    )  # fmt: skip
    assert web.secure_cookies and web.session_max_age == 5400 and web.threads == 3
    assert WebSettings.from_env(plain, {"STORNING_SECURE_COOKIES": "ja"}).secure_cookies


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("STORNING_TZ", "Europe/Narnia", "ingen känd tidszon"),
        ("STORNING_NOW", "i morgon", "ingen tidpunkt"),
        ("STORNING_SMTP_PORT", "tjugofem", "heltal 1–65535"),
        ("STORNING_SMTP_PORT", "70000", "heltal 1–65535"),
        ("STORNING_SMTP_TLS", "kanske", "inte true eller false"),
        ("STORNING_TIMER_INTERVAL", "0", "heltal 1–86400"),
        ("STORNING_SEVERE_KINDS", "violence,gossip", "okända händelsetyper (gossip)"),
        ("STORNING_BASE_URL", "storning.example.se", "http:// eller https://"),
        ("STORNING_MAIL_FROM", "storning", "ingen e-postadress"),
        ("STORNING_SECURE_COOKIES", "kanske", "inte true eller false"),
        ("STORNING_SESSION_HOURS", "nan", "antal timmar"),
        ("STORNING_SESSION_HOURS", "-1", "antal timmar"),
        ("STORNING_WEB_THREADS", "0", "heltal 1–200"),
        ("STORNING_SECRET_KEY", "hemligt123", "minst 32"),
    ],
)
def test_a_bad_setting_is_one_sentence_naming_the_variable(name, value, words):
    with pytest.raises(InvalidInput) as caught:
        Settings.from_env({name: value})
    message = str(caught.value)
    assert message.startswith(f"Inställningen {name}") and words in message
    assert message.endswith(".") and "\n" not in message
    if name == "STORNING_SECRET_KEY":
        assert value not in message  # a secret is never echoed
    with pytest.raises(InvalidInput):
        WebSettings.from_env(Settings.from_env({}), {name: value})


def test_a_bad_setting_stops_the_cli_with_that_sentence(monkeypatch, db_url):
    monkeypatch.setenv("STORNING_SMTP_PORT", "tjugofem")
    result = run(db_url, "case", "list")
    assert result.exit_code == 1
    assert (
        "Inställningen STORNING_SMTP_PORT='tjugofem' ska vara ett heltal 1–65535." in result.output
    )
    assert "Traceback" not in result.output


def test_no_module_but_config_reads_storning_variables():
    """Settings are read in one place (issue 9): no other module of the package looks up a
    `STORNING_*` variable in the environment."""
    package = ROOT / "src" / "storning"
    readers = sorted(
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name != "config.py"
        and any(
            marker in line and "STORNING_" in line
            for line in path.read_text(encoding="utf-8").splitlines()
            for marker in ("environ", "getenv")
        )
    )
    assert set(readers) <= KNOWN_ENV_READERS, readers


# Still to move onto `Settings` (owned elsewhere; listed so that no new reader appears).
KNOWN_ENV_READERS = {"letters/catalog.py", "letters/formatting.py"}


def test_storning_now_fixes_the_time_of_every_request():
    settings = replace(Settings.from_env({}), now="2026-03-02T09:00")
    clock = make_clock(settings)
    assert clock() == T0 and clock() == T0
