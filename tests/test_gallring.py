"""Gallring (issue 15): after a run, the personal data of the erased cases is nowhere — not in any
column of any table, not in the text of any stored PDF, not in any file the product wrote — while cases
not yet due and held cases are untouched, a dry run changes nothing, a second run does nothing, the
run's record holds no personal data, and the erased case still answers through every door.

Expected dates come from the policy shipped in workflows/gallring/policy.yaml and DOMAIN §7: conduct
data is kept two years after the case closed (a move-out closes it).
"""

from __future__ import annotations

import json
import re
import shutil
import warnings
from collections.abc import Iterator
from dataclasses import asdict, replace
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import select, text

from storning import services
from storning.app import App
from storning.cli import main
from storning.errors import InvalidInput, PermissionDenied
from storning.jobs import scheduled_jobs
from storning.records import gallring
from storning.records.policy import PolicyError, parse_policy
from storning.services import retention
from storning.services.evidence import list_evidence
from storning.store.models import AccessLog, Base
from storning.timers import run_due
from tests.conftest import ROOT, ZONE, at, base_settings

with warnings.catch_warnings():
    # Import the test client before the web app: pygal (issue 14's charts) installs an import hook
    # that turns starlette's fallback from httpx2 to httpx into an ImportWarning.
    warnings.simplefilter("ignore")
    from starlette import testclient  # noqa: F401

from tests.doors import api_refused, cli_refused, open_doors, page_text

# A run two years and two months after the old cases closed (at(30) = 1 April 2026).
RUN_AT = datetime(2028, 6, 1, 3, 0, tzinfo=ZONE)
CLOSED_OLD = at(30)
CLOSED_RECENT = datetime(2027, 9, 1, 10, 0, tzinfo=ZONE)  # + 2 years = 2029-09-01, after RUN_AT


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[App]:
    """The world of tests/conftest.py, with the data directory (evidence files) in the test's own
    folder, where the scan reads every file."""
    settings = base_settings(db_url)
    if hasattr(settings, "data_dir"):
        settings = replace(settings, data_dir=tmp_path / "data")
    application = App.create(settings)
    yield application
    application.db.dispose()


def _evidence_pdf(words: str) -> bytes:
    """A small PDF whose text is plain in the file (uncompressed), as a scanned note might be."""
    stream = f"BT /F1 12 Tf 72 720 Td ({words}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


def _attach_evidence(app: App, ref: str, who: dict[str, str]) -> None:
    """Issue 16's evidence files, where this version has them: a file naming the tenant."""
    try:
        from storning.services.evidence import add_evidence
    except ImportError:  # pragma: no cover - a version without evidence files
        return
    add_evidence(
        app,
        "alice",
        at(1, 0.5),
        ref,
        f"{who['evidence']}.pdf",
        [_evidence_pdf(f"{who['tenant']} {who['evidence']}")],
        note=f"Foto, {who['evidence']}",
    )


def luhn_ok(personnummer: str) -> bool:
    """Skatteverket's check digit (the Luhn algorithm over YYMMDDNNN), to make valid test numbers."""
    digits = personnummer.replace("-", "")[2:]
    total = 0
    for i, c in enumerate(digits[:9]):
        v = int(c) * (2 if i % 2 == 0 else 1)
        total += v // 10 + v % 10
    return (10 - total % 10) % 10 == int(digits[9])


# The personal data of each case, distinctive and ASCII (so a raw scan of the files finds them too).
PEOPLE = {
    "erased": {
        "tenant": "Zelda Zebrasson",
        "co_tenant": "Yrsa Ytterkvist",
        "address": "Ovanligavagen 77",
        "evidence": "Zebrabild",
        "city": "Zebrahamn",
        "apartment": "ZQ-9911",
        "contract": "KX-55123",
        "personnummer": "19720918-4469",
        "complainant": "Greta Grasparv",
        "complainant_address": "Grasparvsgrand 3",
        "phone": "070-999 88 71",
        "email": "greta.grasparv@example.se",
        "incident": "Trumpetsolo klockan tre",
        "place": "Trapphuset Zebravagen",
        "reporter": "Ruben Rapportorsson",
        "reason": "Flyttade till Ystadhemmet",
    },
    "recent": {
        "tenant": "Bertil Bortamark",
        "co_tenant": "Britta Bortamark",
        "address": "Bakvagen 12",
        "evidence": "Bortabild",
        "city": "Bortahamn",
        "apartment": "BQ-7722",
        "contract": "KX-77001",
        "personnummer": "19811224-3376",
        "complainant": "Harald Hackspett",
        "complainant_address": "Hackspettsgrand 5",
        "phone": "070-999 88 72",
        "email": "harald.hackspett@example.se",
        "incident": "Borrmaskin hela natten",
        "place": "Tvattstugan Bakvagen",
        "reporter": "Siv Skvallersson",
        "reason": "Flyttade till Bollnashuset",
    },
    "held": {
        "tenant": "Cecilia Cederholm",
        "co_tenant": "Conny Cederholm",
        "address": "Cypressgatan 4",
        "evidence": "Cederbild",
        "city": "Cederhamn",
        "apartment": "CQ-3344",
        "contract": "KX-33001",
        "personnummer": "19690101-5534",
        "complainant": "Ivar Igelkott",
        "complainant_address": "Igelkottsgrand 9",
        "phone": "070-999 88 73",
        "email": "ivar.igelkott@example.se",
        "incident": "Hundskall utan uppehall",
        "place": "Garaget Cypressgatan",
        "reporter": "Tove Tjallarsson",
        "reason": "Flyttade till Cypernvillan",
    },
}


def test_the_made_up_personnummer_are_valid() -> None:
    assert all(luhn_ok(p["personnummer"]) for p in PEOPLE.values())


def _open_and_close(app: App, who: dict[str, str], closed_at: datetime) -> str:
    doc = services.open_case(
        app,
        "alice",
        at(0),
        services.NewCase(
            case_type="storning",
            tenant=who["tenant"],
            address=who["address"],
            postal_code="602 20",
            city=who["city"],
            apartment=who["apartment"],
            contract=who["contract"],
            municipality="Norrköping",
            co_tenants=[who["co_tenant"]],
            personnummer=who["personnummer"],
            complainants=[
                services.ComplainantDetails(
                    name=who["complainant"],
                    protected=True,
                    address=who["complainant_address"],
                    phone=who["phone"],
                    email=who["email"],
                )
            ],
        ),
    )
    ref = doc["ref"]
    services.add_incident(
        app,
        "alice",
        at(1),
        ref,
        at=at(0.5),
        kind="noise",
        text=who["incident"],
        place=who["place"],
        reporter=who["reporter"],
        verified_by="staff",
    )
    _attach_evidence(app, ref, who)
    doc = services.fire_event(app, "alice", at(1, 1), ref, "issue_uppmaning")
    uppmaning = [x for x in doc["letters"] if x["template"] == "uppmaning"][-1]
    services.mark_letter_sent(app, "alice", at(2), uppmaning["id"], method="vanligt")
    run_due(app, at(20))  # reminders and notifications into the outbox
    services.fire_event(
        app, "alice", closed_at, ref, "tenant_moved", track="legal", reason=who["reason"]
    )
    return str(ref)


def _world(app: App) -> dict[str, str]:
    refs = {
        "erased": _open_and_close(app, PEOPLE["erased"], CLOSED_OLD),
        "held": _open_and_close(app, PEOPLE["held"], CLOSED_OLD),
    }
    refs["recent"] = _open_and_close(app, PEOPLE["recent"], CLOSED_RECENT)
    retention.place_hold(
        app, "carl", CLOSED_RECENT, refs["held"], "Tvist om skadestånd i tingsrätten"
    )
    return refs


# --- the scan ------------------------------------------------------------------------------------------


def _decoded(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | memoryview):
        data = bytes(value)
        parts = [data.decode("utf-8", "replace"), data.decode("latin-1")]
        if data.startswith(b"%PDF"):
            reader = PdfReader(BytesIO(data))
            parts += [page.extract_text() for page in reader.pages]
            parts += [json.dumps(reader.metadata or {}, default=str)]
        return "\n".join(parts)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def dump_tables(app: App) -> dict[str, list[tuple[str, ...]]]:
    """Every column of every row of every table, as text (PDFs also as their extracted text)."""
    dump: dict[str, list[tuple[str, ...]]] = {}
    with app.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            dump[table.name] = [tuple(_decoded(v) for v in row) for row in rows]
    return dump


def _flat(dump: dict[str, list[tuple[str, ...]]]) -> str:
    return "\n".join(
        f"{name}: {' | '.join(row)}" for name, rows in dump.items() for row in rows
    ).casefold()


def written_files(app: App) -> list[Path]:
    """Every file the product wrote: the SQLite file with its -wal and -shm beside it, and the data
    directory (evidence files)."""
    places: list[Path] = []
    url = app.settings.db_url
    if url.startswith("sqlite:///"):
        places.append(Path(url.removeprefix("sqlite:///")).parent)
    data_dir = getattr(app.settings, "data_dir", None)
    if data_dir is not None:
        places.append(Path(data_dir))
    return [p for place in places if place.exists() for p in place.rglob("*") if p.is_file()]


def _values(who: dict[str, str]) -> list[str]:
    return list(who.values())


def _found(haystack: str, who: dict[str, str]) -> list[str]:
    return [v for v in _values(who) if v.casefold() in haystack]


def test_a_run_leaves_no_personal_data_of_erased_cases_in_any_table_or_file(app: App) -> None:
    refs = _world(app)
    before = dump_tables(app)
    flat_before = _flat(before)
    # the scan can find them: every value of every case is stored somewhere before the run
    for who in PEOPLE.values():
        assert _found(flat_before, who) == _values(who)
    assert any(r[0] for r in before["letters"]), "no letters"
    assert any(
        "%PDF" in cell and PEOPLE["erased"]["tenant"] in cell
        for row in before["letters"]
        for cell in row
    ), "the issued PDF's text names the tenant before the run"

    dry = retention.gallra(app, "admin", RUN_AT, dry_run=True)
    assert dump_tables(app) == before, "a dry run changes nothing"
    assert [d["ref"] for d in dry["due"]] == [refs["erased"]]
    due = dry["due"][0]
    # closed 2026-04-01; conduct data kept two years (DOMAIN §7, policy 'storning: keep 2 år')
    assert (due["closed_at"], due["retention_end"]) == ("2026-04-01", "2028-04-01")
    assert due["rule"] == "storning" and due["decision"]
    assert [(h["ref"], h["held"]) for h in dry["held"]] == [(refs["held"], "hold")]

    result = retention.gallra(app, "admin", RUN_AT)
    assert [e["ref"] for e in result["erased"]] == [refs["erased"]]
    after = dump_tables(app)
    flat_after = _flat(after)
    assert _found(flat_after, PEOPLE["erased"]) == []
    # not yet due and held: untouched
    assert _found(flat_after, PEOPLE["recent"]) == _values(PEOPLE["recent"])
    assert _found(flat_after, PEOPLE["held"]) == _values(PEOPLE["held"])
    for name in ("incidents", "letters", "complainants"):
        kept = [row for row in before[name] if row in after[name]]
        assert len(before[name]) - len(kept) >= 1, f"nothing of {name} was erased"

    raw = b"".join(path.read_bytes() for path in written_files(app))
    if app.db.is_sqlite:
        assert raw, "the SQLite file was scanned"
        assert PEOPLE["recent"]["tenant"].encode() in raw  # the raw scan can find a name
    leaked = [v for v in _values(PEOPLE["erased"]) if v.encode("utf-8") in raw]
    assert leaked == [], f"left in the files: {leaked}"

    # the run's record: counts and the policy, no personal data of any case
    record = after["gallring_runs"]
    assert len(record) == 1
    record_text = " ".join(record[0]).casefold()
    for who in PEOPLE.values():
        assert _found(record_text, who) == []
    assert '"cases": 1' in record_text and result["policy_sha256"] in record_text

    # a second run does nothing (but records that it ran)
    again = retention.gallra(app, "admin", RUN_AT.replace(hour=4))
    assert again["erased"] == [] and again["counts"] == {}
    final = dump_tables(app)
    assert {k: v for k, v in final.items() if k != "gallring_runs"} == {
        k: v for k, v in after.items() if k != "gallring_runs"
    }


def test_the_journal_keeps_states_and_dates_and_loses_its_free_text(app: App) -> None:
    refs = _world(app)
    before = services.show_case(app, "admin", RUN_AT, refs["erased"])
    retention.gallra(app, "admin", RUN_AT)
    after = services.show_case(app, "admin", RUN_AT, refs["erased"])
    shape = [(e["at"], e["event"], e["track"], e["from"], e["to"]) for e in before["journal"]]
    assert [
        (e["at"], e["event"], e["track"], e["from"], e["to"]) for e in after["journal"][:-1]
    ] == shape
    erased = after["journal"][-1]
    assert (erased["event"], erased["actor"], erased["at"][:10]) == (
        "personal_data_erased",
        "admin",
        "2028-06-01",
    )
    moved = [e for e in after["journal"] if e["event"] == "tenant_moved"][0]
    assert moved["reason"] == gallring.TOMBSTONE
    assert {k: v["state"] for k, v in after["tracks"].items()} == {
        k: v["state"] for k, v in before["tracks"].items()
    }
    assert (after["status"], after["closed_at"], after["opened_at"], after["team"]) == (
        before["status"],
        before["closed_at"],
        before["opened_at"],
        before["team"],
    )
    assert after["records"]["erased_at"] == "2028-06-01"
    assert after["records"]["erasure_decision"]


def test_the_outcome_measures_are_the_same_after_a_run(app: App) -> None:
    outcomes = pytest.importorskip("storning.services.outcomes")
    from storning.outcomes.measures import StatsFilter

    _world(app)
    wanted = StatsFilter(date(2026, 1, 1), date(2028, 5, 31))
    before = asdict(outcomes.stats(app, "admin", RUN_AT, wanted))
    retention.gallra(app, "admin", RUN_AT)
    after = asdict(outcomes.stats(app, "admin", RUN_AT, wanted))
    assert after == before


def test_each_case_is_erased_whole_or_not_at_all(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    refs = _world(app)  # the held case's hold is lifted, so two cases are due
    retention.release_hold(app, "carl", RUN_AT, refs["held"])
    real = gallring._scrub_journal
    calls = {"n": 0}

    def crash_on_second(session: Any, case_id: int) -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        return real(session, case_id)

    monkeypatch.setattr(gallring, "_scrub_journal", crash_on_second)
    with pytest.raises(RuntimeError):
        retention.gallra(app, "admin", RUN_AT.replace(hour=4))
    flat = _flat(dump_tables(app))
    erased_first = _found(flat, PEOPLE["erased"]) == []
    untouched_erased = _found(flat, PEOPLE["erased"]) == _values(PEOPLE["erased"])
    untouched_held = _found(flat, PEOPLE["held"]) == _values(PEOPLE["held"])
    erased_held = _found(flat, PEOPLE["held"]) == []
    assert (erased_first and untouched_held) or (erased_held and untouched_erased)
    monkeypatch.setattr(gallring, "_scrub_journal", real)
    retention.gallra(app, "admin", RUN_AT.replace(hour=5))
    flat = _flat(dump_tables(app))
    assert _found(flat, PEOPLE["erased"]) == [] and _found(flat, PEOPLE["held"]) == []


# --- holds ---------------------------------------------------------------------------------------------


def test_a_case_in_a_dispute_is_held_automatically_while_open(app: App) -> None:
    policy = retention.policy(app)
    assert policy.case_types["storning"].dispute_states >= {"hyresnamnd", "kronofogden"}
    ref = _open_and_close(app, PEOPLE["erased"], CLOSED_OLD)
    with app.db.write() as session:
        session.execute(
            text(
                "update case_tracks set state = 'kronofogden' where track = 'legal' and case_id = "
                "(select id from cases where ref = :ref)"
            ),
            {"ref": ref},
        )
    dry = retention.gallra(app, "admin", RUN_AT, dry_run=True)
    assert dry["due"] == [] and [(h["ref"], h["held"]) for h in dry["held"]] == [(ref, "dispute")]
    assert services.show_case(app, "admin", RUN_AT, ref)["records"]["dispute_hold"] == "kronofogden"


def test_only_a_chef_or_admin_holds_and_everyone_who_reads_sees_it(
    app: App, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = _open_and_close(app, PEOPLE["recent"], CLOSED_RECENT)
    now = "2027-10-01T09:00"
    with open_doors(app, db_url, monkeypatch) as doors:
        message = cli_refused(doors.cli("case", "hold", ref, "--reason", "Tvist", now=now))
        assert "chef" in message
        version = doors.version(ref)
        response = doors.api(
            "alice",
            "POST",
            f"/api/cases/{ref}/hold",
            now=now,
            json={"reason": "Tvist", "expected_version": version},
        )
        assert "chef" in api_refused(response, (403,))

        carl = doors.browser("carl", now=now)
        page = carl.submit(
            f"/arenden/{ref}",
            f"/arenden/{ref}/gallringsspar",
            now=now,
            fill={"hold_reason": "Tvist i hyresnämnden, ärende 1234-27"},
        )
        assert page.status_code == 303, page.text[:500]
        lisa = doors.browser("lisa", now=now)
        seen = page_text(lisa.get(f"/arenden/{ref}", now=now).text)
        assert "Gallringsspärr Tvist i hyresnämnden, ärende 1234-27" in seen
        assert "Häv gallringsspärren" not in seen  # a reader gets no form
        shown = doors.cli("case", "show", ref, now=now, user="lisa")
        assert "Gallringsspärr: Tvist i hyresnämnden, ärende 1234-27 (lagd av carl" in shown.stdout

        dry = retention.gallra(app, "admin", RUN_AT.replace(year=2030), dry_run=True)
        assert [(h["ref"], h["held"]) for h in dry["held"]] == [(ref, "hold")]

        response = doors.api(
            "carl",
            "DELETE",
            f"/api/cases/{ref}/hold",
            now="2027-10-02T09:00",
            params={"expected_version": doors.version(ref)},
        )
        assert response.status_code == 200, response.text
        assert response.json()["records"]["hold"] is None
        again = doors.cli("case", "release-hold", ref, now="2027-10-02T10:00", user="carl")
        assert "ingen gallringsspärr" in cli_refused(again)
        placed = doors.cli("case", "hold", ref, "--reason", "Ny tvist", now="2027-10-02T11:00",
                           user="carl")  # fmt: skip
        assert placed.stdout.startswith(f"Gallringsspärr lagd på {ref}: Ny tvist.")
        lifted = doors.cli("case", "release-hold", ref, now="2027-10-02T12:00", user="carl")
        assert lifted.stdout.startswith(f"Gallringsspärren på {ref} är hävd")
        journal = doors.show(ref, now="2027-10-02T12:00")["journal"]
        events = [(e["event"], e["actor"]) for e in journal if e["event"].startswith("legal_hold")]
        assert events == [("legal_hold_placed", "carl"), ("legal_hold_lifted", "carl")] * 2


def test_an_erased_case_answers_through_every_door_and_refuses_a_hold(
    app: App, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = _open_and_close(app, PEOPLE["erased"], CLOSED_OLD)
    retention.gallra(app, "admin", RUN_AT)
    now = "2028-06-02T09:00"
    with open_doors(app, db_url, monkeypatch) as doors:
        shown = doors.cli("case", "show", ref, now=now, user="carl")
        assert shown.exit_code == 0 and PEOPLE["erased"]["tenant"] not in shown.stdout
        document = doors.show(ref, now=now, user="carl")
        assert document["records"]["erased_at"] == "2028-06-01"  # the day of the run
        page = doors.browser("carl", now=now).get(f"/arenden/{ref}", now=now)
        assert page.status_code == 200
        assert "Personuppgifterna är gallrade 2028-06-01 enligt" in page_text(page.text)
        for letter in document["letters"]:
            pdf = doors.api("carl", "GET", f"/api/letters/{letter['id']}/pdf", now=now)
            assert pdf.status_code < 500, pdf.text[:300]
        assert doors.api("carl", "GET", f"/api/cases/{ref}", now=now).status_code == 200
        assert doors.cli("report", ref, "-o", "/dev/null", now=now, user="carl").exit_code in (0, 1)
        # the erased evidence file is listed without a link and is gone, in one sentence (was 500)
        evidence = list_evidence(app, "carl", RUN_AT, ref)
        assert evidence and all(e["erased"] for e in evidence)
        assert f'href="/bevis/{evidence[0]["id"]}"' not in page.text
        gone = doors.browser("carl", now=now).get(f"/bevis/{evidence[0]['id']}", now=now)
        assert gone.status_code == 404 and "är gallrad" in page_text(gone.text)

        refused = cli_refused(
            doors.cli("case", "hold", ref, "--reason", "Tvist", now=now, user="carl")
        )
        assert "redan gallrat" in refused
        response = doors.api(
            "carl",
            "POST",
            f"/api/cases/{ref}/hold",
            now=now,
            json={"reason": "Tvist", "expected_version": doors.version(ref)},
        )
        assert "redan gallrat" in api_refused(response, (400,))
    with pytest.raises(InvalidInput):
        retention.place_hold(app, "admin", RUN_AT, ref, "Tvist")


# --- who runs it, the worker, the policy file ---------------------------------------------------------


def test_only_an_administrator_runs_gallring_and_the_worker_runs_it_nightly(app: App) -> None:
    refs = _world(app)
    with pytest.raises(PermissionDenied):
        retention.gallra(app, "carl", RUN_AT, dry_run=True)
    job = {j.id: j for j in scheduled_jobs(30)}["gallring"]
    assert job.trigger() == ("cron", {"day_of_week": "mon-sun", "hour": 2, "minute": 30})
    assert job.run(app, RUN_AT) == 1
    doc = services.show_case(app, "admin", RUN_AT, refs["erased"])
    assert doc["records"]["erased_at"] == "2028-06-01"


STATES = {"storning": frozenset({"assessment", "kronofogden", "closed"}), "hyresskuld": frozenset()}
GOOD = """decision: Beslut 2026:1
case_types:
  storning:
    keep: 2 år
    outcomes:
      avhyst: {keep: 10 år}
access_log: {keep: 2 år}
outbox: {keep: 90 dagar}
"""


@pytest.mark.parametrize(
    ("change", "line", "words"),
    [
        (("  storning:", "  stornings:"), 3, "okänd ärendetyp 'stornings'"),
        (("keep: 2 år\n    outcomes", "keep: -2 år\n    outcomes"), 4, "negativ"),
        (("avhyst:", "vraktes:"), 6, "okänt utfall 'vraktes'"),
        (("{keep: 90 dagar}", "{keep: 90 parsec}"), 8, "går inte att läsa"),
        (("outbox: {keep: 90 dagar}\n", "outbox: {keep: 90 dagar}\nextra: 1\n"), 9, "okänd nyckel"),
    ],
)
def test_a_bad_policy_is_one_sentence_naming_file_and_line(
    change: tuple[str, str], line: int, words: str
) -> None:
    assert parse_policy(GOOD, "p.yaml", STATES).decision == "Beslut 2026:1"
    with pytest.raises(PolicyError) as error:
        parse_policy(GOOD.replace(*change), "p.yaml", STATES)
    message = str(error.value)
    assert message.startswith(f"p.yaml, rad {line}"), message
    assert words in message and message.count("\n") == 0


def test_the_cli_refuses_a_bad_policy_with_exit_1(app: App, tmp_path: Path) -> None:
    workflows = tmp_path / "workflows"
    shutil.copytree(ROOT / "workflows", workflows)
    policy = workflows / "gallring" / "policy.yaml"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace("keep: 2 år", "keep: -1 år", 1),
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main,
        ["--db", app.settings.db_url, "--now", "2028-06-01T03:00", "gallra", "--dry-run"],
        env={"STORNING_WORKFLOWS": str(workflows), "STORNING_LETTERS_DIR": str(ROOT / "letters")},
    )
    message = cli_refused(result)
    assert re.match(rf"{re.escape(str(policy))}, rad \d+, case_types\.storning\.keep: ", message)
    assert "negativ" in message


def test_the_shipped_policy_loads_and_the_workflow_loader_ignores_it(app: App) -> None:
    policy = retention.policy(app)
    assert policy.case_types["storning"].default.keep.text == "2 år"
    assert policy.case_types["hyresskuld"].open_debt is not None
    from storning.definitions.loader import load_directory

    ids = [w.id for w in load_directory(ROOT / "workflows", ROOT / "letters")]
    assert sorted(ids) == ["hyresskuld", "storning"]


def test_the_cli_lists_a_dry_run_and_logs_the_run_with_its_decision(app: App) -> None:
    refs = _world(app)
    runner = CliRunner()
    prefix = ["--db", app.settings.db_url, "--now", "2028-06-01T03:00"]
    env = {
        "STORNING_WORKFLOWS": str(ROOT / "workflows"),
        "STORNING_LETTERS_DIR": str(ROOT / "letters"),
    }
    dry = runner.invoke(main, [*prefix, "gallra", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.stderr
    decision = retention.policy(app).decision
    assert decision in dry.stdout
    assert f"{refs['erased']}" in dry.stdout and "bevaras till 2028-04-01" in dry.stdout
    assert refs["held"] in dry.stdout and "gallringsspärr" in dry.stdout
    refused = runner.invoke(main, [*prefix, "--as", "carl", "gallra", "--json"], env=env)
    assert json.loads(refused.stdout)["error"]["code"] == "forbidden" and refused.exit_code == 1
    done = runner.invoke(main, [*prefix, "gallra", "--json"], env=env)
    assert done.exit_code == 0, done.stderr
    result = json.loads(done.stdout)
    assert [e["ref"] for e in result["erased"]] == [refs["erased"]]
    assert result["decision"] == decision and result["counts"]["cases"] == 1
    assert PEOPLE["erased"]["tenant"] not in done.stdout


def test_access_log_and_notifications_go_after_their_own_retention(app: App) -> None:
    refs = _world(app)
    services.show_case(app, "carl", datetime(2026, 5, 31, 12, 0, tzinfo=ZONE), refs["recent"])
    services.show_case(app, "carl", datetime(2026, 6, 2, 12, 0, tzinfo=ZONE), refs["recent"])
    with app.db.engine.connect() as conn:
        reads = conn.execute(
            select(AccessLog.at).where(AccessLog.actor == "carl", AccessLog.action == "case_view")
        ).all()
        outbox_before = conn.execute(text("select count(*) from outbox")).scalar_one()
    assert len(reads) == 2 and outbox_before > 0
    retention.gallra(app, "admin", RUN_AT)
    with app.db.engine.connect() as conn:
        left = conn.execute(
            select(AccessLog.at).where(AccessLog.actor == "carl", AccessLog.action == "case_view")
        ).all()
        outbox_after = conn.execute(text("select count(*) from outbox")).scalar_one()
    # the access log is kept two years (policy 'access_log: keep 2 år'): at 2028-06-01 03:00 the read
    # of 2026-05-31 has gone and the read of 2026-06-02 is kept
    assert len(left) == 1 and left[0][0].astimezone(ZONE).date() == date(2026, 6, 2)
    # notifications are kept 90 days: every one of 2026 has gone by June 2028
    assert outbox_after == 0


def test_a_chef_lifts_a_hold_from_the_case_page(
    app: App, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = _open_and_close(app, PEOPLE["recent"], CLOSED_RECENT)
    retention.place_hold(app, "carl", CLOSED_RECENT, ref, "Begäran från tingsrätten")
    now = "2027-10-01T09:00"
    with open_doors(app, db_url, monkeypatch) as doors:
        carl = doors.browser("carl", now=now)
        done = carl.submit(f"/arenden/{ref}", f"/arenden/{ref}/gallringsspar/hav", now=now)
        assert done.status_code == 303, done.text[:500]
        page = page_text(carl.get(f"/arenden/{ref}", now=now).text)
        assert "Gallringsspärren är hävd." in page and "Ingen gallringsspärr." in page
        assert "Gallringsspärr lagd" in page and "Gallringsspärr hävd" in page  # the journal
    assert (
        services.show_case(app, "carl", CLOSED_RECENT.replace(month=10), ref)["records"]["hold"]
        is None
    )


def test_a_jour_report_that_never_reached_a_case_is_erased_a_year_after_it_arrived(
    app: App,
) -> None:
    """The policy's `intake: keep 1 år`: a report received 2027-05-31 12:00 has its address, text and
    reporter erased by a run at 2028-06-01 03:00 (more than a year later); one received 2027-06-02
    is kept; the row stays (kind, external id, dates, status) so a re-import finds it."""
    from storning.intake.queue import add_item, item_values
    from storning.store.models import IntakeItem

    def report(external_id: str, received: datetime, status: str = "open") -> int:
        payload = {"text": "Skrik från Ågatan 9, Vera Vakt hörde det", "reporter": "Vera Vakt"}
        with app.db.write() as session:
            return add_item(
                session,
                item_values(
                    "jour", payload, external_id=external_id, received_at=received,
                    source="test", address="Ågatan 9", apartment="0901", status=status,
                ),
            )  # fmt: skip

    old = report("J-OLD", datetime(2027, 5, 31, 12, 0, tzinfo=ZONE))
    dismissed = report("J-DISMISSED", datetime(2027, 5, 1, 12, 0, tzinfo=ZONE), "dismissed")
    recent = report("J-RECENT", datetime(2027, 6, 2, 12, 0, tzinfo=ZONE))
    dry = retention.gallra(app, "admin", RUN_AT, dry_run=True)
    assert dry["intake_expired"] == 2
    done = retention.gallra(app, "admin", RUN_AT)
    assert done["counts"]["intake_items_erased"] == 2
    with app.db.read() as session:
        rows = {row.id: row for row in session.scalars(select(IntakeItem))}
    for erased in (old, dismissed):
        row = rows[erased]
        assert (row.address, row.apartment, row.payload) == (None, None, {})
        assert row.external_id.startswith("J-") and row.kind == "jour"
        # nothing is left to act on: the queue no longer offers it
        assert (row.status, row.reason) == ("dismissed", "[gallrad]")
    assert rows[old].resolved_by == "gallring" and rows[recent].status == "open"
    assert rows[old].resolved_at == RUN_AT
    assert rows[recent].payload["reporter"] == "Vera Vakt" and rows[recent].address == "Ågatan 9"
    again = retention.gallra(app, "admin", RUN_AT, dry_run=True)
    assert again["intake_expired"] == 0  # erased once, not counted again
