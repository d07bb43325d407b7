"""Issue 10 item 7: letters are addressed as they are sent and never promise a number they do not give.

Socialnämnden's name and address come from the register (letters/socialnamnder.yaml); a municipality
missing from it gets its name by the genitive rule and no address lines. "Ring …" sentences print the
number or are left out. Unconfirmed incidents read "Uppgift från klagande". The application to
Kronofogden is addressed to Kronofogden, names the tenant as svarande with the personnummer, and is
the only letter that prints the personnummer.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from storning.letters import LetterTemplateError, available_templates, render_letter
from storning.letters.socialnamnder import load_register, municipality_name, socialnamnd

LETTERS = Path(__file__).resolve().parents[2] / "letters"
REGISTER = LETTERS / "socialnamnder.yaml"
SOCIAL_LETTERS = ("underrattelse_socialnamnd", "kopia_uppsagning", "meddelande_socialnamnd_44")
PERSONNUMMER = "19850312-1231"


def rendered(template, ctx):
    return render_letter(template, ctx, letters_dir=LETTERS)


def address_window(letter) -> str:
    """The Typst source of the address window (the `mottagare` of the letter)."""
    found = re.search(r"mottagare: \((.*?)\n  \),", letter.source, re.S)
    assert found, "no address window in the letter source"
    return found.group(1)


# --- the genitive rule and the register --------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "named"),
    [
        ("Norrköping", "Norrköpings kommun"),  # a consonant takes -s
        ("Linköping", "Linköpings kommun"),
        ("Västerås", "Västerås kommun"),  # s, x and z take nothing
        ("Borås", "Borås kommun"),
        ("Kalix", "Kalix kommun"),
        ("Umeå", "Umeå kommun"),  # nor does a vowel
        ("Uppsala", "Uppsala kommun"),
        ("Gävle", "Gävle kommun"),
        ("Falun", "Falu kommun"),  # the official exceptions
        ("Kalmar", "Kalmar kommun"),
        ("  Mark ", "Marks kommun"),
        ("Norrköpings kommun", "Norrköpings kommun"),  # typed in full: kept
        ("Göteborgs Stad", "Göteborgs Stad"),
        ("Region Gotland", "Region Gotland"),
        ("", ""),
    ],
)
def test_the_genitive_rule(typed, named):
    assert municipality_name(typed) == named


def test_the_shipped_register_has_the_demo_and_test_municipality():
    register = load_register(REGISTER)
    norrkoping = register["norrköping"]
    assert norrkoping.municipality == "Norrköpings kommun"
    assert norrkoping.lines == ("Socialkontoret", "601 81 Norrköping")
    # as typed on a case, in any case, or by its full name
    for typed in ("Norrköping", "NORRKÖPING", "Norrköpings kommun"):
        assert socialnamnd(typed, REGISTER) == norrkoping
    assert socialnamnd("Linköping", REGISTER).recipient == {
        "name": "Socialnämnden i Linköpings kommun",
        "lines": [],
    }


@pytest.mark.parametrize(
    ("content", "line", "says"),
    [
        ("Norrköping:\n  address: [Socialkontoret, 601 81 Norrköping\n", 3, "inte giltig YAML"),
        ("Norrköping:\n  name: Norrköpings kommun\n", 1, "ska vara en lista"),
        (
            "A:\n  address: [Box 1, 601 81 A]\nLinköping:\n  address: [Socialkontoret]\n",
            3,
            "postnummer och ort",
        ),
        ("Norrköping:\n  adress: [Box 1, 601 81 Norrköping]\n", 1, "okända uppgifter (adress)"),
        (
            "Norrköping:\n  address: [601 81 Norrköping]\nnorrköping:\n  address: [601 81 X]\n",
            3,
            "står två gånger",
        ),
        ("- Norrköping\n", 1, "en post per kommun"),
    ],
)
def test_a_bad_register_names_the_file_and_the_line(tmp_path, content, line, says):
    path = tmp_path / "socialnamnder.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LetterTemplateError) as error:
        load_register(path)
    message = str(error.value)
    assert str(path) in message and f"rad {line}" in message and says in message
    assert "\n" not in message


def test_a_missing_register_file_is_named(tmp_path):
    with pytest.raises(LetterTemplateError, match="finns inte"):
        socialnamnd("Norrköping", tmp_path / "saknas.yaml")


# --- letters to socialnämnden ------------------------------------------------------------------------


@pytest.mark.parametrize("template", SOCIAL_LETTERS)
def test_a_letter_to_socialnamnden_carries_the_registered_name_and_address(
    template, make_context, pdf_text
):
    ctx = make_context(template)
    ctx["recipient"] = socialnamnd("Norrköping", REGISTER).recipient
    letter = rendered(template, ctx)
    text = pdf_text(letter.pdf)
    window = address_window(letter)
    assert "Socialnämnden i Norrköpings kommun" in window
    assert "Socialkontoret" in window and "601 81 Norrköping" in window
    assert "Till socialnämnden i Norrköpings kommun" in text
    assert "Norrköping kommun" not in text


@pytest.mark.parametrize("template", SOCIAL_LETTERS)
def test_a_municipality_missing_from_the_register_gets_its_name_and_no_address_lines(
    template, make_context, pdf_text
):
    ctx = make_context(template)
    ctx["tenant"].update(municipality="Linköping", municipality_name="Linköpings kommun")
    ctx["recipient"] = socialnamnd("Linköping", REGISTER).recipient
    letter = rendered(template, ctx)
    text = pdf_text(letter.pdf)
    window = address_window(letter)
    assert "Socialnämnden i Linköpings kommun" in window
    assert window.count("[") == 1, "no address lines under the name"
    assert "Till socialnämnden i Linköpings kommun" in text
    assert "Linköping kommun" not in text and "Socialkontoret" not in text


def test_letters_to_the_tenant_name_the_municipality_as_the_register_does(make_context, pdf_text):
    ctx = make_context("uppmaning")
    ctx["tenant"].update(municipality="Falun", municipality_name=municipality_name("Falun"))
    text = pdf_text(rendered("uppmaning", ctx).pdf)
    assert "socialnämnden i Falu kommun" in text


# --- contact lines: a number or no promise -----------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "email", "present", "absent"),
    [
        ("011-00 00 01", "anna@example.se",
         ["Ring mig gärna på 011-00 00 01 eller mejla mig på anna@example.se inom en vecka"], []),
        ("011-00 00 01", None, ["Ring mig gärna på 011-00 00 01 inom en vecka"], ["mejla"]),
        (None, "anna@example.se", ["Mejla mig gärna på anna@example.se inom en vecka"], ["Ring"]),
        (None, None, ["Skriv gärna till oss på adressen ovan inom en vecka"], ["Ring", "mejla"]),
    ],
)  # fmt: skip
def test_kontaktbrev_gives_the_number_it_asks_the_tenant_to_call(
    phone, email, present, absent, make_context, pdf_text
):
    ctx = make_context("kontaktbrev")
    ctx["officer"].update(phone=phone, email=email)
    text = pdf_text(rendered("kontaktbrev", ctx).pdf)
    for needle in present:
        assert needle in text, needle
    for needle in absent:
        assert needle not in text, needle


@pytest.mark.parametrize("template", ["bekraftelse", "storningsdagbok"])
def test_the_storningsjour_is_called_on_its_number_or_not_at_all(template, make_context, pdf_text):
    ctx = make_context(template)
    with_jour = pdf_text(rendered(template, ctx).pdf)
    assert "Ring gärna störningsjouren på 011-00 00 99" in with_jour  # the diary
    if template == "bekraftelse":
        assert "Ring vår störningsjour på 011-00 00 99 medan störningen pågår" in with_jour
    ctx["landlord"]["jour_phone"] = ""
    without = pdf_text(rendered(template, ctx).pdf)
    assert "Ring vår störningsjour" not in without
    assert "Ring gärna störningsjouren" not in without
    assert "Ring polisen på 112" in without


def test_an_unconfirmed_incident_reads_as_the_complainants_word(make_context, pdf_text):
    text = pdf_text(rendered("uppmaning", make_context("uppmaning")).pdf)
    assert "Trakasserier Grannar i trapphuset blev utskällda" in text
    assert "Uppgift från klagande" in text
    assert "Ej verifierad" not in text


# --- the application to Kronofogden ------------------------------------------------------------------


def test_the_application_is_addressed_to_kronofogden_with_the_tenant_as_svarande(
    make_context, pdf_text
):
    ctx = make_context("ansokan_avhysning")
    letter = rendered("ansokan_avhysning", ctx)
    window = address_window(letter)
    assert "Kronofogden" in window and "Box 1050" in window and "172 21 Sundbyberg" in window
    assert "Kim" not in window and "Storgatan" not in window
    text = pdf_text(letter.pdf)
    assert f"Svarande Kim Hyresgäst, personnummer {PERSONNUMMER}" in text
    assert "Svarande Alex Hyresgäst" in text
    assert "Svarandens adress Storgatan 1, 602 20 Norrköping" in text


def test_the_application_cannot_be_made_without_the_personnummer(make_context):
    ctx = make_context("ansokan_avhysning")
    ctx["tenant"]["personnummer"] = ""
    with pytest.raises(LetterTemplateError, match=r'"tenant\.personnummer" saknas'):
        rendered("ansokan_avhysning", ctx)


@pytest.mark.parametrize("template", available_templates(LETTERS))
def test_no_other_letter_prints_the_personnummer(template, make_context, pdf_text):
    ctx = make_context(template)
    ctx["tenant"]["personnummer"] = PERSONNUMMER
    text = pdf_text(rendered(template, ctx).pdf)
    assert (PERSONNUMMER in text) == (template == "ansokan_avhysning")
    assert "1231" not in text or template == "ansokan_avhysning"
