"""`storning serve`: the web pages and the JSON API (uvicorn), with the scheduler in the same process.

With `--workers N` (N > 1) uvicorn starts N web processes on the same address; each builds its own
application with `storning.web.asgi:create_from_environment` from the settings this command resolved
(passed on as `STORNING_DB` and `STORNING_NOW`). The web processes then run no scheduler: due timers,
e-mail and the digest are `storning worker`'s (any number of them; docs/deploy.md).
"""

from __future__ import annotations

import inspect
import os
from typing import Any

import click

from storning.cli.base import Ctx, handles_errors, main

FACTORY = "storning.web.asgi:create_from_environment"
MAX_WORKERS = 64
# How long uvicorn's supervisor waits for a web process to answer its health check (starting one
# imports the whole application; uvicorn's own 5 s kills and restarts it over and over on a busy host).
HEALTHCHECK_SECONDS = 30


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Adress att lyssna på.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, MAX_WORKERS),
    help="Antal webbprocesser på samma adress; fler än 1 kör inga frister (starta 'storning worker').",
)
@click.option("--demo", is_flag=True, help="Skapa databasen och läs in demodata om den är tom.")
@click.option("--no-worker", is_flag=True, help="Kör inte frister och påminnelser i denna process.")
@click.pass_obj
@handles_errors
def serve(obj: Ctx, host: str, port: int, workers: int, demo: bool, no_worker: bool) -> None:
    """Starta webbgränssnittet och API:t.

    Exempel: storning --db sqlite:///storning.db serve --demo --port 8000

    Flera processer: storning serve --workers 4 --no-worker, och 'storning worker' separat
    (se docs/deploy.md).
    """
    import uvicorn

    from storning.clock import system_now
    from storning.web.app import create_app

    app = obj.app
    fixed = obj.now if obj.now_given else None
    clock = (lambda: fixed) if fixed is not None else system_now
    if demo:
        _load_demo(obj)
    else:
        _require_initialised(obj)
    if workers > 1:
        _require_shared_database(obj)
    # Built here also with several workers: a bad setting or a missing session key stops the command
    # with one sentence before any process starts (and the key is made once, by this process).
    asgi = create_app(app, clock=clock)
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    click.echo(f"Storning körs på {url}  (avsluta med Ctrl+C)")
    if workers > 1:
        click.echo(
            f"{workers} webbprocesser. Frister, påminnelser och e-post körs inte i webbprocesserna: "
            "starta 'storning worker' (en eller flera) mot samma databas."
        )
        _pass_settings_on(obj)
        app.db.dispose()  # each web process opens its own connections
        # The client address is the web's own business (STORNING_TRUSTED_PROXIES): uvicorn must
        # not rewrite it from X-Forwarded-For, which it would by default for a peer on 127.0.0.1.
        uvicorn.run(
            FACTORY,
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level="info",
            proxy_headers=False,
            **_healthcheck_option(uvicorn),
        )
        return
    scheduler = None
    if not no_worker:
        from storning.web.background import start_scheduler

        scheduler = start_scheduler(app, obj.settings.timer_interval, clock)
        click.echo(f"Frister och påminnelser körs var {obj.settings.timer_interval}:e sekund.")
    try:
        # (as above: proxy headers are the web's own business)
        uvicorn.run(asgi, host=host, port=port, log_level="info", proxy_headers=False)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=True)


def _healthcheck_option(uvicorn: Any) -> dict[str, Any]:
    """`timeout_worker_healthcheck`, in the uvicorn versions that have it."""
    accepted = inspect.signature(uvicorn.Config).parameters
    if "timeout_worker_healthcheck" in accepted:
        return {"timeout_worker_healthcheck": HEALTHCHECK_SECONDS}
    return {}


def _pass_settings_on(obj: Ctx) -> None:
    """Hand the settings this command resolved (`--db`, `--now`) to the web processes uvicorn starts,
    through their environment: each reads its settings with `Settings.from_env` (an empty time means
    the system clock)."""
    resolved = {
        "STORNING_DB": obj.settings.db_url,
        "STORNING_NOW": obj.now.isoformat() if obj.now_given else "",
    }
    os.environ.update(resolved)


def _require_shared_database(obj: Ctx) -> None:
    """Several web processes need one database they can all use: PostgreSQL, or an SQLite file in
    WAL mode on this machine (not an in-memory database, nor a file system without WAL)."""
    from sqlalchemy import text

    from storning.errors import InvalidInput

    if not obj.app.db.is_sqlite:
        return
    with obj.app.db.engine.connect() as conn:
        mode = str(conn.execute(text("PRAGMA journal_mode")).scalar() or "").lower()
    if mode != "wal":
        raise InvalidInput(
            f"Flera webbprocesser (--workers) kräver PostgreSQL eller en SQLite-fil i WAL-läge på "
            f"den här datorn; {obj.settings.db_url} är i läget '{mode or 'okänt'}'. Kör med "
            "--workers 1 eller byt till PostgreSQL (se docs/deploy.md)."
        )


def _load_demo(obj: Ctx) -> None:
    from storning import services
    from storning.demo import DEMO_PASSWORD, DEMO_USERS, load_demo

    services.init_database(obj.app, obj.now)
    refs = load_demo(obj.app, obj.now)
    if refs:
        click.echo(f"Demodata: {len(refs)} ärenden ({refs[0]} … {refs[-1]}).")
    else:
        click.echo("Databasen har redan ärenden; ingen demodata lades till.")
    click.echo(f"Logga in som {', '.join(u[0] for u in DEMO_USERS)} med lösenordet {DEMO_PASSWORD}")
    for username, name, roles, team, _boss, _email in DEMO_USERS:
        click.echo(f"  {username:<6} {name:<12} {', '.join(roles):<20} team {team}")


def _require_initialised(obj: Ctx) -> None:
    from sqlalchemy import inspect

    from storning.errors import InvalidInput

    if not inspect(obj.app.db.engine).has_table("workflow_versions"):
        raise InvalidInput(
            f"Databasen {obj.settings.db_url} är inte skapad; kör 'storning init' "
            "(eller 'storning serve --demo')."
        )
