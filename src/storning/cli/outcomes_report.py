"""`storning arsrapport YEAR`: the annual report of eviction prevention as PDF (issue 14)."""

from __future__ import annotations

from pathlib import Path

import click

from storning.cli.base import Ctx, handles_errors, main
from storning.errors import InvalidInput, file_reason
from storning.outcomes import annual


@main.command("arsrapport")
@click.argument("year", type=click.IntRange(2000, 9999))
@click.option(
    "-o",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fil att skriva (standard: arsrapport-ÅR.pdf i aktuell mapp).",
)
@click.option("--team", help="Bara ett teams ärenden.")
@click.pass_obj
@handles_errors
def arsrapport(obj: Ctx, year: int, output: Path | None, team: str | None) -> None:
    """Skriv årsrapporten om vräkningsförebyggande arbete och störningsärenden (PDF): måtten med
    definitioner, diagram och jämförelse med året innan, utan personuppgifter. Räknar de ärenden
    du får läsa.

    Exempel: storning arsrapport 2026 -o arsrapport-2026.pdf --team city
    """
    report = annual.build(obj.app, obj.actor, obj.now, year, team=team or None)
    target, pdf = output or Path(report.filename), report.pdf
    try:  # written only when the report is made: a refused or failed report leaves no file
        target.write_bytes(pdf)
    except OSError as error:
        raise InvalidInput(f"Kan inte skriva filen {target}: {file_reason(error)}.") from None
    click.echo(f"{target} ({len(pdf)} byte).")
