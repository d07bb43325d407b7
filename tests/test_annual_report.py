"""The annual report (issue 14 §5): a PDF with the title, the year's numbers compared with the year
before, the charts and the definitions — and no personal data (no tenant, no case reference, no
officer). Its expected numbers are counted here from the rows."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import select

from storning.cli import main
from storning.clock import local_day
from storning.errors import InvalidInput, PermissionDenied
from storning.outcomes import annual
from storning.outcomes.charts import Chart, Series, render_svg
from storning.outcomes.history import generate_history
from storning.store.models import Case, User
from tests.conftest import ROOT, ZONE, at

NOW = at(days=300)  # 27 December 2026: a year of history behind it
OWNERS = ("alice", "bob", "carl")


@pytest.fixture
def history(app):
    generate_history(app, NOW - timedelta(days=1), cases=120, owners=OWNERS, seed=21, days=500)
    return app


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def _opened(app, year: int) -> int:
    with app.db.read() as session:
        return sum(
            1
            for at_ in session.scalars(select(Case.opened_at))
            if local_day(at_, ZONE).year == year
        )


def test_the_report_has_the_title_the_numbers_of_both_years_and_no_personal_data(history):
    pdf = annual.annual_report(history, "admin", NOW, NOW.year)
    text = _text(pdf)
    flat = " ".join(text.split())
    assert f"årsrapport {NOW.year}" in flat
    assert "Vräkningsförebyggande arbete och störningsärenden" in flat
    this_year, last_year = _opened(history, NOW.year), _opened(history, NOW.year - 1)
    assert this_year > 20 and last_year > 5
    # the summary row: Nya ärenden <last year> <this year> <change>
    change = this_year - last_year
    sign = "+" if change > 0 else ("−" if change < 0 else "±")
    assert f"Nya ärenden {last_year} {this_year} {sign}{abs(change) if change else 0}" in flat
    assert "Måtten och deras definitioner" in flat
    assert "Arbetsdagar från anmälan till första kontakt med hyresgästen." in flat
    with history.db.read() as session:
        tenants = set(session.scalars(select(Case.tenant_name)))
        refs = set(session.scalars(select(Case.ref)))
        names = set(session.scalars(select(User.name))) | set(OWNERS)
    leaked = [t for t in tenants | refs | names if t in text]
    assert leaked == []


def test_a_chef_gets_the_numbers_of_the_own_team_only(history):
    text = " ".join(_text(annual.annual_report(history, "carl", NOW, NOW.year)).split())
    counts = {NOW.year: 0, NOW.year - 1: 0}
    with history.db.read() as session:
        for at_, team in session.execute(select(Case.opened_at, Case.team)):
            year = local_day(at_, ZONE).year
            if team == "norr" and year in counts:
                counts[year] += 1
    assert f"Nya ärenden {counts[NOW.year - 1]} {counts[NOW.year]} " in text
    assert counts[NOW.year] < _opened(history, NOW.year)  # bob's team syd is not counted
    assert "team norr" in text  # a board must not read a team's numbers as the company's


def test_a_report_of_a_team_the_viewer_does_not_see_or_that_does_not_exist_is_refused(history):
    with pytest.raises(PermissionDenied, match="ser inga ärenden i team syd"):
        annual.annual_report(history, "carl", NOW, NOW.year, team="syd")
    with pytest.raises(InvalidInput, match="inget team som heter 'vast'"):
        annual.annual_report(history, "admin", NOW, NOW.year, team="vast")
    text = " ".join(
        _text(annual.annual_report(history, "admin", NOW, NOW.year, team="syd")).split()
    )
    assert "team syd" in text


def test_a_year_not_yet_begun_is_refused_in_one_sentence(history):
    with pytest.raises(InvalidInput, match="Årsrapport kan tas fram för åren 2000–2026"):
        annual.annual_report(history, "admin", NOW, NOW.year + 1)


def test_the_cli_writes_the_report(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("STORNING_WORKFLOWS", str(ROOT / "workflows"))
    monkeypatch.setenv("STORNING_LETTERS_DIR", str(ROOT / "letters"))
    runner = CliRunner()
    prefix = ["--db", db_url, "--now", "2026-12-27T09:00"]
    assert runner.invoke(main, [*prefix, "init"], catch_exceptions=False).exit_code == 0
    target = tmp_path / "rapport.pdf"
    result = runner.invoke(main, [*prefix, "arsrapport", "2026", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"%PDF")
    assert "årsrapport 2026" in " ".join(_text(target.read_bytes()).split())
    refused = runner.invoke(main, [*prefix, "arsrapport", "2030", "-o", str(tmp_path / "x.pdf")])
    assert refused.exit_code == 1 and "2030 går inte" in refused.output
    assert not (tmp_path / "x.pdf").exists()


def test_the_report_is_named_after_its_year_and_team_in_characters_safe_in_any_door(
    history, db_url, tmp_path, monkeypatch
):
    from storning import services

    # a team may be named with a slash and Swedish letters; the file is still one file in the
    # folder the officer is in, and the same name is the web's download name
    services.add_user(history, "nina", "Nina Norr", ["chef"], team="Öst/Väst")
    report = annual.build(history, "admin", NOW, NOW.year, team="Öst/Väst")
    assert report.filename == "arsrapport-2026-_st_V_st.pdf"
    assert annual.build(history, "admin", NOW, NOW.year).filename == "arsrapport-2026.pdf"
    monkeypatch.setenv("STORNING_WORKFLOWS", str(ROOT / "workflows"))
    monkeypatch.setenv("STORNING_LETTERS_DIR", str(ROOT / "letters"))
    monkeypatch.chdir(tmp_path)
    prefix = ["--db", db_url, "--now", "2026-12-27T09:00"]
    result = CliRunner().invoke(main, [*prefix, "arsrapport", "2026", "--team", "Öst/Väst"])
    assert result.exit_code == 0, result.output
    assert [p.name for p in tmp_path.glob("*.pdf")] == ["arsrapport-2026-_st_V_st.pdf"]
    assert [p for p in tmp_path.iterdir() if p.is_dir()] == []  # no folder made of the team's "/"


def test_a_chart_is_svg_without_script_with_its_text_escaped():
    chart = Chart(
        "bar",
        'Ärenden <script>alert("x")</script> & mer',
        "Beskrivning med <b>taggar</b>.",
        ("jan", "<feb>"),
        (Series("<Störning>", (1.0, 2.0)),),
        "ärenden",
    )
    svg = render_svg(chart)
    assert "<script" not in svg and "alert(" not in svg.replace("&lt;script&gt;alert(", "")
    assert "&lt;script&gt;" in svg and "&amp; mer" in svg and "&lt;feb&gt;" in svg
    assert svg.index("<title id=") < svg.index("<desc id=") < svg.index("<defs")
    assert 'role="img"' in svg
    assert render_svg(chart) == svg  # the same numbers, the same bytes
