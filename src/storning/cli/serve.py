"""`storning serve`: the web pages and the JSON API (uvicorn), with the scheduler in the same process."""

from __future__ import annotations

import click

from storning.cli.base import Ctx, handles_errors, main


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Adress att lyssna på.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--demo", is_flag=True, help="Skapa databasen och läs in demodata om den är tom.")
@click.option("--no-worker", is_flag=True, help="Kör inte frister och påminnelser i denna process.")
@click.pass_obj
@handles_errors
def serve(obj: Ctx, host: str, port: int, demo: bool, no_worker: bool) -> None:
    """Starta webbgränssnittet och API:t.

    Exempel: storning --db sqlite:///storning.db serve --demo --port 8000
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
    asgi = create_app(app, clock=clock)
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    click.echo(f"Storning körs på {url}  (avsluta med Ctrl+C)")
    scheduler = None
    if not no_worker:
        from storning.web.background import start_scheduler

        scheduler = start_scheduler(app, obj.settings.timer_interval, clock)
        click.echo(f"Frister och påminnelser körs var {obj.settings.timer_interval}:e sekund.")
    try:
        # The client address is the web's own business (STORNING_TRUSTED_PROXIES): uvicorn must not
        # rewrite it from X-Forwarded-For, which it would by default for a peer on 127.0.0.1.
        uvicorn.run(asgi, host=host, port=port, log_level="info", proxy_headers=False)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=True)


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
