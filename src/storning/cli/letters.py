"""`storning letter …`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import click

from storning import services
from storning.cli.base import Ctx, emit, handles_errors, json_option, main
from storning.cli.render import letter_rows
from storning.errors import InvalidInput, file_reason
from storning.letters.records import SENDING_METHODS

LETTER_ID = click.IntRange(1, 2**31 - 1)


@contextmanager
def _writable(path: Path) -> Iterator[BinaryIO]:
    """Open the output file first, so a bad path is one clear error and nothing half-done is kept."""
    try:
        handle = path.open("wb")
    except OSError as error:
        raise InvalidInput(f"Kan inte skriva filen {path}: {file_reason(error)}.") from None
    try:
        yield handle
    except BaseException:
        handle.close()
        path.unlink(missing_ok=True)
        raise
    handle.close()


@main.group()
def letter() -> None:
    """Brev: lista, hämta PDF, markera som skickade och delgivna."""


@letter.command("list")
@click.argument("ref")
@json_option
@click.pass_obj
@handles_errors
def list_letters(obj: Ctx, ref: str, as_json: bool) -> None:
    """Lista ärendets brev, äldst först."""
    emit(services.list_letters(obj.app, obj.actor, obj.now, ref), as_json, letter_rows)


@letter.command("sent")
@click.argument("letter_id", type=LETTER_ID)
@click.option("--method", type=click.Choice(list(SENDING_METHODS)), required=True)
@click.option("--at", "at_text", help="När brevet skickades (standard: --now).")
@click.option("--delivered-on", help="Dag då mottagaren fick brevet, om känd.")
@click.option(
    "--all-from-step",
    is_flag=True,
    help="Markera också de andra ej skickade breven från samma steg (t.ex. uppmaningen och "
    "underrättelsen till socialnämnden), samma dag och sätt; alla eller inget.",
)
@json_option
@click.pass_obj
@handles_errors
def sent(
    obj: Ctx,
    letter_id: int,
    method: str,
    at_text: str | None,
    delivered_on: str | None,
    all_from_step: bool,
    as_json: bool,
) -> None:
    """Markera ett brev som skickat; ett utkast upprättas (PDF) först.

    Exempel: storning letter sent 3 --method rekommenderat --at 2026-03-02

    Med --all-from-step markeras alla ej skickade brev som skapades i samma steg som brevet:
    storning letter sent 2 --all-from-step --method rekommenderat
    """
    if all_from_step:
        if delivered_on:
            raise click.UsageError(
                "--delivered-on gäller ett brev; registrera mottagningsdagen per brev med "
                "'storning letter delivered'."
            )
        letters = services.mark_step_letters_sent(
            obj.app, obj.actor, obj.now, letter_id, method=method, at=at_text
        )
        emit(letters, as_json, _sent_lines)
        return
    result = services.mark_letter_sent(
        obj.app,
        obj.actor,
        obj.now,
        letter_id,
        method=method,
        at=at_text,
        delivered_on=delivered_on or None,
    )
    emit(
        result, as_json, lambda d: f"Brev {d['id']} ({d['template']}) skickat {d['sent_at'][:10]}."
    )


def _sent_lines(letters: list[dict[str, Any]]) -> str:
    lines = []
    for d in letters:
        to = f", till {d['to']}" if d.get("to") else ""
        lines.append(f"Brev {d['id']} ({d['template']}{to}) skickat {d['sent_at'][:10]}.")
    return "\n".join(lines)


@letter.command("served")
@click.argument("letter_id", type=LETTER_ID)
@click.option("--at", "at_text", required=True, help="Dag för delgivningen.")
@click.option("--proof", help="Bevis, t.ex. delgivningskvitto eller stämningsmannens intyg.")
@json_option
@click.pass_obj
@handles_errors
def served(obj: Ctx, letter_id: int, at_text: str, proof: str | None, as_json: bool) -> None:
    """Registrera att ett brev delgivits (innebär att det också är skickat)."""
    result = services.mark_letter_served(
        obj.app, obj.actor, obj.now, letter_id, at=at_text, proof=proof
    )
    emit(
        result,
        as_json,
        lambda d: f"Brev {d['id']} ({d['template']}) delgivet {d['served_at'][:10]}.",
    )


@letter.command("pdf")
@click.argument("letter_id", type=LETTER_ID)
@click.option("-o", "output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.pass_obj
@handles_errors
def pdf(obj: Ctx, letter_id: int, output: Path) -> None:
    """Skriv brevets PDF till en fil. Ett utkast visas som det skulle se ut i dag; brevet låses
    (och ändras sedan aldrig) när det markeras som skickat eller delgivet."""
    with _writable(output) as handle:
        result = services.letter_pdf(obj.app, obj.actor, obj.now, letter_id)
        handle.write(result.data)
    state = "" if result.issued else " Utkast: brevet låses när det markeras som skickat."
    click.echo(f"{output} ({len(result.data)} byte, sha256 {result.sha256[:16]}…).{state}")


@main.command()
@click.argument("ref")
@click.option("-o", "output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option(
    "--disclose", is_flag=True, help="Ta med anmälarnas namn (för domstol/ombud; journalförs)."
)
@click.pass_obj
@handles_errors
def report(obj: Ctx, ref: str, output: Path, disclose: bool) -> None:
    """Skriv ärendets sammanställda störningsrapport (PDF) för hyresnämnd, domstol eller ombud.

    Exempel: storning report S-2026-0001 -o rapport.pdf
    """
    with _writable(
        output
    ) as handle:  # fail before anything is logged if the file cannot be written
        data = services.compile_report(obj.app, obj.actor, obj.now, ref, disclose=disclose)
        handle.write(data)
    note = " Anmälarnas namn ingår; utlämnandet är journalfört." if disclose else ""
    click.echo(f"{output} ({len(data)} byte).{note}")


@letter.command("reissue")
@click.argument("letter_id", type=LETTER_ID)
@json_option
@click.pass_obj
@handles_errors
def reissue(obj: Ctx, letter_id: int, as_json: bool) -> None:
    """Gör ett nytt utkast av samma brev (till exempel med rättade uppgifter); originalet ändras aldrig."""
    result = services.reissue_letter(obj.app, obj.actor, obj.now, letter_id)
    emit(result, as_json, lambda d: f"Nytt utkast: brev {d['id']} ({d['template']}).")


@letter.command("new")
@click.argument("ref")
@click.argument("template")
@click.option("--meeting-at", help="Mötets tid (kallelse), ISO 8601.")
@click.option("--place", help="Mötets plats (kallelse).")
@click.option(
    "--purpose",
    default="att prata om situationen i boendet och vilket stöd du kan behöva",
    show_default=True,
    help="Mötets syfte (kallelse).",
)
@click.option("--participant", "participants", multiple=True, help="Deltagare (kan upprepas).")
@click.option("--complainant-id", type=int, help="Anmälaren som ett brev till anmälare ska till.")
@click.option(
    "--holder",
    help="Kontraktsinnehavaren ett brev till var och en (uppmaning, uppsägning) ska till.",
)
@json_option
@click.pass_obj
@handles_errors
def new(
    obj: Ctx,
    ref: str,
    template: str,
    meeting_at: str | None,
    place: str | None,
    purpose: str,
    participants: tuple[str, ...],
    complainant_id: int | None,
    holder: str | None,
    as_json: bool,
) -> None:
    """Skapa ett brev på eget initiativ, t.ex. en kallelse eller en tom störningsdagbok.

    Exempel: storning letter new S-2026-0001 kallelse --meeting-at 2026-03-12T10:00
    --place "Kontoret, Storgatan 3" --participant "Socialtjänsten"
    """
    meeting = None
    if meeting_at or place:
        at = obj.instant(meeting_at) if meeting_at else None
        if at is None or not place:
            raise click.UsageError("En kallelse behöver både --meeting-at och --place.")
        meeting = {
            "at": at.isoformat(),
            "place": place,
            "purpose": purpose,
            "participants": list(participants),
        }
    result = services.create_letter(
        obj.app,
        obj.actor,
        obj.now,
        ref,
        template,
        meeting=meeting,
        complainant_id=complainant_id,
        holder=holder,
    )
    emit(
        result,
        as_json,
        lambda d: (
            f"Utkast: brev {d['id']} ({d['template']}). Hämta med 'storning letter pdf {d['id']} -o FIL'."
        ),
    )


@letter.command("delivered")
@click.argument("letter_id", type=LETTER_ID)
@click.option("--on", "on_text", required=True, help="Dag då mottagaren fick brevet (ÅÅÅÅ-MM-DD).")
@json_option
@click.pass_obj
@handles_errors
def delivered(obj: Ctx, letter_id: int, on_text: str, as_json: bool) -> None:
    """Registrera när ett skickat brev togs emot (t.ex. socialnämndens ankomststämpel).

    Ett meddelande räknas från det senare av avsändnings- och mottagningsdagen.
    """
    result = services.mark_letter_delivered(obj.app, obj.actor, obj.now, letter_id, on=on_text)
    emit(
        result, as_json, lambda d: f"Brev {d['id']} ({d['template']}) mottaget {d['delivered_on']}."
    )
