"""`storning user …`: accounts for officers and integrations, from creation to revocation.

`add`, `passwd`, `disable`, `enable`; API tokens with `token` (shown once), `tokens` (listed, never
shown) and `revoke-token`. Managing someone else's account needs the administrator role (`--as`,
default the local administrator); the services decide (`services.accounts`)."""

from __future__ import annotations

import sys
from typing import Any

import click

from storning import services, validation
from storning.cli.base import Ctx, emit, handles_errors, json_option, main
from storning.services import accounts
from storning.vocabulary import ROLES


@main.group()
def user() -> None:
    """Användare: lägg till, byt lösenord, stäng av och aktivera konton, och API-token för
    integrationer."""


@user.command("add")
@click.argument("username")
@click.option("--name", required=True, help="Fullständigt namn.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(list(ROLES)),
    help="Roll (kan upprepas): handlaggare, chef, admin, lasare, dataskydd.",
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
    password = _read_password(password_stdin)
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


def _read_password(from_stdin: bool) -> str:
    """The new password: one line of standard input, or asked for twice (not echoed)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = click.prompt(
        "Lösenord", hide_input=True, confirmation_prompt="Upprepa lösenordet"
    )
    return password


@user.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Läs det nya lösenordet från standard in.")
@click.pass_obj
@handles_errors
def passwd(obj: Ctx, username: str, password_stdin: bool) -> None:
    """Byt lösenord för en användare (frågas efter två gånger, eller läses från standard in).
    Användarens alla inloggningar i webben avslutas; API-token påverkas inte.

    Exempel: storning user passwd alice
    """
    password = _read_password(password_stdin)
    ended = accounts.set_password(obj.app, username, password, actor=obj.actor, now=obj.now)
    click.echo(f"Lösenordet för {username} är bytt; {_sessions(ended)} avslutades.")


def _sessions(count: int) -> str:
    return "en inloggning" if count == 1 else f"{count} inloggningar"


@user.command("disable")
@click.argument("username")
@click.pass_obj
@handles_errors
def disable(obj: Ctx, username: str) -> None:
    """Stäng av ett konto: det kan inte logga in, och dess inloggningar och API-token slutar gälla
    direkt (de kommer inte tillbaka när kontot aktiveras igen).

    Exempel: storning user disable alice
    """
    accounts.set_active(obj.app, username, False, actor=obj.actor, now=obj.now)
    click.echo(
        f"Kontot {username} är avstängt; dess inloggningar och API-token gäller inte längre."
    )


@user.command("enable")
@click.argument("username")
@click.pass_obj
@handles_errors
def enable(obj: Ctx, username: str) -> None:
    """Aktivera ett avstängt konto igen (med samma lösenord; nya API-token skapas med `user token`).

    Exempel: storning user enable alice
    """
    accounts.set_active(obj.app, username, True, actor=obj.actor, now=obj.now)
    click.echo(f"Kontot {username} är aktiverat.")


@user.command("token")
@click.argument("username")
@click.option(
    "--expires-in-days",
    type=click.IntRange(1, accounts.MAX_TOKEN_DAYS),
    help="Token slutar gälla efter så många dagar (utan: tills den återkallas).",
)
@click.option(
    "--keep-old",
    is_flag=True,
    help="Låt användarens tidigare token fortsätta gälla (för att byta utan avbrott).",
)
@click.pass_obj
@handles_errors
def token(obj: Ctx, username: str, expires_in_days: int | None, keep_old: bool) -> None:
    """Skapa en ny API-token för användaren och skriv ut den en gång (användarens tidigare token
    slutar gälla, utom med --keep-old).

    Exempel: storning user token jour --expires-in-days 365   →   curl -H "Authorization: Bearer stn_…" …/api/cases
    """
    made = accounts.set_api_token(
        obj.app,
        username,
        actor=obj.actor,
        now=obj.now,
        expires_in_days=expires_in_days,
        keep_old=keep_old,
    )
    click.echo(made)
    click.echo(
        "Spara token nu; den visas inte igen och lagras bara som en kontrollsumma.", err=True
    )


STATUS = {"valid": "gäller", "revoked": "återkallad", "expired": "har gått ut"}


@user.command("tokens")
@click.argument("username")
@json_option
@click.pass_obj
@handles_errors
def tokens(obj: Ctx, username: str, as_json: bool) -> None:
    """Lista användarens API-token: nummer, skapad, senast använd, giltig till och status. Själva
    token visas aldrig (bara en kontrollsumma är sparad).

    Exempel: storning user tokens jour
    """
    rows = accounts.list_tokens(obj.app, username, actor=obj.actor, now=obj.now)
    emit(rows, as_json, lambda data: _token_table(username, data))


def _token_table(username: str, rows: list[dict[str, Any]]) -> str:
    if not rows:
        return f"{username} har inga API-token."
    lines = [f"{'nr':>4}  {'skapad':<16}  {'senast använd':<16}  {'giltig till':<16}  status"]
    for row in rows:
        cells = [_minute(row[k]) for k in ("created_at", "last_used_at", "expires_at")]
        lines.append(
            f"{row['id']:>4}  {'  '.join(f'{c:<16}' for c in cells)}  {STATUS[row['status']]}"
        )
    return "\n".join(lines)


def _minute(value: str | None) -> str:
    return value[:16].replace("T", " ") if value else "–"


@user.command("revoke-token")
@click.argument("username")
@click.argument("token_id", required=False, type=click.IntRange(1, 2**63 - 1))
@click.option("--all", "revoke_all", is_flag=True, help="Återkalla alla användarens token.")
@click.pass_obj
@handles_errors
def revoke_token(obj: Ctx, username: str, token_id: int | None, revoke_all: bool) -> None:
    """Återkalla en API-token (numret från `user tokens`) eller, med --all, alla användarens token.
    En återkallad token fungerar aldrig igen.

    Exempel: storning user revoke-token jour 3
    """
    if (token_id is None) == (not revoke_all):
        raise click.UsageError("Ange antingen ett token-nummer eller --all.")
    count = accounts.revoke_tokens(
        obj.app, username, None if revoke_all else token_id, actor=obj.actor, now=obj.now
    )
    click.echo(f"{count} API-token för {username} återkallades.")
