"""Facts are validated in the services, so every door refuses the same bad fact (issue 9, item 4):

- a letter cannot be marked sent or served before it was drafted, nor later than now (a few minutes of
  clock skew allowed);
- an incident cannot lie in the future;
- every date lies within the supported years (1990–2100: the holiday calendar's range);
- an amount is finite, positive and below a sane ceiling;
- a text field has one length limit (an incident's text: 4,000 characters), refused, never truncated.

Each door answers a refusal the same way: the CLI exits 1 with one line on stderr and no traceback; the
API answers 400 or 422 with `{"error": {"code", "message"}}`; a web form is shown again with the error
(4xx, never 500). And nothing is written: the case's version, journal, incidents and letters are as
before (for a new case: no case is created). The same fact gives the same sentence at every door.

Times: the case is opened on Monday 2 March 2026 at 09:00 (its confirmation letter is drafted then);
every attempt is made at 09:30 the same day.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.doors import (
    CASE_FIELDS,
    Doors,
    alert_of,
    api_refused,
    cli_refused,
    has_form,
    letter_of,
    open_doors,
    page_text,
)

OPEN = "2026-03-02T09:00"  # the case and its letter `bekraftelse` are created (drafted) now
NOW = "2026-03-02T09:30"  # every attempt
DOORS = ["cli", "api", "web"]
LONG_TEXT = ("Hög musik hela natten. " * 500)[:10_000]  # the limit is 4,000 characters


@pytest.fixture
def doors(app, db_url, monkeypatch):
    with open_doors(app, db_url, monkeypatch) as d:
        yield d


@dataclass(frozen=True)
class Bad:
    """A bad fact: what kind of change, what is typed at the CLI and API, and at the web form (whose
    date fields take a day only) when that differs."""

    kind: str  # letter_sent | letter_served | incident | incident_text | open_debt | payment
    typed: str
    web: str | None = None

    @property
    def web_typed(self) -> str:
        return self.web if self.web is not None else self.typed


BAD = {
    # A bare date for an act is the end of that day: the end of 1 March is before the letter was
    # drafted on 2 March at 09:00.
    "sent_before_drafted": Bad("letter_sent", "2026-03-01"),
    "served_before_drafted": Bad("letter_served", "2026-03-01"),
    # 10:00 is 30 minutes after now, more than a few minutes of clock skew; a form takes a day only,
    # and tomorrow ends after now.
    "sent_after_now": Bad("letter_sent", "2026-03-02T10:00", web="2026-03-03"),
    "served_after_now": Bad("letter_served", "2026-03-02T10:00", web="2026-03-03"),
    "sent_in_1901": Bad("letter_sent", "1901-01-01"),
    "sent_in_2199": Bad("letter_sent", "2199-01-01"),
    "served_in_1901": Bad("letter_served", "1901-01-01"),
    "served_in_2199": Bad("letter_served", "2199-01-01"),
    "incident_in_an_hour": Bad("incident", "2026-03-02T10:30"),
    "incident_in_1901": Bad("incident", "1901-01-01T10:00"),
    "incident_in_2199": Bad("incident", "2199-01-01T10:00"),
    "incident_text_of_10000_characters": Bad("incident_text", LONG_TEXT),
    # A control character (here BEL) is never text: refused at every door, never stripped silently.
    "incident_text_with_a_control_character": Bad("incident_text", "Hög musik\x07 hela natten"),
    "debt_of_nan": Bad("open_debt", "NaN"),
    "debt_of_infinity": Bad("open_debt", "inf"),
    "debt_negative": Bad("open_debt", "-5"),
    "debt_of_1e12": Bad("open_debt", "1e12"),
    "payment_of_nan": Bad("payment", "NaN"),
    "payment_of_infinity": Bad("payment", "inf"),
    "payment_negative": Bad("payment", "-5"),
    "payment_of_1e12": Bad("payment", "1e12"),
}


@dataclass
class Target:
    """The case a bad fact is tried on (none for opening a case)."""

    ref: str | None
    letter: int | None
    version: int | None


def prepare(doors: Doors, kind: str) -> Target:
    if kind == "open_debt":
        return Target(None, None, None)
    if kind == "payment":
        extra: tuple[str, ...] = ("--due-date", "2026-02-25", "--amount", "8450")
        doc = doors.open_case(now=OPEN, case_type="hyresskuld", extra=extra)
        return Target(doc["ref"], None, doc["version"])
    doc = doors.open_case(now=OPEN, extra=("--complainant", "Greta Granne"))
    return Target(doc["ref"], letter_of(doc, "bekraftelse")["id"], doc["version"])


def _api_amount(typed: str) -> Any:
    """How an integrator sends an amount: a JSON number, or a string where JSON has no number."""
    return {"NaN": "NaN", "inf": "Infinity"}.get(typed) or float(typed)


@dataclass
class Outcome:
    door: str
    answer: Any  # the CLI's result or the HTTP response
    action: str = ""  # the form posted to (web)


def attempt(doors: Doors, door: str, bad: Bad, target: Target) -> Outcome:
    """Try the fact through one door."""
    ref, letter, value = target.ref, target.letter, bad.typed
    if door == "cli":
        args: tuple[str, ...] = {
            "letter_sent": ("letter", "sent", str(letter), "--method", "vanligt", "--at", value),
            "letter_served": ("letter", "served", str(letter), "--at", value),
            "incident": ("incident", "add", str(ref), "--at", value, "--kind", "noise",
                         "--text", "Hög musik"),
            "incident_text": ("incident", "add", str(ref), "--at", "2026-03-02T08:00",
                              "--kind", "noise", "--text", value),
            "open_debt": ("case", "open", "--type", "hyresskuld",
                          *[x for k, v in CASE_FIELDS.items() for x in (f"--{k.replace('_', '-')}", v)],
                          "--due-date", "2026-02-25", "--amount", value),
            "payment": ("case", "fire", str(ref), "record_payment", "--track", "legal",
                        "--param", f"amount={value}"),
        }[bad.kind]  # fmt: skip
        return Outcome(door, doors.cli(*args, now=NOW))
    if door == "api":
        version = {"expected_version": target.version}
        amount = _api_amount(value) if bad.kind == "open_debt" else None
        url, body = {
            "letter_sent": (f"/api/letters/{letter}/sent",
                            {"method": "vanligt", "at": value, **version}),
            "letter_served": (f"/api/letters/{letter}/served", {"at": value, **version}),
            "incident": (f"/api/cases/{ref}/incidents",
                         {"at": value, "kind": "noise", "text": "Hög musik", **version}),
            "incident_text": (f"/api/cases/{ref}/incidents",
                              {"at": "2026-03-02T08:00", "kind": "noise", "text": value, **version}),
            "open_debt": ("/api/cases", {"type": "hyresskuld", **CASE_FIELDS,
                                         "due_date": "2026-02-25", "amount": amount}),
            "payment": (f"/api/cases/{ref}/events",
                        {"event": "record_payment", "track": "legal", "params": {"amount": value},
                         **version}),
        }[bad.kind]  # fmt: skip
        return Outcome(door, doors.api("alice", "POST", url, now=NOW, json=body))
    browser = doors.browser("alice", now=NOW)
    web_value = bad.web_typed
    page = f"/arenden/{ref}"
    action, match, fill = {
        "letter_sent": (f"{page}/brev/{letter}/skickat", {},
                        {"method": "vanligt", "date": web_value}),
        "letter_served": (f"{page}/brev/{letter}/delgivet", {}, {"date": web_value}),
        "incident": (f"{page}/storningar", {},
                     {"at": web_value, "kind": "noise", "text": "Hög musik"}),
        "incident_text": (f"{page}/storningar", {},
                          {"at": "2026-03-02T08:00", "kind": "noise", "text": web_value}),
        "open_debt": ("/arenden/nytt", {},
                      {"case_type": "hyresskuld", **CASE_FIELDS, "due_date": "2026-02-25",
                       "amount": web_value}),
        "payment": (f"{page}/atgard", {"event": "record_payment"}, {"param_amount": web_value}),
    }[bad.kind]  # fmt: skip
    form_page = "/arenden/nytt" if bad.kind == "open_debt" else page
    response = browser.submit(form_page, action, now=NOW, match=match, fill=fill)
    return Outcome(door, response, action)


def accepted(outcome: Outcome) -> bool:
    if outcome.door == "cli":
        return bool(outcome.answer.exit_code == 0)
    return outcome.answer.status_code in (200, 201, 303)


def refused(outcome: Outcome) -> str:
    """The door's way of refusing; returns the sentence the person is shown."""
    answer = outcome.answer
    if outcome.door == "cli":
        return cli_refused(answer)
    if outcome.door == "api":
        message = api_refused(answer, (400, 422))
        # Refused for the fact, not because the body carried the version the API now requires.
        assert "expected_version" not in message, message
        return message
    assert 400 <= answer.status_code < 500, f"{answer.status_code} {alert_of(answer.text)}"
    assert 'role="alert"' in answer.text, "no error shown"
    assert has_form(answer.text, outcome.action), "the form is not shown again"
    return page_text(answer.text)


def state_of(doors: Doors, target: Target) -> Any:
    if target.ref is None:
        return doors.case_count()
    return doors.snapshot(target.ref)


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_fact_is_refused_and_nothing_is_written(doors, name, door):
    bad = BAD[name]
    target = prepare(doors, bad.kind)
    before = state_of(doors, target)
    refused(attempt(doors, door, bad, target))
    assert state_of(doors, target) == before, "a refused change wrote something"


def test_sound_facts_through_the_same_forms_are_accepted(doors):
    # The positive control of the table above: the same attempts with sound facts go through.
    extra = ("--complainant", "Greta Granne", "--complainant", "Olle Ovan")
    doc = doors.open_case(now=OPEN, extra=extra)
    first, second = [x["id"] for x in doc["letters"] if x["template"] == "bekraftelse"]
    target = Target(doc["ref"], first, doc["version"])
    good = [
        ("cli", Bad("incident", "2026-03-02T08:00")),
        ("api", Bad("incident", "2026-03-02T08:10")),
        ("web", Bad("incident", "2026-03-02T08:20")),
        # Sent on the bare date of today: that is now, after the letter was drafted at 09:00.
        ("api", Bad("letter_sent", "2026-03-02")),
        ("web", Bad("letter_served", "2026-03-02")),
    ]
    for door, bad in good:
        target.version = doors.version(str(target.ref))
        outcome = attempt(doors, door, bad, target)
        answer = outcome.answer
        assert accepted(outcome), f"{door}: {answer.stderr if door == 'cli' else answer.text[:300]}"
    # Two minutes after now is within a few minutes of clock skew.
    target.letter = second
    outcome = attempt(doors, "cli", Bad("letter_sent", "2026-03-02T09:32"), target)
    assert accepted(outcome), outcome.answer.stderr
    shown = doors.show(str(target.ref), now=NOW)
    assert len(shown["incidents"]) == 3
    assert [x["status"] for x in shown["letters"] if x["template"] == "bekraftelse"] == [
        "served",
        "sent",
    ]


@pytest.mark.parametrize("name", ["sent_before_drafted", "incident_in_an_hour", "payment_of_1e12"])
def test_the_same_bad_fact_gets_the_same_sentence_at_every_door(doors, name):
    bad = BAD[name]
    target = prepare(doors, bad.kind)
    cli = refused(attempt(doors, "cli", bad, target))
    api = refused(attempt(doors, "api", bad, target))
    web = refused(attempt(doors, "web", bad, target))
    assert api == cli
    assert cli in web, f"the page does not show {cli!r}"
