"""Every shipped letter renders from a realistic context and says what the law requires."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from storning.letters import TEMPLATE_CATALOG, available_templates, render_letter
from storning.letters.samples import SAMPLES

LETTERS = Path(__file__).resolve().parents[2] / "letters"
TEMPLATES = available_templates(LETTERS)


def text_of(template, make_context, pdf_text, **changes):
    ctx = make_context(template)
    for key, value in changes.items():
        section, field = key.split("__")
        ctx[section][field] = value
    return pdf_text(render_letter(template, ctx, letters_dir=LETTERS).pdf)


def test_catalog_and_template_files_match():
    files = {p.name.removesuffix(".typ.j2") for p in LETTERS.glob("[!_]*.typ.j2")}
    assert files == set(TEMPLATES) == set(SAMPLES)
    assert {info.audience for info in TEMPLATE_CATALOG.values()} <= {
        "tenant",
        "complainant",
        "social_services",
        "internal",
    }
    assert TEMPLATE_CATALOG["uppmaning"].to_tenant
    assert not TEMPLATE_CATALOG["bekraftelse"].to_tenant


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_letter_renders_with_its_letterhead(template, make_context, pdf_text):
    ctx = make_context(template)
    letter = render_letter(template, ctx, letters_dir=LETTERS)
    text = pdf_text(letter.pdf)
    assert "Hyresbostäder i Norrköping AB" in text
    assert ctx["case"]["ref"] in text
    assert "Sida 1 av" in text
    assert letter.title == TEMPLATE_CATALOG[template].title
    assert letter.title in text


@pytest.mark.parametrize("template", TEMPLATES)
def test_no_letter_uses_the_old_tillsagelse_wording(template):
    assert "tillsägelse" not in (LETTERS / f"{template}.typ.j2").read_text().lower()


def test_uppmaning_has_everything_the_law_asks_for(make_context, pdf_text):
    text = text_of("uppmaning", make_context, pdf_text)
    for needle in (
        "Kim Hyresgäst och Alex Hyresgäst",
        "Storgatan 1, 602 20 Norrköping",
        "1102",
        "123-456-789",
        "556000-0000",
        "2026-02-07 23.40 Buller Hög musik och skrik",
        "Störningsjour",
        "Uppgift från klagande",
        "upphör omedelbart",
        "hushåll, gäster",
        "12 kap. 25 a § jordabalken",
        "12 kap. 25 b §",
        "42 § första stycket 9 jordabalken",
        "kan sägas upp att upphöra i förtid",
        "46 § första stycket 2 jordabalken",
        "socialnämnden i Norrköpings kommun",
        "både som rekommenderat brev och som vanligt brev",
        "12 kap. 25, 25 a och 25 b §§",
        "Anna Handläggare",
        "2 mars 2026",
    ):
        assert needle in text, needle


def test_a_single_tenant_is_addressed_as_du(make_context, pdf_text):
    text = text_of("uppmaning", make_context, pdf_text, tenant__co_tenants=[])
    assert "Vi uppmanar härmed dig" in text
    assert "Hyresgäst Kim Hyresgäst" in text


def test_underrattelse_reports_the_uppmaning_and_its_date(make_context, pdf_text):
    text = text_of("underrattelse_socialnamnd", make_context, pdf_text)
    for needle in (
        "Socialnämnden i Norrköpings kommun",
        "12 kap. 25 a § jordabalken",
        "Den 2 mars 2026 uppmanade vi hyresgästen",
        "Kopia av uppmaning daterad 2 mars 2026",
        "Dunsar och hög musik",
        "3 mars 2026",
    ):
        assert needle in text, needle


def test_underrattelse_without_an_uppmaning_reports_the_disturbances(make_context, pdf_text):
    ctx = make_context("underrattelse_socialnamnd")
    ctx["facts"]["uppmaning_given_on"] = None
    text = pdf_text(render_letter("underrattelse_socialnamnd", ctx, letters_dir=LETTERS).pdf)
    assert "Dunsar och hög musik" in text
    assert "uppmanade" not in text and "Bilagor" not in text


def test_uppsagning_states_ground_dates_and_demand_to_move(make_context, pdf_text):
    text = text_of("uppsagning", make_context, pdf_text)
    for needle in (
        "att upphöra att gälla omedelbart",
        "42 § första stycket 9 jordabalken",
        "Den 2 mars 2026 uppmanade vi er",
        "underrättades om störningarna den 3 mars 2026",
        "Efter uppmaningen har följande störningar förekommit: Datum Kl. Typ Vad som hände "
        "Konstaterad av 2026-03-14",
        "Uppmaningen grundades på följande händelser",
        "flytta från lägenheten genast",
        "Kronofogdemyndigheten",
        "delges er enligt 12 kap. 8 §",
    ):
        assert needle in text, needle


def test_a_particularly_serious_termination_needs_no_uppmaning(make_context, pdf_text):
    ctx = make_context("uppsagning")
    ctx["facts"].update(severe=True, uppmaning_given_on=None, social_services_notified_on=None)
    text = pdf_text(render_letter("uppsagning", ctx, letters_dir=LETTERS).pdf)
    assert "särskilt allvarliga" in text
    assert "42 § fjärde stycket jordabalken" in text
    assert "kopia av denna uppsägning skickas till socialnämnden" in text


def test_kopia_uppsagning_cites_the_fourth_paragraph(make_context, pdf_text):
    text = text_of("kopia_uppsagning", make_context, pdf_text)
    assert "42 § fjärde stycket jordabalken" in text
    assert "Den 21 april 2026 sade vi upp hyresavtalet" in text
    assert "Kopia av uppsägning daterad 21 april 2026" in text


def test_uppsagning_hyrestid_gives_end_date_reason_and_referral(make_context, pdf_text):
    text = text_of("uppsagning_hyrestid", make_context, pdf_text)
    for needle in (
        "hyrestidens utgång den 31 juli 2026 (12 kap. 4 § jordabalken)",
        "46 § första stycket 2 jordabalken",
        "hyresnämnden",
        "12 kap. 49 § jordabalken",
        "senast den 31 augusti 2026",
    ):
        assert needle in text, needle


def test_kallelse_gives_time_place_purpose_and_participants(make_context, pdf_text):
    text = text_of("kallelse", make_context, pdf_text)
    assert "tisdag den 10 mars 2026 kl. 10.00" in text
    assert "Drottninggatan 5" in text
    assert "Sara Socialsekreterare, socialtjänsten" in text
    assert "gå igenom de störningar" in text


def test_kontaktbrev_offers_a_meeting_and_a_home_visit(make_context, pdf_text):
    text = text_of("kontaktbrev", make_context, pdf_text)
    assert "hembesök" in text or "hem till" in text
    assert "kontor" in text


def test_bekraftelse_protects_identity_mentions_testimony_and_encloses_the_diary(
    make_context, pdf_text
):
    letter = render_letter("bekraftelse", make_context("bekraftelse"), letters_dir=LETTERS)
    text = pdf_text(letter.pdf)
    assert "Greta Klagandesson" in text  # the addressee
    assert "Vi lämnar inte ut ditt namn" in text
    assert "vittna" in text
    assert "Störningsdagbok" in text and "Misstänkt källa" in text
    assert len(PdfReader(BytesIO(letter.pdf)).pages) >= 2


def test_storningsdagbok_has_every_column(make_context, pdf_text):
    text = text_of("storningsdagbok", make_context, pdf_text)
    for column in (
        "Datum",
        "Klockan från–till",
        "Typ av störning",
        "Var hördes eller sågs den?",
        "Misstänkt källa",
        "Vem stördes?",
        "Vittnen",
        "Polis kontaktad? Diarienummer",
        "Bekräftad av jour eller personal",
        "Underskrift",
    ):
        assert column in text, column


def test_ansokan_avhysning_for_disturbances(make_context, pdf_text):
    text = text_of("ansokan_avhysning", make_context, pdf_text)
    for needle in (
        "lagen (1990:746)",
        "vanlig handräckning",
        "Uppmaning 2 mars 2026",
        "Underrättelse till socialnämnden 3 mars 2026",
        "Uppsägning 20 april 2026",
        "Uppsägningen delgiven 23 april 2026",
    ):
        assert needle in text, needle


def test_ansokan_avhysning_for_rent_arrears(make_context, pdf_text):
    ctx = make_context("uppsagning_hyresskuld")
    ctx["letter"]["template"] = "ansokan_avhysning"
    ctx["tenant"]["personnummer"] = "19850312-1231"
    text = pdf_text(render_letter("ansokan_avhysning", ctx, letters_dir=LETTERS).pdf)
    for needle in (
        "42 § första stycket 1",
        "8 450 kr",
        "28 december 2026",
        "31 december 2026",
        "delgivna 3 december 2026",
    ):
        assert needle in text, needle


def test_paminnelse_states_amount_due_date_and_how_to_pay(make_context, pdf_text):
    text = text_of("paminnelse", make_context, pdf_text)
    for needle in (
        "8 450 kr",
        "30 november 2026",
        "Bankgiro 123-4567",
        "1 000,50 kr",
        "avbetalningsplan",
    ):
        assert needle in text, needle


def test_uppsagning_hyresskuld_carries_the_44_notice(make_context, pdf_text):
    text = text_of("uppsagning_hyresskuld", make_context, pdf_text)
    for needle in (
        "42 § första stycket 1 jordabalken",
        "Enligt 12 kap. 44 § jordabalken",
        "betalar 8 450 kr inom tre veckor",
        "socialnämnden i Norrköpings kommun",
        "den senare av dessa två dagar",
        "Bankgiro 123-4567",
        "länsstyrelsen",
        "åtar sig betalningsansvaret",
        "ytterligare två vardagar",
        "delges er enligt 12 kap. 8 §",
    ):
        assert needle in text, needle


def test_the_44_notice_prints_ore_exactly(make_context, pdf_text):
    amount = Decimal("8450.50")
    ctx = make_context("meddelande_socialnamnd_44")
    ctx["facts"]["amount"] = amount
    text = pdf_text(render_letter("meddelande_socialnamnd_44", ctx, letters_dir=LETTERS).pdf)
    assert "8 450,50 kr" in text
    assert "Uppsägningen gjord 2 december 2026" in text


def test_avbetalningsplan_lists_every_instalment_and_the_sum(make_context, pdf_text):
    text = text_of("avbetalningsplan", make_context, pdf_text)
    for needle in (
        "15 januari 2027 2 450 kr",
        "15 mars 2027 3 000 kr",
        "Summa 8 450 kr",
        "Underskrift",
    ):
        assert needle in text, needle
