"""On which days reminders to pass readings go out: pure date arithmetic over a submission window, no Django.

A reminder goes on the day a window opens ("opens") and on the day before it closes ("closes"). When both
fall on the same day (a window of one or two days), only the first is sent: two emails on one day about the
same thing would be noise.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from accounts.windows import SubmissionWindow, add_months, month_start

OPENS = "opens"
CLOSES = "closes"


@dataclass(frozen=True)
class ReminderDay:
    kind: str  # OPENS or CLOSES
    billing_month: date
    opens_on: date
    closes_on: date


def reminders_due(window: SubmissionWindow, today: date) -> list[ReminderDay]:
    """The reminders a district with this window sends today (none, one, or one of each for two months)."""
    due = []
    tomorrow = today + timedelta(days=1)
    # A window point is in its billing month or the next one, so the months around today cover every case.
    for step in range(-2, 2):
        month = add_months(month_start(today), step)
        opens_on, closes_on = window.opens_on(month), window.closes_on(month)
        if opens_on == today:
            due.append(ReminderDay(OPENS, month, opens_on, closes_on))
        elif closes_on == tomorrow and opens_on < today:
            due.append(ReminderDay(CLOSES, month, opens_on, closes_on))
    return due
