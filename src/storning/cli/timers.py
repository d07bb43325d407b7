"""`storning timers …`, `storning reminders`, `storning worker`."""

from __future__ import annotations

from typing import Any

import click

from storning import services
from storning.cli.base import Ctx, emit, handles_errors, json_option, main
from storning.clock import iso
from storning.notifications import deliver_email, mark_read, reminders_for
from storning.timers import run_due


@main.group()
def timers() -> None:
    """Frister och påminnelser."""


@timers.command("list")
@click.option("--due", is_flag=True, help="Bara de som förfaller vid --now.")
@click.option("--all", "everything", is_flag=True, help="Även utförda och avbrutna.")
@click.option("--case", "ref", help="Bara ett ärende.")
@json_option
@click.pass_obj
@handles_errors
def list_timers(obj: Ctx, due: bool, everything: bool, ref: str | None, as_json: bool) -> None:
    """Lista väntande frister och påminnelser i ärenden du får se, förfallna först."""
    rows = services.list_timers(
        obj.app, obj.actor, obj.now, due_only=due, everything=everything, ref=ref, limit=100_000
    )
    emit(rows, as_json, _timer_lines)


def _timer_lines(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "Inga frister."
    return "\n".join(
        f"{r['id']:>5}  {r['case']:<13} {r['due_at'][:16].replace('T', ' ')}  {r['kind']:<8} {r['status']:<9} {r['label']}"
        for r in rows
    )


@timers.command("due")
@json_option
@click.pass_obj
@handles_errors
def due_this_week(obj: Ctx, as_json: bool) -> None:
    """Att göra i dina ärenden denna vecka, som arbetslistan visar det: försenat först (även skickade
    påminnelser vars uppgift inte är gjord), sedan i dag och resten av veckan till och med söndag."""
    emit(services.due_items(obj.app, obj.actor, obj.now), as_json, _due_lines)


WHEN_LABELS = {"overdue": "Försenat", "today": "I dag", "week": "Denna vecka"}


def _due_lines(items: list[dict[str, Any]]) -> str:
    if not items:
        return "Inget att göra denna vecka."
    return "\n".join(
        f"{WHEN_LABELS.get(i['when'], i['when']):<12} {i['due_on']}  {i['ref']:<13} {i['label']}"
        for i in items
    )


@timers.command("run")
@json_option
@click.pass_obj
@handles_errors
def run(obj: Ctx, as_json: bool) -> None:
    """Utför allt som förfaller vid --now och avsluta (som workern gör varje intervall).

    Exempel: storning --now 2026-03-24T08:00 timers run
    """
    result = run_due(obj.app, obj.now)
    sent = deliver_email(obj.app, obj.now)
    data = {
        "fired": result.fired,
        "obsolete": result.obsolete,
        "deferred": result.deferred,
        "emails_sent": sent,
        "now": iso(obj.now, obj.app.zone),
    }
    emit(
        data,
        as_json,
        lambda d: (
            f"Utförda: {d['fired']}, inaktuella: {d['obsolete']}, "
            f"uppskjutna: {d['deferred']}, e-post skickad: {d['emails_sent']}."
        ),
    )


@main.group(invoke_without_command=True)
@click.option("--all", "everything", is_flag=True, help="Även lästa.")
@json_option
@click.pass_context
@handles_errors
def reminders(ctx: click.Context, everything: bool, as_json: bool) -> None:
    """Mina påminnelser (för användaren i --as)."""
    if ctx.invoked_subcommand is not None:
        return
    obj: Ctx = ctx.obj
    rows = reminders_for(obj.app, obj.actor, include_read=everything)
    emit(
        rows,
        as_json,
        lambda rs: (
            "\n".join(f"{r['id']:>5}  {r['at'][:16]}  {r['subject']}" for r in rs)
            or "Inga påminnelser."
        ),
    )


@reminders.command("read")
@click.argument("reminder_id", type=int)
@click.pass_obj
@handles_errors
def read(obj: Ctx, reminder_id: int) -> None:
    """Markera en påminnelse som läst."""
    mark_read(obj.app, obj.actor, reminder_id)
    click.echo(f"Påminnelse {reminder_id} markerad som läst.")


@main.command()
@click.option(
    "--interval", type=int, help="Sekunder mellan körningar (standard STORNING_TIMER_INTERVAL)."
)
@click.pass_obj
@handles_errors
def worker(obj: Ctx, interval: int | None) -> None:
    """Kör schemaläggaren: förfallna frister varje intervall, sammanfattning vardagar 07.00.

    Stoppas snyggt med SIGTERM eller Ctrl-C (pågående omgång avslutas först). Starta så många som
    behövs mot samma databas: de delar på arbetet och varje frist utförs en gång (docs/deploy.md).
    """
    from storning.worker import run_worker

    run_worker(
        obj.app,
        interval or obj.settings.timer_interval,
        fixed_now=obj.now if obj.now_given else None,
    )
