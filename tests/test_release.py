"""Redacted release of a case file (offentlighetsprincipen, OSL 2 kap. 3 §), through the CLI and the
API (issue 15 item 5; the web form is in tests/web/test_privacy_pages.py).

The product proposes what to mask (a protected complainant's identity and contacts, every
complainant's contacts, personnummer, the free text of offence incidents, health and social-services
facts), the person deciding extends or trims the choice, and the PDF is typeset from data where the
masked text has been replaced by "[MASKERAT]": text extraction of the PDF finds none of the masked
strings. The decision is logged in `case_releases` (who, when, the request, which fields, which OSL
provision) and the access log.
"""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import select

from storning.store.models import CaseRelease
from tests.doors import Doors, api_refused, cli_refused, open_doors_with_privacy_officer, pdf_text

OPENED = "2026-03-02T09:00"
LATER = "2026-03-02T10:00"
KIM_PNR = "19850312-1231"
GRETA = "Greta Granne"
GRETA_PHONE = "070-765 43 21"
OLLE = "Olle Öppen"
OLLE_MAIL = "olle@example.se"
THREAT = "Hotade grannen med kniv i tvättstugan"
NOISE = "Hög musik hela natten"


@pytest.fixture
def doors(app, db_url, monkeypatch):
    with open_doors_with_privacy_officer(app, db_url, monkeypatch) as d:
        yield d


@pytest.fixture
def ref(doors: Doors) -> str:
    args = ["case", "open", "--type", "storning", "--tenant", "Kim Hyresgäst", "--address",
            "Storgatan 1", "--apartment", "1102", "--personnummer", KIM_PNR,
            "--complainant", GRETA, "--protected"]  # fmt: skip
    case = doors.cli_json(*args, now=OPENED)["ref"]
    steps = [
        ("complainant", "update", case, "1", "--phone", GRETA_PHONE),
        ("complainant", "add", case, "--name", OLLE, "--email", OLLE_MAIL),
        ("incident", "add", case, "--at", "2026-03-01T22:00", "--kind", "threat",
         "--text", THREAT, "--reporter", GRETA),
        ("incident", "add", case, "--at", "2026-03-01T23:00", "--kind", "noise",
         "--text", f"{NOISE}; {GRETA} kunde inte sova", "--reporter", OLLE),
    ]  # fmt: skip
    for step in steps:
        done = doors.cli(*step, now=LATER)
        assert done.exit_code == 0, done.stderr
    return str(case)


def proposal(doors: Doors, ref: str, user: str = "carl") -> dict:
    return doors.cli_json("utlamna", ref, "--proposal", now=LATER, user=user)


def fields(offered: dict) -> dict[str, dict]:
    return {f["label"]: f for f in offered["fields"]}


def test_the_product_proposes_the_protected_and_sensitive_fields(doors, ref):
    offered = fields(proposal(doors, ref))
    # a protected complainant's name and contacts: proposed and locked, OSL 21 kap. 3 §
    assert (offered["Anmälare 1: namn"]["locked"], offered["Anmälare 1: namn"]["reason"]) == (
        True,
        "osl_21_3",
    )
    assert offered["Anmälare 1: kontaktuppgifter"]["locked"] is True
    # an unprotected complainant: the contacts proposed, the name not
    assert offered["Anmälare 2: kontaktuppgifter"]["proposed"] is True
    assert offered["Anmälare 2: namn"]["proposed"] is False
    assert offered["Hyresgäst: personnummer"]["proposed"] is True
    assert offered["Händelse 2026-03-01 22:00 (Hot): beskrivning"]["proposed"] is True  # art. 10
    assert offered["Händelse 2026-03-01 23:00 (Buller): beskrivning"]["proposed"] is False
    assert offered["Hyresgäst: namn"]["proposed"] is False
    # the proposal shows field names and reasons, never the values
    assert GRETA not in json.dumps(proposal(doors, ref), ensure_ascii=False)


def test_released_pdf_holds_none_of_the_masked_strings(doors, ref, tmp_path):
    out = tmp_path / "ut.pdf"
    done = doors.cli(
        "utlamna", ref, "--request", "Dnr 2026/17", "--mask", "tenant.name", "-o", str(out),
        now=LATER, user="carl",
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    text = pdf_text(out.read_bytes())
    masked = (GRETA, "Greta", GRETA_PHONE, OLLE_MAIL, KIM_PNR, "19850312", THREAT, "Kim Hyresgäst")
    for secret in masked:
        assert secret not in text, secret
    assert "[MASKERAT]" in text
    # what was not masked is there, so the test can tell a removal from an empty document
    assert OLLE in text and NOISE in text and "Storgatan 1" in text and "Dnr 2026/17" in text
    # the protected complainant named inside another incident's text is removed there too
    assert "[MASKERAT] kunde inte sova" in text


def test_without_masks_the_same_strings_are_in_the_pdf(doors, ref, tmp_path):
    """The control: the strings the redaction test looks for are printed when not masked (only the
    locked protected identity has to stay masked)."""
    offered = proposal(doors, ref)
    locked = [f["field"] for f in offered["fields"] if f["locked"]]
    unmask = [f["field"] for f in offered["fields"] if f["proposed"] and not f["locked"]]
    out = tmp_path / "open.pdf"
    args = ["utlamna", ref, "--request", "Dnr 1", "-o", str(out)]
    for field in unmask:
        args += ["--unmask", field]
    done = doors.cli(*args, now=LATER, user="carl")
    assert done.exit_code == 0, done.stderr
    text = pdf_text(out.read_bytes())
    for visible in (OLLE_MAIL, THREAT, "Kim Hyresgäst", KIM_PNR):
        assert visible in text, visible
    assert GRETA not in text and GRETA_PHONE not in text
    assert len(locked) == 3  # name, contacts, and the incident she reported


def test_the_decision_is_logged(doors, ref, tmp_path):
    out = tmp_path / "ut.pdf"
    made = doors.cli(
        "utlamna", ref, "--request", "Dnr 2026/17", "--mask", "tenant.address=osl_21_3", "-o",
        str(out), "--json", now=LATER, user="dina",
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr
    summary = json.loads(made.stdout)
    with doors.app.db.read() as session:
        row = session.scalars(select(CaseRelease)).one()
    assert (row.actor, row.request_ref, row.id) == ("dina", "Dnr 2026/17", summary["id"])
    assert row.at.isoformat().startswith("2026-03-02T09:00")  # 10:00 in Stockholm, UTC stored
    assert {"field": "tenant.address", "reason": "osl_21_3"} in row.masked
    assert {"field": "tenant.personnummer", "reason": "osl_21_7"} in row.masked
    assert GRETA not in json.dumps(row.masked) and row.sha256 == summary["sha256"]
    log = [r for r in doors.access_log() if r.action == "release"]
    assert [(r.actor, r.case_id) for r in log] == [("dina", doors.case_id(ref))]


def test_a_protected_identity_cannot_be_unmasked(doors, ref, tmp_path):
    refused = doors.cli(
        "utlamna", ref, "--request", "Dnr 1", "--unmask", "complainant.1.name", "-o",
        str(tmp_path / "x.pdf"), now=LATER, user="carl",
    )  # fmt: skip
    assert "skyddad identitet" in cli_refused(refused)
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (("--mask", "nonsense.field"), "inget fält"),
        (("--mask", "tenant.name=osl_99"), "sekretessgrund"),
        (("--request", "   "), "diarienummer"),
    ],
)
def test_bad_input_is_one_sentence(doors, ref, tmp_path, extra, needle):
    args = ["utlamna", ref, "--request", "Dnr 1", "-o", str(tmp_path / "x.pdf"), *extra]
    assert needle in cli_refused(doors.cli(*args, now=LATER, user="carl"))


@pytest.mark.parametrize("user", ["alice", "lisa", "bob"])
def test_officers_readers_and_other_teams_may_not_release(doors, ref, user):
    refused = cli_refused(doors.cli("utlamna", ref, "--proposal", now=LATER, user=user))
    assert "dataskyddsombud" in refused or "inget ärende" in refused


def test_the_api_door(doors, ref):
    offered = doors.api("carl", "GET", f"/api/cases/{ref}/release", now=LATER)
    assert offered.status_code == 200, offered.text
    masks = {f["field"]: f["reason"] for f in offered.json()["fields"] if f["proposed"]}
    made = doors.api(
        "carl", "POST", f"/api/cases/{ref}/release", now=LATER,
        json={"request_ref": "Dnr 2026/18", "masks": masks},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    text = pdf_text(base64.b64decode(made.json()["pdf_base64"]))
    for secret in (GRETA, GRETA_PHONE, OLLE_MAIL, KIM_PNR, THREAT):
        assert secret not in text, secret
    assert GRETA not in made.text
    bad = doors.api(
        "carl", "POST", f"/api/cases/{ref}/release", now=LATER,
        json={"request_ref": "Dnr 1", "masks": {}},
    )  # fmt: skip
    assert "skyddad identitet" in api_refused(bad)
    api_refused(doors.api("bob", "GET", f"/api/cases/{ref}/release", now=LATER), (403,))
    api_refused(doors.api("lisa", "GET", f"/api/cases/{ref}/release", now=LATER), (403,))
