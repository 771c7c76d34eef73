"""The reading rules with worked numbers (pure: no database)."""

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readings.validation import (
    DATE_BEFORE_INSTALLATION,
    DATE_BEFORE_PREVIOUS,
    DATE_IN_FUTURE,
    LOWER_THAN_PREVIOUS,
    METER_INACTIVE,
    NOT_A_NUMBER,
    TOO_MANY_DIGITS,
    ZONE_MISSING,
    ZONE_UNKNOWN,
    MeterFacts,
    ReadingRules,
    Snapshot,
    _evaluate,
    average_daily_kwh,
    check_reading,
    parse_values,
    register_delta,
)
from readings.zones import ONE_ZONE, TWO_ZONE, zones_of

RULES = ReadingRules()
TODAY = date(2026, 11, 30)


def facts(zone_set=ONE_ZONE, previous=None, digits=6, multiplier=1, average=Fraction(8), active=True):
    zones = zones_of(zone_set)
    return MeterFacts(
        zones=zones,
        zone_set=zone_set,
        register_digits=digits,
        multiplier=multiplier,
        installed_on=date(2024, 1, 15),
        active=active,
        previous=Snapshot(previous or {zone: 12410 for zone in zones}, date(2026, 10, 30)),
        average_daily_kwh=average,
    )


def codes(verdict):
    return [(problem.code, problem.zone) for problem in verdict.problems]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"total": "12650"}, []),
        ({"total": " 012 650 "}, []),  # spaces and leading zeros as the display shows them
        ({}, [(ZONE_MISSING, "total")]),
        ({"total": ""}, [(ZONE_MISSING, "total")]),
        ({"total": "12650.5"}, [(NOT_A_NUMBER, "total")]),
        ({"total": "-5"}, [(NOT_A_NUMBER, "total")]),
        # Any decimal digit a phone keyboard types is the same number (readings/policy.py): Arabic-Indic,
        # full-width; a superscript is not a digit of a number.
        ({"total": "١٢٦٥٠"}, []),
        ({"total": "１２６５０"}, []),
        ({"total": "12²"}, [(NOT_A_NUMBER, "total")]),
        ({"total": "1234567"}, [(TOO_MANY_DIGITS, "total")]),
        ({"total": "12650", "day": "5"}, [(ZONE_UNKNOWN, "day")]),
    ],
)
def test_values_are_complete_known_integers_within_the_register(raw, expected):
    assert codes(check_reading(facts(), raw, TODAY, today=TODAY, rules=RULES)) == expected


@pytest.mark.parametrize(
    ("reading_date", "expected"),
    [
        (date(2026, 11, 30), []),
        (date(2026, 12, 1), [DATE_IN_FUTURE]),
        (date(2026, 10, 29), [DATE_BEFORE_PREVIOUS]),
        (date(2024, 1, 14), [DATE_BEFORE_INSTALLATION]),
    ],
)
def test_dates(reading_date, expected):
    verdict = check_reading(facts(), {"total": "12650"}, reading_date, today=TODAY, rules=RULES)
    assert [problem.code for problem in verdict.problems] == expected


def test_staff_may_backdate_between_installation_and_the_last_reading():
    verdict = check_reading(
        facts(previous={"total": 12000}),
        {"total": "12300"},
        date(2026, 10, 29),
        today=TODAY,
        rules=RULES,
        allow_backdating=True,
    )
    assert verdict.ok


def test_consumption_is_the_difference_times_the_multiplier():
    verdict = check_reading(facts(multiplier=30), {"total": "12650"}, TODAY, today=TODAY, rules=RULES)
    assert verdict.consumption_kwh == {"total": 240 * 30}


def test_equal_values_are_zero_use_and_valid():
    verdict = check_reading(facts(), {"total": "12410"}, TODAY, today=TODAY, rules=RULES)
    assert verdict.ok and verdict.consumption_kwh == {"total": 0} and not verdict.needs_review


@pytest.mark.parametrize(
    ("digits", "previous", "value", "delta"),
    [
        (5, 99_850, 120, 270),  # 120 + 100 000 - 99 850
        (6, 999_700, 300, 600),
        (5, 99_850, 4_000, 4_150),  # 4.15 % of the range: still a plausible rollover
        (5, 99_850, 5_500, None),  # 5.65 %: no, it is a lower value
        (6, 12_410, 12_345, None),
    ],
)
def test_rollover_at_5_and_6_digits(digits, previous, value, delta):
    assert register_delta(previous, value, digits, RULES) == delta


def test_lower_value_names_zone_value_previous_and_date():
    verdict = check_reading(facts(), {"total": "12345"}, TODAY, today=TODAY, rules=RULES)
    (problem,) = verdict.problems
    assert problem.code == LOWER_THAN_PREVIOUS and problem.zone == "total"
    assert problem.params == {"value": 12345, "previous": 12410, "previous_date": date(2026, 10, 30), "digits": 6}


@pytest.mark.parametrize(
    ("average", "value", "needs_review"),
    [
        (Fraction(8), "13610", False),  # 1200 kWh in 31 days = 38.7/day <= 5 x 8 = 40
        (Fraction(8), "13700", True),  # 1290 / 31 = 41.6/day > 40
        (None, "21700", False),  # no history: 9290 / 31 = 299.7/day <= 300
        (None, "21730", True),  # 9320 / 31 = 300.6/day > 300
    ],
)
def test_plausibility_against_usual_daily_use(average, value, needs_review):
    verdict = check_reading(facts(average=average), {"total": value}, TODAY, today=TODAY, rules=RULES)
    assert verdict.ok and verdict.needs_review is needs_review


def test_swapped_day_and_night_are_detected():
    two = facts(TWO_ZONE, previous={"day": 27893, "night": 13914}, average=Fraction(10))
    # Day really advanced to 28100 (207) and night to 14020 (106): typed the other way round.
    verdict = check_reading(two, {"day": "14020", "night": "28100"}, TODAY, today=TODAY, rules=RULES)
    assert codes(verdict) == [(LOWER_THAN_PREVIOUS, "day")]
    assert verdict.swap_suggested


def test_no_swap_suggested_when_swapping_does_not_help():
    two = facts(TWO_ZONE, previous={"day": 27893, "night": 13914}, average=Fraction(10))
    verdict = check_reading(two, {"day": "27000", "night": "13000"}, TODAY, today=TODAY, rules=RULES)
    assert not verdict.swap_suggested and len(verdict.problems) == 2


def test_inactive_meter_takes_nothing():
    assert codes(check_reading(facts(active=False), {"total": "12650"}, TODAY, today=TODAY, rules=RULES)) == [
        (METER_INACTIVE, None)
    ]


def test_average_daily_use_is_exact_and_needs_enough_history():
    start = Snapshot({"day": 27000, "night": 13500}, date(2026, 4, 30))
    end = Snapshot({"day": 27893, "night": 13914}, date(2026, 10, 30))
    assert average_daily_kwh(start, end, register_digits=6, multiplier=1, rules=RULES) == Fraction(893 + 414, 183)
    short = Snapshot({"day": 27800, "night": 13900}, date(2026, 10, 10))
    assert average_daily_kwh(short, end, register_digits=6, multiplier=1, rules=RULES) is None


@given(
    previous=st.integers(min_value=0, max_value=999_999),
    used=st.integers(min_value=0, max_value=49_999),
)
def test_any_plausible_use_is_recovered_through_a_rollover(previous, used):
    value = (previous + used) % 1_000_000
    assert register_delta(previous, value, 6, RULES) == used


@given(st.dictionaries(st.sampled_from(["total", "day", "x"]), st.text(max_size=8), max_size=3))
def test_parser_never_crashes_and_accepts_only_clean_integers(raw):
    values, problems = parse_values(("total",), raw, 6)
    if not problems:
        assert set(values) == {"total"} and 0 <= values["total"] < 10**6


def _evaluate_with_fractions(facts: MeterFacts, values, reading_date, rules):
    """`validation._evaluate` as it was before the integer comparisons (Fraction arithmetic), the reference."""
    problems, consumption = [], {}
    for zone in facts.zones:
        previous, value = facts.previous.values[zone], values[zone]
        span = 10**facts.register_digits
        if value >= previous:
            delta = value - previous
        else:
            rolled = value + span - previous
            delta = rolled if rolled < span * rules.rollover_max_share else None
        if delta is None:
            problems.append((LOWER_THAN_PREVIOUS, zone))
        else:
            consumption[zone] = delta * facts.multiplier
    needs_review = False
    if not problems:
        days = max((reading_date - facts.previous.reading_date).days, 1)
        per_day = Fraction(sum(consumption.values()), days)
        if facts.average_daily_kwh is None:
            needs_review = per_day > rules.no_history_max_daily_kwh
        else:
            needs_review = per_day > facts.average_daily_kwh * rules.plausible_multiple and per_day > 1
    return problems, consumption, needs_review


@settings(max_examples=400, deadline=None)
@given(
    digits=st.integers(min_value=4, max_value=7),
    multiplier=st.sampled_from([1, 2, 10, 40]),
    previous=st.tuples(st.integers(min_value=0, max_value=9_999_999), st.integers(min_value=0, max_value=9_999_999)),
    used=st.tuples(st.integers(min_value=-2_000, max_value=60_000), st.integers(min_value=-2_000, max_value=60_000)),
    days=st.integers(min_value=-3, max_value=400),
    average=st.none() | st.fractions(min_value=0, max_value=500, max_denominator=400),
    share_percent=st.integers(min_value=1, max_value=50),
    multiple=st.integers(min_value=1, max_value=10),
    no_history_max=st.integers(min_value=1, max_value=1_000),
)
def test_integer_comparisons_give_the_verdicts_fraction_arithmetic_gave(
    digits, multiplier, previous, used, days, average, share_percent, multiple, no_history_max
):
    """Issue 14 item 3: the plausibility and rollover checks compare cross-multiplied integers instead of
    building Fractions; on every bounded example (rollovers, no history, a zero average, the same day and a
    date before L) the consumption and the review flag are what the Fraction arithmetic said."""
    span = 10**digits
    start = {"day": previous[0] % span, "night": previous[1] % span}
    values = {"day": (start["day"] + used[0]) % span, "night": (start["night"] + used[1]) % span}
    state = facts(TWO_ZONE, previous=start, digits=digits, multiplier=multiplier, average=average)
    day = state.previous.reading_date + timedelta(days=days)
    rules = ReadingRules(
        rollover_max_share=Fraction(share_percent, 100),
        plausible_multiple=multiple,
        no_history_max_daily_kwh=no_history_max,
    )
    problems, consumption, needs_review = _evaluate(state, values, day, rules)
    assert ([(problem.code, problem.zone) for problem in problems], consumption, needs_review) == (
        _evaluate_with_fractions(state, values, day, rules)
    )
