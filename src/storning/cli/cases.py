"""`storning case …` and `storning incident add`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from storning import services
from storning.cli.base import Ctx, emit, handles_errors, json_option, main, write_output
from storning.cli.complainants import postal_lines
from storning.cli.render import case_rows, case_text
from storning.services import case_outcome
from storning.vocabulary import COMPLAINT_SOURCES, INCIDENT_KINDS, VERIFICATION


@main.group()
def case() -> None:
    """Öppna, visa och driva ärenden."""


@case.command("open")
@click.option("--type", "case_type", type=click.Choice(["storning", "hyresskuld"]), required=True)
@click.option("--tenant", help="Hyresgästens namn (kontraktsinnehavare; krävs utan --contract).")
@click.option(
    "--co-tenant",
    "co_tenants",
    multiple=True,
    help='Ytterligare kontraktsinnehavare: "Namn" eller "Namn, ÅÅÅÅMMDD-NNNN" (kan upprepas).',
)
@click.option("--address", help="Adress (krävs utan --contract).")
@click.option("--apartment", help="Lägenhetsnummer (krävs utan --contract).")
@click.option("--postal-code")
@click.option("--city")
@click.option("--municipality", help="Kommunen där lägenheten ligger (socialnämnden).")
@click.option(
    "--contract",
    help="Kontraktsnummer; det som inte anges hämtas från hyresregistret.",
)
@click.option(
    "--personnummer",
    help="Hyresgästens personnummer (ÅÅÅÅMMDD-NNNN); behövs i ansökan till Kronofogden, visas annars maskerat.",
)
@click.option("--complainant", "complainants", multiple=True, help="Klagande (kan upprepas).")
@click.option(
    "--complainant-address",
    "complainant_addresses",
    multiple=True,
    help="Klagandens postadress, rader åtskilda med '|' (i samma ordning som --complainant).",
)
@click.option(
    "--complainant-phone",
    "complainant_phones",
    multiple=True,
    help="Klagandens telefonnummer (i samma ordning som --complainant).",
)
@click.option(
    "--complainant-email",
    "complainant_emails",
    multiple=True,
    help="Klagandens e-postadress (i samma ordning som --complainant).",
)
@click.option("--protected", is_flag=True, help="Klagandens identitet är skyddad.")
@click.option("--due-date", help="Förfallodag för obetald hyra (hyresskuld).")
@click.option("--amount", help="Obetalt belopp i kronor (hyresskuld).")
@click.option("--owner", help="Handläggare som äger ärendet (standard: du).")
@click.option(
    "--source",
    type=click.Choice(list(COMPLAINT_SOURCES)),
    help="Varifrån anmälan kom: " + ", ".join(f"{k} ({v})" for k, v in COMPLAINT_SOURCES.items()),
)
@click.option("--children", help="Antal barn i hushållet (ett antal, aldrig namn).")
@json_option
@click.pass_obj
@handles_errors
def open_case(
    obj: Ctx,
    case_type: str,
    tenant: str | None,
    co_tenants: tuple[str, ...],
    address: str | None,
    apartment: str | None,
    postal_code: str | None,
    city: str | None,
    municipality: str | None,
    contract: str | None,
    personnummer: str | None,
    complainants: tuple[str, ...],
    complainant_addresses: tuple[str, ...],
    complainant_phones: tuple[str, ...],
    complainant_emails: tuple[str, ...],
    protected: bool,
    due_date: str | None,
    amount: str | None,
    owner: str | None,
    source: str | None,
    children: str | None,
    as_json: bool,
) -> None:
    """Registrera ett klagomål som ett nytt ärende.

    Exempel: storning case open --type storning --tenant "Kim Hyresgäst" --address "Storgatan 1"
    --apartment 1102 --municipality Norrköping --complainant "Greta Granne" --protected
    """
    facts: dict[str, Any] = {"due_date": due_date, "amount": amount}
    if not contract and not (tenant and address and apartment):
        raise click.UsageError("Ange --tenant, --address och --apartment, eller --contract.")
    new = services.NewCase(
        case_type=case_type,
        tenant=tenant or "",
        address=address or "",
        apartment=apartment or "",
        fill_from_register=bool(contract),
        municipality=municipality,
        contract=contract,
        postal_code=postal_code,
        city=city,
        co_tenants=list(co_tenants),
        complainants=[
            services.ComplainantDetails(
                name=name,
                protected=protected,
                address=postal_lines(_nth(complainant_addresses, n)),
                phone=_nth(complainant_phones, n),
                email=_nth(complainant_emails, n),
            )
            for n, name in enumerate(complainants)
        ],
        facts=facts,
        owner=owner,
        personnummer=personnummer,
        source=source,
        children=children,
    )
    document = services.open_case(obj.app, obj.actor, obj.now, new)
    # issue 16: what the register filled or lacks, on stderr (--json prints the case document alone)
    note = document.pop("register", None)
    emit(document, as_json, case_text)
    if note and note.get("found"):
        missing = f" Registret saknar: {', '.join(note['missing'])}." if note["missing"] else ""
        click.echo(f"Hämtat från hyresregistret (kontrakt {note['contract']}).{missing}", err=True)


def _nth(values: tuple[str, ...], index: int) -> str | None:
    return values[index] if index < len(values) else None


@case.command("list")
@click.option("--open", "open_only", is_flag=True, help="Bara öppna ärenden.")
@click.option("--mine", is_flag=True, help="Bara mina ärenden.")
@click.option("--overdue", is_flag=True, help="Bara ärenden med passerade frister.")
@json_option
@click.pass_obj
@handles_errors
def list_cases(obj: Ctx, open_only: bool, mine: bool, overdue: bool, as_json: bool) -> None:
    """Lista ärenden, det som förfaller först överst."""
    rows = services.list_cases(
        obj.app, obj.actor, obj.now, open_only=open_only, mine=mine, overdue=overdue
    )
    emit(rows, as_json, case_rows)


@case.command("show")
@click.argument("ref")
@json_option
@click.pass_obj
@handles_errors
def show(obj: Ctx, ref: str, as_json: bool) -> None:
    """Visa ett ärende: spåren, möjliga åtgärder (och varför de är spärrade), frister, brev, journal."""
    emit(services.show_case(obj.app, obj.actor, obj.now, ref), as_json, case_text)


@case.command("fire")
@click.argument("ref")
@click.argument("event")
@click.option(
    "--track", help="legal, authority eller customer (behövs när händelsen finns i flera spår)."
)
@click.option("--reason", help="Motivering (krävs för vissa händelser).")
@click.option(
    "--override", help="Skriftlig motivering för att åsidosätta en spärr som får åsidosättas."
)
@click.option("--param", "params", multiple=True, help="Parameter NAMN=VÄRDE (kan upprepas).")
@click.option(
    "--preview",
    is_flag=True,
    help="Förhandsgranska: visa de brev händelsen skulle skapa, utan att något sparas.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Med --preview: skriv breven som PDF i den här mappen.",
)
@json_option
@click.pass_obj
@handles_errors
def fire(
    obj: Ctx,
    ref: str,
    event: str,
    track: str | None,
    reason: str | None,
    override: str | None,
    params: tuple[str, ...],
    preview: bool,
    out_dir: Path | None,
    as_json: bool,
) -> None:
    """Utför en händelse i ett spår.

    Exempel: storning case fire S-2026-0001 issue_uppmaning
    (med --preview --out utkast/: breven som PDF, och ingenting sparas)
    """
    parsed = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.UsageError(f"--param '{item}' ska skrivas NAMN=VÄRDE.")
        parsed[name.strip()] = value
    if out_dir is not None and not preview:
        raise click.UsageError("--out används bara med --preview.")
    if preview:
        drafts = services.preview_event(
            obj.app,
            obj.actor,
            obj.now,
            ref,
            event,
            track=track,
            params=parsed,
            reason=reason,
            override=override,
            output="pdf",
        )
        emit(_written_drafts(drafts, out_dir), as_json, _preview_text)
        return
    document = services.fire_event(
        obj.app,
        obj.actor,
        obj.now,
        ref,
        event,
        track=track,
        params=parsed,
        reason=reason,
        override=override,
    )
    emit(document, as_json, case_text)


@case.command("update")
@click.argument("ref")
@click.option("--tenant")
@click.option("--address")
@click.option("--postal-code")
@click.option("--city")
@click.option("--apartment")
@click.option("--municipality")
@click.option("--contract")
@click.option("--personnummer", help="Hyresgästens personnummer (ÅÅÅÅMMDD-NNNN).")
@click.option(
    "--co-tenant",
    "co_tenants",
    multiple=True,
    help='Medhyresgästerna (ersätter listan): "Namn" eller "Namn, ÅÅÅÅMMDD-NNNN" (kan upprepas).',
)
@click.option("--no-co-tenants", is_flag=True, help="Ta bort alla medhyresgäster.")
@click.option("--children", help="Antal barn i hushållet (ett antal, aldrig namn).")
@click.option("--source", type=click.Choice(list(COMPLAINT_SOURCES)), help="Varifrån anmälan kom.")
@json_option
@click.pass_obj
@handles_errors
def update(
    obj: Ctx,
    ref: str,
    tenant: str | None,
    address: str | None,
    postal_code: str | None,
    city: str | None,
    apartment: str | None,
    municipality: str | None,
    contract: str | None,
    personnummer: str | None,
    co_tenants: tuple[str, ...],
    no_co_tenants: bool,
    children: str | None,
    source: str | None,
    as_json: bool,
) -> None:
    """Rätta eller komplettera hyresgästens och lägenhetens uppgifter (journalförs).

    Exempel: storning case update S-2026-0001 --postal-code "602 20" --city Norrköping
    """
    given = {
        "tenant_name": tenant,
        "address": address,
        "postal_code": postal_code,
        "city": city,
        "apartment": apartment,
        "municipality": municipality,
        "contract": contract,
        "personnummer": personnummer,
        "co_tenants": "\n".join(co_tenants) if co_tenants or no_co_tenants else None,
    }
    changes = {k: v for k, v in given.items() if v is not None}
    if not changes and children is None and source is None:
        raise click.UsageError("Ange minst ett fält att ändra.")
    document = services.update_case(obj.app, obj.actor, obj.now, ref, changes) if changes else None
    if children is not None or source is not None:
        document = case_outcome.update_household(
            obj.app, obj.actor, obj.now, ref, children=children, source=source
        )
    emit(document, as_json, case_text)


@main.group()
def incident() -> None:
    """Registrera störningshändelser."""


@incident.command("add")
@click.argument("ref")
@click.option("--at", "at_text", required=True, help="När händelsen inträffade (ISO 8601).")
@click.option("--kind", type=click.Choice(list(INCIDENT_KINDS)), required=True)
@click.option("--text", required=True, help="Vad som hände.")
@click.option("--verified-by", type=click.Choice(list(VERIFICATION)))
@click.option("--reporter", help="Vem som rapporterade (pseudonymiseras i rapporter).")
@click.option("--place", help="Var det hördes eller sågs.")
@click.option("--ends-at", "ends_at", help="När det slutade (ISO 8601 med klockslag), om känt.")
@json_option
@click.pass_obj
@handles_errors
def add_incident(
    obj: Ctx,
    ref: str,
    at_text: str,
    kind: str,
    text: str,
    verified_by: str | None,
    reporter: str | None,
    place: str | None,
    ends_at: str | None,
    as_json: bool,
) -> None:
    """Registrera en händelse; spåren reagerar (t.ex. ny störning efter uppmaning).

    --at med bara ett datum betyder att klockslaget är okänt ("tid okänd").

    Exempel: storning incident add S-2026-0001 --at 2026-03-01T23:40 --kind noise
    --text "Hög musik" --verified-by jour
    """
    document = services.add_incident(
        obj.app,
        obj.actor,
        obj.now,
        ref,
        at=at_text,
        kind=kind,
        text=text,
        verified_by=verified_by,
        reporter=reporter,
        place=place,
        ends_at=ends_at,
    )
    emit(document, as_json, case_text)


@incident.command("correct")
@click.argument("ref")
@click.argument("incident_id", type=click.IntRange(1, 2**31 - 1))
@click.option("--reason", required=True, help="Varför störningen rättas (journalförs).")
@click.option("--at", "at_text", help="Ny tidpunkt (ett datum utan klockslag: tid okänd).")
@click.option("--ends-at", "ends_at", help="Ny sluttid.")
@click.option("--kind", type=click.Choice(list(INCIDENT_KINDS)))
@click.option("--text", help="Ny beskrivning.")
@click.option("--place", help="Ny plats.")
@click.option("--verified-by", type=click.Choice(list(VERIFICATION)))
@click.option("--reporter", help="Vem som rapporterade.")
@json_option
@click.pass_obj
@handles_errors
def correct_incident(
    obj: Ctx,
    ref: str,
    incident_id: int,
    reason: str,
    at_text: str | None,
    ends_at: str | None,
    kind: str | None,
    text: str | None,
    place: str | None,
    verified_by: str | None,
    reporter: str | None,
    as_json: bool,
) -> None:
    """Rätta en registrerad störning (fel tid, slag eller text); rättelsen journalförs med skälet.

    Exempel: storning incident correct S-2026-0001 4 --at 2026-03-01T22:40 --reason "Fel klockslag"
    """
    given = {
        "at": at_text,
        "ends_at": ends_at,
        "kind": kind,
        "text": text,
        "place": place,
        "verified_by": verified_by,
        "reporter": reporter,
    }
    document = services.correct_incident(
        obj.app,
        obj.actor,
        obj.now,
        ref,
        incident_id,
        reason=reason,
        changes={k: v for k, v in given.items() if v is not None},
    )
    emit(document, as_json, case_text)


def _written_drafts(preview: dict[str, Any], out_dir: Path | None) -> dict[str, Any]:
    """The preview without the PDF bytes; each letter's PDF written to `out_dir` when given."""
    letters = []
    for number, letter in enumerate(preview["letters"], start=1):
        pdf = letter.pop("pdf", None)
        if pdf is not None and out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            path = out_dir / f"{preview['ref']}-{number}-{letter['template']}.pdf"
            write_output(path, pdf)
            letter["file"] = str(path)
        letters.append(letter)
    return {**preview, "letters": letters, "stored": False}


def _preview_text(preview: dict[str, Any]) -> str:
    lines = [
        f"Förhandsgranskning av {preview['label']} i {preview['ref']} (version {preview['version']}):"
        " ingenting har sparats."
    ]
    if not preview["letters"]:
        lines.append("  Händelsen skapar inga brev.")
    for letter in preview["letters"]:
        where = letter.get("file") or letter.get("error") or "ange --out MAPP för att få PDF:en"
        lines.append(f"  {letter['title']} till {letter['to']}: {where}")
    return "\n".join(lines)
