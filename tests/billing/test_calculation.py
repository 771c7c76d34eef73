"""The charge arithmetic with worked numbers: money, proration, averages, norms, the cap (pure)."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.estimates import (
    AVERAGE,
    NORM,
    Snapshot,
    average_estimate,
    estimate_basis,
    months_before,
    norm_estimate,
    used_between,
    zone_shares,
)
from billing.money import line_amount, round_half_up, round_money
from billing.tariffs.versions import TariffVersion, largest_remainder, price_span, version_on


@pytest.mark.parametrize(
    ("volume", "price", "amount"),
    [
        (182, "4.32000", "786.24"),
        (1, "2.16000", "2.16"),
        (3, "0.00500", "0.02"),
        (1, "0.00500", "0.01"),
        (-61, "2.16000", "-131.76"),
    ],
)
def test_line_amount_rounds_half_up_per_line(volume, price, amount):
    assert line_amount(volume, Decimal(price)) == Decimal(amount)


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        round_money(1.5)
    with pytest.raises(TypeError):
        line_amount(1, 4.32)


@pytest.mark.parametrize(
    ("value", "rounded"),
    [(Fraction(5, 2), 3), (Fraction(7, 3), 2), (Fraction(-5, 2), -3), (Decimal("212.5"), 213), (4, 4)],
)
def test_round_half_up(value, rounded):
    assert round_half_up(value) == rounded


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        (100, [1, 1, 1], [34, 33, 33]),  # the tie goes to the earliest
        (10, [31, 30], [5, 5]),
        (245, [7, 24], [55, 190]),  # 55.32 / 189.68
        (0, [1, 2], [0, 0]),
        (-10, [1, 1, 1], [-4, -3, -3]),
        (305, [Fraction(7, 10), Fraction(3, 10)], [214, 91]),  # 213.5 / 91.5: the tie to day
    ],
)
def test_largest_remainder(total, weights, parts):
    assert largest_remainder(total, weights) == parts
    assert sum(parts) == total


OLD = TariffVersion(
    date(2025, 1, 1), {"total": Decimal("4.32000"), "day": Decimal("4.32000"), "night": Decimal("2.16000")}
)
NEW = TariffVersion(
    date(2026, 11, 15), {"total": Decimal("4.80000"), "day": Decimal("4.80000"), "night": Decimal("2.40000")}
)


def test_a_span_across_a_tariff_change_is_split_by_days():
    # Last reading 31 October, this one 30 November: 30 days, 14 at the old price, 16 at the new.
    parts = price_span(300, [OLD, NEW], date(2026, 10, 31), date(2026, 11, 30))
    assert [(part.version.effective_from, part.days, part.volume) for part in parts] == [
        (date(2025, 1, 1), 14, 140),
        (date(2026, 11, 15), 16, 160),
    ]
    assert sum(line_amount(part.volume, part.price("total")) for part in parts) == Decimal("604.80") + Decimal("768.00")


def test_a_span_inside_one_version_is_one_part():
    (part,) = price_span(182, [OLD, NEW], date(2026, 9, 30), date(2026, 10, 31))
    assert (part.days, part.volume, part.price("day")) == (31, 182, Decimal("4.32000"))


def test_no_tariff_in_force_is_an_error():
    with pytest.raises(LookupError):
        price_span(10, [NEW], date(2026, 10, 31), date(2026, 11, 30))


def test_the_version_on_the_first_of_the_month():
    assert version_on([OLD, NEW], date(2026, 11, 1)) == OLD
    assert version_on([OLD, NEW], date(2026, 12, 1)) == NEW


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 8, 31), 6, date(2026, 2, 28)),
        (date(2028, 8, 31), 6, date(2028, 2, 29)),
        (date(2026, 3, 15), 6, date(2025, 9, 15)),
    ],
)
def test_calendar_months_before(day, months, expected):
    assert months_before(day, months) == expected


def test_average_of_a_two_zone_meter_over_six_months():
    earliest = Snapshot({"day": 27000, "night": 13500}, date(2026, 4, 30))
    last = Snapshot({"day": 27893, "night": 13914}, date(2026, 10, 30))  # 183 days later
    estimate = average_estimate(last=last, earliest=earliest, month=date(2026, 11, 1), register_digits=6, multiplier=1)
    # day: 893 / 183 x 30 = 146.39 -> 146; night: 414 / 183 x 30 = 67.87 -> 68
    assert estimate == {"day": 146, "night": 68}


def test_average_needs_ninety_days_of_history():
    earliest = Snapshot({"total": 1000}, date(2026, 8, 2))
    last = Snapshot({"total": 1300}, date(2026, 10, 30))  # 89 days
    assert (
        average_estimate(last=last, earliest=earliest, month=date(2026, 11, 1), register_digits=6, multiplier=1) is None
    )
    earlier = Snapshot({"total": 1000}, date(2026, 8, 1))  # 90 days: enough
    assert average_estimate(last=last, earliest=earlier, month=date(2026, 11, 1), register_digits=6, multiplier=1) == {
        "total": 100
    }


def test_average_through_a_rollover_with_a_multiplier():
    earliest = Snapshot({"total": 99_500}, date(2026, 7, 31))
    last = Snapshot({"total": 400}, date(2026, 10, 31))  # 92 days, 900 units through 99 999
    assert used_between(earliest, last, register_digits=5, multiplier=30) == {"total": 27_000}
    estimate = average_estimate(last=last, earliest=earliest, month=date(2026, 11, 1), register_digits=5, multiplier=30)
    assert estimate == {"total": round_half_up(Fraction(27_000 * 30, 92))}  # 8804.3 -> 8804


def test_norm_by_residents_split_by_history_or_default_shares():
    assert norm_estimate(norm_per_resident=Decimal("65"), residents=3, shares=zone_shares(None, ("day", "night"))) == {
        "day": 137,  # 195 x 0.7 = 136.5 -> the tie-break sends the odd unit to day
        "night": 58,
    }
    history = {"peak": 100, "half_peak": 250, "night": 150}
    assert norm_estimate(
        norm_per_resident=Decimal("72.5"), residents=2, shares=zone_shares(history, ("peak", "half_peak", "night"))
    ) == {"peak": 29, "half_peak": 73, "night": 43}  # 145 split 29 / 72.5 / 43.5
    assert zone_shares({"day": 0, "night": 0}, ("day", "night")) == {"day": Fraction(7, 10), "night": Fraction(3, 10)}


@pytest.mark.parametrize(
    ("month_number", "cap", "possible", "basis"),
    [(1, 3, True, AVERAGE), (3, 3, True, AVERAGE), (4, 3, True, NORM), (1, 3, False, NORM), (12, 0, True, AVERAGE)],
)
def test_the_cap_switches_to_the_norm_in_the_fourth_month(month_number, cap, possible, basis):
    assert estimate_basis(month_number=month_number, cap=cap, average_possible=possible) == basis


@given(
    st.integers(min_value=-10_000, max_value=10_000),
    st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=5),
)
def test_largest_remainder_always_sums_exactly(total, weights):
    if sum(weights) == 0:
        return
    parts = largest_remainder(total, weights)
    assert sum(parts) == total and len(parts) == len(weights)
