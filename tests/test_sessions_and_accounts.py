"""An account's life-cycle from the CLI and the services (issue 11 item 1): `storning user passwd`,
`disable`, `enable`, `token --expires-in-days`, `tokens`, `revoke-token`; only an administrator
manages someone else's account; every change is in the access log; the token moved by migration
0006 keeps working. And the safe defaults of item 7: SMTP encrypted unless explicitly turned off.
On SQLite and PostgreSQL where a test takes `app`.
"""

from __future__ import annotations

import json
import ssl
from typing import Any

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import select

from storning.app import App
from storning.cli import main
from storning.config import Settings
from storning.errors import InvalidInput
from storning.notifications import Mailer, is_loopback
from storning.services import accounts
from storning.services.sessions import Client
from storning.store.models import AccessLog, User
from tests.conftest import ROOT, at

PASSWORD = "ett-bra-losenord"
CHEAP = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash(PASSWORD)
HERE = Client("10.0.0.1", "test")


@pytest.fixture
def run(db_url: str, app: App, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("STORNING_WORKFLOWS", str(ROOT / "workflows"))
    monkeypatch.setenv("STORNING_LETTERS_DIR", str(ROOT / "letters"))
    with app.db.write() as session:
        for user in session.scalars(select(User)):
            user.password_hash = CHEAP
    runner = CliRunner()

    def invoke(
        *args: str, user: str | None = None, stdin: str | None = None, now: str = "2026-03-02T09:00"
    ):
        prefix = ["--db", db_url, "--now", now] + (["--as", user] if user else [])
        return runner.invoke(main, [*prefix, *args], input=stdin, catch_exceptions=False)

    return invoke


def actions(app: App) -> list[tuple[str, str, str | None]]:
    with app.db.read() as session:
        rows = session.scalars(select(AccessLog).where(AccessLog.case_id.is_(None)))
        return [(r.actor, r.action, r.detail) for r in rows]


def logs_in(app: App, username: str, password: str = PASSWORD) -> bool:
    return accounts.log_in(app, username, password, HERE, at(0)) is not None


# --- passwords -------------------------------------------------------------------------------------


def test_passwd_asks_twice_and_ends_the_users_sessions(app, run):
    assert logs_in(app, "alice")
    result = run("user", "passwd", "alice", stdin="ett-nytt-losenord\nett-nytt-losenord\n")
    assert result.exit_code == 0, result.output
    assert "Lösenordet för alice är bytt; en inloggning avslutades." in result.output
    assert logs_in(app, "alice", "ett-nytt-losenord") and not logs_in(app, "alice")
    differ = run("user", "passwd", "alice", stdin="ett-nytt-losenord\nett-annat-losenord\n")
    assert differ.exit_code != 0  # click asks again, then input runs out
    assert ("admin", "password_changed", "alice") in actions(app)


def test_passwd_reads_standard_input_and_checks_the_rule(app, run):
    ok = run("user", "passwd", "bob", "--password-stdin", stdin="bobs-langa-losenord\n")
    assert ok.exit_code == 0 and logs_in(app, "bob", "bobs-langa-losenord")
    short = run("user", "passwd", "bob", "--password-stdin", stdin="kort\n")
    assert short.exit_code == 1 and "minst 10 tecken" in short.output
    unknown = run("user", "passwd", "nobody", "--password-stdin", stdin="ett-langt-losenord\n")
    assert unknown.exit_code == 1 and "Okänd användare 'nobody'" in unknown.output


def test_only_an_administrator_changes_someone_elses_password_but_anyone_their_own(app, run):
    refused = run(
        "user", "passwd", "bob", "--password-stdin", user="carl", stdin="carls-val-for-bob\n"
    )
    assert refused.exit_code == 1 and "får inte hantera användarkonton" in refused.output
    assert logs_in(app, "bob")
    own = run("user", "passwd", "carl", "--password-stdin", user="carl", stdin="carls-eget-nya\n")
    assert own.exit_code == 0 and logs_in(app, "carl", "carls-eget-nya")
    assert (
        "carl",
        "password_changed_refused",
        "Användaren carl får inte hantera användarkonton.",
    ) in actions(app)


# --- disabling -------------------------------------------------------------------------------------


def test_a_disabled_account_cannot_log_in_and_its_tokens_are_revoked_for_good(app, run):
    token = accounts.set_api_token(app, "alice")
    assert accounts.principal_by_token(app, token, at(0)) is not None
    result = run("user", "disable", "alice")
    assert result.exit_code == 0
    assert "Kontot alice är avstängt" in result.output
    assert not logs_in(app, "alice")
    assert accounts.principal_by_token(app, token, at(0)) is None
    assert run("user", "token", "alice").exit_code == 1  # first enable it
    assert run("user", "enable", "alice").exit_code == 0
    assert logs_in(app, "alice")
    assert accounts.principal_by_token(app, token, at(0)) is None
    assert [a for _, a, d in actions(app) if d == "alice"] == ["user_disabled", "user_enabled"]


def test_disabling_needs_an_administrator_and_never_oneself_or_the_system_user(app, run):
    refused = run("user", "disable", "bob", user="carl")
    assert refused.exit_code == 1 and "får inte hantera användarkonton" in refused.output
    myself = run("user", "disable", "admin")
    assert myself.exit_code == 1 and "ditt eget konto" in myself.output
    system = run("user", "disable", "system")
    assert system.exit_code == 1 and "Systemanvändaren" in system.output
    assert logs_in(app, "bob")


# --- API tokens ------------------------------------------------------------------------------------


def test_tokens_are_listed_with_their_times_but_never_shown_again(app, run):
    made = run("user", "token", "alice", "--expires-in-days", "30")
    assert made.exit_code == 0
    first = made.stdout.strip()
    kept = run("user", "token", "alice", "--keep-old", now="2026-03-03T09:00")
    second = kept.stdout.strip()
    assert accounts.principal_by_token(app, first, at(1)) is not None
    assert accounts.principal_by_token(app, second, at(1, 1)) is not None
    listed = run("user", "tokens", "alice")
    assert listed.exit_code == 0
    assert first not in listed.output and second not in listed.output
    lines = listed.output.strip().splitlines()
    assert lines[0].split() == ["nr", "skapad", "senast", "använd", "giltig", "till", "status"]
    assert "2026-04-01 09:00" in lines[2] and "2026-03-03 09:00" in lines[2]  # expiry, last use
    assert lines[1].endswith("gäller") and "–" in lines[1]  # no expiry
    rows = json.loads(run("user", "tokens", "alice", "--json").stdout)
    assert [r["status"] for r in rows] == ["valid", "valid"]
    assert set(rows[0]) == {
        "id",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "status",
    }


def test_a_new_token_replaces_the_old_ones_unless_they_are_kept(app, run):
    old = run("user", "token", "alice").stdout.strip()
    new = run("user", "token", "alice").stdout.strip()
    assert accounts.principal_by_token(app, old, at(0)) is None
    assert accounts.principal_by_token(app, new, at(0)).username == "alice"


def test_revoke_token_by_number_or_all(app, run):
    tokens = [run("user", "token", "alice", "--keep-old").stdout.strip() for _ in range(3)]
    ids = [row["id"] for row in accounts.list_tokens(app, "alice")]
    one = run("user", "revoke-token", "alice", str(ids[0]))
    assert one.exit_code == 0 and "1 API-token för alice återkallades." in one.output
    assert accounts.principal_by_token(app, tokens[-1], at(0)) is None
    assert accounts.principal_by_token(app, tokens[0], at(0)) is not None
    rest = run("user", "revoke-token", "alice", "--all")
    assert rest.exit_code == 0 and "2 API-token" in rest.output
    assert all(accounts.principal_by_token(app, t, at(0)) is None for t in tokens)
    assert run("user", "revoke-token", "alice").exit_code == 2  # a number or --all
    assert run("user", "revoke-token", "alice", "1", "--all").exit_code == 2
    bobs = run("user", "revoke-token", "bob", str(ids[1]))
    assert bobs.exit_code == 1 and "ingen API-token nr" in bobs.output


def test_an_officer_manages_their_own_tokens_but_not_anyone_elses(app, run):
    own = run("user", "token", "alice", user="alice")
    assert own.exit_code == 0 and own.stdout.startswith("stn_")
    assert run("user", "tokens", "alice", user="alice").exit_code == 0
    theirs = run("user", "tokens", "bob", user="alice")
    assert theirs.exit_code == 1 and "får inte hantera användarkonton" in theirs.output
    assert run("user", "revoke-token", "bob", "--all", user="alice").exit_code == 1


def test_an_expiry_outside_the_allowed_days_is_refused(app, run):
    assert run("user", "token", "alice", "--expires-in-days", "0").exit_code == 2
    with pytest.raises(InvalidInput, match="1–3650 dagar"):
        accounts.set_api_token(app, "alice", expires_in_days=5000)


def test_logins_and_failures_of_existing_accounts_are_in_the_access_log(app, run):
    assert logs_in(app, "alice")
    assert not logs_in(app, "alice", "fel-losenord")
    assert not logs_in(app, "nobody", "fel-losenord")
    logged = actions(app)
    assert ("alice", "login", "från 10.0.0.1") in logged
    assert ("alice", "login_failed", "från 10.0.0.1") in logged
    assert not [row for row in logged if row[0] == "nobody"]


# --- migration 0006 --------------------------------------------------------------------------------


def test_the_token_a_user_had_before_0006_keeps_working(tmp_path):
    from alembic import command

    from storning.security import new_token, token_hash
    from storning.store.schema import alembic_config
    from tests.conftest import base_settings

    app = App.create(base_settings(f"sqlite:///{tmp_path / 'old.db'}"))
    config = alembic_config()
    with app.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
    token = new_token()
    with app.db.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO users (username, name, roles, active, api_token_hash) "
            f"VALUES ('jour', 'Störningsjouren', 'handlaggare', 1, '{token_hash(token)}')"
        )
    with app.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    try:
        assert accounts.principal_by_token(app, token, at(0)).username == "jour"
        with app.db.read() as session:
            assert session.scalar(select(User.api_token_hash)) is None
    finally:
        app.db.dispose()


# --- SMTP is encrypted unless turned off -------------------------------------------------------------


class FakeSMTP:
    """Stands in for smtplib.SMTP: records what the mailer asks of the server."""

    calls: list[tuple[str, Any]]
    offers_starttls = True

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.calls = [("connect", (host, port))]
        FakeSMTP.last = self

    def ehlo(self) -> None:
        self.calls.append(("ehlo", None))

    def has_extn(self, name: str) -> bool:
        return name == "starttls" and self.offers_starttls

    def starttls(self, context: ssl.SSLContext) -> None:
        self.calls.append(("starttls", context))

    def login(self, user: str, password: str) -> None:
        self.calls.append(("login", user))

    def send_message(self, message: object) -> None:
        self.calls.append(("send", None))

    def close(self) -> None:
        self.calls.append(("close", None))

    def __enter__(self) -> FakeSMTP:
        return self

    def __exit__(self, *exc: object) -> None:
        self.calls.append(("quit", None))


@pytest.fixture
def fake_smtp(monkeypatch: pytest.MonkeyPatch) -> type[FakeSMTP]:
    import smtplib

    FakeSMTP.offers_starttls = True
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    return FakeSMTP


def mailer(host: str, tls: str | None = None) -> Mailer:
    env = {"STORNING_SMTP_HOST": host, "STORNING_SMTP_USER": "storning"}
    if tls is not None:
        env["STORNING_SMTP_TLS"] = tls
    found = Mailer.from_settings(Settings.from_env(env))
    assert found is not None
    return found


def test_smtp_uses_starttls_with_a_checked_certificate_by_default(fake_smtp):
    assert Settings.from_env({}).smtp_tls == "starttls"
    mailer("smtp.example.se").send("a@example.se", "Ämne", "Text")
    names = [name for name, _ in fake_smtp.last.calls]
    assert names.index("starttls") < names.index("login") < names.index("send")
    context = dict(fake_smtp.last.calls)["starttls"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_a_remote_server_without_starttls_is_refused_and_nothing_is_sent(fake_smtp):
    import smtplib

    fake_smtp.offers_starttls = False
    with pytest.raises(smtplib.SMTPNotSupportedError):
        mailer("smtp.example.se").send("a@example.se", "Ämne", "Text")
    names = [name for name, _ in fake_smtp.last.calls]
    assert "login" not in names and "send" not in names and "close" in names


def test_a_server_on_this_machine_may_be_plain_and_off_is_an_explicit_choice(fake_smtp):
    fake_smtp.offers_starttls = False
    mailer("127.0.0.1").send("a@example.se", "Ämne", "Text")
    assert "send" in [name for name, _ in fake_smtp.last.calls]
    mailer("smtp.example.se", "off").send("a@example.se", "Ämne", "Text")
    names = [name for name, _ in fake_smtp.last.calls]
    assert "send" in names and "ehlo" not in names
    assert is_loopback("localhost") and is_loopback("::1") and not is_loopback("10.0.0.1")


def test_smtp_tls_mode_is_tls_from_the_first_byte(monkeypatch):
    import smtplib

    opened: list[tuple[str, int, ssl.SSLContext]] = []

    class FakeSSL(FakeSMTP):
        def __init__(self, host: str, port: int, timeout: float, context: ssl.SSLContext) -> None:
            super().__init__(host, port, timeout)
            opened.append((host, port, context))

    monkeypatch.setattr(smtplib, "SMTP_SSL", FakeSSL)
    found = Mailer.from_settings(
        Settings.from_env(
            {"STORNING_SMTP_HOST": "smtp.example.se", "STORNING_SMTP_PORT": "465",
             "STORNING_SMTP_TLS": "tls"}
        )
    )  # fmt: skip
    assert found is not None
    found.send("a@example.se", "Ämne", "Text")
    [(host, port, context)] = opened
    assert (host, port) == ("smtp.example.se", 465) and context.verify_mode == ssl.CERT_REQUIRED


@pytest.mark.parametrize(
    ("given", "mode"),
    [("", "starttls"), ("true", "starttls"), ("ja", "starttls"), ("false", "off"),
     ("nej", "off"), ("TLS", "tls"), ("off", "off")],
)  # fmt: skip
def test_the_smtp_tls_setting_takes_a_mode_or_the_old_true_and_false(given, mode):
    assert Settings.from_env({"STORNING_SMTP_TLS": given}).smtp_tls == mode


# --- the security page ---------------------------------------------------------------------------


def test_every_test_named_in_docs_security_md_exists():
    import re

    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    named = re.findall(r"`(tests/[\w/]+\.py)::(test_\w+)`", text)
    assert len(named) >= 30
    missing = [
        f"{path}::{name}"
        for path, name in named
        if not re.search(rf"^def {name}\(", (ROOT / path).read_text(encoding="utf-8"), re.M)
    ]
    assert missing == []
