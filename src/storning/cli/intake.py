"""`storning import register|jour` and `storning intake list|attach|dismiss`: the tenancy register,
the night-patrol reports and the intake queue (inkorgen). Thin over `services.register` and
`services.intake`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from storning.cli.base import Ctx, emit, handles_errors, json_option, main
from storning.cli.render import local_minute
from storning.services import intake as intake_service
from storning.services import night_patrol
from storning.services import register as register_service


@main.group("import")
def import_group() -> None:
    """Importera hyresregistret eller störningsjourens rapporter."""


@import_group.command("register")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML-fil som anger vilken kolumn som innehåller vilket fält.",
)
@click.option("--dry-run", is_flag=True, help="Kontrollera och jämför, spara ingenting.")
@json_option
@click.pass_obj
@handles_errors
def import_register(
    obj: Ctx, file: Path, mapping: Path | None, dry_run: bool, as_json: bool
) -> None:
    """Importera hyresregistret från en CSV-fil (allt eller inget; en ny körning ändrar inget).

    Exempel: storning import register hyresgaster.csv --mapping docs/examples/register-mapping.yaml
    """
    show_bar = not as_json and sys.stderr.isatty()
    if show_bar:
        total = max(sum(1 for _ in file.open("rb")) - 1, 0) if file.is_file() else 0
        with click.progressbar(length=total, label="Läser raderna", file=sys.stderr) as bar:
            result = register_service.import_register_file(
                obj.app,
                obj.actor,
                obj.now,
                file,
                mapping_path=mapping,
                dry_run=dry_run,
                progress=bar.update,
            )
    else:
        result = register_service.import_register_file(
            obj.app, obj.actor, obj.now, file, mapping_path=mapping, dry_run=dry_run
        )
    emit(result, as_json, register_text)


def register_text(result: dict[str, Any]) -> str:
    head = "Provkörning – inget sparat. " if result["dry_run"] else ""
    lines = [
        f"{head}{result['rows']} rader: {result['created']} nya, {result['updated']} ändrade, "
        f"{result['unchanged']} oförändrade."
    ]
    for offer in result["moved_out"]:
        refs = ", ".join(c["ref"] for c in offer["cases"])
        lines.append(
            f"Kontrakt {offer['contract']} har utflyttning {offer['move_out']}: öppna ärenden "
            f"{refs} kan avslutas (storning case fire REF tenant_moved)."
        )
    return "\n".join(lines)


@import_group.command("jour")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Kontrollera och matcha, spara ingenting.")
@json_option
@click.pass_obj
@handles_errors
def import_jour(obj: Ctx, file: Path, dry_run: bool, as_json: bool) -> None:
    """Importera störningsjourens rapporter (CSV eller JSON); samma rapport-id importeras en gång.

    Exempel: storning import jour jour-2026-03-02.csv
    """
    result = night_patrol.import_jour_file(obj.app, obj.actor, obj.now, file, dry_run=dry_run)
    emit(result, as_json, jour_text)


def jour_text(result: dict[str, Any]) -> str:
    head = "Provkörning – inget sparat. " if result["dry_run"] else ""
    cases = f" ({', '.join(result['cases'])})" if result["cases"] else ""
    return (
        f"{head}{result['reports']} rapporter: {result['matched']} kopplade till ärenden{cases}, "
        f"{result['queued']} till inkorgen, {result['already_imported']} redan importerade."
    )


@main.group()
def intake() -> None:
    """Inkorgen: jourrapporter och dagboksanteckningar som väntar på en handläggare."""


@intake.command("list")
@click.option(
    "--status",
    default="open",
    show_default=True,
    help="open, attached, opened, dismissed eller all.",
)
@json_option
@click.pass_obj
@handles_errors
def list_items(obj: Ctx, status: str, as_json: bool) -> None:
    """Lista posterna i inkorgen som du får se.

    Exempel: storning intake list --json
    """
    items = intake_service.list_items(obj.app, obj.actor, obj.now, status=status)
    emit(items, as_json, items_text)


def items_text(items: list[dict[str, Any]]) -> str:
    if not items:
        return "Inkorgen är tom."
    lines = []
    for item in items:
        where = item["contract"] or ", ".join(x for x in (item["address"], item["apartment"]) if x)
        text = str(item["payload"].get("text") or "").splitlines()[0:1]
        seen = item["observed_at"] or item["received_at"]
        lines.append(
            f"{item['id']:>6}  {item['kind_label']:<18} {local_minute(seen):<16} "
            f"{where or '–'}  {text[0] if text else ''}  [{item['status_label']}]"
        )
    return "\n".join(lines)


@intake.command("attach")
@click.argument("item_id", type=int)
@click.argument("ref")
@json_option
@click.pass_obj
@handles_errors
def attach(obj: Ctx, item_id: int, ref: str, as_json: bool) -> None:
    """Koppla en post till ett ärende (registreras som en störning i ärendet).

    Exempel: storning intake attach 12 S-2026-0001
    """
    item = intake_service.attach_item(obj.app, obj.actor, obj.now, item_id, ref)
    emit(item, as_json, lambda i: f"Post {i['id']} kopplad till {i['case']}.")


@intake.command("dismiss")
@click.argument("item_id", type=int)
@click.option("--reason", required=True, help="Varför posten avfärdas.")
@json_option
@click.pass_obj
@handles_errors
def dismiss(obj: Ctx, item_id: int, reason: str, as_json: bool) -> None:
    """Avfärda en post med en motivering.

    Exempel: storning intake dismiss 12 --reason "Fel adress, gäller annan hyresvärd"
    """
    item = intake_service.dismiss_item(obj.app, obj.actor, obj.now, item_id, reason)
    emit(item, as_json, lambda i: f"Post {i['id']} avfärdad.")
