"""Evidence files (issue 16 item 4): type checked by content, size limited while streaming, stored by
sha256 under the data directory (or in the database), never served inline, covered by the case's
access rules and the access log, listed in the compiled report with their hashes.

alice (officer) and carl (chef) are in team norr, bob (officer) in team syd, lisa reads team norr.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storning import services
from storning.app import App
from storning.errors import InvalidInput, NotFound, PermissionDenied
from storning.intake import evidence as files
from storning.services import evidence
from storning.store.models import AccessLog, EvidenceFile
from tests.conftest import T0, at

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 100
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
MB = 1024 * 1024


@pytest.fixture
def files_app(app: App, tmp_path: Path) -> App:
    """The app with its data directory under the test's folder and a 1 MB limit."""
    settings = replace(app.settings, data_dir=tmp_path / "data", evidence_max_mb=1)
    return App(settings, app.db, app.registry, app.engine)


def open_case(app: App) -> str:
    new = services.NewCase(
        case_type="storning", tenant="Kim Hyresgäst", address="Storgatan 1", apartment="1102",
        municipality="Norrköping", postal_code="602 20", city="Norrköping",
        complainants=[services.ComplainantDetails(name="Greta Granne", protected=True)],
    )  # fmt: skip
    return str(services.open_case(app, "alice", T0, new)["ref"])


def add(app: App, ref: str, name: str, data: bytes, **more: object) -> dict[str, object]:
    return evidence.add_evidence(app, "alice", at(hours=1), ref, name, [data], **more)  # type: ignore[arg-type]


def rows(app: App) -> int:
    with app.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(EvidenceFile)) or 0)


def stored_files(app: App) -> list[Path]:
    root = files.data_dir(app.settings)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- type by content ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [("foto.jpg", JPEG, "image/jpeg"), ("foto.JPEG", JPEG, "image/jpeg"),
     ("skärmbild.png", PNG, "image/png"), ("polisanmälan.pdf", PDF, "application/pdf")],
)  # fmt: skip
def test_an_allowed_file_is_stored_by_its_sha256(files_app, name, data, content_type):
    ref = open_case(files_app)
    made = add(files_app, ref, name, data)
    assert made["content_type"] == content_type and made["size"] == len(data)
    assert made["sha256"] == hashlib.sha256(data).hexdigest()
    [path] = stored_files(files_app)
    assert path.name == made["sha256"] and path.read_bytes() == data


@pytest.mark.parametrize(
    ("name", "data"),
    [("bild.jpg", PDF), ("dokument.pdf", JPEG), ("sida.html", HTML), ("bild.jpg", HTML),
     ("anteckning.txt", b"bara text"), ("tom.pdf", b"")],
)  # fmt: skip
def test_content_that_does_not_match_its_name_or_is_not_allowed_is_refused(files_app, name, data):
    ref = open_case(files_app)
    with pytest.raises(InvalidInput) as refused:
        add(files_app, ref, name, data)
    message = str(refused.value)
    assert message.endswith(".") and "\n" not in message
    assert rows(files_app) == 0 and stored_files(files_app) == []  # nothing partial stored


def test_the_message_names_what_the_content_really_is(files_app):
    ref = open_case(files_app)
    with pytest.raises(InvalidInput, match=r"innehållet är en PDF-dokument.*\.pdf"):
        add(files_app, ref, "bild.jpg", PDF)


# --- size ------------------------------------------------------------------------------------------


def test_a_huge_declared_length_is_refused_before_anything_is_read(files_app):
    ref = open_case(files_app)

    def never() -> Iterator[bytes]:
        raise AssertionError("the upload was read")
        yield b""  # pragma: no cover

    with pytest.raises(files.TooLarge, match="större än 1 MB"):
        evidence.add_evidence(files_app, "alice", at(hours=1), ref, "film.mp4", never(),
                              declared_size=2 * 1024 * MB)  # 2 GB  # fmt: skip
    assert rows(files_app) == 0


def test_a_stream_growing_past_the_limit_is_cut_off_and_nothing_is_kept(files_app):
    ref = open_case(files_app)
    sent = 0

    def endless() -> Iterator[bytes]:
        nonlocal sent
        yield JPEG
        while True:  # would never end: the reader must stop at the limit
            sent += 1
            yield b"\x00" * (256 * 1024)

    with pytest.raises(files.TooLarge):
        evidence.add_evidence(files_app, "alice", at(hours=1), ref, "foto.jpg", endless())
    assert sent <= 5  # 1 MB is four chunks of 256 kB: stopped at the fifth
    assert rows(files_app) == 0 and stored_files(files_app) == []


def test_a_file_of_exactly_the_limit_is_accepted(files_app):
    ref = open_case(files_app)
    data = JPEG + b"\x00" * (MB - len(JPEG))
    assert add(files_app, ref, "foto.jpg", data)["size"] == MB


# --- access, the access log, storage in the database ------------------------------------------------


def test_access_follows_the_case_and_downloads_are_logged(files_app):
    ref = open_case(files_app)
    made = add(files_app, ref, "foto.jpg", JPEG)
    with pytest.raises(PermissionDenied):  # lisa only reads team norr
        evidence.add_evidence(files_app, "lisa", at(hours=2), ref, "foto.jpg", [JPEG])
    with pytest.raises(NotFound):
        evidence.get_evidence(files_app, "bob", at(hours=2), int(made["id"]))  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        evidence.list_evidence(files_app, "bob", at(hours=2), ref)
    meta, data = evidence.get_evidence(files_app, "lisa", at(hours=2), int(made["id"]))  # type: ignore[arg-type]
    assert data == JPEG and meta["filename"] == "foto.jpg"
    with files_app.db.read() as session:
        actions = [(r.actor, r.action) for r in session.scalars(select(AccessLog))]
    assert ("lisa", "evidence_download") in actions
    assert ("bob", "evidence_download_refused") in actions


def test_files_can_be_kept_in_the_database_and_attached_to_an_incident(files_app):
    in_db = App(replace(files_app.settings, evidence_storage="db"), files_app.db,
                files_app.registry, files_app.engine)  # fmt: skip
    ref = open_case(in_db)
    incident = services.add_incident(in_db, "alice", at(hours=1), ref, at=at(hours=-3),
                                     kind="noise", text="Buller")  # fmt: skip
    incident_id = incident["incidents"][-1]["id"]
    made = evidence.add_evidence(in_db, "alice", at(hours=2), ref, "ljud.pdf", [PDF],
                                 incident_id=incident_id)  # fmt: skip
    assert made["incident"] == incident_id and stored_files(in_db) == []
    assert evidence.get_evidence(in_db, "alice", at(hours=3), int(made["id"]))[1] == PDF  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        evidence.add_evidence(in_db, "alice", at(hours=2), ref, "x.pdf", [PDF], incident_id=99999)


def test_the_journal_records_the_hash_but_never_the_file_name(files_app):
    ref = open_case(files_app)
    add(files_app, ref, "Greta Granne inspelning.pdf", PDF)
    document = services.show_case(files_app, "alice", at(hours=2), ref)
    [entry] = [j for j in document["journal"] if j["event"] == "evidence_added"]
    assert "Greta" not in repr(entry)


def test_the_compiled_report_lists_the_files_with_their_hashes(files_app):
    from storning.reports import report_context

    ref = open_case(files_app)
    made = add(files_app, ref, "Greta Granne.pdf", PDF)
    with files_app.db.read() as session:
        from storning.store.models import Case

        case = session.scalar(select(Case).where(Case.ref == ref))
        assert case is not None
        hidden = report_context(session, files_app, case, at(hours=2), disclose=False)
        shown = report_context(session, files_app, case, at(hours=2), disclose=True)
    [row] = hidden["report"]["evidence"]
    assert row["sha256"] == hashlib.sha256(PDF).hexdigest() and row["id"] == made["id"]
    assert "Greta" not in row["filename"]  # pseudonymised like the reporters
    assert shown["report"]["evidence"][0]["filename"] == "Greta Granne.pdf"


def test_the_cli_adds_and_lists_files(files_app, db_url, tmp_path, monkeypatch):
    import json

    from click.testing import CliRunner

    from storning.cli import main

    monkeypatch.setenv("STORNING_DATA_DIR", str(tmp_path / "cli-data"))
    ref = open_case(files_app)
    photo = tmp_path / "foto.jpg"
    photo.write_bytes(JPEG)
    runner = CliRunner()
    base = ["--db", db_url, "--now", "2026-03-02T10:00", "--as", "alice"]
    added = runner.invoke(main, [*base, "bevis", "add", ref, str(photo), "--json"])
    assert added.exit_code == 0, added.stderr
    listed = json.loads(runner.invoke(main, [*base, "bevis", "list", ref, "--json"]).stdout)
    assert [f["sha256"] for f in listed] == [hashlib.sha256(JPEG).hexdigest()]
    wrong = tmp_path / "bild.pdf"
    wrong.write_bytes(JPEG)
    refused = runner.invoke(main, [*base, "bevis", "add", ref, str(wrong)])
    assert refused.exit_code == 1 and "JPEG" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_the_compiled_report_pdf_has_the_appendix(files_app):
    from storning.services.reports import compile_report
    from tests.doors import pdf_text

    ref = open_case(files_app)
    add(files_app, ref, "foto.jpg", JPEG)
    text = pdf_text(compile_report(files_app, "alice", at(hours=2), ref)).replace("\n", "")
    assert "Bilaga: bevisfiler" in text
    assert hashlib.sha256(JPEG).hexdigest()[:16] in text.replace(" ", "")


# --- the doors: the case page's upload form, downloads, the API ------------------------------------


@pytest.fixture
def doors(files_app, db_url, monkeypatch):
    from tests.doors import open_doors

    with open_doors(files_app, db_url, monkeypatch) as d:
        yield d


def test_the_case_page_uploads_with_csrf_and_downloads_only_as_an_attachment(files_app, doors):
    ref = open_case(files_app)
    browser = doors.browser("alice", now="2026-03-02T10:00")
    page = browser.get(f"/arenden/{ref}", now="2026-03-02T10:00")
    assert (
        f'action="/arenden/{ref}/bevis"' in page.text
        and 'enctype="multipart/form-data"' in page.text
    )
    upload = {"file": ("sida.html", HTML, "text/html")}
    forged = browser.client.post(f"/arenden/{ref}/bevis", files=upload, data={"csrf_token": "x"})
    assert forged.status_code == 403 and rows(files_app) == 0
    refused = browser.client.post(f"/arenden/{ref}/bevis", files=upload,
                                  data={"csrf_token": browser.csrf})  # fmt: skip
    assert refused.status_code == 400 and "tas emot som bevis" in refused.text
    assert rows(files_app) == 0
    done = browser.client.post(f"/arenden/{ref}/bevis", files={"file": ("foto.jpg", JPEG, "image/jpeg")},
                               data={"csrf_token": browser.csrf})  # fmt: skip
    assert done.status_code == 303, done.text
    [made] = evidence.list_evidence(files_app, "alice", at(hours=2), ref)
    listed = browser.get(f"/arenden/{ref}", now="2026-03-02T10:01")
    assert f'href="/bevis/{made["id"]}"' in listed.text
    download = browser.get(f"/bevis/{made['id']}", now="2026-03-02T10:02")
    assert download.status_code == 200 and download.content == JPEG
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-type"] == "image/jpeg"
    other = doors.browser("bob", now="2026-03-02T10:03")
    assert other.get(f"/bevis/{made['id']}", now="2026-03-02T10:03").status_code == 404


def test_the_web_form_refuses_an_oversized_upload_by_its_length(files_app, doors):
    ref = open_case(files_app)
    browser = doors.browser("alice", now="2026-03-02T10:00")
    big = JPEG + b"\x00" * (2 * MB)
    response = browser.client.post(f"/arenden/{ref}/bevis", files={"file": ("foto.jpg", big, "image/jpeg")},
                                   data={"csrf_token": browser.csrf})  # fmt: skip
    assert response.status_code == 413 and "större än 1 MB" in response.text
    assert rows(files_app) == 0


def test_the_api_streams_an_upload_and_refuses_one_too_large(files_app, doors):
    ref = open_case(files_app)
    doors.api("alice", "GET", "/api/cases", now="2026-03-02T10:00")  # makes the client and token
    client = doors._api_client
    assert client is not None
    auth = {"Authorization": f"Bearer {doors.token('alice')}"}
    made = client.post(f"/api/cases/{ref}/evidence", params={"filename": "anmalan.pdf"},
                       content=PDF, headers={**auth, "Content-Type": "application/octet-stream"})  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["sha256"] == hashlib.sha256(PDF).hexdigest()
    # a huge Content-Length is refused before the body is read
    huge = client.post(f"/api/cases/{ref}/evidence", params={"filename": "film.mp4"},
                       content=b"x", headers={**auth, "Content-Length": str(2 * 1024 * MB)})  # fmt: skip
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "too_large"

    def chunked() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        yield JPEG
        for _ in range(8):
            yield b"\x00" * (256 * 1024)

    streamed = client.post(f"/api/cases/{ref}/evidence", params={"filename": "foto.jpg"},
                           content=chunked(), headers=auth)  # fmt: skip
    assert streamed.status_code == 413
    mismatch = client.post(f"/api/cases/{ref}/evidence", params={"filename": "foto.jpg"},
                           content=PDF, headers=auth)  # fmt: skip
    assert mismatch.status_code == 400 and "PDF" in mismatch.json()["error"]["message"]
    reader = doors.api("lisa", "GET", f"/api/evidence/{made.json()['id']}", now="2026-03-02T10:05")
    assert reader.status_code == 200 and reader.content == PDF
    assert reader.headers["content-disposition"].startswith("attachment;")
    lisa_upload = client.post(f"/api/cases/{ref}/evidence", params={"filename": "a.pdf"}, content=PDF,
                              headers={"Authorization": f"Bearer {doors.token('lisa')}"})  # fmt: skip
    assert lisa_upload.status_code == 403
    listed = doors.api("alice", "GET", f"/api/cases/{ref}/evidence", now="2026-03-02T10:06")
    assert [f["id"] for f in listed.json()] == [made.json()["id"]]
    assert rows(files_app) == 1
