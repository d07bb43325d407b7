"""Names and texts in the scripts of the people who live in Swedish rental housing (issue 10 item 6).

Every letter and the compiled report must typeset Arabic, Persian, Somali, Tigrinya (Ethiopic),
Chinese, Cyrillic and emoji (Carlito first, then the Noto fonts that scripts/setup installs), and the
text must come out of the PDF again. pypdf gives a right-to-left run in visual order (its last word
first), each word with its letters in reading order; so words are compared, and for right-to-left
names also their visual order.
"""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from storning.letters import LetterTemplateError, available_templates, render_letter
from storning.letters import rendering as rendering_module
from storning.letters.environment import finalize
from storning.letters.rendering import SYSTEM_FONTS, _Renderer
from storning.letters.samples import sample_context

LETTERS = Path(__file__).resolve().parents[2] / "letters"
TEMPLATES = available_templates(LETTERS)

# script → (a name, an incident text); right-to-left ones are marked.
SCRIPTS: dict[str, tuple[str, str]] = {
    "arabiska": ("محمد الأحمد", "صراخ وموسيقى عالية"),
    "persiska": ("زهرا احمدی", "سر و صدای بلند در شب"),
    "somaliska": ("Cabdi Maxamed", "Qaylo iyo muusig cod dheer leh"),
    "tigrinja": ("ሰላም ተስፋይ", "ዓው ዓው ብለይቲ"),
    "kinesiska": ("王小明", "深夜大声音乐"),
    "kyrilliska": ("Иван Петров", "Громкая музыка ночью"),
    "emoji": ("🎉🔥", "Fest 🎶🔊 hela natten 😡"),
}
RTL = {"arabiska", "persiska"}
MIXED = " ".join(name for name, _ in SCRIPTS.values())
MIXED_TEXT = " ".join(text for _, text in SCRIPTS.values())

# Unicode's bidi controls and marks, which pypdf may or may not give back.
_BIDI_MARKS = dict.fromkeys(
    [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)


def text_of(pdf: bytes, pdf_text: Any) -> str:
    return str(pdf_text(pdf)).translate(_BIDI_MARKS)


def words(text: str) -> list[str]:
    return text.split()


def with_people(ctx: dict[str, Any], name: str, text: str) -> dict[str, Any]:
    """`ctx` with `name` as tenant, recipient and every complainant and `text` in every incident."""
    ctx["tenant"]["name"] = name
    ctx["recipient"]["name"] = name
    for incident in ctx["incidents"]:
        incident["text"] = text
    for complainant in ctx.get("complainants", []):
        complainant["name"] = name
    if ctx.get("meeting"):
        ctx["meeting"]["participants"].append(name)
    return ctx


def assert_printed(text: str, expected: str, *, rtl: bool = False) -> None:
    """Every word of `expected` is in `text`; a right-to-left run also in visual order.

    Chinese may be broken onto the next line between any two characters, so a word is also looked
    up in `text` without spaces."""
    squeezed = text.replace(" ", "")
    missing = [w for w in words(expected) if w not in text and w not in squeezed]
    assert not missing, f"saknas i PDF:en: {missing}"
    if rtl:
        assert " ".join(reversed(words(expected))) in text


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_letter_prints_every_script(template, pdf_text):
    ctx = with_people(sample_context(template), MIXED, MIXED_TEXT)
    if template == "storningsdagbok":  # the blank diary prints no case data, only the landlord
        ctx["landlord"]["name"] = MIXED
    letter = render_letter(template, ctx, letters_dir=LETTERS)
    text = text_of(letter.pdf, pdf_text)
    assert_printed(text, MIXED)
    if ctx["incidents"] and template in ("uppmaning", "uppsagning", "rapport"):
        assert_printed(text, MIXED_TEXT)


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_tenant_and_incidents_in_one_script(script, pdf_text):
    name, incident = SCRIPTS[script]
    ctx = with_people(sample_context("uppmaning"), name, incident)
    text = text_of(render_letter("uppmaning", ctx, letters_dir=LETTERS).pdf, pdf_text)
    assert_printed(text, name, rtl=script in RTL)
    assert_printed(text, incident, rtl=script in RTL)


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_complainant_in_one_script(script, pdf_text):
    name, _ = SCRIPTS[script]
    ctx = with_people(sample_context("bekraftelse"), name, "Hög musik.")
    text = text_of(render_letter("bekraftelse", ctx, letters_dir=LETTERS).pdf, pdf_text)
    assert_printed(text, name, rtl=script in RTL)


def test_the_report_prints_every_script_for_incidents_and_disclosed_reporters(pdf_text):
    ctx = with_people(sample_context("rapport"), MIXED, MIXED_TEXT)
    ctx["report"]["disclosed"] = True
    for incident, (name, _) in zip(ctx["incidents"], SCRIPTS.values(), strict=False):
        incident["reporter_label"] = name
    text = text_of(render_letter("rapport", ctx, letters_dir=LETTERS).pdf, pdf_text)
    assert_printed(text, MIXED_TEXT)
    assert_printed(text, "محمد الأحمد", rtl=True)


def test_a_right_to_left_name_keeps_the_letters_own_text_in_place(letters_copy, pdf_text):
    path = letters_copy / "kontaktbrev.typ.j2"
    path.write_text(path.read_text().replace("Hej!", "Hej {{ tenant.name }} 1102, välkommen!"))
    ctx = with_people(sample_context("kontaktbrev"), "محمد الأحمد", "-")
    text = text_of(render_letter("kontaktbrev", ctx, letters_dir=letters_copy).pdf, pdf_text)
    # Visual order: the name right to left, then the flat number and comma where the template has
    # them (without a bidi isolate the number would be drawn left of the name).
    assert "Hej الأحمد محمد 1102, välkommen!" in text


def test_values_are_bidi_isolated_and_stray_bidi_controls_dropped():
    assert finalize("Kim Ek") == "Kim Ek"
    assert finalize("محمد") == "\u2067محمد\u2069"  # right-to-left isolate
    assert finalize("محمد och Alex") == "\u2066محمد och Alex\u2069"  # the letter's direction
    assert finalize("Kim \u202eEk") == "Kim Ek"  # an unpaired override would reverse the line
    assert finalize("\u2069محمد") == "\u2067محمد\u2069"


def test_the_fallback_fonts_are_the_ones_the_layout_names():
    layout = (LETTERS / "_layout.typ").read_text()
    line = next(ln for ln in layout.splitlines() if ln.startswith("#let typsnitt"))
    assert re.findall(r'"([^"]+)"', line) == ["Carlito", *SYSTEM_FONTS]


def test_the_fallback_fonts_are_installed():
    missing = _Renderer(LETTERS).missing_fonts
    assert not missing, f"installera {sorted(set(missing.values()))} (scripts/setup)"


def test_only_the_fonts_a_letter_needs_are_embedded():
    ctx = with_people(sample_context("uppmaning"), "王小明", "Hög musik.")
    reader = PdfReader(BytesIO(render_letter("uppmaning", ctx, letters_dir=LETTERS).pdf))
    fonts = {
        str(font.get_object().get("/BaseFont")).split("+")[-1]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert {f.split("-")[0] for f in fonts} == {"Carlito", "NotoSansCJKsc"}


def test_without_the_font_packages_a_swedish_letter_still_renders(monkeypatch, pdf_text):
    monkeypatch.setattr(rendering_module, "SYSTEM_FONT_DIRS", ())
    renderer = _Renderer(LETTERS)
    assert set(renderer.missing_fonts) == set(SYSTEM_FONTS)
    info = rendering_module.template_info("kontaktbrev", LETTERS)
    letter = renderer.render(info, sample_context("kontaktbrev"))
    assert "Kim Hyresgäst" in pdf_text(letter.pdf)


def test_without_the_font_packages_a_letter_names_the_packages_to_install(monkeypatch):
    monkeypatch.setattr(rendering_module, "SYSTEM_FONT_DIRS", ())
    renderer = _Renderer(LETTERS)
    info = rendering_module.template_info("kontaktbrev", LETTERS)
    ctx = with_people(sample_context("kontaktbrev"), "ሰላም ተስፋይ", "-")
    with pytest.raises(LetterTemplateError) as e:
        renderer.render(info, ctx)
    message = str(e.value)
    assert message.startswith('Brevet "kontaktbrev" kan inte skapas eftersom typsnittet för texten')
    assert "fonts-noto-cjk, fonts-noto-color-emoji och fonts-noto-core" in message
    assert "scripts/setup" in message
    assert "Carlito" not in message


def test_a_character_no_font_has_is_named(ctx):
    ctx["tenant"]["name"] = "Kim \ue000 Ek"
    with pytest.raises(LetterTemplateError) as e:
        render_letter("uppmaning", ctx, letters_dir=LETTERS)
    assert str(e.value) == (
        'Brevet "uppmaning" kan inte skapas eftersom tecknet "\ue000" (U+E000) inte finns i något '
        "av brevens typsnitt; skriv uppgiften utan det tecknet."
    )
