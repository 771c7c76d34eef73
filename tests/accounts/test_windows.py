"""Submission windows and billing months, worked by hand for the seeds' three windows."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.windows import SubmissionWindow, WindowPoint, add_months

KYIV = SubmissionWindow.from_numbers(0, -2, 1, 3)  # last 2 days + first 3 days of the next month
DEK = SubmissionWindow.from_numbers(0, 20, 0, 25)  # 20th to 25th
DNIPRO_2016 = SubmissionWindow.from_numbers(1, 1, 1, 4)  # as of the 1st, by the 4th


@pytest.mark.parametrize(
    ("window", "month", "opens", "closes"),
    [
        (KYIV, date(2026, 11, 1), date(2026, 11, 29), date(2026, 12, 3)),
        (KYIV, date(2026, 12, 1), date(2026, 12, 30), date(2027, 1, 3)),
        (KYIV, date(2026, 2, 1), date(2026, 2, 27), date(2026, 3, 3)),
        (KYIV, date(2028, 2, 1), date(2028, 2, 28), date(2028, 3, 3)),  # leap year: 28 and 29 February
        (DEK, date(2026, 11, 1), date(2026, 11, 20), date(2026, 11, 25)),
        (DEK, date(2026, 2, 1), date(2026, 2, 20), date(2026, 2, 25)),
        (DNIPRO_2016, date(2026, 11, 1), date(2026, 12, 1), date(2026, 12, 4)),
        (DNIPRO_2016, date(2026, 12, 1), date(2027, 1, 1), date(2027, 1, 4)),
    ],
)
def test_window_dates(window, month, opens, closes):
    assert window.opens_on(month) == opens
    assert window.closes_on(month) == closes


@pytest.mark.parametrize(
    ("window", "submitted_on", "billing_month"),
    [
        # DESIGN.md: submitted on 2 December (Kyiv window) -> November; on 4 December -> December.
        (KYIV, date(2026, 12, 2), date(2026, 11, 1)),
        (KYIV, date(2026, 12, 3), date(2026, 11, 1)),
        (KYIV, date(2026, 12, 4), date(2026, 12, 1)),
        (KYIV, date(2026, 11, 21), date(2026, 11, 1)),
        (KYIV, date(2027, 1, 3), date(2026, 12, 1)),  # over the year end
        (KYIV, date(2028, 2, 29), date(2028, 2, 1)),  # leap day
        (KYIV, date(2028, 3, 3), date(2028, 2, 1)),
        (KYIV, date(2028, 3, 4), date(2028, 3, 1)),
        (DEK, date(2026, 11, 25), date(2026, 11, 1)),
        (DEK, date(2026, 11, 26), date(2026, 12, 1)),
        (DEK, date(2026, 12, 31), date(2027, 1, 1)),
        (DNIPRO_2016, date(2026, 12, 4), date(2026, 11, 1)),
        (DNIPRO_2016, date(2026, 12, 5), date(2026, 12, 1)),
        (DNIPRO_2016, date(2026, 11, 20), date(2026, 11, 1)),
        (DNIPRO_2016, date(2026, 11, 4), date(2026, 10, 1)),
    ],
)
def test_billing_month_of_a_submission(window, submitted_on, billing_month):
    assert window.billing_month(submitted_on) == billing_month


def test_a_closed_month_sends_the_reading_to_the_next_month():
    # November's final pass ran on 4 December... but a late-window day like 3 December after an early
    # close still may not bill November.
    assert KYIV.billing_month(date(2026, 12, 3), closed_through=date(2026, 11, 1)) == date(2026, 12, 1)
    assert KYIV.billing_month(date(2026, 12, 3), closed_through=date(2026, 10, 1)) == date(2026, 11, 1)


@pytest.mark.parametrize(
    ("window", "today", "is_open", "month", "opens", "closes"),
    [
        (KYIV, date(2026, 11, 21), False, date(2026, 11, 1), date(2026, 11, 29), date(2026, 12, 3)),
        (KYIV, date(2026, 11, 29), True, date(2026, 11, 1), date(2026, 11, 29), date(2026, 12, 3)),
        (KYIV, date(2026, 12, 3), True, date(2026, 11, 1), date(2026, 11, 29), date(2026, 12, 3)),
        (KYIV, date(2026, 12, 4), False, date(2026, 12, 1), date(2026, 12, 30), date(2027, 1, 3)),
        (DEK, date(2026, 11, 21), True, date(2026, 11, 1), date(2026, 11, 20), date(2026, 11, 25)),
        (DEK, date(2026, 11, 26), False, date(2026, 12, 1), date(2026, 12, 20), date(2026, 12, 25)),
    ],
)
def test_window_status_today(window, today, is_open, month, opens, closes):
    status = window.status(today)
    assert (status.is_open, status.billing_month, status.opens_on, status.closes_on) == (is_open, month, opens, closes)


@pytest.mark.parametrize(
    ("point", "message"),
    [((0, 0), "day must be"), ((0, 32), "day must be"), ((0, -29), "day must be"), ((2, 1), "month offset")],
)
def test_invalid_window_points_are_refused(point, message):
    with pytest.raises(ValueError, match=message):
        WindowPoint(*point)


def test_a_window_closing_before_it_opens_is_refused():
    with pytest.raises(ValueError, match="closes before it opens"):
        SubmissionWindow.from_numbers(0, 25, 0, 20)


window_numbers = st.sampled_from([(0, -2, 1, 3), (0, 20, 0, 25), (1, 1, 1, 4), (0, -1, 1, 1), (0, 1, 0, 31)])
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@given(window_numbers, days)
def test_billing_month_is_the_first_window_closing_on_or_after_submission(numbers, submitted_on):
    window = SubmissionWindow.from_numbers(*numbers)
    month = window.billing_month(submitted_on)
    assert window.closes_on(month) >= submitted_on
    assert window.closes_on(add_months(month, -1)) < submitted_on


@given(window_numbers, days)
def test_billing_months_never_go_backwards(numbers, day):
    window = SubmissionWindow.from_numbers(*numbers)
    assert window.billing_month(day) <= window.billing_month(day + timedelta(days=1))
