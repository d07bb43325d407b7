"""The compiled disturbance report: a complete chronology, reporters pseudonymised unless disclosed."""

from __future__ import annotations

from io import BytesIO

from pypdf import PdfReader
from sqlalchemy import select

from storning import services
from storning.reports import reporter_labels
from storning.services import compile_report
from storning.store.models import AccessLog
from tests.conftest import at
from tests.helpers import letter_id, open_storning


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages).split())


def _case_with_history(app):
    ref = open_storning(app)["ref"]
    services.add_incident(
        app,
        "alice",
        at(1),
        ref,
        at=at(0.6),
        kind="noise",
        text="Fest till kl. 03",
        reporter="Greta Granne",
    )
    services.add_incident(
        app,
        "alice",
        at(1, 1),
        ref,
        at=at(0.7),
        kind="harassment",
        text="Hot i trapphuset",
        reporter="Olle Ovan",
    )
    doc = services.fire_event(
        app, "carl", at(1, 2), ref, "issue_uppmaning", override="Muntlig uppmaning given"
    )
    services.mark_letter_sent(
        app, "alice", at(1, 3), letter_id(doc, "uppmaning"), method="rekommenderat"
    )
    services.mark_letter_sent(
        app,
        "alice",
        at(3),  # recorded when the receipt is known: sent on day 1, received on day 3
        letter_id(doc, "underrattelse_socialnamnd"),
        method="rekommenderat",
        at=at(1, 4),
        delivered_on=at(3).date(),
    )
    return ref


def test_the_report_lists_incidents_letters_notices_and_overrides_with_reporters_pseudonymised(app):
    ref = _case_with_history(app)
    text = text_of(compile_report(app, "alice", at(4), ref))
    for expected in (
        "Störningsrapport",
        "Fest till kl. 03",
        "Hot i trapphuset",
        "Anmälare A",
        "Anmälare B",
        "Uppmaning att vidta rättelse",
        "Rekommenderat",
        "Underrättelse till socialnämnden",
        "mottaget 5 mars 2026",
        "Muntlig uppmaning given",
        "own_verification",
    ):
        assert expected in text, expected
    assert "Greta Granne" not in text and "Olle Ovan" not in text
    with app.db.read() as session:
        logged = list(session.scalars(select(AccessLog).where(AccessLog.action == "report")))
    assert [(x.actor, x.detail) for x in logged] == [("alice", "pseudonymised")]


def test_disclosure_names_the_reporters_and_is_journaled(app):
    ref = _case_with_history(app)
    text = text_of(compile_report(app, "carl", at(4), ref, disclose=True))
    assert "Greta Granne" in text and "Olle Ovan" in text
    doc = services.show_case(app, "alice", at(5), ref)
    assert (
        doc["journal"][-1]["event"] == "report_disclosed" and doc["journal"][-1]["actor"] == "carl"
    )


def test_reporter_labels_are_stable_in_order_of_first_appearance():
    assert reporter_labels(["X", None, "Y", "X"], disclose=False) == {
        None: "–",
        "X": "Anmälare A",
        "Y": "Anmälare B",
    }
    assert reporter_labels(["X"], disclose=True)["X"] == "X"
