"""The measures of eviction prevention (issue 14), on a small hand-built world whose numbers are
computed by hand below, on SQLite and PostgreSQL; and the facts they need (source, children, outcome).

The world (team norr: alice's cases; team syd: bob's). The period is 2026-06-01 – 2026-12-31 and the
measures are read on 2027-01-15. Working days are counted in (complaint day, milestone day]: Saturdays,
Sundays, public holidays and Midsummer/Christmas/New Year's Eve do not count (lag 1930:173, the
product's working-day calendar).

A  storning, norr, opened Fri 2026-06-19 (Midsummer Eve), source granne, 2 children.
   first contact Tue 06-23: 20 Sat (Midsummer Day), 21 Sun, 22 Mon, 23 Tue -> 2 working days
   uppmaning decided Wed 06-24 -> 3; notice to socialnämnden sent Thu 06-25 -> 4
   a new incident on 2027-01-10: after 6 months (2026-12-24) but within 12 months of the uppmaning.
B  storning, norr, opened Mon 06-22, source storningsjour, 3 children.
   uppmaning Tue 06-23 -> 1; notice sent 06-23 -> 1; a new incident Wed 06-24 (within 6 months);
   terminated Thu 06-25 (the notice was sent before: 12:42 3 st holds); served; application to
   Kronofogden Fri 06-26; first contact Mon 06-29 -> 23, 24, 25, 26, 29 = 5; evicted 07-10.
C  storning, norr, opened Fri 2026-05-29 (before the period), source personal.
   first contact Mon 06-01 -> 1 (30 and 31 May are a weekend); an unverified incident, so carl issues
   the uppmaning with an override on Wed 06-03 -> 1, 2, 3 June = 3; the notice is drafted, never sent;
   rectified; closed 07-01 with the outcome "rattelse".
D  storning, norr, opened 2026-05-04, source polis; first contact 05-05 (before the period: not
   counted); the tenant moves out 06-10 (closed in the period; outcome "flyttat", implied).
G  storning, norr, opened Mon 09-07, no source, 4 children; a violent incident, judged particularly
   serious, terminated Wed 09-09 without a notice to socialnämnden (12:42 4 st: for particularly
   serious disturbances no prior notice is required, so it is counted apart, not against the notice
   share); still pending on 2027-01-15.
E  storning, syd (bob), opened Mon 06-22, source granne, 1 child; particularly serious, terminated
   06-24 without notice, the termination withdrawn 06-30, closed 07-02 with "uppsagning_aterkallad".

Seen by carl (chef, norr) and lisa (reader, norr): A, B, C, D, G.
- inflow: A (2026-06, granne), B (2026-06, storningsjour), G (2026-09, no source)
- days to first contact: A 2, B 5, C 1 -> sorted [1, 2, 5]: median 2; 90th percentile by linear
  interpolation: rank (3-1)*0.9 = 1.8 -> 2 + 0.8*(5-2) = 4.4
- days to uppmaning: A 3, B 1, C 3 -> [1, 3, 3]: median 3, p90 3
- days to notice: A 4, B 1 -> [1, 4]: median 2.5; p90 rank 0.9 -> 1 + 0.9*3 = 3.7
- terminations of disturbance cases: B (with notice); G particularly serious, apart -> share 1/1
- overrides: carl 1
- closed in the period: B (evicted -> "avhyst"), C ("rattelse"), D ("flyttat")
- resolved without termination and eviction: C, D of B, C, D -> 2/3
- terminations 2 (B, G); applications 1 (B); evictions 1 (B); evictions prevented 0
- recurrence: uppmaningar in the period A, B, C (3); within 6 months: B; within 12 months: A, B
- children pending (now): G with 4 children; evictions affecting children: B, 3 children
Seen by the admin, in addition E: terminations 3 (B with notice: 1/1; E and G particularly serious),
evictions prevented 1 (E).
Seen by bob (syd): E only.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from storning import services
from storning.app import App
from storning.errors import InvalidInput, PermissionDenied
from storning.outcomes.measures import StatsFilter, percentile, working_days_between
from storning.services import case_outcome, outcomes
from tests.conftest import ZONE
from tests.doors import CASE_FIELDS, alert_of, cli_refused, form_fields, forms_on, open_doors
from tests.helpers import GROUNDS, letter_id, open_storning

PERIOD = StatsFilter(date(2026, 6, 1), date(2026, 12, 31))


def t(month: int, day: int, hour: int = 9, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=ZONE)


NOW = t(1, 15, year=2027)


def _contact(app: App, user: str, ref: str, when: datetime) -> None:
    services.fire_event(app, user, when, ref, "record_contact", params={"channel": "phone"})


def _severe(app: App, user: str, ref: str, day: tuple[int, int]) -> None:
    month, d = day
    services.add_incident(
        app, user, t(month, d, 10), ref, at=t(month, d, 8), kind="violence", text="Misshandel",
        verified_by="police",
    )  # fmt: skip


def build_world(app: App) -> dict[str, str]:
    refs: dict[str, str] = {}
    # D: before the period, closed in it
    d = open_storning(app, "alice", t(5, 4), tenant="Dora Dahl", source="polis")["ref"]
    _contact(app, "alice", d, t(5, 5))
    services.fire_event(app, "alice", t(6, 10), d, "tenant_moved")
    refs["D"] = d
    # C: opened before the period; milestones in it
    c = open_storning(app, "alice", t(5, 29), tenant="Cecilia Ceder", source="personal")["ref"]
    _contact(app, "alice", c, t(6, 1))
    services.add_incident(app, "alice", t(6, 2), c, at=t(6, 2, 8), kind="noise", text="Musik")
    services.fire_event(app, "carl", t(6, 3), c, "issue_uppmaning", override="Muntlig uppmaning")
    services.fire_event(app, "alice", t(6, 15), c, "mark_rectified")
    services.fire_event(app, "alice", t(6, 30), c, "close", track="authority")
    services.fire_event(app, "alice", t(6, 30, 10), c, "resolve")
    services.fire_event(
        app, "alice", t(7, 1), c, "close", track="legal", params={"outcome": "rattelse"}
    )
    refs["C"] = c
    # A: opened on Midsummer Eve
    doc = open_storning(app, "alice", t(6, 19, 10), tenant="Anna Alm", source="granne", children=2)
    a = refs["A"] = doc["ref"]
    services.add_incident(
        app, "alice", t(6, 19, 11), a, at=t(6, 19, 8), kind="noise", text="Fest", verified_by="jour"
    )
    _contact(app, "alice", a, t(6, 23, 10))
    doc = services.fire_event(app, "alice", t(6, 24, 10), a, "issue_uppmaning")
    services.mark_letter_sent(
        app, "alice", t(6, 25, 10), letter_id(doc, "underrattelse_socialnamnd"),
        method="rekommenderat", at=t(6, 25, 10),
    )  # fmt: skip
    services.add_incident(
        app, "alice", t(1, 10, year=2027), a, at=t(1, 10, 8, year=2027), kind="noise",
        text="Ny fest", verified_by="staff",
    )  # fmt: skip
    # B: the whole path to an eviction
    b = open_storning(app, "alice", t(6, 22), tenant="Bertil Berg", source="storningsjour",
                      children=3)["ref"]  # fmt: skip
    services.add_incident(
        app, "alice", t(6, 22, 10), b, at=t(6, 22, 8), kind="noise", text="Fest", verified_by="jour"
    )
    doc = services.fire_event(app, "alice", t(6, 23, 9), b, "issue_uppmaning")
    services.mark_letter_sent(
        app, "alice", t(6, 23, 10), letter_id(doc, "uppmaning"), method="rekommenderat"
    )
    services.mark_letter_sent(
        app, "alice", t(6, 23, 11), letter_id(doc, "underrattelse_socialnamnd"),
        method="rekommenderat", at=t(6, 23, 11),
    )  # fmt: skip
    services.add_incident(
        app, "alice", t(6, 24), b, at=t(6, 24, 8), kind="noise", text="Igen", verified_by="staff"
    )
    doc = services.fire_event(app, "alice", t(6, 25), b, "terminate", reason=GROUNDS)
    services.mark_letter_served(
        app, "alice", t(6, 25, 10), letter_id(doc, "uppsagning"), at=t(6, 25, 10), proof="Intyg"
    )
    services.fire_event(app, "alice", t(6, 25, 11), b, "record_service")
    services.fire_event(app, "alice", t(6, 26), b, "apply_eviction")
    _contact(app, "alice", b, t(6, 29))
    services.fire_event(app, "alice", t(7, 10), b, "record_eviction")
    refs["B"] = b
    # E: team syd, terminated and withdrawn: an eviction prevented
    e = open_storning(app, "bob", t(6, 22), tenant="Erik Ek", source="granne", children=1)["ref"]
    _severe(app, "bob", e, (6, 22))
    services.fire_event(app, "bob", t(6, 23), e, "classify_severe")
    services.fire_event(app, "bob", t(6, 24), e, "terminate", reason=GROUNDS)
    services.fire_event(app, "bob", t(6, 30), e, "withdraw", reason="Förlikning")
    services.fire_event(app, "bob", t(6, 30, 10), e, "close", track="authority")
    _contact(app, "bob", e, t(6, 30, 11))
    services.fire_event(app, "bob", t(6, 30, 12), e, "resolve")
    services.fire_event(
        app, "bob", t(7, 2), e, "close", track="legal",
        params={"outcome": "uppsagning_aterkallad"},
    )  # fmt: skip
    refs["E"] = e
    # G: a pending termination in a household with four children
    g = open_storning(app, "alice", t(9, 7), tenant="Gun Gran", children=4)["ref"]
    _severe(app, "alice", g, (9, 7))
    services.fire_event(app, "alice", t(9, 8), g, "classify_severe")
    services.fire_event(app, "alice", t(9, 9), g, "terminate", reason=GROUNDS)
    refs["G"] = g
    return refs


def values(stats: Any, key: str) -> dict[str, Any]:
    return {v.key: v.value for v in stats.measure(key).values}


def refs_behind(app: App, user: str, measure: str, value: str | None = None) -> set[str]:
    rows = outcomes.case_rows(app, user, NOW, PERIOD, measure=measure, value=value)
    return {r.ref for r in rows}


@pytest.fixture
def world(app: App) -> dict[str, str]:
    return build_world(app)


def test_the_measures_of_team_norr_match_the_hand_computed_numbers(app, world):
    s = outcomes.stats(app, "carl", NOW, PERIOD)
    assert values(s, "inflow") == {
        "2026-06|storning|granne": 1,
        "2026-06|storning|storningsjour": 1,
        "2026-09|storning|okand": 1,
    }
    assert values(s, "days_to_first_contact") == {"median": 2, "p90": pytest.approx(4.4)}
    assert values(s, "days_to_uppmaning") == {"median": 3, "p90": 3}
    assert values(s, "days_to_social_notice") == {"median": 2.5, "p90": pytest.approx(3.7)}
    notice = values(s, "terminations_with_notice")
    assert notice == {"share": 1.0, "with_notice": 1, "without_notice": 0, "severe": 1}
    assert values(s, "overrides") == {"carl": 1, "total": 1}
    assert values(s, "outcomes") == {"rattelse": 1, "flyttat": 1, "avhyst": 1}
    assert values(s, "resolved_without_termination") == {
        "share": pytest.approx(2 / 3, abs=1e-4),
        "resolved": 2,
    }
    assert values(s, "terminations")["total"] == 2
    assert values(s, "eviction_applications")["total"] == 1
    assert values(s, "evictions")["total"] == 1
    assert values(s, "evictions_prevented") == {"total": 0}
    recurrence = values(s, "recurrence")
    assert (recurrence["6m"], recurrence["12m"]) == (1, 2)
    assert recurrence["6m_share"] == pytest.approx(1 / 3, abs=1e-4)
    pending = values(s, "children_pending")
    assert (pending["children"], pending["households"]) == (4, 1)
    evicted = values(s, "evictions_children")
    assert (evicted["children"], evicted["households"]) == (3, 1)
    assert values(s, "open_per_officer") == {"alice": 2}  # A and G


def test_every_number_lists_the_cases_behind_it(app, world):
    w = world
    assert refs_behind(app, "carl", "inflow", "2026-06|storning|granne") == {w["A"]}
    assert refs_behind(app, "carl", "days_to_first_contact", "median") == {w["A"], w["B"], w["C"]}
    assert refs_behind(app, "carl", "terminations_with_notice", "without_notice") == set()
    assert refs_behind(app, "carl", "terminations_with_notice", "severe") == {w["G"]}
    assert refs_behind(app, "carl", "recurrence", "12m") == {w["A"], w["B"]}
    assert refs_behind(app, "carl", "evictions_children", "children") == {w["B"]}
    assert refs_behind(app, "carl", "overrides", "carl") == {w["C"]}


def test_the_admin_sees_team_syd_too_and_its_prevented_eviction(app, world):
    s = outcomes.stats(app, "admin", NOW, PERIOD)
    assert values(s, "terminations")["total"] == 3
    notice = values(s, "terminations_with_notice")
    assert (notice["share"], notice["without_notice"], notice["severe"]) == (1.0, 0, 2)
    assert values(s, "evictions_prevented") == {"total": 1}
    assert refs_behind(app, "admin", "evictions_prevented") == {world["E"]}
    assert values(s, "outcomes")["uppsagning_aterkallad"] == 1


def test_a_reader_of_another_team_sees_nothing_of_ours(app, world):
    s = outcomes.stats(app, "bob", NOW, PERIOD)
    assert values(s, "terminations")["total"] == 1  # E only
    assert refs_behind(app, "bob", "terminations") == {world["E"]}
    # a team whose cases bob cannot read is refused, not answered with zeros under its name
    with pytest.raises(PermissionDenied, match="ser inga ärenden i team norr"):
        outcomes.stats(app, "bob", NOW, StatsFilter(PERIOD.start, PERIOD.end, team="norr"))
    # and the refusal is in the access log, as every refusal is
    from sqlalchemy import select

    from storning.store.models import AccessLog

    with app.db.read() as session:
        actions = session.scalars(select(AccessLog.action).where(AccessLog.actor == "bob")).all()
    assert "stats_view_refused" in actions


def test_a_team_filter_a_type_filter_and_a_period_narrow_the_measures(app, world):
    june = outcomes.stats(app, "carl", NOW, StatsFilter(date(2026, 6, 1), date(2026, 6, 30)))
    # In June only: first contacts A, B, C; terminations B (G was in September)
    assert values(june, "terminations")["total"] == 1
    assert sum(values(june, "inflow").values()) == 2
    arrears = outcomes.stats(
        app, "carl", NOW, StatsFilter(PERIOD.start, PERIOD.end, case_type="hyresskuld")
    )
    assert values(arrears, "terminations")["total"] == 0


def test_the_rows_milestones_are_the_same_whether_the_measures_are_computed_or_kept(
    app, world, monkeypatch
):
    from storning.services import outcome_rows

    read = []
    reached = outcome_rows.first_reached
    monkeypatch.setattr(outcome_rows, "first_reached", lambda key: read.append(key) or reached(key))
    computed = outcomes.case_rows(app, "carl", NOW, PERIOD)  # the first call computes
    # the rows took the milestones the computation read; only the complaint (which no measure
    # reads from the journal) was read for them
    assert read == ["complaint"]
    read.clear()
    kept = outcomes.case_rows(app, "carl", NOW, PERIOD)  # the second is answered from the cache
    assert len(read) == 7
    assert computed == kept
    # B's days, from build_world: opened Monday 22 June; uppmaning and the notice to
    # socialnämnden (sent 11:00) Tuesday 23 June; terminated Thursday 25 June; application to
    # Kronofogden Friday 26 June; first contact Monday 29 June; evicted Friday 10 July
    b = next(r for r in kept if r.ref == world["B"])
    assert b.milestones == {
        "complaint": date(2026, 6, 22),
        "first_contact": date(2026, 6, 29),
        "uppmaning": date(2026, 6, 23),
        "social_notice": date(2026, 6, 23),
        "termination": date(2026, 6, 25),
        "kronofogden": date(2026, 6, 26),
        "eviction": date(2026, 7, 10),
    }
    # C reached no termination: the milestones it did not reach are there, as None
    c = next(r for r in kept if r.ref == world["C"])
    assert c.milestones["termination"] is None and c.milestones["uppmaning"] == date(2026, 6, 3)


def test_readers_get_pseudonyms_and_officers_names_never_a_complainant(app, world):
    by_lisa = outcomes.case_rows(app, "lisa", NOW, PERIOD, measure="terminations")
    by_carl = outcomes.case_rows(app, "carl", NOW, PERIOD, measure="terminations")
    assert {r.tenant for r in by_carl} == {"Bertil Berg", "Gun Gran"}
    assert all(r.tenant.startswith("H-") and not r.named for r in by_lisa)
    again = outcomes.case_rows(app, "lisa", NOW, PERIOD, measure="terminations")
    assert [r.tenant for r in again] == [r.tenant for r in by_lisa]  # stable
    assert len({r.tenant for r in by_lisa}) == 2
    for row in by_carl:
        assert "Greta" not in json.dumps(row.as_dict())


def test_the_xlsx_export_has_measures_cases_and_definitions_and_no_complainant(app, world):
    exported = outcomes.export(app, "lisa", NOW, PERIOD, "xlsx")
    book = load_workbook(io.BytesIO(exported.content), read_only=True)
    assert book.sheetnames == ["Mått", "Ärenden", "Definitioner"]
    cells = [
        str(c)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for c in row
    ]
    assert not any("Greta" in c for c in cells)
    assert not any(name in c for c in cells for name in ("Anna Alm", "Bertil Berg", "Gun Gran"))
    case_rows = list(book["Ärenden"].iter_rows(values_only=True))
    assert case_rows[0][0] == "Ärende" and len(case_rows) == 1 + 5  # A, B, C, D, G
    # days are dates in Excel (they sort and filter as dates): A was opened on Friday 19 June and
    # first contacted on Tuesday 23 June; it has not closed
    a = next(r for r in case_rows if r[0] == world["A"])
    opened, closed = case_rows[0].index("Öppnat"), case_rows[0].index("Avslutat")
    contact = case_rows[0].index("Första kontakt (datum)")
    assert (a[opened], a[closed], a[contact]) == (
        datetime(2026, 6, 19),
        None,
        datetime(2026, 6, 23),
    )
    by_admin = outcomes.export(app, "admin", NOW, PERIOD, "xlsx")
    admin_cells = [
        str(c)
        for row in load_workbook(io.BytesIO(by_admin.content), read_only=True)["Ärenden"].iter_rows(
            values_only=True
        )
        for c in row
    ]
    assert "Bertil Berg" in admin_cells and not any("Greta" in c for c in admin_cells)


def test_the_csv_exports_open_in_swedish_excel(app, world):
    exported = outcomes.export(app, "carl", NOW, PERIOD, "csv", table="cases")
    text = exported.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:2] == ["Ärende", "Ärendetyp"]
    assert {r[0] for r in rows[1:]} == {world[k] for k in "ABCDG"}
    # the legal state as the workflow names it (B was evicted: "Avhyst" in workflows/storning.yaml)
    state = rows[0].index("Hyresjuridiskt läge")
    assert next(r for r in rows if r[0] == world["B"])[state] == "Avhyst"
    measures = outcomes.export(app, "carl", NOW, PERIOD, "csv").content.decode("utf-8-sig")
    assert "Tid till första kontakt" in measures and "4,4" in measures


# --- the facts, through the services ----------------------------------------------------------------


def test_closing_a_case_requires_a_known_outcome(app):
    ref = open_storning(app)["ref"]
    services.fire_event(app, "alice", t(3, 3), ref, "close", track="authority")
    _contact(app, "alice", ref, t(3, 3, 10))
    services.fire_event(app, "alice", t(3, 3, 11), ref, "resolve")
    with pytest.raises(InvalidInput, match="utfall"):
        services.fire_event(app, "alice", t(3, 4), ref, "close", track="legal")
    with pytest.raises(InvalidInput, match="Okänt utfall"):
        services.fire_event(
            app, "alice", t(3, 4), ref, "close", track="legal", params={"outcome": "borta"}
        )
    doc = services.fire_event(
        app, "alice", t(3, 4), ref, "close", track="legal", params={"outcome": "dialog"}
    )
    assert (doc["status"], doc["outcome"]) == ("closed", "dialog")
    assert [e["params"] for e in doc["journal"] if e["event"] == "outcome_recorded"] == [
        {"outcome": "dialog"}
    ]


def test_a_legal_close_action_asks_for_the_outcome(app):
    doc = open_storning(app)
    close = next(a for a in doc["actions"] if a["track"] == "legal" and a["event"] == "close")
    assert close["params"]["outcome"]["required"] is True
    assert "avhyst" in close["params"]["outcome"]["choices"]


def test_children_and_source_are_recorded_checked_and_journaled(app):
    doc = open_storning(app, source="storningsjour", children="0")
    assert (doc["source"], doc["children"]) == ("storningsjour", 0)
    with pytest.raises(InvalidInput, match="källa"):
        open_storning(app, source="grannen")
    with pytest.raises(InvalidInput, match="heltal"):
        open_storning(app, children="två")
    doc = case_outcome.update_household(
        app, "alice", t(3, 3), doc["ref"], children=2, source="polis"
    )
    assert (doc["source"], doc["children"]) == ("polis", 2)
    entry = [e for e in doc["journal"] if e["event"] == "household_updated"][-1]
    assert entry["params"] == {
        "before": {"children": 0, "source": "storningsjour"},
        "after": {"children": 2, "source": "polis"},
    }
    with pytest.raises(PermissionDenied):
        case_outcome.update_household(app, "lisa", t(3, 4), doc["ref"], children=3)


def test_working_days_and_percentiles_by_hand():
    from storning.calendar import SwedishCalendar

    cal = SwedishCalendar()
    # Midsummer Eve Fri 2026-06-19 -> Tue 06-23: Mon 22 and Tue 23 count (Sat 20 is Midsummer Day)
    assert working_days_between(cal, date(2026, 6, 19), date(2026, 6, 23)) == 2
    # Christmas: Wed 2026-12-23 -> Mon 12-28: 24 eve, 25 and 26 holidays, 27 Sunday -> only the 28th
    assert working_days_between(cal, date(2026, 12, 23), date(2026, 12, 28)) == 1
    assert working_days_between(cal, date(2026, 6, 19), date(2026, 6, 19)) == 0
    assert percentile([5, 1, 2], 0.5) == 2
    assert percentile([], 0.5) is None


# --- the doors ---------------------------------------------------------------------------------------


def test_the_cli_prints_stats_and_exports_xlsx_and_refuses_a_close_without_outcome(
    app, db_url, monkeypatch, tmp_path
):
    with open_doors(app, db_url, monkeypatch) as doors:
        build_world(app)
        shown = doors.cli(
            "stats", "--from", "2026-06-01", "--to", "2026-12-31", now="2027-01-15T09:00",
            user="carl",
        )  # fmt: skip
        assert shown.exit_code == 0, shown.stderr
        assert "Tid till första kontakt" in shown.stdout and "4,4" in shown.stdout
        data = doors.cli_json(
            "stats", "--from", "2026-06-01", "--to", "2026-12-31", now="2027-01-15T09:00",
            user="lisa",
        )  # fmt: skip
        terminations = next(m for m in data["measures"] if m["key"] == "terminations")
        assert terminations["values"][-1] == {**terminations["values"][-1], "value": 2}
        assert all(c["tenant"].startswith("H-") for c in data["cases"])
        target = tmp_path / "matt.xlsx"
        made = doors.cli(
            "stats", "--from", "2026-06-01", "--to", "2026-12-31", "--format", "xlsx", "-o",
            str(target), now="2027-01-15T09:00", user="carl",
        )  # fmt: skip
        assert made.exit_code == 0, made.stderr
        assert load_workbook(target, read_only=True).sheetnames[0] == "Mått"
        bad = doors.cli("stats", "--from", "2026-13-01", now="2027-01-15T09:00", user="carl")
        assert "datum" in cli_refused(bad)
        ref = doors.open_case(now="2027-01-16T09:00")["ref"]
        doors.cli("case", "fire", ref, "close", "--track", "authority", now="2027-01-16T10:00")
        doors.cli("case", "fire", ref, "record_contact", "--param", "channel=phone",
                  now="2027-01-16T10:01")  # fmt: skip
        doors.cli("case", "fire", ref, "resolve", now="2027-01-16T10:02")
        refused = doors.cli("case", "fire", ref, "close", "--track", "legal",
                            now="2027-01-16T10:03")  # fmt: skip
        assert "utfall" in cli_refused(refused)
        closed = doors.cli_json("case", "fire", ref, "close", "--track", "legal", "--param",
                                "outcome=dialog", now="2027-01-16T10:04")  # fmt: skip
        assert closed["outcome"] == "dialog"
        updated = doors.cli_json("case", "update", ref, "--children", "1", "--source", "polis",
                                 now="2027-01-16T10:05")  # fmt: skip
        assert (updated["children"], updated["source"]) == (1, "polis")


def test_the_api_serves_json_csv_and_xlsx_within_the_viewers_rights(app, db_url, monkeypatch):
    with open_doors(app, db_url, monkeypatch) as doors:
        w = build_world(app)
        query = {"from": "2026-06-01", "to": "2026-12-31"}
        now = "2027-01-15T09:00"
        got = doors.api("carl", "GET", "/api/stats", now=now, params=query)
        assert got.status_code == 200, got.text
        keys = [m["key"] for m in got.json()["measures"]]
        assert "evictions_prevented" in keys and "days_to_uppmaning" in keys
        by_bob = doors.api("bob", "GET", "/api/stats/cases", now=now,
                           params={**query, "measure": "terminations"})  # fmt: skip
        assert {r["ref"] for r in by_bob.json()} == {w["E"]}
        csv_file = doors.api("lisa", "GET", "/api/stats.csv", now=now,
                             params={**query, "table": "cases"})  # fmt: skip
        assert csv_file.status_code == 200
        assert csv_file.headers["content-type"].startswith("text/csv")
        assert "Bertil Berg" not in csv_file.content.decode("utf-8-sig")
        xlsx = doors.api("carl", "GET", "/api/stats.xlsx", now=now, params=query)
        assert xlsx.status_code == 200
        assert load_workbook(io.BytesIO(xlsx.content), read_only=True).sheetnames[1] == "Ärenden"
        bad = doors.api("carl", "GET", "/api/stats", now=now, params={"from": "2026-12-31",
                                                                        "to": "2026-01-01"})  # fmt: skip
        assert bad.status_code == 400
        opened = doors.api("alice", "POST", "/api/cases", now="2027-01-16T09:00", json={
            "tenant": "Ny Hyresgäst", "address": "Gatan 2", "apartment": "1", "source": "polis",
            "children": 2,
        })  # fmt: skip
        assert opened.status_code == 201, opened.text
        doc = opened.json()
        assert (doc["source"], doc["children"]) == ("polis", 2)
        patched = doors.api("alice", "PATCH", f"/api/cases/{doc['ref']}/household",
                            now="2027-01-16T09:05",
                            json={"children": 3, "expected_version": doc["version"]})  # fmt: skip
        assert patched.status_code == 200, patched.text
        assert patched.json()["children"] == 3
        schema = doors.api("carl", "GET", "/openapi.json", now=now).json()
        assert "/api/stats.xlsx" in schema["paths"]


def test_the_web_records_source_children_and_the_outcome(app, db_url, monkeypatch):
    with open_doors(app, db_url, monkeypatch) as doors:
        now = "2026-03-02T09:00"
        browser = doors.browser("alice", now=now)
        fill = {"case_type": "storning", **CASE_FIELDS, "source": "granne", "children": "två"}

        def new_case() -> Any:  # the form that posts (the page also has a look-up form)
            page = browser.get("/arenden/nytt", now=now).text
            form = next(
                f["fields"]
                for f in forms_on(page)
                if f["action"] == "/arenden/nytt" and "csrf_token" in f["fields"]
            )
            return browser.post("/arenden/nytt", {**form, **fill}, now=now)

        refused = new_case()
        assert refused.status_code in (200, 400, 422), alert_of(refused.text)
        assert "heltal" in refused.text
        fill["children"] = "2"
        response = new_case()
        assert response.status_code == 303, alert_of(response.text)
        ref = str(response.headers["location"]).split("/arenden/")[1].split("#")[0].split("?")[0]
        doc = browser.document(ref, now=now)
        assert (doc["source"], doc["children"]) == ("granne", 2)
        url = f"/arenden/{ref}"
        page = browser.get(url, now=now).text
        assert "Barn i hushållet" in page and "Granne" in page
        saved = browser.submit(url, f"{url}/hushall", now="2026-03-02T09:05",
                               fill={"children": "3", "source": "polis"})  # fmt: skip
        assert saved.status_code == 303, alert_of(saved.text)
        assert browser.document(ref, now="2026-03-02T09:05")["children"] == 3

        def fire(event: str, track: str, when: str, **fill: str) -> Any:
            response = browser.submit(
                url, f"{url}/atgard", now=when, match={"event": event, "track": track}, fill=fill
            )
            if response.status_code == 200 and form_fields(
                response.text, f"{url}/atgard", {"confirmed": "1"}
            ):
                confirm = form_fields(response.text, f"{url}/atgard", {"confirmed": "1"})
                response = browser.post(f"{url}/atgard", confirm, now=when)
            return response

        assert fire("close", "authority", "2026-03-02T10:00").status_code == 303
        assert fire("record_contact", "customer", "2026-03-02T10:01", param_channel="phone")
        assert fire("resolve", "customer", "2026-03-02T10:02").status_code == 303
        page = browser.get(url, now="2026-03-02T10:03").text
        assert "Löst i dialog" in page  # the outcome's choices, in Swedish, on the close form
        closed = fire("close", "legal", "2026-03-02T10:04", param_outcome="dialog")
        assert closed.status_code == 303, alert_of(closed.text)
        doc = browser.document(ref, now="2026-03-02T10:05")
        assert (doc["status"], doc["outcome"]) == ("closed", "dialog")


def test_a_result_is_reused_only_until_something_changes(app):
    march = StatsFilter(date(2026, 3, 1), date(2026, 3, 31))
    first = outcomes.stats(app, "carl", t(3, 10), march)
    assert outcomes.stats(app, "carl", t(3, 10), march) is first  # nothing changed: the same result
    assert sum(values(first, "inflow").values()) == 0
    ref = open_storning(app, "alice", t(3, 2), source="granne")["ref"]
    second = outcomes.stats(app, "carl", t(3, 10), march)
    assert values(second, "inflow") == {"2026-03|storning|granne": 1}
    case_outcome.update_household(app, "alice", t(3, 3), ref, source="polis")
    assert values(outcomes.stats(app, "carl", t(3, 10), march), "inflow") == {
        "2026-03|storning|polis": 1
    }
    assert outcomes.stats(app, "lisa", t(3, 10), march) is not second  # another viewer's own result


def _arrears(app: App, when: datetime, amount: str) -> str:
    new = services.NewCase(
        case_type="hyresskuld", tenant="Hanna Hyra", address="Storgatan 1", apartment="1102",
        municipality="Norrköping", contract="1102-01", postal_code="602 20", city="Norrköping",
        facts={"due_date": "2026-02-27", "amount": amount}, source="personal",
    )  # fmt: skip
    return str(services.open_case(app, "alice", when, new)["ref"])


def test_rent_arrears_payment_plans_and_amounts_by_hand(app):
    # Two debts opened in March: 8000 kr and 5000 kr = 13000 kr. Both agree a payment plan; the first
    # pays 3000 (balance 5000) and keeps it, the second misses an instalment. Outstanding now:
    # 5000 + 5000 = 10000 kr; plans agreed 2, kept 1 (no missed instalment after the plan), missed 1.
    first = _arrears(app, t(3, 2), "8000")
    second = _arrears(app, t(3, 2, 10), "5000")
    for ref, hour in ((first, 11), (second, 12)):
        _contact(app, "alice", ref, t(3, 3, hour))
        services.fire_event(
            app, "alice", t(3, 4, hour), ref, "agree_payment_plan",
            params={"count": 2, "first_due_on": "2026-04-01"},
        )  # fmt: skip
    services.fire_event(
        app, "alice", t(3, 20), first, "record_instalment",
        params={"amount": "3000", "paid_on": "2026-03-20"},
    )  # fmt: skip
    services.fire_event(app, "alice", t(4, 2), second, "miss_instalment")
    s = outcomes.stats(app, "carl", t(4, 10), StatsFilter(date(2026, 3, 1), date(2026, 3, 31)))
    arrears = values(s, "arrears")
    assert (arrears["opened"], arrears["opened_amount"]) == (2, 13000)
    assert (arrears["open"], arrears["outstanding"]) == (2, 10000)
    plans = values(s, "payment_plans")
    assert (plans["agreed"], plans["kept"], plans["missed"]) == (2, 1, 1)
    assert plans["kept_share"] == 0.5


@pytest.mark.parametrize(
    ("start", "end"),
    [("0001-01-01", "0001-01-02"), ("9999-12-30", "9999-12-31"), ("1989-12-31", "1990-01-05")],
)
def test_a_period_at_the_ends_of_the_calendar_is_refused_in_one_sentence(
    app, db_url, monkeypatch, start, end
):
    # year 1 and year 9999 cannot be turned into instants in Stockholm's zone (a 500 once)
    refusal = "Perioden måste ligga mellan 1990-01-01 och 2100-12-31"
    flt = StatsFilter(date.fromisoformat(start), date.fromisoformat(end))
    with pytest.raises(InvalidInput, match=refusal):
        outcomes.stats(app, "admin", NOW, flt)
    with pytest.raises(InvalidInput, match=refusal):
        outcomes.filter_from(app, NOW, start=start, end=end)
    with open_doors(app, db_url, monkeypatch) as doors:
        answer = doors.api(
            "admin", "GET", f"/api/stats?from={start}&to={end}", now="2027-01-15T09:00"
        )
        assert answer.status_code == 400 and refusal in answer.text, answer.text
        shown = doors.cli(
            "stats", "--from", start, "--to", end, now="2027-01-15T09:00", user="admin"
        )
        assert refusal in cli_refused(shown)
        page = doors.browser("admin", now="2027-01-15T09:00").get(
            f"/utfall?from={start}&to={end}", now="2027-01-15T09:00"
        )
        assert page.status_code == 400 and refusal in alert_of(page.text)
