"""No 5xx and no traceback for any input (issue 11 item 4), on SQLite and PostgreSQL.

Every HTML form the pages show (found by following the pages' own links as the administrator, so a new
form is covered without changing this file) and every JSON body and query of the API (read from the
OpenAPI document) gets generated values: dates across 0001–9999, amounts such as 1e999999 and NaN,
numbers past 64 bits, texts of a million characters, control characters. Every answer is 2xx, 3xx or
4xx; afterwards every page and every letter PDF still opens, so nothing stored on the way breaks a
later page. None of it runs database work on the event loop's thread.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event
from tests.conftest import at
from tests.helpers import open_storning
from tests.web.conftest import login
from tests.wild import bounded, edge_dates, json_values, texts, to_json

from storning import services
from storning.services.accounts import set_api_token

FORM_EXAMPLES = 100
API_EXAMPLES = 100
MAX_PAGES = 40


# --- the database never on the event loop -----------------------------------------------------------


@pytest.fixture
def off_the_loop(app) -> Iterator[list[str]]:
    """Statements run on the event loop's thread (there should be none: it would stall every
    request, the login page included, while the database is slow)."""
    offenders: list[str] = []

    def check(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        offenders.append(statement[:120])

    event.listen(app.db.engine, "before_cursor_execute", check)
    yield offenders
    event.remove(app.db.engine, "before_cursor_execute", check)


# --- reading the pages' forms -------------------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # input type, "select" or "textarea"
    value: str = ""
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    action: str
    fields: list[Field]
    source: str = ""  # the page it was found on

    def key(self) -> tuple[str, tuple[str, ...]]:
        return (self.action, tuple(f.name for f in self.fields))


class Page(HTMLParser):
    """The POST forms and the same-site links of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href", "").startswith("/"):
            self.links.append(a["href"])
        elif tag == "form" and a.get("method", "get").lower() == "post":
            self._form = Form(a.get("action", ""), [])
        elif self._form is not None and tag in ("input", "select", "textarea") and a.get("name"):
            kind = a.get("type", "text") if tag == "input" else tag
            item = Field(a["name"], kind, a.get("value", ""))
            self._form.fields.append(item)
            self._select = item if tag == "select" else None
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "select":
            self._select = None


def crawl(client: Any, start: list[str]) -> tuple[dict[str, Form], list[str]]:
    """Follow same-site links from `start` (at most MAX_PAGES pages, each path once); every page must
    answer below 500. Returns the POST forms found and the letter PDFs linked."""
    seen: set[str] = set()
    queue, forms, pdfs = list(start), {}, []
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        path = urlsplit(url).path
        if path in seen or path.startswith("/static/"):
            continue
        seen.add(path)
        response = client.get(url)
        assert response.status_code < 500, f"GET {url}: {response.status_code}"
        if path.endswith(".pdf"):
            continue
        page = Page(response.text)
        for form in page.forms:
            if form.action not in ("/logout", "/login"):
                form.source = url
                forms.setdefault(repr(form.key()), form)
        for link in page.links:
            (pdfs if urlsplit(link).path.endswith(".pdf") else queue).append(link)
    return forms, sorted(set(pdfs))


# --- filling a form with what nobody should type ------------------------------------------------------


def fresh(client: Any, form: Form) -> Form:
    """The same form as its page shows it now: with the case's current version and new one-time
    tokens, as an officer who reloads the page gets it (or as found, when the page no longer has it)."""
    page = Page(client.get(form.source).text)
    return next((f for f in page.forms if f.key() == form.key()), form)


def pick(draw: Any, items: list[str]) -> str:
    """One of `items`, drawn the same way however many there are now (a page's options change as
    the database does; Hypothesis wants the same draws for the same choices)."""
    return items[draw(st.integers(0, 999)) % len(items)]


def fill(draw: Any, form: Form) -> dict[str, str]:
    """What an officer would type, with up to three fields replaced by wild values or left out."""
    values: dict[str, str] = {}
    for item in form.fields:
        if item.kind == "select" and item.options:
            chosen = [o for o in item.options if o] if draw(st.integers(0, 4)) else item.options
            values[item.name] = pick(draw, chosen or item.options)
        elif item.kind == "checkbox":
            if draw(st.integers(0, 4)) == 0:
                values[item.name] = item.value or "on"
        elif item.kind == "hidden" or item.value:
            values[item.name] = item.value
        else:
            values[item.name] = str(plausible(item.name, item.value))
    names = sorted(n for n in values if n != "csrf_token")
    for name in draw(st.lists(st.sampled_from(names), max_size=3, unique=True)) if names else []:
        if draw(st.integers(0, 4)):
            values[name] = draw(texts)
        else:
            del values[name]
    if draw(st.integers(0, 9)) == 0:
        values[draw(st.sampled_from(["param_amount", "param_count", "okänt", "\x00"]))] = draw(
            texts
        )
    return values


def world(app: Any) -> dict[str, Any]:
    """A disturbance case with letters and a rent-arrears case, both alice's."""
    doc = open_storning(app)
    services.add_incident(app, "alice", at(0), doc["ref"], at=at(-1), kind="noise", text="x",
                          verified_by="jour")  # fmt: skip
    doc = services.fire_event(app, "alice", at(0), doc["ref"], "issue_uppmaning")
    debt = open_storning(
        app, case_type="hyresskuld", facts={"due_date": "2026-02-01", "amount": "8450"}
    )
    return {"refs": [doc["ref"], debt["ref"]], "letters": [x["id"] for x in doc["letters"]]}


def test_every_form_with_wild_values_answers_below_500(app, client, off_the_loop):
    refs = world(app)["refs"]
    login(client, "admin")
    start = ["/", "/arenden/nytt", "/paminnelser", *(f"/arenden/{ref}" for ref in refs)]
    forms, _ = crawl(client, start)
    assert {"/arenden/nytt", f"/arenden/{refs[0]}/atgard"} <= {f.action for f in forms.values()}
    found = sorted(forms.values(), key=lambda f: f.key())
    # a form that names the administrator (disable, new password) would end this session
    found = [
        f for f in found if "/admin/" not in f.action and all(x.value != "admin" for x in f.fields)
    ]
    actions = sorted({f.action for f in found})

    @given(data=st.data())
    @bounded(FORM_EXAMPLES)
    def post(data: Any) -> None:
        action = data.draw(st.sampled_from(actions))  # each kind of form as often
        form = fresh(client, data.draw(st.sampled_from([f for f in found if f.action == action])))
        values = fill(data.draw, form)
        response = client.post(form.action, data=values)
        shown = {k: v[:80] for k, v in values.items()}
        assert response.status_code < 500, f"POST {form.action} {shown}: {response.text[:300]}"
        target = response.headers.get("location", "")
        if response.status_code == 303 and target.startswith("/arenden/"):
            page = client.get(target)
            assert page.status_code < 500, f"GET {target} after POST {form.action} {shown}"

    post()
    # what was stored on the way still shows: every page and every letter
    _, pdfs = crawl(client, ["/", *(f"/arenden/{ref}" for ref in refs)])
    for pdf in pdfs:
        assert client.get(pdf).status_code < 500, pdf
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert token is not None
    assert client.post("/logout", data={"csrf_token": token[1]}).status_code == 303
    assert off_the_loop == []  # logging in and out included


# --- the API ------------------------------------------------------------------------------------------

# A plausible value for each field name the API uses, so a request gets past the fields that are
# not being varied (a name missing here gets a value by its type).
PLAUSIBLE: dict[str, Any] = {
    "type": "hyresskuld",
    "tenant": "Kim Hyresgäst",
    "address": "Storgatan 1",
    "apartment": "1102",
    "postal_code": "602 20",
    "city": "Norrköping",
    "municipality": "Norrköping",
    "contract": "1102-01",
    "personnummer": "19850312-1231",
    "due_date": "2026-02-01",
    "amount": "8450",
    "at": "2026-03-01T23:40",
    "ends_at": "2026-03-01T23:55",
    "kind": "noise",
    "text": "Hög musik",
    "verified_by": "jour",
    "method": "rekommenderat",
    "delivered_on": "2026-03-02",
    "track": "legal",
    "reason": "Motivering",
    "proof": "Stämningsmannens intyg",
    "name": "Greta Granne",
    "protected": False,
    "case_type": "hyresskuld",
    "date": "2026-03-02",
    "place": "Trapphuset",
    "reporter": "Greta Granne",
    "complainant_1": "Greta Granne",
    "complainant_1_address": "Storgatan 2\n602 20 Norrköping",
    "paid_on": "2026-03-01",
    "count": "3",
    "first_due_on": "2026-04-01",
    "channel": "phone",
    "owner": "alice",
}
EVENTS = ["issue_uppmaning", "record_payment", "agree_payment_plan", "record_contact", "terminate",
          "record_consent", "record_support", "close", "tenant_moved", "forfeit", "nonsense"]  # fmt: skip
# A URL holds at most a few thousand characters (a server refuses a longer request line itself).
in_url = texts.map(lambda text: text[:2000])
PARAMS = ["amount", "paid_on", "count", "first_due_on", "channel", "scope", "expires_on", "kind",
          "committed_on", "name", "okänd"]  # fmt: skip


def plausible(name: str, default: Any) -> Any:
    """The plausible value of a field, also under a form's prefixes (`incident_at`, `fix_text`)."""
    for key in (name, re.sub(r"^(incident_|fix_|param_)", "", name)):
        if key in PLAUSIBLE:
            return PLAUSIBLE[key]
    return default


def _schema_of(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _by_type(draw: Any, schema: dict[str, Any]) -> Any:
    kinds = {s.get("type") for s in schema.get("anyOf", [schema])}
    if "integer" in kinds:
        return draw(st.integers(1, 5))
    if "boolean" in kinds:
        return draw(st.booleans())
    if "array" in kinds:
        return []
    if "object" in kinds:
        return {}
    return "x"


def body_for(draw: Any, spec: dict[str, Any], schema: dict[str, Any], version: int) -> Any:
    """A plausible body for `schema` with up to three fields replaced by wild values or left out
    (now and then a wild value instead of the whole body)."""
    if draw(st.integers(0, 19)) == 0:
        return draw(json_values)
    schema = _schema_of(spec, schema)
    body: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        if name == "expected_version":
            body[name] = version
        elif name == "event":
            body[name] = draw(st.sampled_from(EVENTS))
        elif name == "params":
            keys = draw(st.lists(st.sampled_from(PARAMS), max_size=3, unique=True))
            body[name] = {k: draw(st.one_of(edge_dates, texts, st.integers())) for k in keys}
        elif name == "complainants":
            body[name] = [{"name": "Greta Granne", "protected": True}]
        elif name == "co_tenants":
            body[name] = []
        elif name in schema.get("required", []) or draw(st.booleans()):
            body[name] = plausible(name, _by_type(draw, prop))
    for name in draw(st.lists(st.sampled_from(sorted(body) or ["x"]), max_size=3, unique=True)):
        if draw(st.integers(0, 4)):
            body[name] = draw(json_values)
        else:
            body.pop(name, None)
    if draw(st.integers(0, 9)) == 0:
        body[draw(st.text(max_size=10))] = draw(json_values)
    return body


def api_world(app: Any) -> dict[str, Any]:
    made = world(app)
    incidents = services.show_case(app, "alice", at(0), made["refs"][0])["incidents"]
    return {
        **made,
        "incidents": [i["id"] for i in incidents],
        "token": set_api_token(app, "alice"),
    }


def query_value(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    """Mostly a value of the parameter's type, now and then a wild one."""
    typed = {
        "boolean": st.sampled_from(["true", "false", "1", "0"]),
        "integer": st.integers(-5, 300).map(str),
    }
    wild = st.integers(0, 4).flatmap(
        lambda n: typed.get(schema.get("type", ""), in_url) if n else in_url
    )
    return wild


def path_for(draw: Any, path: str, things: dict[str, Any]) -> str:
    real = {
        "ref": things["refs"],
        "letter_id": things["letters"],
        "incident_id": things["incidents"],
    }

    def value(match: re.Match[str]) -> str:
        name = match[1]
        if name in real and draw(st.integers(0, 4)):
            return str(draw(st.sampled_from(real[name])))
        return quote(draw(st.one_of(in_url, st.integers().map(str))), safe="") or "0"

    return re.sub(r"\{(\w+)\}", value, path)


def test_every_api_call_with_wild_values_answers_below_500(app, web, client, off_the_loop):
    things = api_world(app)
    spec = web.openapi()
    operations = sorted(
        (method.upper(), path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if path.startswith("/api")
    )
    headers = {"Authorization": f"Bearer {things['token']}", "Content-Type": "application/json"}

    @given(data=st.data())
    @bounded(API_EXAMPLES)
    def call(data: Any) -> None:
        method, path, operation = data.draw(st.sampled_from(operations))
        url = path_for(data.draw, path, things)
        query = {
            p["name"]: data.draw(query_value(p.get("schema", {})))
            for p in operation.get("parameters", [])
            if p["in"] == "query" and data.draw(st.booleans())
        }
        content = None
        if "requestBody" in operation:
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            ref = next((r for r in things["refs"] if r in url), things["refs"][0])
            version = int(services.show_case(app, "alice", at(0), ref)["version"])
            content = to_json(body_for(data.draw, spec, schema, version))
        response = client.request(method, url, params=query, content=content, headers=headers)
        shown = (content or b"")[:300]
        assert response.status_code < 500, (
            f"{method} {url} {query} {shown!r}: {response.text[:300]}"
        )

    call()
    for letter in things["letters"]:
        assert client.get(f"/api/letters/{letter}.pdf", headers=headers).status_code < 500
    assert off_the_loop == []


# --- the inputs the red-team assessment found ---------------------------------------------------------

NEW_DEBT = {
    "case_type": "hyresskuld",
    "tenant": "Kim Hyresgäst",
    "address": "Storgatan 1",
    "apartment": "1102",
    "due_date": "2026-02-01",
    "amount": "8450",
}


INTAKE_500S = [
    {"due_date": "9999-12-31"},
    {"due_date": "0001-01-01"},
    {"due_date": "2199-01-01"},
    {"amount": "1e999999"},
    {"amount": "NaN"},
    {"amount": "-1"},
    {"tenant": "x" * 201},
    {"address": "x" * 201},
    {"tenant": "x" * 10**6},
]
API_500S = [
    {"due_date": "2199-01-01"},
    {"due_date": "1900-01-01"},
    {"due_date": "9999-12-31"},
    {"amount": "1e999999"},
    {"tenant": "x" * 201},
    {"address": "x" * 201},
]


def test_the_values_that_once_gave_500_are_refused_by_the_intake_form(client, as_alice):
    for change in INTAKE_500S:
        form = next(f for f in Page(client.get("/arenden/nytt").text).forms if "nytt" in f.action)
        hidden = {f.name: f.value for f in form.fields if f.kind == "hidden"}
        response = client.post("/arenden/nytt", data={**hidden, **NEW_DEBT, **change})
        assert response.status_code == 400, (change.keys(), response.text[-300:])
        assert "Ärendet är inte sparat" in response.text


def test_the_values_that_once_gave_500_are_refused_by_the_api(app, client):
    headers = {"Authorization": f"Bearer {set_api_token(app, 'alice')}"}
    fields = ("tenant", "address", "apartment", "due_date", "amount")
    for change in API_500S:
        body = {"type": "hyresskuld", "owner": "alice", **{k: PLAUSIBLE[k] for k in fields}}
        response = client.post("/api/cases", json={**body, **change}, headers=headers)
        assert response.status_code in (400, 422), (change.keys(), response.text)
        assert response.json()["error"]["message"]
