"""The privacy pages (issue 15): the Dataskydd menu, who read the case, registerutdrag and the
redacted release, for each role, on SQLite and PostgreSQL.

dina is the privacy officer (`dataskydd`, no team); carl is team norr's chef; alice an officer and lisa
a reader in team norr; bob an officer in team syd. Every page a role can reach answers below 500.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from tests.doors import Doors, alert_of, open_doors_with_privacy_officer, pdf_text

OPENED = "2026-03-02T09:00"
LATER = "2026-03-02T10:00"
GRETA = "Greta Granne"
GRETA_PHONE = "070-765 43 21"
THREAT = "Hotade grannen i tvättstugan"


@pytest.fixture
def doors(app, db_url, monkeypatch):
    with open_doors_with_privacy_officer(app, db_url, monkeypatch) as d:
        yield d


@pytest.fixture
def ref(doors: Doors) -> str:
    args = ["case", "open", "--type", "storning", "--tenant", "Kim Hyresgäst", "--address",
            "Storgatan 1", "--apartment", "1102", "--complainant", GRETA, "--protected"]  # fmt: skip
    case = str(doors.cli_json(*args, now=OPENED)["ref"])
    for step in (
        ("complainant", "update", case, "1", "--phone", GRETA_PHONE),
        ("incident", "add", case, "--at", "2026-03-01T22:00", "--kind", "threat", "--text",
         THREAT, "--reporter", GRETA),
    ):  # fmt: skip
        done = doors.cli(*step, now=LATER)
        assert done.exit_code == 0, done.stderr
    return case


def links(html: str) -> list[str]:
    return [h for h in re.findall(r'href="([^"]+)"', html) if h.startswith("/")]


def test_every_page_the_privacy_officer_reaches_answers(doors, ref):
    dina = doors.browser("dina", now=LATER)
    home = dina.get("/", now=LATER)
    assert home.status_code == 200 and 'href="/dataskydd"' in home.text
    seen: set[str] = set()
    queue = ["/", "/dataskydd", f"/dataskydd/utlamnande/{ref}", f"/dataskydd/atkomst?arende={ref}"]
    while queue and len(seen) < 40:
        url = queue.pop(0)
        path = urlsplit(url).path
        if path in seen or path.startswith("/static/") or path == "/logout":
            continue
        seen.add(path)
        response = dina.get(url, now=LATER)
        assert response.status_code < 500, f"GET {url}: {response.status_code}"
        if response.headers.get("content-type", "").startswith("text/html"):
            queue += links(response.text)
    assert {"/dataskydd", "/dataskydd/atkomst", "/dataskydd/registerutdrag"} <= seen
    # not an acting role: the case itself is not dina's to open or change
    assert dina.get(f"/arenden/{ref}", now=LATER).status_code == 404


def test_the_case_page_links_to_who_read_it_for_the_chef_only(doors, ref):
    link = f"/dataskydd/atkomst?arende={ref}"
    carl = doors.browser("carl", now=LATER)
    assert link in carl.get(f"/arenden/{ref}", now=LATER).text
    for user in ("alice", "lisa"):
        page = doors.browser(user, now=LATER).get(f"/arenden/{ref}", now=LATER)
        assert page.status_code == 200 and link not in page.text
        assert 'href="/dataskydd"' not in page.text


def test_who_read_the_case_page_and_csv(doors, ref):
    doors.browser("lisa", now=LATER).get(f"/arenden/{ref}", now=LATER)
    carl = doors.browser("carl", now=LATER)
    page = carl.get("/dataskydd/atkomst", now=LATER, arende=ref)
    assert page.status_code == 200
    assert "vem har läst ärendet" in page.text and ">lisa<" in page.text
    csv = carl.get("/dataskydd/atkomst.csv", now=LATER, arende=ref)
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.lstrip("\ufeff").startswith("tid;användare;ärende")
    assert ";lisa;" in csv.text
    bad = carl.get("/dataskydd/atkomst", now=LATER, fran="2026-03-05", till="2026-03-01")
    assert bad.status_code == 400 and "första dag" in alert_of(bad.text) + bad.text


@pytest.mark.parametrize("user", ["alice", "lisa", "bob"])
def test_officers_and_readers_get_no_privacy_pages(doors, ref, user):
    browser = doors.browser(user, now=LATER)
    for url in ("/dataskydd", "/dataskydd/atkomst", "/dataskydd/registerutdrag"):
        assert browser.get(url, now=LATER).status_code == 403, url
    assert browser.get(f"/dataskydd/utlamnande/{ref}", now=LATER).status_code == 403


def test_an_extract_from_the_page_in_html_and_pdf(doors, ref):
    dina = doors.browser("dina", now=LATER)
    page = dina.get("/dataskydd/registerutdrag", now=LATER)
    assert page.status_code == 200
    shown = dina.post(
        "/dataskydd/registerutdrag",
        {"who": "Kim Hyresgäst", "format": "html", "csrf_token": dina.csrf},
        now=LATER,
    )
    assert shown.status_code == 200 and ref in shown.text
    assert GRETA not in shown.text and THREAT not in shown.text
    pdf = dina.post(
        "/dataskydd/registerutdrag",
        {"who": "Kim Hyresgäst", "format": "pdf", "csrf_token": dina.csrf},
        now=LATER,
    )
    assert pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert ref in text and GRETA not in text and GRETA_PHONE not in text
    nobody = dina.post(
        "/dataskydd/registerutdrag", {"who": " ", "csrf_token": dina.csrf}, now=LATER
    )
    assert nobody.status_code == 400
    no_csrf = dina.post("/dataskydd/registerutdrag", {"who": "Kim Hyresgäst"}, now=LATER)
    assert no_csrf.status_code == 403


def test_the_release_form_proposes_masks_and_the_pdf_has_them_burnt_in(doors, ref):
    carl = doors.browser("carl", now=LATER)
    form = carl.get(f"/dataskydd/utlamnande/{ref}", now=LATER)
    assert form.status_code == 200
    assert GRETA not in form.text  # the form names fields, never their values
    checked = re.findall(r'name="mask" value="([^"]+)"[^>]* checked', form.text)
    hidden = re.findall(r'type="hidden" name="mask" value="([^"]+)"', form.text)
    assert "complainant.1.name" in hidden and "complainant.1.contact" in hidden
    masks = sorted(set(checked + hidden))
    data = {"csrf_token": carl.csrf, "request_ref": "Dnr 2026/20", "mask": masks}
    for field in masks:
        data[f"reason:{field}"] = "osl_21_3"
    made = carl.post(f"/dataskydd/utlamnande/{ref}", data, now=LATER)
    assert made.status_code == 200, made.text[:300]
    assert made.headers["content-type"] == "application/pdf"
    text = pdf_text(made.content)
    for secret in (GRETA, GRETA_PHONE, THREAT):
        assert secret not in text, secret
    assert "Kim Hyresgäst" in text and "[MASKERAT]" in text
    # leaving out the protected identity (a tampered form) is refused, nothing is made
    unlocked = {**data, "mask": [m for m in masks if not m.startswith("complainant.1.")]}
    refused = carl.post(f"/dataskydd/utlamnande/{ref}", unlocked, now=LATER)
    assert refused.status_code == 400 and "skyddad identitet" in refused.text


def test_the_home_page_form_leads_to_the_cases_release_page(doors, ref):
    dina = doors.browser("dina", now=LATER)
    moved = dina.post(
        "/dataskydd/utlamnande", {"ref": ref.lower(), "csrf_token": dina.csrf}, now=LATER
    )
    assert moved.status_code == 303 and moved.headers["location"] == f"/dataskydd/utlamnande/{ref}"
    unknown = dina.get("/dataskydd/utlamnande/S-1999-9999", now=LATER)
    assert unknown.status_code == 404


def test_wild_input_in_the_privacy_forms_never_causes_a_server_error(doors, ref):
    """Names, references, field ids, reasons and periods as nobody should type them."""
    from hypothesis import given
    from tests.wild import bounded, edge_dates, texts

    dina = doors.browser("dina", now=LATER)

    short = texts.map(lambda text: text[:1000])  # the forms cut at a few hundred characters

    @given(who=short, request_ref=short, field=short, reason=short, day=edge_dates, fmt=short)
    @bounded(25)
    def check(who: str, request_ref: str, field: str, reason: str, day: str, fmt: str) -> None:
        answers = [
            dina.post(
                "/dataskydd/registerutdrag",
                {"who": who, "format": fmt, "csrf_token": dina.csrf},
                now=LATER,
            ),
            dina.post(
                f"/dataskydd/utlamnande/{ref}",
                {
                    "csrf_token": dina.csrf,
                    "request_ref": request_ref,
                    "mask": ["complainant.1.name", "complainant.1.contact", field],
                    f"reason:{field}": reason,
                },
                now=LATER,
            ),
            dina.post("/dataskydd/utlamnande", {"ref": who, "csrf_token": dina.csrf}, now=LATER),
            dina.get("/dataskydd/atkomst", now=LATER, fran=day, till=day, anvandare=who),
        ]
        for answer in answers:
            assert answer.status_code < 500, (answer.url, answer.text[:300])

    check()
