"""`storning complainant add|update`: a case's complainants (anmälare) and their contact details."""

from __future__ import annotations

import click

from storning import services
from storning.cli.base import Ctx, emit, handles_errors, json_option, main
from storning.cli.render import case_text


@main.group()
def complainant() -> None:
    """Anmälare i ett ärende: lägg till, rätta eller komplettera kontaktuppgifter."""


def postal_lines(value: str | None) -> str | None:
    """A postal address typed on one line with '|' between the lines."""
    if value is None:
        return None
    return "\n".join(part.strip() for part in value.split("|") if part.strip())


@complainant.command("add")
@click.argument("ref")
@click.option("--name", required=True, help="Anmälarens namn.")
@click.option("--protected", is_flag=True, help="Anmälarens identitet är skyddad.")
@click.option("--address", help="Postadress, rader åtskilda med '|'.")
@click.option("--phone", help="Telefonnummer.")
@click.option("--email", help="E-postadress.")
@json_option
@click.pass_obj
@handles_errors
def add(
    obj: Ctx,
    ref: str,
    name: str,
    protected: bool,
    address: str | None,
    phone: str | None,
    email: str | None,
    as_json: bool,
) -> None:
    """Lägg till en anmälare i ett öppet ärende (får bekräftelsebrev som vid öppnandet).

    Exempel: storning complainant add S-2026-0001 --name "Greta Granne" --phone "070-123 45 67"
    """
    details = services.ComplainantDetails(
        name=name, protected=protected, address=postal_lines(address), phone=phone, email=email
    )
    emit(services.add_complainant(obj.app, obj.actor, obj.now, ref, details), as_json, case_text)


@complainant.command("update")
@click.argument("ref")
@click.argument("complainant_id", type=int)
@click.option("--name", help="Anmälarens namn.")
@click.option(
    "--protected/--not-protected",
    default=None,
    help="Skyddad identitet (att ta bort skyddet kräver chef).",
)
@click.option("--address", help="Postadress, rader åtskilda med '|' (tom sträng tar bort).")
@click.option("--phone", help="Telefonnummer (tom sträng tar bort).")
@click.option("--email", help="E-postadress (tom sträng tar bort).")
@json_option
@click.pass_obj
@handles_errors
def update(
    obj: Ctx,
    ref: str,
    complainant_id: int,
    name: str | None,
    protected: bool | None,
    address: str | None,
    phone: str | None,
    email: str | None,
    as_json: bool,
) -> None:
    """Rätta eller komplettera en anmälares uppgifter (journalförs utan värdena).

    Numret står i 'storning case show REF'. Exempel:
    storning complainant update S-2026-0001 3 --email greta@example.se
    """
    given = {
        "name": name,
        "protected": protected,
        "address": postal_lines(address),
        "phone": phone,
        "email": email,
    }
    changes = {k: v for k, v in given.items() if v is not None}
    if not changes:
        raise click.UsageError("Ange minst en uppgift att ändra.")
    document = services.update_complainant(
        obj.app, obj.actor, obj.now, ref, complainant_id, changes
    )
    emit(document, as_json, case_text)
