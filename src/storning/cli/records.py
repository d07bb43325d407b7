"""`storning case hold|release-hold` and `storning gallra`: legal holds and the gallring run.

The rules (who may hold a case, what is due, what is erased) are the services'
(`storning.services.retention`); these commands only translate.
"""

from __future__ import annotations

from typing import Any

import click

from storning.cli.base import Ctx, emit, handles_errors, json_option, main
from storning.cli.cases import case
from storning.cli.render import case_text
from storning.services import retention


def _placed_text(doc: dict[str, Any]) -> str:
    hold = (doc.get("records") or {}).get("hold") or {}
    head = (
        f"Gallringsspärr lagd på {doc['ref']}: {hold.get('reason', '')}. "
        "Ärendet gallras inte förrän spärren hävs."
    )
    return head + "\n\n" + case_text(doc)


def _lifted_text(doc: dict[str, Any]) -> str:
    head = f"Gallringsspärren på {doc['ref']} är hävd; ärendet gallras enligt gallringsreglerna."
    if (doc.get("records") or {}).get("dispute_hold"):
        head += " (Det gallras ändå inte medan tvisten pågår.)"
    return head + "\n\n" + case_text(doc)


@case.command("hold")
@click.argument("ref")
@click.option("--reason", required=True, help="Varför ärendet inte får gallras (t.ex. en tvist).")
@json_option
@click.pass_obj
@handles_errors
def hold(obj: Ctx, ref: str, reason: str, as_json: bool) -> None:
    """Lägg en gallringsspärr på ett ärende (chef eller administratör): gallringen hoppar över det
    tills spärren hävs.

    Exempel: storning case hold S-2026-0001 --reason "Tvist i tingsrätten, mål T 123-26"
    """
    emit(retention.place_hold(obj.app, obj.actor, obj.now, ref, reason), as_json, _placed_text)


@case.command("release-hold")
@click.argument("ref")
@json_option
@click.pass_obj
@handles_errors
def release_hold(obj: Ctx, ref: str, as_json: bool) -> None:
    """Häv ett ärendes gallringsspärr (vem och när sparas).

    Exempel: storning case release-hold S-2026-0001
    """
    emit(retention.release_hold(obj.app, obj.actor, obj.now, ref), as_json, _lifted_text)


@main.command()
@click.option("--dry-run", is_flag=True, help="Visa vad som skulle gallras, utan att ändra något.")
@json_option
@click.pass_obj
@handles_errors
def gallra(obj: Ctx, dry_run: bool, as_json: bool) -> None:
    """Gallra personuppgifter i avslutade ärenden vars bevarandetid har gått ut
    (workflows/gallring/policy.yaml); workern gör det varje natt.

    Exempel: storning gallra --dry-run
    """
    emit(retention.gallra(obj.app, obj.actor, obj.now, dry_run=dry_run), as_json, gallring_text)


def gallring_text(result: dict[str, Any]) -> str:
    """The run (or dry run) as a log an officer or auditor reads."""
    dry = result["dry_run"]
    lines = [
        ("Provkörning av gallring" if dry else f"Gallring nr {result['run']}")
        + f" {result['at'][:16].replace('T', ' ')}",
        f"Beslut: {result['decision']}",
        f"Regler: {result['policy']} (sha256 {result['policy_sha256'][:12]}…)",
        "",
    ]
    cases = result["due"] if dry else result["erased"]
    lines.append(("Gallras" if dry else "Gallrade") + f" ({len(cases)} ärenden):")
    for item in cases:
        lines.append(
            f"  {item['ref']:<16} {item['case_type']:<11} avslutat {item['closed_at']}  "
            f"regel {item['rule']}, bevaras till {item['retention_end']}  – {item['decision']}"
        )
    if result["held"]:
        lines.append(f"Sparas trots att tiden gått ut ({len(result['held'])} ärenden):")
        for item in result["held"]:
            why = "gallringsspärr" if item["held"] == "hold" else "pågående tvist"
            lines.append(f"  {item['ref']:<16} {why}")
    if dry:
        lines.append(
            f"Rader i åtkomstloggen att radera: {result['access_log_expired']}; "
            f"aviseringar att radera: {result['outbox_expired']}; "
            f"poster i inkorgen (aldrig kopplade till ärende) att gallra: {result['intake_expired']}"
        )
        if result["unruled_types"]:
            types = ", ".join(result["unruled_types"])
            lines.append(f"Ärendetyper utan gallringsregel (gallras aldrig): {types}")
    else:
        counts = ", ".join(f"{k} {v}" for k, v in result["counts"].items()) or "inget"
        lines.append(f"Antal: {counts}")
    return "\n".join(lines)
