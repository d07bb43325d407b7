"""`storning accesslog`, `storning registerutdrag` and `storning utlamna`: who read what, access
requests (GDPR art. 15) and the redacted release of a case file (OSL 2 kap. 3 §).

Thin over `services.privacy`, which decides who may (the privacy officer `dataskydd` and the
administrator for every case, a chef for the own team's) and writes the access log.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from storning.cli.base import Ctx, emit, handles_errors, json_option, main, write_output
from storning.services import privacy


@main.command("accesslog")
@click.option("--case", "ref", help="Bara läsningar av detta ärende (vem har läst ärendet).")
@click.option("--user", help="Bara det en användare har gjort.")
@click.option("--from", "start", help="Första dag (ÅÅÅÅ-MM-DD).")
@click.option("--to", "end", help="Sista dag (ÅÅÅÅ-MM-DD), inklusive.")
@click.option("--action", help="Bara en åtgärd, t.ex. case_view, letter_pdf, report, extract.")
@click.option("--limit", type=int, default=1000, show_default=True, help="Högst så många rader.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Tabell, CSV (semikolon) eller JSON.",
)
@json_option
@click.pass_obj
@handles_errors
def accesslog(
    obj: Ctx,
    ref: str | None,
    user: str | None,
    start: str | None,
    end: str | None,
    action: str | None,
    limit: int,
    fmt: str,
    as_json: bool,
) -> None:
    """Åtkomstloggen: vem har läst eller exporterat vad, och när (nyast först).

    Dataskyddsombud och administratörer ser allt, chefer sitt teams ärenden. Exempel:
    storning --as carl accesslog --case S-2026-0001 --from 2026-03-01 --format csv
    """
    query = privacy.LogQuery(ref=ref, user=user, start=start, end=end, action=action, limit=limit)
    if as_json:
        fmt = "json"
    if fmt == "csv":
        click.echo(privacy.access_log_csv(obj.app, obj.actor, obj.now, query), nl=False)
        return
    result = privacy.read_access_log(obj.app, obj.actor, obj.now, query)
    emit(result, fmt == "json", _log_text)


def _log_text(result: dict[str, Any]) -> str:
    rows = result["rows"]
    if not rows:
        return f"Inga rader i åtkomstloggen ({result['scope']})."
    lines = [f"{'Tid':<20} {'Användare':<14} {'Ärende':<13} Åtgärd"]
    for row in rows:
        when = (row["at"] or "")[:16].replace("T", " ")
        detail = f" – {row['detail']}" if row["detail"] else ""
        lines.append(
            f"{when:<20} {row['actor']:<14} {row['case'] or '–':<13} {row['label']}{detail}"
        )
    if result["truncated"]:
        lines.append("(fler rader finns; ange --limit eller en kortare period)")
    return "\n".join(lines)


@main.command("registerutdrag")
@click.argument("who")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="PDF-fil.")
@json_option
@click.pass_obj
@handles_errors
def registerutdrag(obj: Ctx, who: str, output: Path | None, as_json: bool) -> None:
    """Registerutdrag (art. 15 GDPR) för en person: namn eller personnummer.

    Alla ärenden där personen är hyresgäst, medhyresgäst eller anmälare, med personens egna
    uppgifter; andra personers uppgifter (t.ex. anmälare) ingår aldrig. Exempel:
    storning --as dpo registerutdrag "19850312-1231" -o utdrag.pdf
    """
    if output is not None:
        pdf = privacy.register_extract_pdf(obj.app, obj.actor, obj.now, who)
        write_output(output, pdf)
        if not as_json:
            click.echo(f"Registerutdraget är sparat i {output}.")
            return
    document = privacy.register_extract(obj.app, obj.actor, obj.now, who)
    emit(document, as_json, _extract_text)


def _extract_text(document: dict[str, Any]) -> str:
    lines = [document["summary"], document["scope"]]
    for case in document["cases"]:
        roles = ", ".join(case["role_labels"]).lower()
        lines.append(f"  {case['ref']} ({case['type_label']}, {case['status'].lower()}): {roles}")
    for row in document.get("register", []):
        roles = ", ".join(row["role_labels"]).lower()
        moved = f", utflyttning {row['move_out']}" if row.get("move_out") else ""
        lines.append(
            f"  Hyresregistret, kontrakt {row['contract']}: {roles}, {row['address']}, "
            f"lgh {row['apartment']}{moved}"
        )
    for item in document.get("intake", []):
        case = f", ärende {item['case']}" if item.get("case") else ""
        lines.append(
            f"  Inkorgen, {item['kind_label'].lower()} {item['when']}: "
            f"{item['incident_kind'].lower()}, {item['status_label'].lower()}{case}"
        )
    if document.get("name_note"):
        lines.append(document["name_note"])
    if document.get("review_note"):
        lines.append(document["review_note"])
    return "\n".join(lines)


@main.command("utlamna")
@click.argument("ref")
@click.option("--request", "request_ref", help="Begärans diarienummer eller referens.")
@click.option(
    "--mask",
    "masks",
    multiple=True,
    help="Maskera även detta fält (kan upprepas), med grund: FÄLT=osl_21_3 (standard: förslagets).",
)
@click.option("--unmask", "unmasks", multiple=True, help="Maskera inte detta föreslagna fält.")
@click.option("--proposal", is_flag=True, help="Visa bara fälten och förslaget till maskering.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="PDF-fil.")
@json_option
@click.pass_obj
@handles_errors
def utlamna(
    obj: Ctx,
    ref: str,
    request_ref: str | None,
    masks: tuple[str, ...],
    unmasks: tuple[str, ...],
    proposal: bool,
    output: Path | None,
    as_json: bool,
) -> None:
    """Lämna ut en ärendesammanställning som allmän handling med sekretessuppgifter maskerade.

    Förslaget (skyddade anmälare, kontaktuppgifter, personnummer, känsliga fritexter) gäller om du
    inte ändrar det; texten i maskerade fält finns inte i PDF:en. Exempel:
    storning --as carl utlamna S-2026-0001 --proposal
    storning --as carl utlamna S-2026-0001 --request "Dnr 2026/17" --mask incident.4.text -o ut.pdf
    """
    offered = privacy.release_proposal(obj.app, obj.actor, obj.now, ref)
    if proposal:
        emit(offered, as_json, _proposal_text)
        return
    if not request_ref or output is None:
        raise click.UsageError("Ange --request och -o FIL.pdf (eller --proposal för förslaget).")
    chosen = {f["field"]: f["reason"] for f in offered["fields"] if f["proposed"]}
    for name in unmasks:
        chosen.pop(name.strip(), None)
    for item in masks:
        name, _sep, reason = item.partition("=")
        default = next((f["reason"] for f in offered["fields"] if f["field"] == name), None)
        chosen[name.strip()] = reason.strip() or default or "osl_21_7"
    result = privacy.release_case(obj.app, obj.actor, obj.now, ref, request_ref, chosen)
    write_output(output, result.pdf)
    summary = {
        "id": result.id,
        "ref": result.ref,
        "file": str(output),
        "sha256": result.sha256,
        "masked": result.masked,
    }
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        click.echo(
            f"Utlämnande {result.id} av {result.ref} sparat i {output}: "
            f"{len(result.masked)} fält maskerade."
        )


def _proposal_text(offered: dict[str, Any]) -> str:
    lines = [f"Fält i {offered['ref']} (x = föreslås maskeras, ! = måste maskeras):"]
    for f in offered["fields"]:
        mark = "!" if f["locked"] else ("x" if f["proposed"] else " ")
        reason = f"  [{f['reason']}]" if f["reason"] else ""
        lines.append(f"  [{mark}] {f['field']:<28} {f['label']}{reason}")
    lines.append("Grunder: " + "; ".join(f"{k} = {v}" for k, v in offered["reasons"].items()))
    return "\n".join(lines)
