"""Ids used in data and the contract, with the Swedish words an officer reads (DESIGN.md §4, §6b)."""

from __future__ import annotations

INCIDENT_KINDS: dict[str, str] = {
    "noise": "Buller",
    "harassment": "Trakasserier",
    "threat": "Hot",
    "violence": "Våld",
    "crime": "Brott",
    "drugs": "Narkotika",
    "arson": "Anlagd brand",
    "smell": "Lukt",
    "neglect": "Vanvård",
    "clutter": "Nedskräpning",
    "vermin": "Ohyra",
    "common_areas": "Gemensamma utrymmen",
    "other": "Övrigt",
}

VERIFICATION: dict[str, str] = {
    "staff": "Personal",
    "jour": "Störningsjour",
    "inspection": "Besiktning",
    "police": "Polis",
}
UNVERIFIED = "Ej verifierad"

ROLES: dict[str, str] = {
    "handlaggare": "Handläggare",
    "chef": "Chef",
    "admin": "Administratör",
    "lasare": "Läsare",
    "dataskydd": "Dataskyddsombud",
}

CASE_TYPES: dict[str, str] = {"storning": "Störning", "hyresskuld": "Hyresskuld"}

TIMER_STATUS: dict[str, str] = {
    "pending": "Väntar",
    "fired": "Utförd",
    "cancelled": "Avbruten",
    "obsolete": "Inaktuell",
}

LETTER_STATUS: dict[str, str] = {
    "draft": "Utkast",
    "issued": "Upprättad",
    "sent": "Skickad",
    "served": "Delgiven",
}


def verification_label(code: str | None) -> str:
    return VERIFICATION.get(code or "", UNVERIFIED)


# What a correction of an incident may change, with the Swedish name shown in the report.
INCIDENT_FIELDS = {
    "at": "tidpunkt",
    "ends_at": "sluttid",
    "kind": "slag",
    "text": "beskrivning",
    "place": "plats",
    "verified_by": "verifierad av",
    "reporter": "rapporterad av",
}


# Issue 14: where a complaint came from (cases.source) and how a case ended (cases.outcome).
COMPLAINT_SOURCES: dict[str, str] = {
    "granne": "Granne",
    "storningsjour": "Störningsjour",
    "personal": "Personal/fastighetsskötare",
    "polis": "Polis",
    "annan": "Annan",
}

OUTCOMES: dict[str, str] = {
    "dialog": "Löst i dialog",
    "rattelse": "Rättelse efter uppmaning",
    "flyttat": "Hyresgästen har flyttat",
    "uppsagning_aterkallad": "Uppsägningen återkallad",
    "atervunnen": "Hyresrätten återvunnen (12:44)",
    "avhyst": "Avhysning verkställd",
    "annan": "Annat",
}

# The kinds of support (record_support's `kind`): the workflows' choices, the measures' labels.
SUPPORT_KINDS: dict[str, str] = {
    "hemtjanst": "Hemtjänst",
    "psykiatri": "Psykiatri",
    "god_man": "God man",
    "boendestod": "Boendestöd",
    "missbruksvard": "Missbruksvård",
    "polis": "Polis",
}
