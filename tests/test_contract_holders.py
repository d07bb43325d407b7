"""Every contract holder (issue 10 item 2): one uppmaning and one termination to each, each sent and
served on its own, and nothing counts as done until the last one is.

The statute (../shared/reference/jb12-extract.txt, DOMAIN §4 "Co-tenants and the household"):
- 12:8: a written termination is served on each person it is aimed at; a termination to the end of
  the term sent by registered letter is made the day it is posted, one that is served the day served.
- 12:4: the lease ends at the turn of the month nearest after three months from the termination.
- 12:44: the recovery period (three weeks) runs from the later of service on the tenant and the
  notice to socialnämnden; with two contract holders, from the later service of the two.
- 1930:173 2 §: a last day on a Saturday, Sunday or holiday moves to the next weekday.
Every expected date is derived in a comment; none is copied from the product's output.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from storning import services
from storning.errors import GuardBlocked, InvalidInput
from tests.conftest import ZONE
from tests.helpers import GROUNDS, action, open_storning, states


def moment(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=ZONE)


def letters(doc: dict, template: str) -> list[dict]:
    return [x for x in doc["letters"] if x["template"] == template]


def _two_holders(app, when: datetime) -> str:
    return open_storning(app, now=when, co_tenants=["Sara Ek, 19900101-0017"], tenant="Ali Ek")[
        "ref"
    ]


def _uppmaning_given(app, ref: str, when: datetime) -> dict:
    services.add_incident(
        app, "alice", when, ref, at=when - timedelta(days=1), kind="noise",
        text="Fest till 03", verified_by="jour",
    )  # fmt: skip
    return services.fire_event(app, "alice", when + timedelta(minutes=5), ref, "issue_uppmaning")


def test_each_holder_gets_an_uppmaning_and_it_is_given_when_the_last_is_sent(app):
    start = moment("2027-03-01")
    ref = _two_holders(app, start)
    doc = _uppmaning_given(app, ref, start + timedelta(hours=1))
    drafts = letters(doc, "uppmaning")
    assert [d["to"] for d in drafts] == ["Ali Ek", "Sara Ek"]
    assert doc["tenant"]["contract_holders"] == [
        {"name": "Ali Ek", "personnummer": "19850312-****"},
        {"name": "Sara Ek", "personnummer": "19900101-****"},
    ]

    # Ali's is posted Tue 2 Mar; Sara's only Thu 4 Mar. An incident on Wed 3 Mar happened before Sara
    # had been warned, so it is not a ground (the uppmaning is given when the last one is sent).
    services.mark_letter_sent(
        app, "alice", moment("2027-03-02", 16), drafts[0]["id"], method="rekommenderat",
        at="2027-03-02 10:00",
    )  # fmt: skip
    doc = services.show_case(app, "alice", moment("2027-03-02", 16), ref)
    assert "uppmaning_given_at" not in doc["facts"]
    assert doc["facts"]["uppmaning_pending"]["unsent"] == ["Sara Ek"]
    services.mark_letter_sent(
        app, "alice", moment("2027-03-04", 16), drafts[1]["id"], method="rekommenderat",
        at="2027-03-04 11:30",
    )  # fmt: skip
    doc = services.show_case(app, "alice", moment("2027-03-04", 16), ref)
    assert doc["facts"]["uppmaning_given_at"].startswith("2027-03-04T11:30")
    assert doc["facts"]["uppmaning_pending"] == {"unsent": [], "unserved": ["Ali Ek", "Sara Ek"]}


def test_record_service_waits_for_every_holder_and_names_who_is_missing(app):
    start = moment("2027-03-01")
    ref = _two_holders(app, start)
    doc = _uppmaning_given(app, ref, start + timedelta(hours=1))
    for item in [*letters(doc, "uppmaning"), *letters(doc, "underrattelse_socialnamnd")]:
        services.mark_letter_sent(
            app, "alice", start + timedelta(hours=2), item["id"], method="rekommenderat"
        )
    services.add_incident(
        app, "alice", moment("2027-03-10"), ref, at=moment("2027-03-09", 23), kind="noise",
        text="Ny fest", verified_by="jour",
    )  # fmt: skip
    doc = services.fire_event(app, "alice", moment("2027-03-11"), ref, "terminate", reason=GROUNDS)
    terminations = letters(doc, "uppsagning")
    assert [t["to"] for t in terminations] == ["Ali Ek", "Sara Ek"]

    # Ali is served Fri 12 Mar; Sara is not: service is not complete, and the guard says who is missing.
    services.mark_letter_served(
        app, "alice", moment("2027-03-12", 15), terminations[0]["id"], at="2027-03-12",
        proof="Delgivningskvitto",
    )  # fmt: skip
    doc = services.show_case(app, "alice", moment("2027-03-12", 15), ref)
    blocked = action(doc, "record_service")
    assert not blocked["allowed"]
    assert "Sara Ek" in blocked["blocked_by"][0]["message"]
    assert "Ali Ek" not in blocked["blocked_by"][0]["message"]
    assert "termination_served_on" not in doc["facts"]
    with pytest.raises(GuardBlocked, match="Sara Ek"):
        services.fire_event(app, "alice", moment("2027-03-12", 16), ref, "record_service")

    # Sara is served Tue 16 Mar by stämningsman: the termination is served, on the later day.
    services.mark_letter_served(
        app, "alice", moment("2027-03-16", 15), terminations[1]["id"], at="2027-03-16",
        proof="Stämningsmannens intyg",
    )  # fmt: skip
    doc = services.fire_event(app, "alice", moment("2027-03-16", 16), ref, "record_service")
    assert states(doc)["legal"] == "terminated_served"
    assert doc["facts"]["termination_served_on"] == "2027-03-16"


def test_term_end_termination_counts_from_the_last_holder_it_is_made_to(app):
    """Drafted and posted to Ali Mon 1 Feb 2027 (made that day, 12:8); Sara is served Wed 3 Feb. The
    termination is made to both on 3 Feb: 3 Feb + 3 months = 3 May → the lease ends 31 May 2027 (12:4);
    referral until 31 May + 1 month = 30 June 2027, a Wednesday (12:49)."""
    start = moment("2027-01-25")
    ref = _two_holders(app, start)
    doc = _uppmaning_given(app, ref, start + timedelta(hours=1))
    for item in [*letters(doc, "uppmaning"), *letters(doc, "underrattelse_socialnamnd")]:
        services.mark_letter_sent(
            app, "alice", start + timedelta(hours=2), item["id"], method="rekommenderat"
        )
    doc = services.fire_event(
        app, "alice", moment("2027-02-01"), ref, "terminate_term_end", reason=GROUNDS
    )
    ali, sara = letters(doc, "uppsagning_hyrestid")
    services.mark_letter_sent(
        app, "alice", moment("2027-02-01", 15), ali["id"], method="rekommenderat", at="2027-02-01"
    )
    doc = services.show_case(app, "alice", moment("2027-02-01", 15), ref)
    assert "termination_effective_on" not in doc["facts"]  # Sara's is not made yet
    services.mark_letter_served(
        app, "alice", moment("2027-02-03", 15), sara["id"], at="2027-02-03", proof="Kvitto"
    )
    doc = services.show_case(app, "alice", moment("2027-02-03", 15), ref)
    assert doc["facts"]["termination_effective_on"] == "2027-02-03"
    assert doc["facts"]["lease_end_on"] == "2027-05-31"
    assert doc["facts"]["referral_deadline"] == "2027-06-30"


def test_rent_arrears_recovery_period_runs_from_the_last_service(app):
    """Rent due Mon 1 Feb 2027; forfeited after a week. Terminated Mon 15 Feb; the notice to
    socialnämnden sent Mon 15 Feb; Ali served Tue 16 Feb, Sara Fri 19 Feb. The three weeks (12:44) run
    from the latest of these, Fri 19 Feb: + 3 weeks = Fri 12 March 2027, a weekday."""
    start = moment("2027-02-10")
    doc = services.open_case(
        app, "alice", start,
        services.NewCase(
            case_type="hyresskuld", tenant="Ali Ek", address="Storgatan 1", apartment="1102",
            municipality="Norrköping", contract="123-456", postal_code="602 20", city="Norrköping",
            co_tenants=["Sara Ek"], facts={"due_date": "2027-02-01", "amount": "8500"},
        ),
    )  # fmt: skip
    ref = doc["ref"]
    services.fire_event(app, "alice", moment("2027-02-12"), ref, "forfeit")
    doc = services.fire_event(app, "alice", moment("2027-02-15"), ref, "terminate", reason=GROUNDS)
    ali, sara = letters(doc, "uppsagning_hyresskuld")
    assert len(letters(doc, "meddelande_socialnamnd_44")) == 1  # one notice, naming both
    notice = letters(doc, "meddelande_socialnamnd_44")[0]
    services.mark_letter_sent(
        app, "alice", moment("2027-02-15", 15), notice["id"], method="rekommenderat"
    )
    services.mark_letter_served(
        app, "alice", moment("2027-02-16", 15), ali["id"], at="2027-02-16", proof="Kvitto"
    )
    doc = services.show_case(app, "alice", moment("2027-02-16", 15), ref)
    assert not action(doc, "record_service")["allowed"]
    services.mark_letter_served(
        app, "alice", moment("2027-02-19", 15), sara["id"], at="2027-02-19", proof="Kvitto"
    )
    doc = services.fire_event(app, "alice", moment("2027-02-19", 16), ref, "record_service")
    assert states(doc)["legal"] == "recovery_period"
    assert doc["facts"]["termination_served_on"] == "2027-02-19"
    assert doc["facts"]["recovery_deadline"] == "2027-03-12"


def test_a_reissued_letter_stays_with_its_holder(app):
    start = moment("2027-03-01")
    ref = _two_holders(app, start)
    doc = _uppmaning_given(app, ref, start + timedelta(hours=1))
    sara = letters(doc, "uppmaning")[1]
    fresh = services.reissue_letter(app, "alice", start + timedelta(hours=2), sara["id"])
    assert fresh["to"] == "Sara Ek"


def test_co_tenants_are_edited_with_personnummer_checked_and_kept_masked(app):
    start = moment("2027-03-01")
    ref = _two_holders(app, start)
    doc = services.show_case(app, "alice", start, ref)
    version = doc["version"]
    # the form shows the number masked; sent back unchanged, it keeps the stored one
    doc = services.update_case(
        app, "alice", start + timedelta(minutes=1), ref,
        {"co_tenants": "Sara Ek, 19900101-****\nOmar Ek"}, expected_version=version,
    )  # fmt: skip
    assert doc["tenant"]["co_tenants"] == ["Sara Ek", "Omar Ek"]
    assert doc["tenant"]["contract_holders"][1]["personnummer"] == "19900101-****"
    from storning.errors import InvalidInput

    with pytest.raises(InvalidInput, match=r"Personnumret .*kontrollsiffran"):
        services.update_case(
            app, "alice", start + timedelta(minutes=2), ref,
            {"co_tenants": "Sara Ek, 19900101-0018"}, expected_version=doc["version"],
        )  # fmt: skip
    journal = [e for e in doc["journal"] if e["event"] == "case_updated"]
    assert "19900101-0017" not in str(journal)


# --- the doors: the CLI and the web's details form ---------------------------------------------------

from tests.doors import open_doors  # noqa: E402


@pytest.fixture
def doors(app, db_url, monkeypatch):
    with open_doors(app, db_url, monkeypatch) as d:
        yield d


def test_co_tenants_through_the_cli_and_the_web_form(doors):
    doc = doors.cli_json(
        "case", "open", "--type", "storning", "--tenant", "Ali Ek", "--address", "Storgatan 1",
        "--apartment", "1102", "--postal-code", "602 20", "--city", "Norrköping",
        "--co-tenant", "Sara Ek, 19900101-0017", now="2026-03-02T09:00",
    )  # fmt: skip
    ref = doc["ref"]
    assert doc["tenant"]["contract_holders"][1] == {
        "name": "Sara Ek",
        "personnummer": "19900101-****",
    }
    result = doors.cli(
        "case", "update", ref, "--co-tenant", "Sara Ek, 19900101-0018", now="2026-03-02T09:05"
    )
    assert result.exit_code == 1 and "kontrollsiffran" in result.stderr
    assert "Traceback" not in result.output

    # The web form shows Sara with her number masked; adding a line keeps her number.
    browser = doors.browser("alice", now="2026-03-02T09:10")
    form = browser.form(f"/arenden/{ref}", f"/arenden/{ref}/uppgifter", now="2026-03-02T09:10")
    assert form["co_tenants"] == "Sara Ek, 19900101-****"
    response = browser.submit(
        f"/arenden/{ref}", f"/arenden/{ref}/uppgifter", now="2026-03-02T09:11",
        fill={"co_tenants": "Sara Ek, 19900101-****\r\nOmar Ek"},
    )  # fmt: skip
    assert response.status_code in (200, 303)
    doc = doors.cli_json("case", "show", ref, now="2026-03-02T09:12")
    assert [h["name"] for h in doc["tenant"]["contract_holders"]] == [
        "Ali Ek",
        "Sara Ek",
        "Omar Ek",
    ]
    assert doc["tenant"]["contract_holders"][1]["personnummer"] == "19900101-****"
    shown = doors.cli("case", "show", ref, now="2026-03-02T09:12").output
    assert "Medhyresgäster: Sara Ek, Omar Ek" in shown


def test_details_and_co_tenants_through_the_api(doors):
    doc = doors.api(
        "alice", "POST", "/api/cases", now="2026-03-02T09:00",
        json={"type": "storning", "tenant": "Ali Ek", "address": "Storgatan 1", "apartment": "1102",
              "postal_code": "602 20", "city": "Norrköping", "co_tenants": ["Sara Ek, 19900101-0017"]},
    ).json()  # fmt: skip
    ref, version = doc["ref"], doc["version"]
    assert doc["tenant"]["contract_holders"][1]["personnummer"] == "19900101-****"

    # a stale version is refused, a bad number is refused with one sentence, nothing is written
    stale = doors.api(
        "alice", "PATCH", f"/api/cases/{ref}", now="2026-03-02T09:01",
        json={"co_tenants": ["Sara Ek"], "expected_version": version + 5},
    )  # fmt: skip
    assert stale.status_code == 409
    bad = doors.api(
        "alice", "PATCH", f"/api/cases/{ref}", now="2026-03-02T09:01",
        json={"co_tenants": ["Sara Ek, 19900101-0018"], "expected_version": version},
    )  # fmt: skip
    assert bad.status_code == 400 and "kontrollsiffran" in bad.json()["error"]["message"]
    empty = doors.api(
        "alice", "PATCH", f"/api/cases/{ref}", now="2026-03-02T09:01",
        json={"expected_version": version},
    )  # fmt: skip
    assert empty.status_code == 400

    done = doors.api(
        "alice", "PATCH", f"/api/cases/{ref}", now="2026-03-02T09:02",
        json={"co_tenants": ["Sara Ek, 19900101-****", "Omar Ek"], "city": "Linköping",
              "expected_version": version},
    )  # fmt: skip
    assert done.status_code == 200, done.text
    holders = done.json()["tenant"]["contract_holders"]
    assert [h["name"] for h in holders] == ["Ali Ek", "Sara Ek", "Omar Ek"]
    assert holders[1]["personnummer"] == "19900101-****"
    assert done.json()["tenant"]["city"] == "Linköping"
    # a reader may not change details
    refused = doors.api(
        "lisa", "PATCH", f"/api/cases/{ref}", now="2026-03-02T09:03",
        json={"city": "Motala", "expected_version": done.json()["version"]},
    )  # fmt: skip
    assert refused.status_code in (403, 404)


# --- found by breaking it as a user would ------------------------------------------------------------


def _terminated_three(app, start: datetime) -> tuple[str, list[dict]]:
    ref = open_storning(
        app, now=start, tenant="Kim Ek", co_tenants=["Sara Ek", "Ali Ek, 19851212-1230"]
    )["ref"]
    doc = _uppmaning_given(app, ref, start + timedelta(hours=1))
    for item in [*letters(doc, "uppmaning"), *letters(doc, "underrattelse_socialnamnd")]:
        services.mark_letter_sent(
            app, "alice", start + timedelta(hours=2), item["id"], method="rekommenderat"
        )
    services.add_incident(
        app, "alice", start + timedelta(days=3), ref, at=start + timedelta(days=2), kind="noise",
        text="Ny fest", verified_by="jour",
    )  # fmt: skip
    doc = services.fire_event(
        app, "alice", start + timedelta(days=4), ref, "terminate", reason=GROUNDS
    )
    return ref, letters(doc, "uppsagning")


def test_a_letter_made_by_hand_goes_to_one_holder_and_joins_the_round(app):
    start = moment("2026-09-01")
    ref, _drafts = _terminated_three(app, start)
    with pytest.raises(InvalidInput, match="en kontraktsinnehavare i taget"):
        services.create_letter(app, "alice", start + timedelta(days=5), ref, "uppsagning")
    extra = services.create_letter(
        app, "alice", start + timedelta(days=5), ref, "uppsagning", holder="sara ek"
    )
    assert extra["to"] == "Sara Ek"


def test_a_replaced_co_tenant_does_not_inherit_anyone_elses_service(app):
    """Sara is served, then leaves the lease and Bo joins: Bo has had no termination served."""
    start = moment("2026-09-01")
    ref, (kim, sara, ali) = _terminated_three(app, start)
    for item, day in ((kim, "2026-09-09"), (sara, "2026-09-10")):
        services.mark_letter_served(
            app, "alice", moment(day, 15), item["id"], at=day, proof="Kvitto"
        )
    doc = services.show_case(app, "alice", moment("2026-09-10", 16), ref)
    services.update_case(
        app, "alice", moment("2026-09-10", 17), ref,
        {"co_tenants": "Bo Ek, 19920303-4567\nAli Ek, 19851212-****"},
        expected_version=doc["version"],
    )  # fmt: skip
    services.mark_letter_served(
        app, "alice", moment("2026-09-11", 15), ali["id"], at="2026-09-11", proof="Kvitto"
    )
    doc = services.show_case(app, "alice", moment("2026-09-11", 16), ref)
    blocked = action(doc, "record_service")
    assert not blocked["allowed"]
    assert "Bo Ek" in blocked["blocked_by"][0]["message"]
    assert doc["facts"]["uppsagning_pending"]["unserved"] == ["Bo Ek"]
    assert doc["tenant"]["contract_holders"][2]["personnummer"] == "19851212-****"  # kept
    # Bo's own termination, made by hand, joins the round; once served, service is complete
    bo = services.create_letter(
        app, "alice", moment("2026-09-12"), ref, "uppsagning", holder="Bo Ek"
    )
    services.mark_letter_served(
        app, "alice", moment("2026-09-14", 15), bo["id"], at="2026-09-14", proof="Kvitto"
    )
    doc = services.fire_event(app, "alice", moment("2026-09-14", 16), ref, "record_service")
    assert doc["facts"]["termination_served_on"] == "2026-09-14"


def test_holders_need_names_of_their_own_and_masked_numbers_must_mask_a_stored_one(app):
    with pytest.raises(InvalidInput, match="eget namn"):
        open_storning(app, tenant="Mona Skuld", co_tenants=["Mona Skuld"])
    with pytest.raises(InvalidInput, match="maskerat"):
        open_storning(app, tenant="Per Ek", co_tenants=["Eva Ek, 19920303-****"])
    start = moment("2026-09-01")
    ref = _two_holders(app, start)
    doc = services.show_case(app, "alice", start, ref)
    # a corrected spelling with the masked number keeps the number
    doc = services.update_case(
        app, "alice", start + timedelta(minutes=1), ref,
        {"co_tenants": "Sarah Ek, 19900101-****"}, expected_version=doc["version"],
    )  # fmt: skip
    assert doc["tenant"]["contract_holders"][1] == {
        "name": "Sarah Ek",
        "personnummer": "19900101-****",
    }
    with pytest.raises(InvalidInput, match="maskerat"):
        services.update_case(
            app, "alice", start + timedelta(minutes=2), ref,
            {"co_tenants": "Sarah Ek, 19770101-****"}, expected_version=doc["version"],
        )  # fmt: skip


def test_term_end_letters_printing_another_lease_end_are_named_and_stale_drafts_refused(app):
    """Kim's termination posted Fri 29 Jan 2027 prints 30 April (29 Jan + 3 months → end of April);
    Sara's, reissued, posted Mon 1 Feb prints 31 May. Made to both on 1 Feb, the lease ends 31 May
    (12:4, 12:8): Kim's letter is named as printing the wrong day, and a stale draft cannot be sent."""
    start = moment("2027-01-20")
    ref = _two_holders(app, start)
    doc = _uppmaning_given(app, ref, start + timedelta(hours=1))
    for item in [*letters(doc, "uppmaning"), *letters(doc, "underrattelse_socialnamnd")]:
        services.mark_letter_sent(
            app, "alice", start + timedelta(hours=2), item["id"], method="rekommenderat"
        )
    doc = services.fire_event(
        app, "alice", moment("2027-01-29"), ref, "terminate_term_end", reason=GROUNDS
    )
    ali, sara = letters(doc, "uppsagning_hyrestid")
    services.mark_letter_sent(
        app, "alice", moment("2027-01-29", 15), ali["id"], method="rekommenderat", at="2027-01-29"
    )
    stale = services.reissue_letter(app, "alice", moment("2027-01-29", 16), sara["id"])
    fresh = services.reissue_letter(app, "alice", moment("2027-02-01", 9), sara["id"])
    services.mark_letter_sent(
        app, "alice", moment("2027-02-01", 15), fresh["id"], method="rekommenderat",
        at="2027-02-01",
    )  # fmt: skip
    doc = services.show_case(app, "alice", moment("2027-02-01", 16), ref)
    assert doc["facts"]["lease_end_on"] == "2027-05-31"
    assert doc["facts"]["uppsagning_hyrestid_pending"]["wrong_date"] == ["Ali Ek"]
    # the stale draft of 29 Jan, posted 3 Feb, would make the lease end 31 May too, but it is a
    # draft dated 29 Jan: it is refused only if the day gives another end; 1 March gives 30 June
    with pytest.raises(InvalidInput, match="redan gjord till alla"):
        services.mark_letter_sent(
            app, "alice", moment("2027-03-01", 15), stale["id"], method="rekommenderat",
            at="2027-03-01",
        )  # fmt: skip


def test_service_needs_a_day(app):
    start = moment("2026-09-01")
    _ref, drafts = _terminated_three(app, start)
    with pytest.raises(InvalidInput, match="delgivningsdagen"):
        services.mark_letter_served(
            app, "alice", start + timedelta(days=5), drafts[0]["id"], at="", proof="Kvitto"
        )


def test_the_case_page_makes_letters_by_hand_and_gives_the_report(doors):
    doc = doors.cli_json(
        "case", "open", "--type", "storning", "--tenant", "Ali Ek", "--address", "Storgatan 1",
        "--apartment", "1102", "--postal-code", "602 20", "--city", "Norrköping",
        "--co-tenant", "Sara Ek", "--complainant", "Greta Granne", now="2026-03-02T09:00",
    )  # fmt: skip
    ref = doc["ref"]
    browser = doors.browser("alice", now="2026-03-02T09:10")
    page = f"/arenden/{ref}"
    # a meeting invitation with time and place
    sent = browser.submit(
        page, f"{page}/brev", now="2026-03-02T09:11",
        fill={"template": "kallelse", "meeting_at": "2026-03-12T10:00", "place": "Kontoret"},
    )  # fmt: skip
    assert sent.status_code == 303, sent.text
    # one holder's own uppmaning needs the holder
    refused = browser.submit(
        page, f"{page}/brev", now="2026-03-02T09:12", fill={"template": "uppmaning"}
    )
    assert refused.status_code == 400 and "kontraktsinnehavare i taget" in refused.text
    done = browser.submit(
        page, f"{page}/brev", now="2026-03-02T09:13",
        fill={"template": "uppmaning", "holder": "Sara Ek"},
    )  # fmt: skip
    assert done.status_code == 303
    letters_now = doors.cli_json("letter", "list", ref, now="2026-03-02T09:14")
    made = {(x["template"], x["to"]) for x in letters_now}
    assert ("kallelse", None) in made and ("uppmaning", "Sara Ek") in made
    # the report: pseudonymised for the officer; naming reporters is a chef's choice
    report = browser.get(f"{page}/rapport.pdf", now="2026-03-02T09:15")
    assert report.status_code == 200 and report.content.startswith(b"%PDF")
    form = browser.form(page, f"{page}/brev", now="2026-03-02T09:15")
    named = browser.post(
        f"{page}/rapport", {"csrf_token": form["csrf_token"]}, now="2026-03-02T09:16"
    )
    assert named.status_code == 403
