"""Swedish words for ids the pages show that the workflow YAML does not label (DESIGN §6b)."""

from __future__ import annotations

from pathlib import Path

from storning.letters.records import SENDING_METHODS
from storning.vocabulary import (
    CASE_TYPES,
    INCIDENT_KINDS,
    LETTER_STATUS,
    ROLES,
    SUPPORT_KINDS,
    TIMER_STATUS,
    VERIFICATION,
)

TRACK_TITLES: dict[str, str] = {
    "legal": "Hyresjuridisk process",
    "authority": "Myndighetsprocess",
    "customer": "Kundprocess",
}

# Choices of event parameters in the workflows (record_contact, record_support, …).
CHOICES: dict[str, str] = {
    "phone": "Telefon",
    "sms": "Sms",
    "letter": "Brev",
    "visit": "Hembesök",
    **SUPPORT_KINDS,
}

TIMER_KINDS: dict[str, str] = {
    "reminds": "Påminnelse",
    "fires": "Frist",
    "before": "Förvarning",
    "escalate": "Eskalering",
}

# Journal rows that are not a track's transition.
CASE_EVENTS: dict[str, str] = {
    "case_opened": "Ärendet öppnat",
    "incident_added": "Störning registrerad",
    "incident_recorded": "Störning registrerad",
    "letter_sent": "Brev skickat",
    "letter_served": "Brev delgivet",
    "letter_issued": "Brev upprättat",
    "case_reassigned": "Ny handläggare",
    "complainant_added": "Anmälare tillagd",
    "complainant_updated": "Anmälarens uppgifter ändrade",
    "legal_hold_placed": "Gallringsspärr lagd",  # issue 15
    "legal_hold_lifted": "Gallringsspärr hävd",
    "personal_data_erased": "Personuppgifterna gallrade",
    "timer_reminds": "Påminnelse skickad",
    "timer_before": "Förvarning skickad",
    "timer_escalate": "Frist passerad – chef underrättad",
    "timer_fires": "Frist har löpt ut",
}

# A complainant's details as the journal names them (never their values).
COMPLAINANT_FIELDS: dict[str, str] = {
    "name": "namn",
    "protected": "skyddad identitet",
    "address": "postadress",
    "phone": "telefon",
    "email": "e-post",
}

ERROR_TITLES: dict[str, str] = {
    "not_found": "Hittades inte",
    "invalid_input": "Uppgifterna behöver rättas",
    "blocked": "Åtgärden är spärrad",
    "forbidden": "Behörighet saknas",
    "stale": "Ärendet har ändrats",
    "clock": "Tidpunkten är fel",
    "event_not_available": "Åtgärden går inte att utföra nu",
    "letter_template": "Brevet kan inte skapas",
    "csrf": "Formuläret har gått ut",
    "unauthenticated": "Inte inloggad",
    "rate_limited": "För många försök",
}

__all__ = [
    "CASE_EVENTS",
    "CASE_TYPES",
    "CHOICES",
    "COMPLAINANT_FIELDS",
    "ERROR_TITLES",
    "INCIDENT_KINDS",
    "LETTER_STATUS",
    "ROLES",
    "SENDING_METHODS",
    "TIMER_KINDS",
    "TIMER_STATUS",
    "TRACK_TITLES",
    "VERIFICATION",
    "letter_titles",
]


def letter_titles(letters_dir: Path) -> dict[str, str]:
    """The catalogue's title of each letter template; empty when the catalogue cannot be read (a page
    then shows the ids rather than failing)."""
    from storning.letters.catalog import load_catalog
    from storning.letters.errors import LetterTemplateError

    try:
        return {name: info.title for name, info in load_catalog(letters_dir).items()}
    except LetterTemplateError:
        return {}
