"""The renderer's contracts: escaping, strictness, complainant protection, determinism, PDF/A."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import threading
from io import BytesIO

import pytest
from pypdf import PdfReader

from storning.letters import (
    TEMPLATE_CATALOG,
    LetterTemplateError,
    available_templates,
    render_letter,
    template_path,
)
from storning.letters.rendering import _renderer
from storning.letters.samples import COMPLAINANT, COMPLAINANT_PHONE, sample_context

NASTY = [
    '#panic("x")',
    "#sys.exit()",
    "*fet* _kursiv_ $x$ = rubrik",
    "Kim <label> @ref `kod` [ ] \\ ~ // inte en kommentar",
    'O\'Brien "citat" -- --- ... 1. 2) + - / : ; ! ? % & ^ | { }',
]


def test_hostile_tenant_names_print_literally(ctx, pdf_text):
    for name in NASTY:
        ctx["tenant"]["name"] = name
        letter = render_letter("uppmaning", ctx)
        assert name in pdf_text(letter.pdf)


def test_line_start_markup_in_a_value_is_neutralised(ctx, pdf_text):
    ctx["incidents"][0]["text"] = "Första raden\n= rubrik\n- lista\n+ nummer\n/ term: x\n1. ett"
    text = pdf_text(render_letter("uppmaning", ctx).pdf)
    assert "Första raden = rubrik - lista + nummer / term: x 1. ett" in text


def test_code_mode_values_are_string_literals(ctx):
    ctx["landlord"]["name"] = 'Bo "Tak" \\ AB'
    letter = render_letter("uppmaning", ctx)
    assert PdfReader(BytesIO(letter.pdf)).metadata.author == 'Bo "Tak" \\ AB'


def test_a_missing_value_names_the_letter_and_the_field(ctx):
    del ctx["tenant"]["contract"]
    with pytest.raises(LetterTemplateError) as error:
        render_letter("uppmaning", ctx)
    assert error.value.field == "tenant.contract"
    assert str(error.value) == (
        'Brevet "uppmaning" kan inte skapas eftersom uppgiften "tenant.contract" saknas '
        "i underlaget."
    )


def test_a_none_fact_counts_as_missing():
    ctx = sample_context("uppsagning")
    ctx["facts"]["uppmaning_given_on"] = None
    with pytest.raises(LetterTemplateError, match=r'"facts\.uppmaning_given_on" saknas'):
        render_letter("uppsagning", ctx)


def test_blank_text_counts_as_missing(ctx):
    ctx["tenant"]["contract"] = " "
    with pytest.raises(LetterTemplateError, match=r'"tenant\.contract" saknas'):
        render_letter("uppmaning", ctx)


def test_a_missing_top_level_value_is_named():
    ctx = sample_context("kallelse")
    ctx["meeting"] = None
    with pytest.raises(LetterTemplateError, match=r'"kallelse".*"meeting" saknas'):
        render_letter("kallelse", ctx)


def test_an_empty_list_element_field_is_named_by_path(ctx):
    ctx["incidents"][1]["verified_label"] = None
    with pytest.raises(LetterTemplateError, match=r'"incidents\[1\]\.verified_label" saknas'):
        render_letter("uppmaning", ctx)


def test_it_refuses_termination_without_disturbances_after_the_uppmaning():
    ctx = sample_context("uppsagning")
    ctx["incidents"] = ctx["incidents"][:3]  # all before the uppmaning of 2 March
    with pytest.raises(LetterTemplateError, match=r"en störning efter uppmaningen"):
        render_letter("uppsagning", ctx)


def test_a_letter_without_a_date_is_refused(ctx):
    ctx["letter"]["date"] = None
    with pytest.raises(LetterTemplateError, match=r'"letter\.date" saknas'):
        render_letter("uppmaning", ctx)


def test_an_unknown_template_lists_the_known_ones(ctx):
    with pytest.raises(LetterTemplateError, match="tillgängliga mallar: bekraftelse"):
        render_letter("finns_inte", ctx)


@pytest.mark.parametrize(
    "template", [t for t, i in TEMPLATE_CATALOG.items() if not i.sees_complainants]
)
def test_complainant_data_never_reaches_other_audiences(template, make_context, pdf_text):
    ctx = make_context(template)
    ctx["complainants"] = [{"name": COMPLAINANT, "phone": COMPLAINANT_PHONE, "protected": True}]
    letter = render_letter(template, ctx)
    for secret in (COMPLAINANT, COMPLAINANT_PHONE, "Klagandesson"):
        assert secret not in pdf_text(letter.pdf)
        assert secret not in letter.source


def test_complainants_are_dropped_before_rendering_even_if_a_template_asks(letters_copy, ctx):
    (letters_copy / "lacka.typ.j2").write_text(
        '{% extends "_brev.typ.j2" %}{% block body %}{{ complainants[0].name }}{% endblock %}'
    )
    with (letters_copy / "catalog.yaml").open("a") as catalog:
        catalog.write("lacka: {title: Läcka, audience: tenant}\n")
    ctx["complainants"] = [{"name": COMPLAINANT, "protected": True}]
    with pytest.raises(LetterTemplateError, match='"complainants" saknas'):
        render_letter("lacka", ctx, letters_dir=letters_copy)


def test_the_complainant_letter_may_use_complainant_data(letters_copy, make_context, pdf_text):
    (letters_copy / "till_anmalare.typ.j2").write_text(
        '{% extends "_brev.typ.j2" %}{% block body %}{{ complainants[0].name }}{% endblock %}'
    )
    with (letters_copy / "catalog.yaml").open("a") as catalog:
        catalog.write("till_anmalare: {title: Till anmälaren, audience: complainant}\n")
    letter = render_letter("till_anmalare", make_context("bekraftelse"), letters_dir=letters_copy)
    assert COMPLAINANT in pdf_text(letter.pdf)


def test_same_context_gives_identical_bytes(ctx):
    first = render_letter("uppmaning", ctx)
    _renderer.cache_clear()  # a fresh compiler, as in another process
    second = render_letter("uppmaning", sample_context("uppmaning"))
    assert first.pdf == second.pdf
    assert first.sha256 == second.sha256 == hashlib.sha256(first.pdf).hexdigest()
    assert first.source == second.source


def test_the_rendered_letter_describes_itself(ctx):
    letter = render_letter("uppmaning", ctx)
    assert letter.template == "uppmaning"
    assert letter.title == "Uppmaning att vidta rättelse"
    assert len(letter.template_version) == 12
    assert letter.pdf.startswith(b"%PDF-")
    assert letter.source.startswith("#import")


def test_an_edited_template_gets_a_new_version(letters_copy, ctx):
    before = render_letter("uppmaning", ctx, letters_dir=letters_copy).template_version
    path = template_path("uppmaning", letters_copy)
    path.write_text(path.read_text() + "\n")
    layout = letters_copy / "_layout.typ"
    after = render_letter("uppmaning", ctx, letters_dir=letters_copy).template_version
    layout.write_text(layout.read_text() + "\n")
    after_layout = render_letter("uppmaning", ctx, letters_dir=letters_copy).template_version
    assert len({before, after, after_layout}) == 3


def test_the_letters_dir_can_be_set_by_environment(letters_copy, ctx, monkeypatch, pdf_text):
    path = template_path("kontaktbrev", letters_copy)
    path.write_text(path.read_text().replace("Hej!", "Hej från en egen mall!"))
    monkeypatch.setenv("STORNING_LETTERS_DIR", str(letters_copy))
    assert "Hej från en egen mall!" in pdf_text(render_letter("kontaktbrev", ctx).pdf)


def test_pdf_is_pdfa2b_pdfua1_tagged_and_dated(ctx):
    reader = PdfReader(BytesIO(render_letter("uppmaning", ctx).pdf))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert "<pdfaid:part>2</pdfaid:part>" in xmp and "<pdfaid:conformance>B" in xmp
    assert "<pdfuaid:part>1</pdfuaid:part>" in xmp
    assert root["/MarkInfo"]["/Marked"] is True or root["/MarkInfo"]["/Marked"] == True  # noqa: E712
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "sv-SE"
    meta = reader.metadata
    assert meta.title == "Uppmaning att vidta rättelse"
    assert meta.author == "Hyresbostäder i Norrköping AB"
    assert meta.creation_date.date() == dt.date(2026, 3, 2)


def test_only_the_shipped_font_is_embedded(ctx):
    reader = PdfReader(BytesIO(render_letter("uppmaning", ctx).pdf))
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    assert fonts and all(name.startswith("Carlito") for name in fonts)


def test_typst_raw_accepts_only_literals(letters_copy, ctx, pdf_text):
    (letters_copy / "raa.typ.j2").write_text(
        '{% extends "_brev.typ.j2" %}{% block body %}{{ "*fet*" | typst_raw }}{% endblock %}'
    )
    (letters_copy / "raa_data.typ.j2").write_text(
        '{% extends "_brev.typ.j2" %}{% block body %}{{ tenant.name | typst_raw }}{% endblock %}'
    )
    with (letters_copy / "catalog.yaml").open("a") as catalog:
        catalog.write(
            "raa: {title: Rå, audience: internal}\nraa_data: {title: Rå, audience: internal}\n"
        )
    assert "*fet*" not in pdf_text(render_letter("raa", ctx, letters_dir=letters_copy).pdf)
    with pytest.raises(LetterTemplateError, match="typst_raw får bara användas på en textsträng"):
        render_letter("raa_data", ctx, letters_dir=letters_copy)


def test_the_sandbox_keeps_templates_away_from_python(letters_copy, ctx):
    (letters_copy / "elak.typ.j2").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with (letters_copy / "catalog.yaml").open("a") as catalog:
        catalog.write("elak: {title: Elak, audience: internal}\n")
    with pytest.raises(LetterTemplateError, match='"elak"'):
        render_letter("elak", ctx, letters_dir=letters_copy)


def test_a_typst_error_names_the_letter(letters_copy, ctx):
    (letters_copy / "trasig.typ.j2").write_text('#import "/_layout.typ": *\n#finns-inte()\n')
    with (letters_copy / "catalog.yaml").open("a") as catalog:
        catalog.write("trasig: {title: Trasig, audience: internal}\n")
    with pytest.raises(
        LetterTemplateError, match=r'"trasig" kunde inte sättas av Typst.*finns-inte'
    ):
        render_letter("trasig", ctx, letters_dir=letters_copy)


def test_a_bad_catalog_line_names_file_and_line(letters_copy, ctx):
    with (letters_copy / "catalog.yaml").open("a") as catalog:
        catalog.write("\nfel: {title: Fel, audience: grannen}\n")
    with pytest.raises(
        LetterTemplateError, match=r"catalog.yaml, rad \d+: mallen fel ska ha audience"
    ):
        render_letter("uppmaning", ctx, letters_dir=letters_copy)


# A 1×1 transparent PNG.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def test_a_logo_inside_the_letters_dir_is_printed(letters_copy, ctx):
    (letters_copy / "logo.png").write_bytes(PIXEL)
    ctx["landlord"]["logo"] = "logo.png"
    reader = PdfReader(BytesIO(render_letter("uppmaning", ctx, letters_dir=letters_copy).pdf))
    assert reader.pages[0].images


def test_a_logo_outside_the_letters_dir_is_refused(letters_copy, ctx, tmp_path):
    (tmp_path / "logo.png").write_bytes(PIXEL)
    ctx["landlord"]["logo"] = str(tmp_path / "logo.png")
    with pytest.raises(LetterTemplateError, match="logotypen"):
        render_letter("uppmaning", ctx, letters_dir=letters_copy)


def test_it_renders_from_several_threads(make_context):
    errors: list[Exception] = []

    def work(template: str) -> None:
        try:
            for _ in range(3):
                render_letter(template, make_context(template))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in available_templates()[:4]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
