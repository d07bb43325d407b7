"""`storning dagbok|bevis|webhook`: the complainant's diary links, evidence files and the webhooks of
the outbound event feed (issue 16). Thin over `storning.services.diary`, `.evidence` and
`.integrations`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from storning.cli.base import Ctx, emit, handles_errors, json_option, main, write_output
from storning.services import diary, evidence, integrations

CHUNK = 1024 * 1024


def _lines(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> str:
    if not rows:
        return "(inga)"
    return "\n".join(
        "  ".join(str(row.get(k) if row.get(k) is not None else "-") for k in keys) for row in rows
    )


def _pairs(row: dict[str, Any]) -> str:
    return "\n".join(f"{k}: {v}" for k, v in row.items() if v is not None)


# --- dagbok ----------------------------------------------------------------------------------------


@main.group()
def dagbok() -> None:
    """Anmälarens egen störningsdagbok: personliga länkar som kan skickas, listas och återkallas."""


@dagbok.command("link")
@click.argument("ref")
@click.option(
    "--complainant",
    "complainant_id",
    type=int,
    required=True,
    help="Anmälarens nummer (se 'storning case show REF').",
)
@click.option(
    "--days", type=int, help="Hur många dagar länken gäller (standard STORNING_DIARY_DAYS)."
)
@click.option(
    "--delivery",
    type=click.Choice(diary.DELIVERIES),
    default="manual",
    show_default=True,
    help="email: skickas till anmälarens e-post; letter: QR-kod på bekräftelsebrevet.",
)
@json_option
@click.pass_obj
@handles_errors
def link(
    obj: Ctx, ref: str, complainant_id: int, days: int | None, delivery: str, as_json: bool
) -> None:
    """Skapa en personlig dagbokslänk till en anmälare.

    Exempel: storning dagbok link S-2026-0001 --complainant 3 --days 60 --delivery email
    """
    made = diary.issue_link(
        obj.app, obj.actor, obj.now, ref, complainant_id, days=days, delivery=delivery
    )
    emit(made, as_json, _pairs)


@dagbok.command("revoke")
@click.argument("link_id", type=int)
@json_option
@click.pass_obj
@handles_errors
def revoke(obj: Ctx, link_id: int, as_json: bool) -> None:
    """Återkalla en dagbokslänk; den slutar gälla direkt. Exempel: storning dagbok revoke 7"""
    emit(diary.revoke_link(obj.app, obj.actor, obj.now, link_id), as_json, _pairs)


@dagbok.command("list")
@click.argument("ref")
@json_option
@click.pass_obj
@handles_errors
def list_links(obj: Ctx, ref: str, as_json: bool) -> None:
    """Ärendets dagbokslänkar. Exempel: storning dagbok list S-2026-0001"""
    rows = diary.list_links(obj.app, obj.actor, obj.now, ref)
    emit(rows, as_json, lambda r: _lines(r, ("id", "complainant", "status", "expires_at", "url")))


# --- bevis -----------------------------------------------------------------------------------------


@main.group()
def bevis() -> None:
    """Bevisfiler (foton, ljud, PDF, dokument) i ett ärende."""


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


@bevis.command("add")
@click.argument("ref")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--incident", "incident_id", type=int, help="Händelsens nummer i ärendet.")
@click.option("--note", help="En kort anteckning om filen.")
@json_option
@click.pass_obj
@handles_errors
def add(
    obj: Ctx, ref: str, file: Path, incident_id: int | None, note: str | None, as_json: bool
) -> None:
    """Bifoga en bevisfil; typen läses ur innehållet och måste stämma med filnamnet.

    Exempel: storning bevis add S-2026-0001 inspelning.m4a --incident 4
    """
    made = evidence.add_evidence(
        obj.app,
        obj.actor,
        obj.now,
        ref,
        file.name,
        _chunks(file),
        declared_size=file.stat().st_size,
        incident_id=incident_id,
        note=note,
    )
    emit(made, as_json, _pairs)


@bevis.command("list")
@click.argument("ref")
@json_option
@click.pass_obj
@handles_errors
def list_files(obj: Ctx, ref: str, as_json: bool) -> None:
    """Ärendets bevisfiler med storlek och sha256. Exempel: storning bevis list S-2026-0001"""
    rows = evidence.list_evidence(obj.app, obj.actor, obj.now, ref)
    emit(rows, as_json, lambda r: _lines(r, ("id", "filename", "label", "size", "sha256")))


@bevis.command("get")
@click.argument("evidence_id", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.pass_obj
@handles_errors
def get(obj: Ctx, evidence_id: int, output: Path) -> None:
    """Spara en bevisfil (läsningen loggas). Exempel: storning bevis get 3 -o foto.jpg"""
    _meta, data = evidence.get_evidence(obj.app, obj.actor, obj.now, evidence_id)
    write_output(output, data)
    click.echo(f"Sparade {output} ({len(data)} byte).")


# --- webhook ---------------------------------------------------------------------------------------


@main.group()
def webhook() -> None:
    """Webhooks: händelser ut till andra system, signerade med HMAC-SHA256 (administratör)."""


@webhook.command("add")
@click.argument("url")
@click.option("--secret", help="Delad hemlighet (minst 16 tecken); utelämnad skapas en.")
@click.option("--description", help="Vad mottagaren är.")
@click.option("--from-start", is_flag=True, help="Skicka även alla tidigare händelser.")
@json_option
@click.pass_obj
@handles_errors
def webhook_add(
    obj: Ctx, url: str, secret: str | None, description: str | None, from_start: bool, as_json: bool
) -> None:
    """Prenumerera en adress på händelserna; hemligheten visas bara nu.

    Exempel: storning webhook add https://fastighet.example.se/hooks/storning --secret "$HEMLIGHET"
    """
    made = integrations.add_subscription(
        obj.app,
        obj.actor,
        obj.now,
        url,
        secret=secret,
        description=description,
        from_start=from_start,
    )
    emit(made, as_json, _pairs)


@webhook.command("list")
@json_option
@click.pass_obj
@handles_errors
def webhook_list(obj: Ctx, as_json: bool) -> None:
    """Alla webhooks (utan hemligheter)."""
    rows = integrations.list_subscriptions(obj.app, obj.actor, obj.now)
    emit(rows, as_json, lambda r: _lines(r, ("id", "active", "url", "description")))


@webhook.command("remove")
@click.argument("subscription_id", type=int)
@json_option
@click.pass_obj
@handles_errors
def webhook_remove(obj: Ctx, subscription_id: int, as_json: bool) -> None:
    """Sluta skicka till en webhook; olevererade leveranser avbryts."""
    emit(
        integrations.remove_subscription(obj.app, obj.actor, obj.now, subscription_id),
        as_json,
        _pairs,
    )


@webhook.command("deliveries")
@click.option(
    "--status",
    type=click.Choice(integrations.STATUSES),
    help="Bara leveranser med den statusen (dead: de olevererbara).",
)
@json_option
@click.pass_obj
@handles_errors
def webhook_deliveries(obj: Ctx, status: str | None, as_json: bool) -> None:
    """Leveranser, nyaste först. Exempel: storning webhook deliveries --status dead"""
    rows = integrations.list_deliveries(obj.app, obj.actor, obj.now, status=status)
    emit(
        rows,
        as_json,
        lambda r: _lines(r, ("id", "subscription", "event", "status", "attempts", "last_error")),
    )


@webhook.command("redeliver")
@click.argument("delivery_id", type=int)
@json_option
@click.pass_obj
@handles_errors
def webhook_redeliver(obj: Ctx, delivery_id: int, as_json: bool) -> None:
    """Lägg en leverans i kön igen (t.ex. en olevererbar). Exempel: storning webhook redeliver 12"""
    emit(integrations.redeliver(obj.app, obj.actor, obj.now, delivery_id), as_json, _pairs)


@webhook.command("run")
@click.pass_obj
@handles_errors
def webhook_run(obj: Ctx) -> None:
    """Köa och skicka det som är förfallet nu (workern gör det av sig själv)."""
    click.echo(json.dumps(integrations.run_now(obj.app, obj.actor, obj.now)))
