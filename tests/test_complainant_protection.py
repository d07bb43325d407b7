"""Complainant protection end to end: a protected complainant who is also the incidents' reporter never
appears in any letter to the tenant or to socialnämnden built from a real case."""

from __future__ import annotations

from io import BytesIO

from pypdf import PdfReader

from storning import services
from storning.letters import TEMPLATE_CATALOG
from tests.conftest import at
from tests.helpers import GROUNDS, letter_id, open_storning

NAME = "Greta Granne"


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages).split())


def test_no_letter_outside_the_complainants_own_names_them(app):
    ref = open_storning(app, complainants=[(NAME, True)])["ref"]
    services.add_incident(
        app,
        "alice",
        at(1),
        ref,
        at=at(0.5),
        kind="noise",
        text="Hög musik",
        verified_by="jour",
        reporter=NAME,
    )
    services.fire_event(app, "alice", at(1, 1), ref, "record_contact", params={"channel": "letter"})
    doc = services.fire_event(app, "alice", at(1, 2), ref, "issue_uppmaning")
    services.mark_letter_sent(
        app, "alice", at(1, 3), letter_id(doc, "uppmaning"), method="rekommenderat"
    )
    services.mark_letter_sent(
        app, "alice", at(1, 4), letter_id(doc, "underrattelse_socialnamnd"), method="vanligt"
    )
    services.add_incident(
        app,
        "alice",
        at(5),
        ref,
        at=at(4),
        kind="noise",
        text="Igen",
        verified_by="staff",
        reporter=NAME,
    )
    services.fire_event(app, "alice", at(5, 1), ref, "terminate", reason=GROUNDS)
    letters = services.list_letters(app, "alice", at(6), ref)
    checked = set()
    for letter in letters:
        pdf = services.letter_pdf(app, "alice", at(6), letter["id"]).data
        audience = TEMPLATE_CATALOG[letter["template"]].audience
        if audience == "complainant":
            continue
        assert NAME not in text_of(pdf), letter["template"]
        checked.add(letter["template"])
    assert {"kontaktbrev", "uppmaning", "underrattelse_socialnamnd", "uppsagning"} <= checked
    bekraftelse = letter_id({"letters": letters}, "bekraftelse")
    assert NAME in text_of(services.letter_pdf(app, "alice", at(6), bekraftelse).data)


def test_each_complainant_gets_their_own_confirmation_naming_no_one_else(app):
    doc = open_storning(
        app,
        complainants=[
            (NAME, True, "Storgatan 1, lgh 1202\n602 20 Norrköping"),
            ("Olle Ovan", False, "Storgatan 1, lgh 1302\n602 20 Norrköping"),
        ],
    )
    confirmations = [x["id"] for x in doc["letters"] if x["template"] == "bekraftelse"]
    assert len(confirmations) == 2
    texts = [text_of(services.letter_pdf(app, "alice", at(1), n).data) for n in confirmations]
    assert NAME in texts[0] and "lgh 1202" in texts[0] and "Olle Ovan" not in texts[0]
    assert "Olle Ovan" in texts[1] and "lgh 1302" in texts[1] and NAME not in texts[1]
    assert "Kim Hyresgäst" not in texts[0].split("Datum")[0]  # not addressed to the tenant
