"""Swedish legal time: lag 1930:173, lag 1989:253 and the JB 12 kap. dates.

Concrete dates below were checked by hand against a printed Swedish calendar; the whole-range tests
compare the module with an independent computation of lag 1989:253 (Easter by the Meeus/Jones/
Butcher algorithm, not the one `holidays` uses).
"""

from datetime import date, datetime, timedelta

import holidays
import pytest
from holidays.constants import DE_FACTO, PUBLIC
from hypothesis import given, settings
from hypothesis import strategies as st

from storning.calendar import (
    FIRST_YEAR,
    LAST_YEAR,
    UNITS,
    Period,
    SwedishCalendar,
    day_name_sv,
    format_date_sv,
    parse_period,
)

CAL = SwedishCalendar()
DAY = timedelta(days=1)
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
YEARS = range(2024, 2031)

# Years from 2005 on: lag 1989:253 as amended (6 June replaced Whit Monday in 2005).
MODERN_YEARS = range(2005, LAST_YEAR + 1)

# Dates that keep a few weeks' margin from the ends of the supported range, so that rolling
# forward or counting working days never leaves it.
dates = st.dates(min_value=date(FIRST_YEAR, 1, 1), max_value=date(LAST_YEAR - 1, 12, 1))
# Start dates for periods of up to 30 years.
period_starts = st.dates(min_value=date(FIRST_YEAR, 1, 1), max_value=date(LAST_YEAR - 31, 12, 31))
property_settings = settings(max_examples=300, deadline=None)


# --------------------------------------------------------------------------------------------
# An independent statement of the law, for the whole-range comparisons


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (Meeus/Jones/Butcher), written out independently of dateutil."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 — the algorithm's own name
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


def first_weekday_on_or_after(d: date, weekday: int) -> date:
    return d + timedelta(days=(weekday - d.weekday()) % 7)


def midsummer_eve(year: int) -> date:
    return first_weekday_on_or_after(date(year, 6, 19), FRI)


def law_holidays(year: int) -> set[date]:
    """Lag 1989:253 § 1 (since 2005), Sundays left out."""
    easter = easter_sunday(year)
    return {
        date(year, 1, 1),
        date(year, 1, 6),
        easter - 2 * DAY,
        easter,
        easter + DAY,
        date(year, 5, 1),
        easter + 39 * DAY,
        date(year, 6, 6),
        easter + 49 * DAY,
        first_weekday_on_or_after(date(year, 6, 20), SAT),
        first_weekday_on_or_after(date(year, 10, 31), SAT),
        date(year, 12, 25),
        date(year, 12, 26),
    }


def law_eves(year: int) -> set[date]:
    return {midsummer_eve(year), date(year, 12, 24), date(year, 12, 31)}


def days_of(year: int) -> list[date]:
    start = date(year, 1, 1)
    return [start + n * DAY for n in range((date(year + 1, 1, 1) - start).days)]


def working_days_between(cal: SwedishCalendar, after: date, up_to: date) -> int:
    """How many working days lie in (after, up_to]."""
    return sum(cal.is_working_day(after + n * DAY) for n in range(1, (up_to - after).days + 1))


# --------------------------------------------------------------------------------------------
# Hand-checked holidays 2024–2030


EASTER_SUNDAYS = {
    2024: date(2024, 3, 31),
    2025: date(2025, 4, 20),
    2026: date(2026, 4, 5),
    2027: date(2027, 3, 28),
    2028: date(2028, 4, 16),
    2029: date(2029, 4, 1),
    2030: date(2030, 4, 21),
}
ASCENSION_DAYS = {
    2024: date(2024, 5, 9),
    2025: date(2025, 5, 29),
    2026: date(2026, 5, 14),
    2027: date(2027, 5, 6),
    2028: date(2028, 5, 25),
    2029: date(2029, 5, 10),
    2030: date(2030, 5, 30),
}
PENTECOSTS = {
    2024: date(2024, 5, 19),
    2025: date(2025, 6, 8),
    2026: date(2026, 5, 24),
    2027: date(2027, 5, 16),
    2028: date(2028, 6, 4),
    2029: date(2029, 5, 20),
    2030: date(2030, 6, 9),
}
MIDSUMMER_EVES = {
    2024: date(2024, 6, 21),
    2025: date(2025, 6, 20),
    2026: date(2026, 6, 19),
    2027: date(2027, 6, 25),
    2028: date(2028, 6, 23),
    2029: date(2029, 6, 22),
    2030: date(2030, 6, 21),
}
ALL_SAINTS_DAYS = {
    2024: date(2024, 11, 2),
    2025: date(2025, 11, 1),
    2026: date(2026, 10, 31),
    2027: date(2027, 11, 6),
    2028: date(2028, 11, 4),
    2029: date(2029, 11, 3),
    2030: date(2030, 11, 2),
}


def test_it_lists_exactly_the_holidays_of_2026():
    non_sunday_holidays = {
        d for d in days_of(2026) if CAL.is_public_holiday(d) and d.weekday() != SUN
    }
    assert non_sunday_holidays == {
        date(2026, 1, 1),  # Nyårsdagen, Thu
        date(2026, 1, 6),  # Trettondedag jul, Tue
        date(2026, 4, 3),  # Långfredagen
        date(2026, 4, 6),  # Annandag påsk
        date(2026, 5, 1),  # Första maj, Fri
        date(2026, 5, 14),  # Kristi himmelsfärdsdag
        date(2026, 6, 6),  # Nationaldagen, Sat
        date(2026, 6, 20),  # Midsommardagen, Sat
        date(2026, 10, 31),  # Alla helgons dag, Sat
        date(2026, 12, 25),  # Juldagen, Fri
        date(2026, 12, 26),  # Annandag jul, Sat
    }
    assert {d for d in days_of(2026) if CAL.is_eve(d)} == {
        date(2026, 6, 19),
        date(2026, 12, 24),
        date(2026, 12, 31),
    }


@pytest.mark.parametrize("year", YEARS)
def test_it_knows_easter_good_friday_and_easter_monday(year):
    easter = EASTER_SUNDAYS[year]
    good_friday, easter_monday = easter - 2 * DAY, easter + DAY
    assert (good_friday.weekday(), easter.weekday(), easter_monday.weekday()) == (FRI, SUN, MON)
    assert CAL.is_public_holiday(good_friday)
    assert CAL.is_public_holiday(easter)
    assert CAL.is_public_holiday(easter_monday)
    assert not CAL.is_deadline_weekday(good_friday)
    assert not CAL.is_deadline_weekday(easter_monday)


@pytest.mark.parametrize("year", YEARS)
def test_it_treats_maundy_thursday_and_easter_eve_as_ordinary_days(year):
    maundy_thursday, easter_eve = EASTER_SUNDAYS[year] - 3 * DAY, EASTER_SUNDAYS[year] - DAY
    assert CAL.is_deadline_weekday(maundy_thursday)
    assert not CAL.is_public_holiday(easter_eve)
    assert not CAL.is_eve(easter_eve)


@pytest.mark.parametrize("year", YEARS)
def test_it_knows_ascension_day_as_a_thursday_holiday(year):
    ascension = ASCENSION_DAYS[year]
    assert ascension == EASTER_SUNDAYS[year] + 39 * DAY
    assert ascension.weekday() == THU
    assert CAL.is_public_holiday(ascension)
    assert not CAL.is_deadline_weekday(ascension)
    assert CAL.is_deadline_weekday(ascension + DAY)  # the klämdag is a weekday in law


@pytest.mark.parametrize("year", YEARS)
def test_it_knows_pentecost_is_a_sunday_and_whit_monday_is_a_weekday(year):
    pentecost = PENTECOSTS[year]
    assert pentecost.weekday() == SUN
    assert CAL.is_public_holiday(pentecost)
    assert not CAL.is_eve(pentecost - DAY)  # Whitsun Eve does not count for 2 §
    assert CAL.is_deadline_weekday(pentecost + DAY)  # Whit Monday stopped being a holiday in 2005


@pytest.mark.parametrize("year", YEARS)
def test_it_knows_midsummer_eve_and_midsummer_day(year):
    eve, day = MIDSUMMER_EVES[year], MIDSUMMER_EVES[year] + DAY
    assert eve.weekday() == FRI and date(year, 6, 19) <= eve <= date(year, 6, 25)
    assert day.weekday() == SAT and date(year, 6, 20) <= day <= date(year, 6, 26)
    assert CAL.is_eve(eve) and not CAL.is_public_holiday(eve)
    assert CAL.is_public_holiday(day) and not CAL.is_eve(day)
    assert not CAL.is_deadline_weekday(eve)
    assert CAL.is_deadline_weekday(eve - DAY)


@pytest.mark.parametrize("year", YEARS)
def test_it_knows_all_saints_day_and_ignores_its_eve(year):
    all_saints = ALL_SAINTS_DAYS[year]
    assert all_saints.weekday() == SAT
    assert date(year, 10, 31) <= all_saints <= date(year, 11, 6)
    assert CAL.is_public_holiday(all_saints)
    all_saints_eve = all_saints - DAY
    assert not CAL.is_eve(all_saints_eve)
    assert CAL.is_deadline_weekday(all_saints_eve)


@pytest.mark.parametrize("year", YEARS)
def test_it_knows_christmas_and_new_year(year):
    assert CAL.is_eve(date(year, 12, 24)) and CAL.is_eve(date(year, 12, 31))
    assert CAL.is_public_holiday(date(year, 12, 25)) and CAL.is_public_holiday(date(year, 12, 26))
    assert CAL.is_public_holiday(date(year, 1, 1))
    for d in (date(year, 12, 24), date(year, 12, 25), date(year, 12, 26), date(year, 12, 31)):
        assert not CAL.is_deadline_weekday(d)
    assert CAL.is_deadline_weekday(date(year, 12, 23)) == (date(year, 12, 23).weekday() < SAT)


@pytest.mark.parametrize("year", YEARS)
def test_it_knows_epiphany_may_day_and_national_day(year):
    for month, day in ((1, 6), (5, 1), (6, 6)):
        assert CAL.is_public_holiday(date(year, month, day))
        assert not CAL.is_deadline_weekday(date(year, month, day))
    # Their eves are ordinary days: Twelfth Night and Walpurgis Night.
    assert not CAL.is_eve(date(year, 1, 5)) and not CAL.is_eve(date(year, 4, 30))


@pytest.mark.parametrize(
    ("d", "weekday", "holiday", "eve"),
    [
        (date(2026, 4, 5), SUN, True, False),  # Easter Sunday 2026
        (date(2026, 4, 3), FRI, True, False),  # Good Friday 2026
        (date(2026, 4, 6), MON, True, False),  # Easter Monday 2026
        (date(2026, 5, 14), THU, True, False),  # Ascension Day 2026
        (date(2026, 5, 24), SUN, True, False),  # Pentecost 2026
        (date(2026, 6, 19), FRI, False, True),  # Midsummer Eve 2026
        (date(2026, 6, 20), SAT, True, False),  # Midsummer Day 2026
        (date(2026, 10, 31), SAT, True, False),  # All Saints' Day 2026
        (date(2026, 12, 24), THU, False, True),  # Christmas Eve 2026
        (date(2026, 12, 25), FRI, True, False),  # Christmas Day 2026
        (date(2026, 12, 31), THU, False, True),  # New Year's Eve 2026
        (date(2027, 1, 1), FRI, True, False),  # New Year's Day 2027
        (date(2027, 1, 6), WED, True, False),  # Epiphany 2027
        (date(2027, 6, 25), FRI, False, True),  # Midsummer Eve 2027
        (date(2027, 11, 6), SAT, True, False),  # All Saints' Day 2027
        (date(2025, 4, 18), FRI, True, False),  # Good Friday 2025
        (date(2025, 6, 6), FRI, True, False),  # National Day 2025
        (date(2024, 5, 9), THU, True, False),  # Ascension Day 2024
        (date(2028, 6, 6), TUE, True, False),  # National Day 2028
        (date(2026, 4, 2), THU, False, False),  # Maundy Thursday 2026
        (date(2026, 4, 30), THU, False, False),  # Walpurgis Night 2026
        (date(2026, 5, 15), FRI, False, False),  # klämdag after Ascension 2026
        (date(2026, 10, 30), FRI, False, False),  # All Saints' Eve 2026
        (date(2026, 5, 25), MON, False, False),  # Whit Monday 2026
    ],
)
def test_it_agrees_with_a_printed_calendar(d, weekday, holiday, eve):
    assert d.weekday() == weekday
    assert CAL.is_public_holiday(d) is holiday
    assert CAL.is_eve(d) is eve
    assert CAL.is_deadline_weekday(d) is (weekday < SAT and not holiday and not eve)


def test_it_counts_every_sunday_as_a_public_holiday():
    sundays = [d for year in YEARS for d in days_of(year) if d.weekday() == SUN]
    assert len(sundays) > 360
    assert all(CAL.is_public_holiday(d) and not CAL.is_deadline_weekday(d) for d in sundays)


def test_it_never_counts_a_saturday_as_a_deadline_weekday():
    assert not any(
        CAL.is_deadline_weekday(d) for y in YEARS for d in days_of(y) if d.weekday() == SAT
    )


@pytest.mark.parametrize("year", MODERN_YEARS)
def test_it_matches_lag_1989_253_day_by_day(year):
    law, eves = law_holidays(year), law_eves(year)
    for d in days_of(year):
        holiday = d.weekday() == SUN or d in law
        assert CAL.is_public_holiday(d) is holiday, d
        assert CAL.is_eve(d) is (d in eves), d
        assert CAL.is_deadline_weekday(d) is (d.weekday() < SAT and not holiday and d not in eves)


def test_it_keeps_whit_monday_as_a_holiday_before_2005():
    assert CAL.is_public_holiday(date(2003, 6, 9))  # Annandag pingst 2003, a Monday
    assert not CAL.is_public_holiday(date(2003, 6, 6))  # 6 June 2003, a Friday, not yet a holiday


def test_the_holidays_package_keeps_the_eves_apart_and_sundays_out_of_public():
    # What calendar.py relies on; if an upgrade of `holidays` changes it, this test says so first.
    for year in YEARS:
        public = holidays.country_holidays(
            "SE", years=year, categories=(PUBLIC,), include_sundays=False
        )
        de_facto = holidays.country_holidays("SE", years=year, categories=(DE_FACTO,))
        assert set(public) == law_holidays(year)
        assert set(de_facto) == law_eves(year)


# --------------------------------------------------------------------------------------------
# Periods


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("15 working days", Period(15, "working_days")),
        ("1 working day", Period(1, "working_days")),
        ("3 weeks", Period(3, "weeks")),
        ("1 week", Period(1, "weeks")),
        ("1 month", Period(1, "months")),
        ("6 months", Period(6, "months")),
        ("2 days", Period(2, "days")),
        ("1 day", Period(1, "days")),
        ("1 year", Period(1, "years")),
        ("2 years", Period(2, "years")),
        ("0 days", Period(0, "days")),
        ("  5   Working  Days ", Period(5, "working_days")),
        ("10 working_days", Period(10, "working_days")),
    ],
)
def test_it_parses_periods(text, period):
    assert parse_period(text) == period


@pytest.mark.parametrize(
    ("period", "text"),
    [
        (Period(15, "working_days"), "15 working days"),
        (Period(1, "working_days"), "1 working day"),
        (Period(3, "weeks"), "3 weeks"),
        (Period(1, "months"), "1 month"),
        (Period(1, "years"), "1 year"),
        (Period(0, "days"), "0 days"),
    ],
)
def test_it_writes_periods_in_plain_english(period, text):
    assert str(period) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "3",
        "weeks",
        "three weeks",
        "-1 days",
        "1.5 months",
        "15 arbetsdagar",
        "3 weeks later",
        "1 fortnight",
        "3weeks",
        "١٥ days",  # non-ASCII digits
    ],
)
def test_it_rejects_unreadable_periods_with_one_sentence(text):
    with pytest.raises(ValueError) as caught:
        parse_period(text)
    message = str(caught.value)
    assert repr(text) in message
    assert "'15 working days'" in message and "'3 weeks'" in message
    assert message.endswith(".") and message.count(". ") == 0


def test_it_rejects_a_period_that_is_not_text():
    with pytest.raises(ValueError, match="Cannot read the period 3"):
        parse_period(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("count", "unit"), [(-1, "days"), (True, "days"), (1.0, "days"), (1, "fortnights"), (1, "day")]
)
def test_it_refuses_to_build_a_nonsense_period(count, unit):
    with pytest.raises(ValueError):
        Period(count, unit)


@given(count=st.integers(min_value=0, max_value=10_000), unit=st.sampled_from(UNITS))
def test_it_reads_back_what_it_writes(count, unit):
    period = Period(count, unit)
    assert parse_period(str(period)) == period


# --------------------------------------------------------------------------------------------
# 1930:173 1 §: where a period ends


@pytest.mark.parametrize(
    ("start", "period", "end"),
    [
        (date(2026, 12, 4), "3 weeks", date(2026, 12, 25)),
        (date(2026, 3, 2), "2 days", date(2026, 3, 4)),
        (date(2026, 2, 27), "2 days", date(2026, 3, 1)),
        (date(2026, 1, 31), "1 month", date(2026, 2, 28)),
        (date(2028, 1, 31), "1 month", date(2028, 2, 29)),
        (date(2026, 1, 30), "1 month", date(2026, 2, 28)),
        (date(2026, 1, 31), "2 months", date(2026, 3, 31)),  # counted from the start, not chained
        (date(2026, 3, 31), "1 month", date(2026, 4, 30)),
        (date(2026, 8, 31), "6 months", date(2027, 2, 28)),
        (date(2027, 8, 31), "6 months", date(2028, 2, 29)),
        (date(2026, 5, 15), "1 month", date(2026, 6, 15)),
        (date(2028, 2, 29), "1 year", date(2029, 2, 28)),
        (date(2028, 2, 29), "4 years", date(2032, 2, 29)),
        (date(2026, 12, 31), "1 week", date(2027, 1, 7)),
        (date(2026, 6, 1), "0 days", date(2026, 6, 1)),
    ],
)
def test_it_ends_periods_on_the_same_weekday_or_date_number(start, period, end):
    assert CAL.period_end(start, parse_period(period)) == end


def test_it_ends_a_period_on_a_holiday_without_rolling():
    assert CAL.period_end(date(2026, 12, 4), Period(3, "weeks")) == date(2026, 12, 25)


@given(start=dates, weeks=st.integers(min_value=0, max_value=52))
def test_it_keeps_the_weekday_for_weeks(start, weeks):
    end = CAL.period_end(start, Period(weeks, "weeks"))
    assert end.weekday() == start.weekday() and (end - start).days == 7 * weeks


@given(start=dates, months=st.integers(min_value=0, max_value=12))
def test_it_keeps_the_date_number_or_takes_the_last_day_of_the_month(start, months):
    end = CAL.period_end(start, Period(months, "months"))
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == months
    last_day_of_month = ((end.replace(day=28) + 4 * DAY).replace(day=1) - DAY).day
    assert end.day == min(start.day, last_day_of_month)


# --------------------------------------------------------------------------------------------
# 1930:173 2 §: rolling to the next weekday


@pytest.mark.parametrize(
    ("last_day", "may_act_on"),
    [
        (date(2026, 12, 25), date(2026, 12, 28)),  # Christmas Day, Fri → Mon
        (date(2027, 12, 24), date(2027, 12, 27)),  # Christmas Eve, Fri → Mon
        (date(2026, 12, 31), date(2027, 1, 4)),  # New Year's Eve, Thu → Mon 4 Jan
        (date(2026, 6, 19), date(2026, 6, 22)),  # Midsummer Eve → Mon
        (date(2026, 4, 3), date(2026, 4, 7)),  # Good Friday → Tue after Easter Monday
        (date(2026, 4, 4), date(2026, 4, 7)),  # Easter Eve is a Saturday anyway
        (date(2026, 5, 14), date(2026, 5, 15)),  # Ascension Day → the klämdag
        (date(2026, 5, 1), date(2026, 5, 4)),  # May Day, Fri → Mon
        (date(2027, 1, 6), date(2027, 1, 7)),  # Epiphany, Wed → Thu
        (date(2028, 6, 6), date(2028, 6, 7)),  # National Day, Tue → Wed
        (date(2026, 10, 31), date(2026, 11, 2)),  # All Saints' Day, Sat → Mon
        (date(2026, 10, 30), date(2026, 10, 30)),  # All Saints' Eve is a weekday
        (date(2026, 4, 30), date(2026, 4, 30)),  # Walpurgis Night is a weekday
        (date(2026, 3, 7), date(2026, 3, 9)),  # an ordinary Saturday
        (date(2026, 3, 10), date(2026, 3, 10)),  # an ordinary Tuesday stays
    ],
)
def test_it_rolls_a_last_day_to_the_next_weekday(last_day, may_act_on):
    assert CAL.roll_forward(last_day) == may_act_on


def test_it_rolls_christmas_day_to_the_next_weekday():
    assert CAL.roll_forward(date(2026, 12, 25)) == date(2026, 12, 28)


def test_it_does_not_roll_for_a_landlords_closed_day():
    cal = SwedishCalendar(extra_closed_days=[date(2026, 12, 28)])
    assert cal.roll_forward(date(2026, 12, 25)) == date(2026, 12, 28)


@given(d=dates)
@property_settings
def test_rolling_lands_on_the_first_deadline_weekday_not_before(d):
    rolled = CAL.roll_forward(d)
    assert rolled >= d
    assert CAL.is_deadline_weekday(rolled)
    assert not any(CAL.is_deadline_weekday(d + n * DAY) for n in range((rolled - d).days))
    assert CAL.roll_forward(rolled) == rolled


@given(start=period_starts, count=st.integers(0, 30), unit=st.sampled_from(UNITS))
@property_settings
def test_the_statutory_last_day_is_the_rolled_period_end(start, count, unit):
    period = Period(count, unit)
    last_day = CAL.statutory_last_day(start, period)
    assert last_day == CAL.roll_forward(CAL.period_end(start, period))
    assert CAL.is_deadline_weekday(last_day)


# --------------------------------------------------------------------------------------------
# JB 12:44: the recovery period and two further vardagar


def test_it_computes_the_domain_example_of_recovery_and_eviction_exactly():
    served, notified = date(2026, 12, 3), date(2026, 12, 4)
    assert (served.weekday(), notified.weekday()) == (THU, FRI)
    start = max(served, notified)
    three_weeks = parse_period("3 weeks")
    assert CAL.period_end(start, three_weeks) == date(2026, 12, 25)
    last_day = CAL.statutory_last_day(start, three_weeks)
    assert last_day == date(2026, 12, 28)
    assert CAL.further_weekdays(last_day, 1) == date(2026, 12, 29)
    assert CAL.further_weekdays(last_day, 2) == date(2026, 12, 30)
    earliest = CAL.earliest_after_further_weekdays(last_day)
    assert earliest == date(2026, 12, 31)
    assert format_date_sv(earliest) == "torsdag 31 december 2026"


@pytest.mark.parametrize(
    ("last_day", "n", "nth_weekday"),
    [
        (date(2026, 12, 23), 1, date(2026, 12, 28)),  # over Christmas Eve and Christmas
        (date(2026, 12, 30), 1, date(2027, 1, 4)),  # over New Year's Eve and New Year's Day
        (date(2026, 6, 18), 2, date(2026, 6, 23)),  # over Midsummer Eve
        (date(2026, 4, 1), 2, date(2026, 4, 7)),  # Maundy Thu counts, then Easter
        (date(2026, 3, 6), 2, date(2026, 3, 10)),  # over a weekend
        (date(2026, 3, 6), 0, date(2026, 3, 6)),
    ],
)
def test_it_counts_further_weekdays_without_saturdays_holidays_or_eves(last_day, n, nth_weekday):
    assert CAL.further_weekdays(last_day, n) == nth_weekday
    assert CAL.earliest_after_further_weekdays(last_day, n) == nth_weekday + DAY


def test_further_weekdays_ignore_a_landlords_closed_days():
    cal = SwedishCalendar(extra_closed_days=[date(2026, 12, 29)])
    assert cal.earliest_after_further_weekdays(date(2026, 12, 28)) == date(2026, 12, 31)


def test_it_refuses_a_negative_number_of_further_weekdays():
    with pytest.raises(ValueError):
        CAL.further_weekdays(date(2026, 12, 28), -1)


# --------------------------------------------------------------------------------------------
# Working days


@pytest.mark.parametrize(
    ("start", "n", "result"),
    [
        (date(2026, 12, 23), 1, date(2026, 12, 28)),  # across Christmas
        (date(2026, 12, 21), 5, date(2026, 12, 30)),
        (date(2026, 12, 21), 6, date(2027, 1, 4)),  # across New Year
        (date(2026, 12, 24), 3, date(2026, 12, 30)),  # starting on an eve
        (date(2026, 4, 1), 1, date(2026, 4, 2)),  # Maundy Thursday is a working day
        (date(2026, 4, 1), 2, date(2026, 4, 7)),  # across Easter
        (date(2026, 3, 30), 5, date(2026, 4, 8)),
        (date(2026, 6, 17), 2, date(2026, 6, 22)),  # across Midsummer
        (date(2026, 3, 6), 15, date(2026, 3, 27)),  # three plain weeks
        (date(2026, 3, 7), 1, date(2026, 3, 9)),  # counted from the day after a Saturday
        (date(2026, 3, 7), 0, date(2026, 3, 7)),  # 0 leaves the start as it is
    ],
)
def test_it_adds_working_days_from_the_day_after_the_start(start, n, result):
    assert CAL.add_working_days(start, n) == result


def test_it_skips_a_landlords_extra_closed_day():
    klamdag = date(2026, 5, 15)
    cal = SwedishCalendar(extra_closed_days=[klamdag])
    assert CAL.add_working_days(date(2026, 5, 13), 1) == klamdag
    assert cal.add_working_days(date(2026, 5, 13), 1) == date(2026, 5, 18)
    assert cal.is_deadline_weekday(klamdag) and not cal.is_working_day(klamdag)
    assert cal.extra_closed_days == frozenset({klamdag})


def test_it_refuses_a_negative_number_of_working_days():
    with pytest.raises(ValueError, match="0 or more"):
        CAL.add_working_days(date(2026, 3, 2), -1)


@given(
    start=dates,
    n=st.integers(min_value=0, max_value=60),
    closed=st.lists(st.integers(min_value=1, max_value=90), max_size=10),
)
@property_settings
def test_adding_n_working_days_passes_exactly_n_of_them(start, n, closed):
    cal = SwedishCalendar(extra_closed_days=[start + k * DAY for k in closed])
    result = cal.add_working_days(start, n)
    assert working_days_between(cal, start, result) == n
    if n > 0:
        assert cal.is_working_day(result)
    else:
        assert result == start


# --------------------------------------------------------------------------------------------
# due(): the two timer calendars


def test_a_statutory_due_date_ignores_closed_days_and_a_working_day_one_does_not():
    cal = SwedishCalendar(extra_closed_days=[date(2026, 12, 28)])
    three_weeks = Period(3, "weeks")
    assert cal.due(date(2026, 12, 4), three_weeks, "statutory") == date(2026, 12, 28)
    assert cal.due(date(2026, 12, 4), three_weeks, "working_days") == date(2026, 12, 29)


def test_a_working_day_due_date_keeps_a_period_end_that_is_a_working_day():
    assert CAL.due(date(2026, 3, 2), Period(1, "months"), "working_days") == date(2026, 4, 2)
    assert CAL.due(date(2026, 3, 5), Period(2, "days"), "working_days") == date(2026, 3, 9)


def test_a_working_day_due_date_counts_working_days():
    period = parse_period("15 working days")
    start = date(2026, 12, 10)
    assert CAL.due(start, period, "working_days") == CAL.add_working_days(start, 15)
    assert CAL.due(start, period, "working_days") == date(2027, 1, 7)
    assert CAL.due(start, period, "statutory") == date(2027, 1, 7)


def test_zero_working_days_from_a_saturday_is_due_on_monday():
    assert CAL.due(date(2026, 3, 7), Period(0, "working_days"), "working_days") == date(2026, 3, 9)


def test_it_refuses_an_unknown_timer_calendar():
    with pytest.raises(ValueError, match="'statutory' or 'working_days'"):
        CAL.due(date(2026, 3, 2), Period(1, "days"), "bank")  # type: ignore[arg-type]


@given(start=period_starts, count=st.integers(0, 30), unit=st.sampled_from(UNITS))
@property_settings
def test_a_working_day_due_date_is_the_first_working_day_from_the_period_end(start, count, unit):
    period = Period(count, unit)
    end, due = CAL.period_end(start, period), CAL.due(start, period, "working_days")
    assert CAL.is_working_day(due) and due >= end
    assert not any(CAL.is_working_day(end + n * DAY) for n in range((due - end).days))


# --------------------------------------------------------------------------------------------
# JB 12:4 and 12:20


@pytest.mark.parametrize(
    ("termination", "last_day"),
    [
        (date(2026, 1, 15), date(2026, 4, 30)),
        (date(2026, 1, 31), date(2026, 4, 30)),
        (date(2026, 2, 1), date(2026, 5, 31)),
        (date(2026, 11, 30), date(2027, 2, 28)),
        (date(2027, 11, 30), date(2028, 2, 29)),
        (date(2026, 12, 31), date(2027, 3, 31)),
        (date(2026, 10, 1), date(2027, 1, 31)),
    ],
)
def test_it_ends_a_dwelling_lease_at_the_month_turn_after_three_months(termination, last_day):
    assert CAL.lease_end_12_4(termination) == last_day


def test_it_honours_a_longer_agreed_notice_period():
    assert CAL.lease_end_12_4(date(2026, 1, 15), months=6) == date(2026, 7, 31)
    assert CAL.lease_end_12_4(date(2026, 5, 31), months=9) == date(2027, 2, 28)


@pytest.mark.parametrize("months", [0, 2, -3])
def test_it_refuses_a_notice_period_shorter_than_three_months(months):
    with pytest.raises(ValueError, match="at least 3 months"):
        CAL.lease_end_12_4(date(2026, 1, 15), months=months)


@given(termination=dates, months=st.integers(min_value=3, max_value=24))
def test_a_lease_ends_on_the_last_day_of_the_month_after_the_notice(termination, months):
    last_day = CAL.lease_end_12_4(termination, months)
    assert (last_day + DAY).day == 1
    three_months_on = CAL.period_end(termination, Period(months, "months"))
    assert (last_day.year, last_day.month) == (three_months_on.year, three_months_on.month)


@pytest.mark.parametrize(
    ("year", "month", "due"),
    [
        (2027, 1, date(2026, 12, 30)),  # 31 Dec is New Year's Eve
        (2028, 1, date(2027, 12, 30)),  # 31 Dec 2027 is New Year's Eve, a Friday
        (2026, 7, date(2026, 6, 30)),
        (2026, 8, date(2026, 7, 31)),
        (2026, 11, date(2026, 10, 30)),  # 31 Oct is All Saints' Day, a Saturday
        (2026, 3, date(2026, 2, 27)),  # 28 Feb is a Saturday
        (2026, 6, date(2026, 5, 29)),  # 30–31 May is a weekend
        (2026, 5, date(2026, 4, 30)),  # Walpurgis Night is a weekday
        (2025, 5, date(2025, 4, 30)),
    ],
)
def test_it_puts_the_default_rent_due_date_on_the_last_weekday_before_the_month(year, month, due):
    assert CAL.rent_due_date_12_20(year, month) == due


@given(year=st.integers(min_value=FIRST_YEAR + 1, max_value=LAST_YEAR), month=st.integers(1, 12))
def test_the_rent_due_date_is_the_last_deadline_weekday_before_the_month(year, month):
    first = date(year, month, 1)
    due = CAL.rent_due_date_12_20(year, month)
    assert due < first and CAL.is_deadline_weekday(due)
    assert not any(CAL.is_deadline_weekday(due + n * DAY) for n in range(1, (first - due).days))


def test_a_landlords_closed_day_does_not_move_the_rent_due_date():
    cal = SwedishCalendar(extra_closed_days=[date(2026, 6, 30)])
    assert cal.rent_due_date_12_20(2026, 7) == date(2026, 6, 30)


# --------------------------------------------------------------------------------------------
# Swedish names and input checks


def test_it_names_days_and_dates_in_swedish():
    week = [date(2026, 12, 28) + n * DAY for n in range(7)]
    assert [day_name_sv(d) for d in week] == [
        "måndag",
        "tisdag",
        "onsdag",
        "torsdag",
        "fredag",
        "lördag",
        "söndag",
    ]
    assert format_date_sv(date(2026, 6, 6)) == "lördag 6 juni 2026"
    assert format_date_sv(date(2027, 1, 1)) == "fredag 1 januari 2027"
    assert SwedishCalendar.format_date_sv(date(2026, 12, 31)) == "torsdag 31 december 2026"
    assert CAL.day_name_sv(date(2026, 6, 19)) == "fredag"


@pytest.mark.parametrize(
    "method",
    ["is_public_holiday", "is_eve", "is_deadline_weekday", "is_working_day", "roll_forward"],
)
def test_it_refuses_a_datetime_because_its_day_depends_on_a_time_zone(method):
    with pytest.raises(TypeError, match=r"dt\.date\(\)"):
        getattr(CAL, method)(datetime(2026, 12, 25, 9, 30))


def test_it_refuses_a_datetime_as_a_start_or_closed_day():
    with pytest.raises(TypeError):
        CAL.add_working_days(datetime(2026, 12, 25), 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        SwedishCalendar(extra_closed_days=[datetime(2026, 12, 28)])
    with pytest.raises(TypeError):
        format_date_sv(datetime(2026, 12, 28))


@pytest.mark.parametrize("d", [date(FIRST_YEAR - 1, 6, 1), date(LAST_YEAR + 1, 6, 1)])
def test_it_refuses_years_the_holiday_calendar_does_not_cover(d):
    with pytest.raises(ValueError, match=f"covers {FIRST_YEAR}–{LAST_YEAR}"):
        CAL.is_deadline_weekday(d)
