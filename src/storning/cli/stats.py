"""`storning stats`: the measures of eviction prevention (issue 14) as a table, CSV, XLSX or JSON."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from storning.cli.base import Ctx, handles_errors, main, write_output
from storning.services import outcomes
from storning.vocabulary import CASE_TYPES

FORMATS = ("table", "csv", "xlsx", "json")


@main.command("stats")
@click.option("--from", "start", help="Periodens första dag, ÅÅÅÅ-MM-DD (standard: 1 januari).")
@click.option("--to", "end", help="Periodens sista dag, ÅÅÅÅ-MM-DD (standard: i dag).")
@click.option("--team", help="Bara ett team.")
@click.option("--type", "case_type", type=click.Choice(list(CASE_TYPES)), help="Bara en ärendetyp.")
@click.option("--owner", help="Bara en handläggares ärenden (användarnamn).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option(
    "--cases",
    "table_cases",
    is_flag=True,
    help="CSV: ärendena bakom måtten i stället för måtten (utan uppgifter om anmälare).",
)
@click.option("--measure", help="Bara ärendena bakom ett mått (t.ex. evictions).")
@click.option("--value", help="Med --measure: bara ärendena bakom ett av måttets värden.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Skriv till filen (krävs för xlsx).",
)
@click.option("--json", "as_json", is_flag=True, help="Samma som --format json.")
@click.pass_obj
@handles_errors
def stats(
    obj: Ctx,
    start: str | None,
    end: str | None,
    team: str | None,
    case_type: str | None,
    owner: str | None,
    fmt: str,
    table_cases: bool,
    measure: str | None,
    value: str | None,
    output: Path | None,
    as_json: bool,
) -> None:
    """Mått för vräkningsförebyggande arbete och störningsärenden, för de ärenden du får se.

    Exempel: storning stats --from 2026-01-01 --to 2026-12-31 --team norr --format xlsx -o matt.xlsx
    """
    if as_json:
        fmt = "json"
    if value is not None and measure is None:
        raise click.UsageError("--value används bara med --measure.")
    if fmt == "xlsx" and output is None:
        raise click.UsageError("Ange en fil med -o när formatet är xlsx.")
    flt = outcomes.filter_from(
        obj.app, obj.now, start=start, end=end, team=team, case_type=case_type, owner=owner
    )
    if fmt == "table":
        result = outcomes.stats(obj.app, obj.actor, obj.now, flt)
        _write(_table(result), output)
        return
    exported = outcomes.export(
        obj.app,
        obj.actor,
        obj.now,
        flt,
        fmt,
        table="cases" if table_cases else "measures",
        measure=measure,
        value=value,
    )
    if output is not None:
        write_output(output, exported.content)
        click.echo(f"Skrev {output} ({len(exported.content)} byte).", err=True)
    else:
        sys.stdout.buffer.write(exported.content)
        sys.stdout.flush()


def _write(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text)
    else:
        write_output(output, text + "\n")


def _table(result: Any) -> str:
    f = result.filter
    scope = ", ".join(
        x
        for x in (
            f"team {f.team}" if f.team else "",
            CASE_TYPES.get(f.case_type or "", "") if f.case_type else "",
            f"handläggare {f.owner}" if f.owner else "",
        )
        if x
    )
    lines = [f"Mått {f.start} – {f.end}" + (f" ({scope})" if scope else "")]
    for m in result.measures:
        lines.append("")
        lines.append(f"{m.label}")
        if not m.values:
            lines.append("  (inga värden)")
        for v in m.values:
            shown = "–" if v.value is None else _number(v.value, m.unit)
            n = f"  (underlag {v.n})" if v.n is not None else ""
            lines.append(f"  {v.label:<50} {shown:>10}{n}")
    return "\n".join(lines)


def _number(value: float | int, unit: str) -> str:
    if unit == "share":
        return f"{value * 100:.1f} %".replace(".", ",")
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}".replace(".", ",")
    return f"{int(value)}"
