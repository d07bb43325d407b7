"""The `storning` group, the shared context and the error handling every command uses."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

from storning import services
from storning.app import App
from storning.cli import swedish
from storning.clock import parse_instant, system_now
from storning.config import Settings, settings_markdown
from storning.errors import DefinitionError, InvalidInput, StorningError, file_reason

F = TypeVar("F", bound=Callable[..., Any])

swedish.install()  # Click's own messages (usage errors, "Usage:", --help) in Swedish


class Ctx:
    """What every command gets: settings, the time of the operation and the acting user."""

    def __init__(
        self, settings: Settings, now: datetime, actor: str, *, now_given: bool = False
    ) -> None:
        self.settings = settings
        self.now = now
        self.actor = actor
        self.now_given = now_given  # `--now` or STORNING_NOW: long-running commands keep that time
        self._app: App | None = None

    @property
    def app(self) -> App:
        if self._app is None:
            self._app = App.create(self.settings)
        return self._app

    def close(self) -> None:
        if self._app is not None:
            self._app.db.dispose()
            self._app = None

    def instant(self, text: str | None) -> datetime | None:
        return None if text is None else parse_instant(text, self.settings.zone)


def fail(message: str, code: str, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False))
    click.echo(message, err=True)
    sys.exit(1)


def handles_errors(func: F) -> F:
    """Turn a user error into one sentence and exit 1; never a traceback for a user error."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        as_json = bool(kwargs.get("as_json"))
        try:
            return func(*args, **kwargs)
        except DefinitionError as error:
            fail(str(error), error.code, as_json)
        except StorningError as error:
            fail(error.for_cli(), error.code, as_json)
        except SQLAlchemyError as error:
            fail(_database_sentence(error), "database", as_json)
        except OSError as error:  # a file named on the command line (-o in a missing folder …)
            where = f" {error.filename}" if error.filename else ""
            fail(f"Filen{where} gick inte att använda: {file_reason(error)}.", "file", as_json)

    return wrapper  # type: ignore[return-value]


def write_output(path: Path, data: bytes | str) -> None:
    """Write a file named on the command line; a file that cannot be written is one Swedish sentence
    naming it (the operating system's error may not name it)."""
    try:
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
    except OSError as error:
        raise InvalidInput(f"Kan inte skriva filen {path}: {file_reason(error)}.") from None


def _database_sentence(error: SQLAlchemyError) -> str:
    """One sentence for a database that cannot be used as it is (missing, old schema, unreachable)."""
    if isinstance(error, OperationalError | ProgrammingError) and (
        "no such" in str(error) or "does not exist" in str(error)
    ):
        return (
            "Databasen har inte det schema den här versionen behöver; kör 'storning init' för att "
            "skapa eller uppgradera den."
        )
    return (
        "Databasen gick inte att använda; kontrollera --db (STORNING_DB) och att databasen är "
        "igång, och kör 'storning init' om den är ny."
    )


def emit(data: Any, as_json: bool, human: Callable[[Any], str]) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(human(data))


json_option = click.option(
    "--json", "as_json", is_flag=True, help="Skriv ett JSON-dokument till stdout."
)


@click.group()
@click.option("--db", envvar="STORNING_DB", help="Databas-URL (standard: sqlite:///storning.db).")
@click.option("--now", "now_text", envvar="STORNING_NOW", help="Tidpunkt för kommandot (ISO 8601).")
@click.option(
    "--as", "actor", envvar="STORNING_USER", help="Användare att agera som (standard: admin)."
)
@click.pass_context
def main(ctx: click.Context, db: str | None, now_text: str | None, actor: str | None) -> None:
    """Storning – störningsärenden och vräkningsförebyggande arbete."""
    try:
        settings = Settings.from_env()
        if db:
            settings = _replace(settings, db_url=db)
        now = parse_instant(now_text, settings.zone) if now_text else system_now()
    except StorningError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    ctx.obj = Ctx(settings, now, actor or "admin", now_given=bool(now_text))
    ctx.call_on_close(ctx.obj.close)


def _replace(settings: Settings, **changes: Any) -> Settings:
    from dataclasses import replace

    return replace(settings, **changes)


@main.command()
@click.pass_obj
@handles_errors
def init(obj: Ctx) -> None:
    """Skapa eller uppgradera databasen och läs in arbetsflödena.

    Exempel: storning --db sqlite:///storning.db init
    """
    # a migration may rewrite a large table: no statement timeout (the connect timeout stays)
    obj.settings = _replace(obj.settings, db_statement_timeout=0)
    before, newest = services.schema_revisions(obj.app)
    for workflow_id, version, status in services.init_database(obj.app, obj.now):
        click.echo(f"{workflow_id} version {version}: {status}")
    if before is None:
        click.echo(f"Schemat skapades (version {newest}).")
    elif before != newest:
        click.echo(f"Schemat uppgraderades från version {before} till {newest}.")
    else:
        click.echo(f"Schemat är redan det senaste (version {newest}).")
    click.echo(f"Databasen är klar: {obj.settings.db_url}")


@main.command()
@click.option("--markdown", is_flag=True, help="Skriv tabellen som Markdown (docs/settings.md).")
def settings(markdown: bool) -> None:
    """Visa alla inställningar (miljövariabler) med standardvärden."""
    if markdown:
        click.echo(settings_markdown(), nl=False)
        return
    current = Settings.from_env()
    click.echo(
        f"Databas: {current.db_url}\nTidszon: {current.zone.key}\nArbetsflöden: {current.workflows_dir}"
    )


@main.command()
@click.pass_obj
@handles_errors
def demo(obj: Ctx) -> None:
    """Läs in demodata: handläggare och ett dussin ärenden i olika lägen (om databasen är tom)."""
    from storning import services
    from storning.demo import DEMO_PASSWORD, DEMO_USERS, load_demo

    services.init_database(obj.app, obj.now)
    refs = load_demo(obj.app, obj.now)
    if not refs:
        click.echo("Databasen har redan ärenden; ingen demodata lades till.")
        return
    click.echo(f"{len(refs)} demoärenden: {', '.join(refs)}")
    users = ", ".join(u[0] for u in DEMO_USERS)
    click.echo(f"Demoanvändare: {users} (lösenord: {DEMO_PASSWORD})")
