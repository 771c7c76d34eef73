"""Submission windows and the billing month of a reading: pure date arithmetic, no Django.

A district's window is two points, each a (month offset, day) pair relative to the billing month M:
`day` > 0 is a day of the month (clamped to the month's length), `day` < 0 counts from the month's end
(-1 is the last day). DTEK Kyiv "last 2 days + first 3 days" is open (0, -2), close (1, 3).
Months are represented by the date of their first day.
"""

import calendar
from dataclasses import dataclass
from datetime import date

POLICY_OPEN = "open"
POLICY_STRICT = "strict"


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    """The first day of the month `count` months after the month of `month`."""
    index = month.year * 12 + (month.month - 1) + count
    return date(index // 12, index % 12 + 1, 1)


# The customer pages (meter history, invoices) show this many months unless asked for everything: after
# ten years of bills a page would otherwise grow without end (issue 19). The CSV keeps the whole history.
HISTORY_MONTHS = 24


def history_start(today: date) -> date:
    """The first day of the oldest month the pages show by default: this month and the 23 before it."""
    return add_months(month_start(today), -(HISTORY_MONTHS - 1))


def days_in_month(month: date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


@dataclass(frozen=True)
class WindowPoint:
    month_offset: int
    day: int

    def __post_init__(self) -> None:
        if self.day == 0 or not -28 <= self.day <= 31:
            raise ValueError("day must be 1..31, or -1..-28 counted from the month's end")
        if not 0 <= self.month_offset <= 1:
            raise ValueError("month offset must be 0 (the billing month) or 1 (the next month)")

    def resolve(self, billing_month: date) -> date:
        month = add_months(billing_month, self.month_offset)
        length = days_in_month(month)
        day = min(self.day, length) if self.day > 0 else length + self.day + 1
        return month.replace(day=day)


@dataclass(frozen=True)
class SubmissionWindow:
    open: WindowPoint
    close: WindowPoint

    @classmethod
    def from_numbers(cls, open_offset: int, open_day: int, close_offset: int, close_day: int):
        window = cls(WindowPoint(open_offset, open_day), WindowPoint(close_offset, close_day))
        # Check on months of every length: a window must never close before it opens.
        for month in (date(2023, 2, 1), date(2024, 2, 1), date(2024, 4, 1), date(2024, 1, 1)):
            if window.closes_on(month) < window.opens_on(month):
                raise ValueError("the window closes before it opens")
        return window

    def opens_on(self, billing_month: date) -> date:
        return self.open.resolve(billing_month)

    def closes_on(self, billing_month: date) -> date:
        return self.close.resolve(billing_month)

    def billing_month(self, submitted_on: date, closed_through: date | None = None) -> date:
        """The month whose window closes first on or after `submitted_on`.

        `closed_through` is the last month whose final billing pass has run; a reading never goes
        to a closed month, it goes to the month after.
        """
        month = add_months(month_start(submitted_on), -2)
        while self.closes_on(month) < submitted_on:
            month = add_months(month, 1)
        if closed_through is not None and month <= month_start(closed_through):
            month = add_months(month_start(closed_through), 1)
        return month

    def status(self, today: date) -> "WindowStatus":
        """Whether a window is open today, and for which month; otherwise when the next one opens."""
        month = add_months(month_start(today), -2)
        while self.closes_on(month) < today:
            month = add_months(month, 1)
        # `month` is the first window not yet closed: open now, or the next to open.
        return WindowStatus(
            is_open=self.opens_on(month) <= today,
            billing_month=month,
            opens_on=self.opens_on(month),
            closes_on=self.closes_on(month),
        )


@dataclass(frozen=True)
class WindowStatus:
    is_open: bool
    billing_month: date
    opens_on: date
    closes_on: date
