"""`storning workflow …`."""

from __future__ import annotations

from pathlib import Path

import click

from storning.cli.base import Ctx, handles_errors, main
from storning.definitions import load_directory, load_file
from storning.definitions.graph import render_graph
from storning.errors import DefinitionError


@main.group()
def workflow() -> None:
    """Arbetsflödesdefinitioner (YAML)."""


@workflow.command("list")
@click.pass_obj
@handles_errors
def list_workflows(obj: Ctx) -> None:
    """Lista arbetsflödena i mappen och i databasen."""
    for wf in load_directory(obj.settings.workflows_dir, obj.settings.letters_dir):
        states = sum(len(t.states) for t in wf.tracks.values())
        events = sum(len(t.transitions) for t in wf.tracks.values())
        click.echo(
            f"{wf.id:<12} version {wf.version:<3} {wf.title} ({states} lägen, {events} övergångar)"
            f"  {wf.source_file}"
        )


@workflow.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_obj
@handles_errors
def check(obj: Ctx, paths: tuple[Path, ...]) -> None:
    """Kontrollera definitioner; varje fel anges med fil, rad och sökväg.

    Exempel: storning workflow check workflows/storning.yaml
    """
    files = list(paths) or sorted(obj.settings.workflows_dir.glob("*.yaml"))
    problems: list[str] = []
    for path in files:
        try:
            wf = load_file(path, obj.settings.letters_dir)
            click.echo(f"{path}: OK ({wf.id} version {wf.version})")
        except DefinitionError as error:
            problems.extend(error.problems)
    if problems:
        raise DefinitionError(problems)


@workflow.command("graph")
@click.argument("workflow_id")
@click.option("--track", type=click.Choice(["legal", "authority", "customer"]))
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot", "svg"]), default="mermaid")
@click.pass_obj
@handles_errors
def graph(obj: Ctx, workflow_id: str, track: str | None, fmt: str) -> None:
    """Rita ett arbetsflöde som Mermaid, Graphviz dot eller SVG."""
    for wf in load_directory(obj.settings.workflows_dir, obj.settings.letters_dir):
        if wf.id == workflow_id:
            click.echo(render_graph(wf, track, fmt))
            return
    raise click.UsageError(f"Okänt arbetsflöde '{workflow_id}'.")


@workflow.command("migrate")
@click.argument("case_type")
@click.option("--apply", is_flag=True, help="Utför flytten (utan flaggan: bara en provkörning).")
@click.pass_obj
@handles_errors
def migrate(obj: Ctx, case_type: str, apply: bool) -> None:
    """Flytta öppna ärenden till den nyaste versionen där alla lägen finns kvar (provkör först).

    Exempel: storning workflow migrate storning        (provkörning)
             storning workflow migrate storning --apply
    """
    from storning import services

    result = services.migrate_cases(obj.app, obj.actor, obj.now, case_type, apply=apply)
    verb = "Flyttade" if apply else "Kan flyttas"
    click.echo(
        f"{verb} till version {result['to_version']}: {', '.join(result['movable']) or 'inga'}"
    )
    for item in result["blocked"]:
        click.echo(
            f"Kan inte flyttas: {item['ref']} (lägen saknas: {', '.join(item['unmapped_states'])})"
        )
