"""The complainant's own diary through a personal link (issue 16 item 3): issue, use, expire, revoke,
rate limit, own entries only, protected identity preserved.

alice (officer) and carl (chef) are in team norr, bob (officer) in team syd, lisa reads team norr.
T0 is Monday 2 March 2026, 09:00 in Stockholm.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from storning import services
from storning.app import App
from storning.errors import InvalidInput, NotFound, PermissionDenied
from storning.intake import diary as links
from storning.services import diary
from storning.services.throttling import Throttled
from storning.store.models import DiaryEntry, DiaryLink, IntakeItem, JournalEntry
from tests.conftest import T0, ZONE, at

SECRET_NAME = "Hemlig Granne"
IP = "198.51.100.7"


def open_case(app: App, *, protected: bool = True, email: str | None = "granne@example.se") -> str:
    new = services.NewCase(
        case_type="storning",
        tenant="Kim Hyresgäst",
        address="Storgatan 1",
        apartment="1102",
        municipality="Norrköping",
        postal_code="602 20",
        city="Norrköping",
        complainants=[
            services.ComplainantDetails(
                name=SECRET_NAME, protected=protected, address="Storgatan 1\n602 20 Norrköping",
                email=email,
            )
        ],
    )  # fmt: skip
    return str(services.open_case(app, "alice", T0, new)["ref"])


def complainant_id(app: App, ref: str) -> int:
    document = services.show_case(app, "alice", T0, ref)
    return int(document["complainants"][0]["id"])


def token_of(link: dict[str, Any]) -> str:
    url = str(link["url"])
    assert url.startswith("http://127.0.0.1:8000/dagbok/")
    return url.rsplit("/", 1)[1]


def entry(day: str = "2026-03-02", starts: str = "01:30", **more: str) -> diary.DiaryForm:
    fields = {"text": "Hög musik och skrik från lägenheten ovanför.", "kind": "noise", **more}
    return diary.DiaryForm(day=day, starts=starts, **fields)


def intake_items(app: App) -> list[IntakeItem]:
    with app.db.read() as session:
        return list(session.scalars(select(IntakeItem).order_by(IntakeItem.id)))


def count(app: App, model: Any) -> int:
    with app.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


# --- issue and use --------------------------------------------------------------------------------


def test_an_officer_issues_a_link_and_the_complainant_writes_an_entry_that_reaches_the_intake_queue(
    app,
):
    ref = open_case(app)
    link = diary.issue_link(app, "alice", at(hours=1), ref, complainant_id(app, ref), days=30)
    # valid 30 days from the moment it was issued
    assert link["expires_at"] == (T0 + timedelta(hours=1, days=30)).isoformat()
    assert link["status"] == "active" and link["delivery"] == "manual"
    token = token_of(link)

    view = diary.open_diary(app, token, at(hours=2), IP)
    assert view == {"case_ref": ref, "expires_on": "2026-04-01", "entries": []}

    after = diary.submit_entry(
        app, token, at(days=1), IP,
        entry(ends="02:10", place="Lägenheten ovanför", disturbed="Hela familjen",
              witnesses="Grannen i 1103", police_ref="K-12345-26"),
    )  # fmt: skip
    [shown] = after["entries"]
    assert (shown["day"], shown["starts"], shown["ends"]) == ("2026-03-02", "01:30", "02:10")
    [item] = intake_items(app)
    assert item.kind == "dagbok" and item.status == "open"
    assert item.case_id is not None and item.team == "norr"
    assert item.protected is True  # the complainant has skyddad identitet
    assert item.payload["kind"] == "noise"
    assert item.payload["police_reference"] == "K-12345-26"
    assert item.payload["at"].startswith("2026-03-02T01:30")
    assert item.payload["ends_at"].startswith("2026-03-02T02:10")
    assert item.observed_at == T0.replace(hour=1, minute=30)  # unverified: nobody of ours saw it
    assert "verified_by" not in item.payload


def test_an_end_time_before_the_start_means_the_next_day(app):
    ref = open_case(app)
    token = token_of(diary.issue_link(app, "alice", T0, ref, complainant_id(app, ref)))
    diary.submit_entry(app, token, at(days=1), IP, entry(day="2026-03-01", starts="23:40",
                                                        ends="00:20"))  # fmt: skip
    [item] = intake_items(app)
    assert item.payload["ends_at"].startswith("2026-03-02T00:20")
    [shown] = diary.open_diary(app, token, at(days=1), IP)["entries"]
    assert (shown["ends"], shown["ends_next_day"]) == ("00:20", True)  # the page says "nästa dag"


def test_an_end_long_before_the_start_is_refused_not_read_as_the_next_day(app):
    """14:00 to 13:00 would be 23 hours: a typing slip, not a night. Nothing is stored."""
    ref = open_case(app)
    token = token_of(diary.issue_link(app, "alice", T0, ref, complainant_id(app, ref)))
    with pytest.raises(InvalidInput, match="Sluttiden 13:00 är före starttiden 14:00"):
        diary.submit_entry(app, token, at(days=1), IP, entry(day="2026-03-01", starts="14:00",
                                                            ends="13:00"))  # fmt: skip
    assert intake_items(app) == []


def test_the_default_validity_is_the_setting_and_the_cli_and_api_issue_links_too(app, tmp_path):
    ref = open_case(app)
    cid = complainant_id(app, ref)
    default = diary.issue_link(app, "alice", T0, ref, cid)
    assert default["expires_at"] == (T0 + timedelta(days=90)).isoformat()  # STORNING_DIARY_DAYS=90
    short = replace(app.settings, diary_days=7)
    other = App(short, app.db, app.registry, app.engine)
    assert (
        diary.issue_link(other, "alice", T0, ref, cid)["expires_at"]
        == (T0 + timedelta(days=7)).isoformat()
    )


# --- bad links: expired, tampered, revoked -----------------------------------------------------------


def test_an_expired_link_is_refused_as_gone_and_nothing_is_stored(app):
    ref = open_case(app)
    token = token_of(diary.issue_link(app, "alice", T0, ref, complainant_id(app, ref), days=1))
    with pytest.raises(diary.LinkUnusable) as refused:
        diary.submit_entry(app, token, at(days=1, hours=1), IP, entry())
    assert refused.value.problem == "expired" and refused.value.status == 410
    assert "slutat gälla" in str(refused.value)
    assert count(app, DiaryEntry) == 0 and intake_items(app) == []


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("0" if t[-1] != "0" else "1"),  # the signature
        lambda t: re.sub(r"^\d+", lambda m: str(int(m.group()) + 1), t),  # another link's id
        lambda t: t.split(".")[0] + ".AAAAAAAAAAAAAAAAAAAAAAAA." + t.split(".")[2],  # the nonce
        lambda t: "not-a-token",
        lambda t: "",
    ],
)
def test_a_tampered_link_is_refused_and_nothing_is_stored(app, mangle):
    ref = open_case(app)
    token = token_of(diary.issue_link(app, "alice", T0, ref, complainant_id(app, ref)))
    with pytest.raises(diary.LinkUnusable) as refused:
        diary.submit_entry(app, mangle(token), at(hours=1), IP, entry())
    assert refused.value.problem == "tampered" and refused.value.status == 403
    assert count(app, DiaryEntry) == 0 and intake_items(app) == []


def test_a_link_signed_with_another_key_is_tampered(app):
    ref = open_case(app)
    link = diary.issue_link(app, "alice", T0, ref, complainant_id(app, ref))
    with app.db.read() as session:
        row = session.get(DiaryLink, link["id"])
        assert row is not None
        forged = links.token_for(b"another key" * 3, row.id, row.nonce)
    with pytest.raises(diary.LinkUnusable) as refused:
        diary.open_diary(app, forged, at(hours=1), IP)
    assert refused.value.problem == "tampered"


def test_revoking_works_at_once_and_is_journaled_without_the_name(app):
    ref = open_case(app)
    link = diary.issue_link(app, "alice", T0, ref, complainant_id(app, ref))
    token = token_of(link)
    diary.submit_entry(app, token, at(hours=1), IP, entry())
    revoked = diary.revoke_link(app, "alice", at(hours=2), link["id"])
    assert revoked["status"] == "revoked"
    with pytest.raises(diary.LinkUnusable) as refused:
        diary.open_diary(app, token, at(hours=2, days=0.01), IP)
    assert refused.value.problem == "revoked" and refused.value.status == 410
    with pytest.raises(diary.LinkUnusable):
        diary.submit_entry(app, token, at(hours=3), IP, entry())
    assert count(app, DiaryEntry) == 1
    with app.db.read() as session:
        events = list(session.scalars(select(JournalEntry).where(
            JournalEntry.event.in_(["diary_link_issued", "diary_link_revoked"]))))  # fmt: skip
    assert [e.event for e in events] == ["diary_link_issued", "diary_link_revoked"]
    assert SECRET_NAME not in repr([e.params for e in events])


def test_only_officers_who_may_act_issue_or_revoke_links(app):
    ref = open_case(app)
    cid = complainant_id(app, ref)
    with pytest.raises(PermissionDenied):
        diary.issue_link(app, "lisa", T0, ref, cid)  # reads team norr only
    with pytest.raises(NotFound):
        diary.issue_link(app, "bob", T0, ref, cid)  # team syd: the case does not exist for him
    link = diary.issue_link(app, "carl", T0, ref, cid)
    with pytest.raises(NotFound):
        diary.revoke_link(app, "bob", at(hours=1), link["id"])
    with pytest.raises(NotFound):
        diary.issue_link(app, "alice", T0, ref, cid + 999)  # not this case's complainant


def test_bad_form_input_is_one_swedish_sentence_and_nothing_is_stored(app):
    ref = open_case(app)
    token = token_of(diary.issue_link(app, "alice", T0, ref, complainant_id(app, ref)))
    bad = [
        entry(day="2 mars"),
        entry(starts="halv två"),
        entry(day="2026-03-05"),  # after `now`: in the future
        entry(kind="volcano"),
        entry(text=""),
        entry(witnesses="a\u202eb"),
    ]
    for form in bad:
        with pytest.raises(InvalidInput) as refused:
            diary.submit_entry(app, token, at(hours=1), IP, form)
        assert str(refused.value).endswith(".") and "\n" not in str(refused.value)
    assert count(app, DiaryEntry) == 0 and intake_items(app) == []


# --- rate limits -------------------------------------------------------------------------------------


def test_a_link_takes_a_limited_number_of_entries_an_hour(app):
    ref = open_case(app)
    token = token_of(diary.issue_link(app, "alice", T0, ref, complainant_id(app, ref)))
    for minute in range(diary.PER_LINK_HOUR):
        diary.submit_entry(app, token, at(hours=1) + timedelta(minutes=minute),
                           f"10.0.0.{minute}", entry())  # fmt: skip
    with pytest.raises(Throttled) as refused:
        diary.submit_entry(app, token, at(hours=1, days=0.01), "10.0.1.1", entry())
    assert refused.value.retry_after > 0 and "vänta" in str(refused.value)
    assert count(app, DiaryEntry) == diary.PER_LINK_HOUR
    # an hour after the first one, the link takes entries again
    diary.submit_entry(app, token, at(hours=2, days=0.001), "10.0.1.1", entry())


def test_one_address_guessing_tokens_is_stopped(app):
    ref = open_case(app)
    token = token_of(diary.issue_link(app, "alice", T0, ref, complainant_id(app, ref)))
    for n in range(diary.PER_ADDRESS_HOUR):
        with pytest.raises(diary.LinkUnusable):
            diary.open_diary(app, f"{n}.AAAAAAAAAAAAAAAAAAAAAAAA.{'0' * 64}", at(hours=1), IP)
    with pytest.raises(Throttled):
        diary.open_diary(app, token, at(hours=1), IP)  # even a good token, from that address
    assert diary.open_diary(app, token, at(hours=1), "203.0.113.9")["case_ref"] == ref


# --- own entries only, protected identity --------------------------------------------------------


def test_the_complainant_sees_only_the_entries_of_their_own_link(app):
    ref = open_case(app)
    cid = complainant_id(app, ref)
    services.add_complainant(app, "alice", at(hours=1), ref,
                             services.ComplainantDetails(name="Öppen Granne"))  # fmt: skip
    document = services.show_case(app, "alice", at(hours=1), ref)
    other_id = next(c["id"] for c in document["complainants"] if c["id"] != cid)
    mine = token_of(diary.issue_link(app, "alice", at(hours=2), ref, cid))
    theirs = token_of(diary.issue_link(app, "alice", at(hours=2), ref, other_id))
    diary.submit_entry(app, mine, at(hours=3), IP, entry(text="Min anteckning"))
    diary.submit_entry(app, theirs, at(hours=3), IP, entry(text="Någon annans anteckning"))
    seen = diary.open_diary(app, mine, at(hours=4), IP)
    assert [e["text"] for e in seen["entries"]] == ["Min anteckning"]
    assert "Kim Hyresgäst" not in repr(seen) and "Storgatan" not in repr(
        seen
    )  # nothing of the case


def test_the_protected_complainant_is_hidden_from_those_who_may_not_see_them(app):
    ref = open_case(app, protected=True)
    token = token_of(diary.issue_link(app, "alice", T0, ref, complainant_id(app, ref)))
    diary.submit_entry(app, token, at(hours=1), IP, entry())
    [item] = intake_items(app)
    assert item.protected and item.payload["reporter"] == SECRET_NAME  # the queue hides it
    # the case document, as a reader sees it, names no one
    for_lisa = services.show_case(app, "lisa", at(hours=2), ref)
    assert SECRET_NAME not in repr(for_lisa)
    # letters to the tenant never name complainants (letters/context.py gives them no complainant)
    with app.db.read() as session:
        journal = list(session.scalars(select(JournalEntry.params)))
    assert SECRET_NAME not in repr(journal)


def test_an_email_link_needs_an_address_and_is_mailed_once_by_the_worker(app, smtp):
    port, received = smtp
    ref = open_case(app, email=None)
    cid = complainant_id(app, ref)
    with pytest.raises(InvalidInput):
        diary.issue_link(app, "alice", T0, ref, cid, delivery="email")
    services.update_complainant(app, "alice", at(hours=1), ref, cid,
                                {"email": "granne@example.se"})  # fmt: skip
    link = diary.issue_link(app, "alice", at(hours=2), ref, cid, delivery="email")
    assert link["email_status"] == "pending"
    mailing = replace(app.settings, smtp_host="127.0.0.1", smtp_port=port, smtp_tls="off")
    worker_app = App(mailing, app.db, app.registry, app.engine)
    assert links.deliver_link_emails(worker_app, at(hours=3)) == 1
    assert links.deliver_link_emails(worker_app, at(hours=4)) == 0  # at most once
    [envelope] = received
    assert envelope.rcpt_tos == ["granne@example.se"]  # type: ignore[attr-defined]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)  # type: ignore[attr-defined]
    assert link["url"] in message.get_body().get_content()  # type: ignore[union-attr]
    assert diary.list_links(app, "alice", at(hours=5), ref)[0]["email_status"] == "sent"


def test_a_letter_link_is_printed_as_a_qr_code_on_the_confirmation_letter(app):
    from storning.letters.context import build_context
    from storning.store.models import Case, Letter

    ref = open_case(app)
    link = diary.issue_link(app, "alice", at(hours=1), ref, complainant_id(app, ref),
                            delivery="letter")  # fmt: skip
    with app.db.read() as session:
        case = session.scalar(select(Case).where(Case.ref == ref))
        letter = session.scalar(select(Letter).where(Letter.template == "bekraftelse"))
        assert case is not None and letter is not None
        context = build_context(session, app.settings, case, letter, "complainant",
                                (T0 + timedelta(days=1)).astimezone(ZONE).date())  # fmt: skip
    printed = context["dagbok_lank"]
    assert printed["url"] == link["url"]
    assert printed["qr_svg"].startswith("<svg") and "path" in printed["qr_svg"]


# --- the doors: the phone form, the officer's button, the API, the CLI ------------------------------


@pytest.fixture
def doors(app, db_url, monkeypatch):
    from tests.doors import open_doors

    with open_doors(app, db_url, monkeypatch) as d:
        yield d


def csrf_in(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def test_the_phone_form_takes_an_entry_in_swedish_and_english_with_csrf(app, doors):
    ref = open_case(app)
    token = token_of(diary.issue_link(app, "alice", T0, ref, complainant_id(app, ref)))
    phone = doors.new_client()  # no account, no login
    doors.clock.now = at(hours=1)
    page = phone.get(f"/dagbok/{token}")
    assert page.status_code == 200 and 'lang="sv"' in page.text and "Störningsdagbok" in page.text
    assert page.headers["Referrer-Policy"] == "same-origin"  # the token never leaves the site
    assert SECRET_NAME not in page.text and "Kim Hyresgäst" not in page.text
    english = phone.get(f"/dagbok/{token}", params={"lang": "en"})
    assert 'lang="en"' in english.text and "Disturbance diary" in english.text
    form = {"day": "2026-03-02", "starts": "01:30", "ends": "02:00", "kind": "noise",
            "text": "Skrik i trapphuset", "place": "Trapphuset"}  # fmt: skip
    forged = phone.post(f"/dagbok/{token}", data={**form, "csrf_token": "fel"})
    assert forged.status_code == 403 and intake_items(app) == []
    sent = phone.post(
        f"/dagbok/{token}?lang=en", data={**form, "csrf_token": csrf_in(english.text)}
    )
    assert sent.status_code == 303 and sent.headers["location"].endswith("lang=en&sent=1")
    after = phone.get(sent.headers["location"])
    assert "Thank you" in after.text and "Skrik i trapphuset" in after.text
    assert len(intake_items(app)) == 1
    bad = phone.post(
        f"/dagbok/{token}", data={**form, "day": "igår", "csrf_token": csrf_in(page.text)}
    )
    assert bad.status_code == 400 and "ÅÅÅÅ-MM-DD" in bad.text and len(intake_items(app)) == 1
    # the English form says what is wrong in English
    same = phone.post(
        f"/dagbok/{token}?lang=en",
        data={**form, "ends": "01:30", "csrf_token": csrf_in(english.text)},
    )
    assert same.status_code == 400
    assert "The end time 01:30 is the same as the start time" in same.text
    assert "Sluttiden" not in same.text and len(intake_items(app)) == 1


def test_a_bad_link_gets_a_clear_page_in_both_languages(app, doors):
    ref = open_case(app)
    link = diary.issue_link(app, "alice", T0, ref, complainant_id(app, ref), days=1)
    token = token_of(link)
    phone = doors.new_client()
    doors.clock.now = at(hours=1)
    csrf = csrf_in(phone.get(f"/dagbok/{token}").text)
    tampered = phone.get(f"/dagbok/{token[:-2]}00")
    assert tampered.status_code == 403
    assert "Länken är inte giltig" in tampered.text and "This link is not valid" in tampered.text
    assert "<form" not in tampered.text
    doors.clock.now = at(days=2)
    expired = phone.get(f"/dagbok/{token}")
    assert expired.status_code == 410 and "slutat gälla" in expired.text
    diary.revoke_link(app, "alice", at(days=0.5), link["id"])
    doors.clock.now = at(days=0.6)
    revoked = phone.get(f"/dagbok/{token}", params={"lang": "en"})
    assert revoked.status_code == 410 and "withdrawn" in revoked.text
    posted = phone.post(f"/dagbok/{token}", data={"csrf_token": csrf,
                                                  "day": "2026-03-02", "starts": "01:00",
                                                  "text": "x", "kind": "noise"})  # fmt: skip
    assert posted.status_code == 410 and intake_items(app) == []


def test_the_officer_issues_and_revokes_a_link_from_the_case_page(app, doors):
    ref = open_case(app)
    cid = complainant_id(app, ref)
    browser = doors.browser("alice", now="2026-03-02T10:00")
    page = browser.get(f"/arenden/{ref}", now="2026-03-02T10:00")
    assert f'action="/arenden/{ref}/dagbok"' in page.text
    issued = browser.submit(f"/arenden/{ref}", f"/arenden/{ref}/dagbok", now="2026-03-02T10:00",
                            fill={"days": "14"})  # fmt: skip
    assert issued.status_code == 303
    [link] = diary.list_links(app, "alice", at(hours=2), ref)
    assert link["complainant"] == cid
    assert link["expires_at"] == (T0 + timedelta(hours=1, days=14)).isoformat()
    shown = browser.get(f"/arenden/{ref}", now="2026-03-02T10:01")
    assert link["url"] in shown.text  # the flash shows it once
    revoked = browser.submit(f"/arenden/{ref}", f"/arenden/{ref}/dagbok/{link['id']}/aterkalla",
                             now="2026-03-02T10:02")  # fmt: skip
    assert revoked.status_code == 303
    assert diary.list_links(app, "alice", at(hours=2), ref)[0]["status"] == "revoked"
    reader = doors.browser("lisa", now="2026-03-02T10:03")
    assert (
        f"/arenden/{ref}/dagbok" not in reader.get(f"/arenden/{ref}", now="2026-03-02T10:03").text
    )


def test_the_api_and_the_cli_issue_list_and_revoke_links(app, doors):
    ref = open_case(app)
    cid = complainant_id(app, ref)
    made = doors.api("alice", "POST", f"/api/cases/{ref}/diary-links", now="2026-03-02T10:00",
                     json={"complainant": cid, "days": 10})  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["expires_at"] == (T0 + timedelta(hours=1, days=10)).isoformat()
    refused = doors.api("lisa", "POST", f"/api/cases/{ref}/diary-links", now="2026-03-02T10:00",
                        json={"complainant": cid})  # fmt: skip
    assert refused.status_code == 403
    listed = doors.api("alice", "GET", f"/api/cases/{ref}/diary-links", now="2026-03-02T10:01")
    assert [x["id"] for x in listed.json()] == [made.json()["id"]]
    cli = doors.cli_json("dagbok", "link", ref, "--complainant", str(cid), "--days", "5",
                         now="2026-03-02T11:00")  # fmt: skip
    assert cli["expires_at"] == (T0 + timedelta(hours=2, days=5)).isoformat()
    revoked = doors.cli_json("dagbok", "revoke", str(cli["id"]), now="2026-03-02T11:05")
    assert revoked["status"] == "revoked"
    gone = doors.cli("dagbok", "revoke", "99999", now="2026-03-02T11:06")
    assert gone.exit_code == 1 and "ingen dagbokslänk" in gone.stderr
    api_revoked = doors.api("alice", "POST", f"/api/diary-links/{made.json()['id']}/revoke",
                            now="2026-03-02T11:07")  # fmt: skip
    assert api_revoked.json()["status"] == "revoked"


def test_the_confirmation_letter_pdf_carries_the_link_under_its_qr_code(app):
    from tests.doors import pdf_text

    ref = open_case(app)
    link = diary.issue_link(app, "alice", at(hours=1), ref, complainant_id(app, ref),
                            delivery="letter")  # fmt: skip
    document = services.show_case(app, "alice", at(hours=2), ref)
    letter = next(x for x in document["letters"] if x["template"] == "bekraftelse")
    pdf = services.letter_pdf(app, "alice", at(hours=2), letter["id"])
    text = pdf_text(pdf.data)
    assert "digitala störningsdagbok" in text
    # the whole address beside the code, in pieces of 40 characters, one per line (never broken
    # where a hyphen of the random token happens to fall: a reader would not know it belongs)
    url = str(link["url"])
    pieces = [url[i : i + 40] for i in range(0, len(url), 40)]
    assert " ".join(pieces) in text  # (pdf_text makes each line break one space)


def test_an_accepted_entry_becomes_an_unverified_incident_and_the_report_pseudonymises_it(app):
    from storning.services import intake
    from storning.services.reports import compile_report
    from tests.doors import pdf_text

    ref = open_case(app)
    token = token_of(diary.issue_link(app, "alice", T0, ref, complainant_id(app, ref)))
    diary.submit_entry(app, token, at(hours=1), IP, entry(disturbed="Mina barn"))
    [item] = intake_items(app)
    intake.attach_item(app, "alice", at(hours=2), item.id, ref)
    document = services.show_case(app, "alice", at(hours=3), ref)
    [incident] = document["incidents"]
    assert incident["verified_by"] is None  # a complainant's word only (RH 2018:23)
    # who was disturbed names people (here the complainant's children): never in the text that
    # letters and reports quote, only beside the reporter, where the tenant's side never sees it
    assert "Mina barn" not in incident["text"] and "störde: Mina barn" in incident["reporter"]
    assert SECRET_NAME not in repr(services.show_case(app, "lisa", at(hours=3), ref))
    report = pdf_text(compile_report(app, "alice", at(hours=3), ref)).replace("\n", " ")
    assert SECRET_NAME not in report and "Anmälare A" in report


@pytest.mark.parametrize(
    ("day", "starts", "ends", "message"),
    [
        # 10:00–10:00 is no span at all, not an end before the start
        ("2026-03-02", "10:00", "10:00", "Sluttiden 10:00 är samma som starttiden"),
        # now is Tuesday 3 March 09:00: an end at 10:00 today has not happened yet
        ("2026-03-03", "08:00", "10:00", "Sluttiden 10:00 ligger i framtiden"),
        # 23:30 on 2 March to 10:00 the next morning (3 March): also after now
        ("2026-03-02", "23:30", "10:00", "Sluttiden 10:00 nästa dag ligger i framtiden"),
    ],
)
def test_times_the_officer_could_not_attach_are_refused_at_the_form(
    app, day, starts, ends, message
):
    ref = open_case(app)
    token = token_of(diary.issue_link(app, "alice", T0, ref, complainant_id(app, ref)))
    with pytest.raises(InvalidInput, match=message):
        diary.submit_entry(app, token, at(days=1), IP, entry(day=day, starts=starts, ends=ends))
    assert intake_items(app) == []


def test_a_time_in_the_hour_skipped_for_summer_time_is_refused(app):
    """Summer time 2026 begins Sunday 29 March: at 02:00 the clocks go to 03:00, so 02:30 that night
    never happened (EU directive 2000/84/EC: the last Sunday of March, 01:00 UTC)."""
    ref = open_case(app)
    token = token_of(diary.issue_link(app, "alice", T0, ref, complainant_id(app, ref)))
    with pytest.raises(InvalidInput, match="Starttiden 02:30 fanns inte den 2026-03-29"):
        diary.submit_entry(app, token, at(days=28), IP,
                           entry(day="2026-03-29", starts="02:30", ends="03:10"))  # fmt: skip
    # 01:30–03:10 spans the skipped hour: 40 minutes, accepted
    diary.submit_entry(app, token, at(days=28), IP,
                       entry(day="2026-03-29", starts="01:30", ends="03:10"))  # fmt: skip
    [item] = intake_items(app)
    assert item.payload["at"].startswith("2026-03-29T01:30+01:00")
    assert item.payload["ends_at"].startswith("2026-03-29T03:10+02:00")
