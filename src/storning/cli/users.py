"""`storning user add` and `storning user token`: accounts for officers and integrations."""

from __future__ import annotations

import sys

import click

from storning import services, validation
from storning.cli.base import Ctx, handles_errors, main
from storning.services import accounts
from storning.vocabulary import ROLES


@main.group()
def user() -> None:
    """Användare: lägg till handläggare, chefer, läsare och API-token för integrationer."""


@user.command("add")
@click.argument("username")
@click.option("--name", required=True, help="Fullständigt namn.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(list(ROLES)),
    help="Roll (kan upprepas): handlaggare, chef, admin, lasare.",
)
@click.option("--team", help="Team (t.ex. norr); styr vilka ärenden användaren når.")
@click.option("--supervisor", help="Användarnamn på chefen (får påminnelser som eskaleras).")
@click.option("--email", help="E-post för påminnelser.")
@click.option(
    "--phone",
    help="Telefonnummer i handläggarens brev (annars hyresvärdens, STORNING_LANDLORD_PHONE).",
)
@click.option("--password-stdin", is_flag=True, help="Läs lösenordet från standard in.")
@click.pass_obj
@handles_errors
def add(
    obj: Ctx,
    username: str,
    name: str,
    roles: tuple[str, ...],
    team: str | None,
    supervisor: str | None,
    email: str | None,
    phone: str | None,
    password_stdin: bool,
) -> None:
    """Lägg till en användare med lösenord (frågas efter, eller läses från standard in).

    Exempel: storning user add alice --name "Alice Andersson" --role handlaggare --team norr
    """
    validation.phone(phone)  # refused before the password is asked for (the service checks again)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(
            "Lösenord", hide_input=True, confirmation_prompt="Upprepa lösenordet"
        )
    hashed = accounts.password_hash(password)
    services.add_user(
        obj.app,
        username,
        name,
        list(dict.fromkeys(roles)),
        email=email,
        team=team,
        supervisor=supervisor,
        password_hash=hashed,
        phone=phone,
    )
    role_names = ", ".join(ROLES[r].lower() for r in dict.fromkeys(roles))
    click.echo(f"Användaren {username} ({role_names}) är tillagd.")


@user.command("token")
@click.argument("username")
@click.pass_obj
@handles_errors
def token(obj: Ctx, username: str) -> None:
    """Skapa en ny API-token för användaren och skriv ut den en gång (en gammal token slutar gälla).

    Exempel: storning user token jour   →   curl -H "Authorization: Bearer stn_…" …/api/cases
    """
    click.echo(accounts.set_api_token(obj.app, username, actor=obj.actor))
    click.echo(
        "Spara token nu; den visas inte igen och lagras bara som en kontrollsumma.", err=True
    )
