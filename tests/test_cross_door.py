"""One rule, whatever the door (issue 9, DESIGN.md §1 invariant 9): the same facts typed into the CLI, the
JSON API or the web forms give the same case.

- What a typed fact time means (`storning.clock.fact_instant`): a time is that instant (no offset: the
  landlord's zone, Europe/Stockholm); a bare date for a letter sent/served/delivered means the END of
  that day (23:59:59), or `now` when the day is today; a bare date for an incident means the START of
  that day (00:00). Nothing happening later that day counts as "after the uppmaning" on a guess.
- The cross-door test: one scripted disturbance case run through each door, compared.
- Rendering a PDF is a read: it never changes the letter or the case.
- Stale edits are always refused: every change from the API or a form carries the version seen.

Every expected time below is derived from the rule in the comment next to it, never from the product.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from storning.errors import InvalidInput
from tests.conftest import ZONE
from tests.doors import (
    CASE_FIELDS,
    Doors,
    alert_of,
    api_refused,
    form_fields,
    letter_of,
    open_doors,
)


@pytest.fixture
def doors(app, db_url, monkeypatch):
    with open_doors(app, db_url, monkeypatch) as d:
        yield d


def fact_instant(text: str, zone: Any, now: datetime, kind: str) -> datetime:
    # Imported here so that the rest of this file runs while the function does not exist yet.
    from storning.clock import fact_instant as the_rule

    return the_rule(text, zone, now, kind)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZONE)


# --- 1. one meaning of a typed fact time --------------------------------------------------------------

NOW = local("2026-03-05T09:00")  # Thursday 5 March 2026, 09:00 in Stockholm


@pytest.mark.parametrize("kind", ["act", "observation"])
def test_a_time_of_day_is_that_instant_whatever_the_kind_of_fact(kind):
    # Without an offset: the landlord's zone (CET, +01:00 in March before the switch to summer time).
    assert fact_instant("2026-03-04T20:00", ZONE, NOW, kind) == local("2026-03-04T20:00")
    # With an offset: that instant (19:00 UTC is 20:00 in Stockholm).
    assert fact_instant("2026-03-04T19:00+00:00", ZONE, NOW, kind) == local("2026-03-04T20:00")


def test_a_bare_date_for_a_letter_sent_means_the_end_of_that_day():
    # An act on an earlier day: 23:59:59 local on that day.
    moment = fact_instant("2026-03-04", ZONE, NOW, "act")
    assert moment == local("2026-03-04T23:59:59")
    assert moment.isoformat() == "2026-03-04T23:59:59+01:00"


def test_a_bare_date_for_a_letter_sent_today_means_now():
    assert fact_instant("2026-03-05", ZONE, NOW, "act") == NOW


def test_today_is_the_landlords_day_not_utcs():
    # 23:30 UTC on 4 March is 00:30 on 5 March in Stockholm: "today" is 5 March, so 4 March is an
    # earlier day and means its end, 23:59:59 local.
    late = datetime.fromisoformat("2026-03-04T23:30:00+00:00")
    assert fact_instant("2026-03-04", ZONE, late, "act") == local("2026-03-04T23:59:59")
    assert fact_instant("2026-03-05", ZONE, late, "act") == late


def test_the_end_of_a_day_follows_summer_time():
    # Sweden moves to summer time on Sunday 29 March 2026: that day ends at 23:59:59+02:00.
    moment = fact_instant("2026-03-29", ZONE, local("2026-04-01T09:00"), "act")
    assert moment.isoformat() == "2026-03-29T23:59:59+02:00"


def test_a_bare_date_for_an_incident_means_the_start_of_that_day():
    # Time unknown: 00:00 local, so it is never "after" a letter sent that same day.
    assert fact_instant("2026-03-04", ZONE, NOW, "observation") == local("2026-03-04T00:00")
    assert fact_instant("2026-03-05", ZONE, NOW, "observation") == local("2026-03-05T00:00")


@pytest.mark.parametrize("text", ["1901-01-01", "2199-01-01", "1901-01-01T10:00"])
@pytest.mark.parametrize("kind", ["act", "observation"])
def test_a_time_outside_the_supported_years_is_refused(text, kind):
    with pytest.raises(InvalidInput):
        fact_instant(text, ZONE, NOW, kind)


# --- 2. the same script through every door ------------------------------------------------------------
#
# Alice (officer, team norr) opens a case on Sunday 1 March; staff verify two noise incidents; she issues
# the uppmaning (the workflow drafts the notice to socialnämnden in the authority track); on 5 March she
# marks the uppmaning sent on the bare date 4 March; an incident at 20:00 on 4 March is recorded; then one
# at 21:00 on 6 March; the notice is marked sent on 7 March (that day); she terminates.

COMPLAINANT = "Greta Granne"
OPENED = "2026-03-01T09:00"
UPPMANING_SENT_AT = (
    "2026-03-04T23:59:59+01:00"  # bare date 4 March marked on 5 March: end of that day
)
NOTICE_MARKED = "2026-03-07T09:10"
NOTICE_SENT_AT = "2026-03-07T09:10:00+01:00"  # bare date 7 March marked on 7 March: now
LATER_INCIDENT = "2026-03-06T21:00:00+01:00"


class CliDoor:
    def __init__(self, doors: Doors) -> None:
        self.d = doors

    def open_case(self, *, now: str) -> str:
        doc = self.d.open_case(now=now, extra=("--complainant", COMPLAINANT, "--protected"))
        return str(doc["ref"])

    def add_incident(self, ref: str, *, at: str, text: str, now: str) -> None:
        self.d.cli_json(
            "incident", "add", ref, "--at", at, "--kind", "noise", "--text", text,
            "--verified-by", "staff", now=now,
        )  # fmt: skip

    def fire(self, ref: str, event: str, *, now: str, reason: str | None = None) -> None:
        self.d.cli_json(
            "case", "fire", ref, event, *(["--reason", reason] if reason else []), now=now
        )

    def mark_sent(self, ref: str, template: str, *, day: str, now: str) -> None:
        letter = letter_of(self.d.cli_json("letter", "list", ref, now=now), template)
        self.d.cli_json(
            "letter", "sent", str(letter["id"]), "--method", "rekommenderat", "--at", day, now=now
        )

    def document(self, ref: str, *, now: str) -> dict[str, Any]:
        return self.d.show(ref, now=now, user="alice")


class ApiDoor:
    """Alice's token; every change carries `expected_version` from the last document she got."""

    def __init__(self, doors: Doors) -> None:
        self.d = doors
        self.version: dict[str, int] = {}

    def _call(self, method: str, url: str, *, now: str, body: Any = None, status: int = 200) -> Any:
        response = self.d.api("alice", method, url, now=now, json=body)
        assert response.status_code == status, (
            f"API {method} {url} {body}: {response.status_code} {response.text[:500]}"
        )
        return response.json()

    def _seen(self, doc: dict[str, Any]) -> dict[str, Any]:
        self.version[doc["ref"]] = doc["version"]
        return doc

    def open_case(self, *, now: str) -> str:
        body = {
            "type": "storning",
            **CASE_FIELDS,
            "complainants": [{"name": COMPLAINANT, "protected": True}],
        }
        return str(
            self._seen(self._call("POST", "/api/cases", now=now, body=body, status=201))["ref"]
        )

    def add_incident(self, ref: str, *, at: str, text: str, now: str) -> None:
        body = {
            "at": at,
            "kind": "noise",
            "text": text,
            "verified_by": "staff",
            "expected_version": self.version[ref],
        }
        url = f"/api/cases/{ref}/incidents"
        self._seen(self._call("POST", url, now=now, body=body, status=201))

    def fire(self, ref: str, event: str, *, now: str, reason: str | None = None) -> None:
        body = {"event": event, "reason": reason, "expected_version": self.version[ref]}
        self._seen(self._call("POST", f"/api/cases/{ref}/events", now=now, body=body))

    def mark_sent(self, ref: str, template: str, *, day: str, now: str) -> None:
        letter = letter_of(self.document(ref, now=now), template)
        body = {"method": "rekommenderat", "at": day, "expected_version": self.version[ref]}
        self._call("POST", f"/api/letters/{letter['id']}/sent", now=now, body=body)
        self.document(ref, now=now)  # the version after the change

    def document(self, ref: str, *, now: str) -> dict[str, Any]:
        return self._seen(self._call("GET", f"/api/cases/{ref}", now=now))


class WebDoor:
    """Alice in a browser: every change is a form as the case page renders it (with its version)."""

    def __init__(self, doors: Doors) -> None:
        self.d = doors
        self.browser: Any = None

    def _done(self, response: Any, what: str) -> None:
        assert response.status_code == 303, (
            f"web {what}: {response.status_code} {alert_of(response.text)}"
        )

    def open_case(self, *, now: str) -> str:
        self.browser = self.d.browser("alice", now=now)
        fill = {
            "case_type": "storning",
            **CASE_FIELDS,
            "complainant_1": COMPLAINANT,
            "complainant_1_protected": "on",
        }
        response = self.browser.submit("/arenden/nytt", "/arenden/nytt", now=now, fill=fill)
        self._done(response, "Nytt ärende")
        return str(response.headers["location"]).split("/arenden/")[1].split("#")[0].split("?")[0]

    def add_incident(self, ref: str, *, at: str, text: str, now: str) -> None:
        fill = {"at": at, "kind": "noise", "verified_by": "staff", "text": text}
        url = f"/arenden/{ref}"
        self._done(self.browser.submit(url, f"{url}/storningar", now=now, fill=fill), "störning")

    def fire(self, ref: str, event: str, *, now: str, reason: str | None = None) -> None:
        url = f"/arenden/{ref}"
        fill = {"reason": reason} if reason else {}
        response = self.browser.submit(
            url, f"{url}/atgard", now=now, match={"event": event}, fill=fill
        )
        if response.status_code == 200:  # the letters it drafts, shown first: confirm them
            confirm = form_fields(response.text, f"{url}/atgard", {"confirmed": "1"})
            response = self.browser.post(f"{url}/atgard", confirm, now=now)
        self._done(response, event)

    def mark_sent(self, ref: str, template: str, *, day: str, now: str) -> None:
        letter = letter_of(self.browser.document(ref, now=now), template)
        url = f"/arenden/{ref}"
        action = f"{url}/brev/{letter['id']}/skickat"
        fill = {"method": "rekommenderat", "date": day}
        self._done(self.browser.submit(url, action, now=now, fill=fill), f"{template} skickat")

    def document(self, ref: str, *, now: str) -> dict[str, Any]:
        document: dict[str, Any] = self.browser.document(ref, now=now)
        return document


DOORS = {"cli": CliDoor, "api": ApiDoor, "web": WebDoor}


def run_script(door: Any) -> dict[str, dict[str, Any]]:
    """The script, with increasing `now` values; returns the case document at three moments."""
    ref = door.open_case(now=OPENED)
    door.add_incident(ref, at="2026-03-01T22:30", text="Hög musik till 01", now="2026-03-03T08:00")
    door.add_incident(ref, at="2026-03-02T23:10", text="Skrik och dunkar", now="2026-03-03T08:10")
    door.fire(ref, "issue_uppmaning", now="2026-03-03T09:00")
    door.mark_sent(ref, "uppmaning", day="2026-03-04", now="2026-03-05T09:00")
    door.add_incident(ref, at="2026-03-04T20:00", text="Fest på kvällen", now="2026-03-05T09:10")
    evening = door.document(ref, now="2026-03-05T09:15")
    door.add_incident(ref, at="2026-03-06T21:00", text="Fest igen", now="2026-03-07T09:00")
    later = door.document(ref, now="2026-03-07T09:05")
    door.mark_sent(ref, "underrattelse_socialnamnd", day="2026-03-07", now=NOTICE_MARKED)
    door.fire(ref, "terminate", now="2026-03-07T09:20", reason="Fest igen efter uppmaningen")
    final = door.document(ref, now="2026-03-07T09:30")
    return {"evening": evening, "later": later, "final": final}


def legal(doc: dict[str, Any]) -> str:
    return str(doc["tracks"]["legal"]["state"])


def comparable(doc: dict[str, Any]) -> dict[str, Any]:
    """The parts of a case document that must not depend on the door: states, facts (case-specific ids
    and refs replaced by what they point at), the journal's (track, event, from, to, at), incidents,
    letters and timers without their ids."""
    ref = doc["ref"]
    at_of = {i["id"]: i["at"] for i in doc["incidents"]}
    template_of = {x["id"]: x["template"] for x in doc["letters"]}

    def clean(key: str, value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(ref, "<ref>")
        if isinstance(value, list):
            return [clean(key, item) for item in value]
        if isinstance(value, dict):
            return {k: clean(k, v) for k, v in value.items()}
        if isinstance(value, int) and not isinstance(value, bool):
            if "incident" in key:
                return at_of.get(value, value)
            if "letter" in key:
                return template_of.get(value, value)
        return value

    return {
        "status": doc["status"],
        "tracks": {name: (t["state"], t["since"]) for name, t in doc["tracks"].items()},
        "facts": {key: clean(key, value) for key, value in doc["facts"].items()},
        "journal": [(e["track"], e["event"], e["from"], e["to"], e["at"]) for e in doc["journal"]],
        "incidents": [(i["at"], i["kind"], i["verified_by"], i["text"]) for i in doc["incidents"]],
        "letters": [
            (x["template"], x["status"], x["sent_at"], x["sent_method"], x["served_at"])
            for x in doc["letters"]
        ],
        "timers": sorted((t["track"], t["name"], t["due_at"], t["status"]) for t in doc["timers"]),
    }


@pytest.mark.parametrize("door", ["cli", "api", "web"])
def test_the_script_follows_the_fact_time_rule_through_each_door(doors, door):
    docs = run_script(DOORS[door](doors))
    evening, later, final = docs["evening"], docs["later"], docs["final"]
    # The uppmaning was sent on the bare date 4 March, marked on 5 March: the end of 4 March.
    assert letter_of(evening, "uppmaning")["sent_at"] == UPPMANING_SENT_AT
    assert evening["facts"]["uppmaning_given_at"] == UPPMANING_SENT_AT
    # 20:00 on 4 March is before 23:59:59 that day: not "after the uppmaning"; the track stays.
    assert legal(evening) == "uppmaning_issued", f"{door}: {evening['journal'][-2:]}"
    # 21:00 on 6 March is after the uppmaning: ground for termination, and the only ground.
    assert legal(later) == "termination_ready"
    at_of = {i["id"]: i["at"] for i in final["incidents"]}
    assert [at_of[i] for i in final["facts"]["ground_incidents"]] == [LATER_INCIDENT]
    # The notice was sent on the bare date 7 March, marked that same day: that is now, 09:10.
    assert letter_of(final, "underrattelse_socialnamnd")["sent_at"] == NOTICE_SENT_AT
    assert final["tracks"]["authority"]["state"] == "notified"
    assert legal(final) == "terminated"


def test_the_three_doors_give_identical_case_documents(doors):
    finals = {name: run_script(door(doors))["final"] for name, door in DOORS.items()}
    assert len({doc["ref"] for doc in finals.values()}) == 3  # three cases, one database
    expected = comparable(finals["cli"])
    for name in ("api", "web"):
        got = comparable(finals[name])
        for part in expected:
            assert got[part] == expected[part], f"{part}: cli and {name} differ"


# --- 4. rendering a PDF is a read ---------------------------------------------------------------------

OPEN = "2026-03-02T09:00"  # Monday 2 March 2026
READ = "2026-03-02T10:00"


@pytest.mark.parametrize("door", ["cli", "api", "web"])
def test_fetching_a_draft_letters_pdf_changes_nothing_but_the_access_log(doors, door, tmp_path):
    doc = doors.open_case(now=OPEN, extra=("--complainant", COMPLAINANT, "--protected"))
    ref, letter = doc["ref"], letter_of(doc, "bekraftelse")
    assert (letter["status"], letter["sha256"]) == ("draft", None)
    before = doors.snapshot(ref)
    logged = len(doors.access_log())
    if door == "cli":
        out = tmp_path / "brev.pdf"
        result = doors.cli("letter", "pdf", str(letter["id"]), "-o", str(out), now=READ)
        assert result.exit_code == 0, result.stderr
        data = out.read_bytes()
    elif door == "api":
        response = doors.api("alice", "GET", f"/api/letters/{letter['id']}.pdf", now=READ)
        assert response.status_code == 200, response.text[:300]
        data = response.content
    else:
        browser = doors.browser("alice", now=READ)
        response = browser.get(f"/arenden/{ref}/brev/{letter['id']}.pdf", now=READ)
        assert response.status_code == 200, response.text[:300]
        data = response.content
    assert data.startswith(b"%PDF")
    new_rows = doors.access_log()[logged:]
    assert any(r.actor == "alice" and r.case_id == doors.case_id(ref) for r in new_rows)
    after = doors.snapshot(ref)
    fetched = letter_of(doors.show(ref, now=READ), "bekraftelse")
    assert (fetched["status"], fetched["sha256"]) == ("draft", None), "a GET froze the letter"
    assert after == before


# --- 5. stale edits are always refused ----------------------------------------------------------------

STALE_AT = "2026-03-02T09:30"  # someone else changes the case
POSTED = "2026-03-02T10:00"  # then the stale change arrives


def api_change(change: str, ref: str, letter: int) -> tuple[str, dict[str, Any], int]:
    """(url, body without expected_version, success status) of each kind of API change."""
    return {
        "event": (
            f"/api/cases/{ref}/events",
            {"event": "record_contact", "track": "customer", "params": {"channel": "phone"}},
            200,
        ),
        "incident": (
            f"/api/cases/{ref}/incidents",
            {"at": "2026-03-02T08:00", "kind": "noise", "text": "Hög musik", "verified_by": "jour"},
            201,
        ),
        "letter_sent": (f"/api/letters/{letter}/sent", {"method": "vanligt"}, 200),
        # served today (a bare date that is today means now, after the letter was drafted at 09:00)
        "letter_served": (f"/api/letters/{letter}/served", {"at": "2026-03-02"}, 200),
    }[change]


CHANGES = ["event", "incident", "letter_sent", "letter_served"]


def _someone_else_changes(doors: Doors, ref: str) -> None:
    doors.cli_json(
        "incident", "add", ref, "--at", "2026-03-02T07:00", "--kind", "noise", "--text", "Dunkar",
        now=STALE_AT, user="carl",
    )  # fmt: skip


@pytest.mark.parametrize("change", CHANGES)
def test_an_api_change_without_expected_version_is_refused(doors, change):
    doc = doors.open_case(now=OPEN, extra=("--complainant", COMPLAINANT))
    ref, letter = doc["ref"], letter_of(doc, "bekraftelse")["id"]
    url, body, _ = api_change(change, ref, letter)
    before = doors.snapshot(ref)
    api_refused(doors.api("alice", "POST", url, now=POSTED, json=body))
    assert doors.snapshot(ref) == before


@pytest.mark.parametrize("change", CHANGES)
def test_an_api_change_with_a_stale_version_is_refused(doors, change):
    doc = doors.open_case(now=OPEN, extra=("--complainant", COMPLAINANT))
    ref, letter, seen = doc["ref"], letter_of(doc, "bekraftelse")["id"], doc["version"]
    _someone_else_changes(doors, ref)
    url, body, _ = api_change(change, ref, letter)
    before = doors.snapshot(ref)
    response = doors.api("alice", "POST", url, now=POSTED, json={**body, "expected_version": seen})
    api_refused(response, (409,))
    assert response.json()["error"]["code"] == "stale"
    assert doors.snapshot(ref) == before


@pytest.mark.parametrize("change", CHANGES)
def test_an_api_change_with_the_current_version_is_accepted(doors, change):
    # The positive control of the two tests above.
    doc = doors.open_case(now=OPEN, extra=("--complainant", COMPLAINANT))
    ref, letter = doc["ref"], letter_of(doc, "bekraftelse")["id"]
    url, body, status = api_change(change, ref, letter)
    current = doors.version(ref)
    response = doors.api(
        "alice", "POST", url, now=POSTED, json={**body, "expected_version": current}
    )
    assert response.status_code == status, response.text[:400]
    assert doors.version(ref) > current


def web_form(change: str, ref: str, letter: int) -> tuple[str, dict[str, str], dict[str, str]]:
    """(action, fields that pick the form, fields to fill in) of each kind of form on the case page."""
    base = f"/arenden/{ref}"
    return {
        "event": (f"{base}/atgard", {"event": "record_contact"}, {"param_channel": "phone"}),
        "incident": (
            f"{base}/storningar",
            {},
            {"at": "2026-03-02T08:00", "kind": "noise", "text": "Hög musik", "verified_by": "jour"},
        ),
        "letter_sent": (f"{base}/brev/{letter}/skickat", {}, {"method": "vanligt"}),
        "letter_served": (f"{base}/brev/{letter}/delgivet", {}, {"proof": "Kvitto"}),
    }[change]


@pytest.mark.parametrize("change", CHANGES)
def test_a_web_form_without_its_version_is_refused(doors, change):
    doc = doors.open_case(now=OPEN, extra=("--complainant", COMPLAINANT))
    ref, letter = doc["ref"], letter_of(doc, "bekraftelse")["id"]
    action, match, fill = web_form(change, ref, letter)
    browser = doors.browser("alice", now=POSTED)
    before = doors.snapshot(ref)
    response = browser.submit(
        f"/arenden/{ref}", action, now=POSTED, match=match, fill=fill, drop=("version",)
    )
    assert 400 <= response.status_code < 500, f"{response.status_code} {alert_of(response.text)}"
    assert doors.snapshot(ref) == before


@pytest.mark.parametrize("change", CHANGES)
def test_a_web_form_seen_before_someone_elses_change_is_refused(doors, change):
    doc = doors.open_case(now=OPEN, extra=("--complainant", COMPLAINANT))
    ref, letter = doc["ref"], letter_of(doc, "bekraftelse")["id"]
    action, match, fill = web_form(change, ref, letter)
    browser = doors.browser("alice", now=OPEN)
    fields = browser.form(f"/arenden/{ref}", action, now="2026-03-02T09:20", match=match)
    _someone_else_changes(doors, ref)
    before = doors.snapshot(ref)
    response = browser.post(action, {**fields, **fill}, now=POSTED)
    assert response.status_code == 409, f"{response.status_code} {alert_of(response.text)}"
    assert "ladda om" in alert_of(response.text)
    assert doors.snapshot(ref) == before


@pytest.mark.parametrize("change", CHANGES)
def test_a_web_form_with_its_version_is_accepted(doors, change):
    # The positive control of the two tests above.
    doc = doors.open_case(now=OPEN, extra=("--complainant", COMPLAINANT))
    ref, letter = doc["ref"], letter_of(doc, "bekraftelse")["id"]
    action, match, fill = web_form(change, ref, letter)
    browser = doors.browser("alice", now=POSTED)
    before = doors.version(ref)
    response = browser.submit(f"/arenden/{ref}", action, now=POSTED, match=match, fill=fill)
    assert response.status_code == 303, f"{response.status_code} {alert_of(response.text)}"
    assert doors.version(ref) > before
