"""On which days reminders go out, for the three example windows of DESIGN.md (time passed in)."""

from datetime import date

import pytest

from accounts.windows import SubmissionWindow
from readings.reminder_dates import CLOSES, OPENS, reminders_due

KYIV = SubmissionWindow.from_numbers(0, -2, 1, 3)  # last 2 days + first 3 days of the next month
DEK = SubmissionWindow.from_numbers(0, 20, 0, 25)  # 20th to 25th
DNIPRO = SubmissionWindow.from_numbers(1, 1, 1, 4)  # as of the 1st, by the 4th of the next month


@pytest.mark.parametrize(
    ("window", "today", "expected"),
    [
        # Kyiv, November 2026: opens 29 November, closes 3 December.
        (KYIV, date(2026, 11, 29), [(OPENS, date(2026, 11, 1), date(2026, 12, 3))]),
        (KYIV, date(2026, 12, 2), [(CLOSES, date(2026, 11, 1), date(2026, 12, 3))]),
        (KYIV, date(2026, 11, 30), []),
        (KYIV, date(2026, 12, 3), []),
        # February 2027 has 28 days: opens on the 27th; closes 3 March.
        (KYIV, date(2027, 2, 27), [(OPENS, date(2027, 2, 1), date(2027, 3, 3))]),
        (KYIV, date(2027, 3, 2), [(CLOSES, date(2027, 2, 1), date(2027, 3, 3))]),
        # DEK: 20th to 25th of the billing month itself.
        (DEK, date(2026, 11, 20), [(OPENS, date(2026, 11, 1), date(2026, 11, 25))]),
        (DEK, date(2026, 11, 24), [(CLOSES, date(2026, 11, 1), date(2026, 11, 25))]),
        (DEK, date(2026, 11, 25), []),
        (DEK, date(2026, 11, 19), []),
        # Dnipro: the window of November is 1-4 December.
        (DNIPRO, date(2026, 12, 1), [(OPENS, date(2026, 11, 1), date(2026, 12, 4))]),
        (DNIPRO, date(2026, 12, 3), [(CLOSES, date(2026, 11, 1), date(2026, 12, 4))]),
        (DNIPRO, date(2026, 12, 2), []),
        (DNIPRO, date(2026, 11, 30), []),
    ],
)
def test_reminder_days_of_the_example_windows(window, today, expected):
    assert [(due.kind, due.billing_month, due.closes_on) for due in reminders_due(window, today)] == expected


def test_a_two_day_window_sends_only_the_opening_reminder():
    short = SubmissionWindow.from_numbers(1, 1, 1, 2)
    assert [due.kind for due in reminders_due(short, date(2026, 12, 1))] == [OPENS]
    assert reminders_due(short, date(2026, 11, 30)) == []
