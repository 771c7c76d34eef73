"""Volumes for the monthly run: actual, average estimate, norm estimate (pure, no Django).

DESIGN.md "Charges": the average is exact arithmetic, rounded half-up to whole kWh only at the end;
"6 months before" is calendar months; a d-digit register rolls over at 10^d; the multiplier applies to
every volume; the norm total is norm x residents rounded half-up, split across zones by the history's
shares (or the default shares) so that the zones sum exactly.
"""

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from billing.money import round_half_up
from billing.tariffs.versions import largest_remainder

AVERAGE = "average"
NORM = "norm"

DEFAULT_SHARES = {
    ("total",): {"total": Fraction(1)},
    ("day", "night"): {"day": Fraction(70, 100), "night": Fraction(30, 100)},
    ("peak", "half_peak", "night"): {
        "peak": Fraction(20, 100),
        "half_peak": Fraction(50, 100),
        "night": Fraction(30, 100),
    },
}


@dataclass(frozen=True)
class Snapshot:
    values: dict[str, int]
    on: date


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier, clamped to the month's length (31 Aug - 6 = 28 Feb)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def days_in(month: date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def used_between(earlier: Snapshot, later: Snapshot, *, register_digits: int, multiplier: int) -> dict[str, int]:
    """kWh per zone counted between two snapshots of one meter (a rollover adds 10^digits)."""
    span = 10**register_digits
    return {zone: ((later.values[zone] - earlier.values[zone]) % span) * multiplier for zone in later.values}


def average_estimate(
    *,
    last: Snapshot,
    earliest: Snapshot | None,
    month: date,
    register_digits: int,
    multiplier: int,
    min_history_days: int = 90,
) -> dict[str, int] | None:
    """Average daily use per zone between `earliest` and `last`, times the days of `month`; None without
    `min_history_days` of history."""
    if earliest is None:
        return None
    days = (last.on - earliest.on).days
    if days < min_history_days:
        return None
    used = used_between(earliest, last, register_digits=register_digits, multiplier=multiplier)
    return {zone: round_half_up(Fraction(kwh * days_in(month), days)) for zone, kwh in used.items()}


def zone_shares(
    used: dict[str, int] | None, zones: tuple[str, ...], defaults: dict | None = None
) -> dict[str, Fraction]:
    """The history's shares per zone; the default shares without history or with zero use."""
    if used and sum(used.values()) > 0:
        total = sum(used.values())
        return {zone: Fraction(used[zone], total) for zone in zones}
    return dict((defaults or DEFAULT_SHARES)[tuple(zones)])


def norm_estimate(*, norm_per_resident: Decimal, residents: int, shares: dict[str, Fraction]) -> dict[str, int]:
    """norm x residents, rounded half-up, split by the shares (largest remainder, earlier zone on ties)."""
    total = round_half_up(Decimal(norm_per_resident) * residents)
    zones = list(shares)
    return dict(zip(zones, largest_remainder(total, [shares[zone] for zone in zones]), strict=True))


def estimate_basis(*, month_number: int, cap: int, average_possible: bool) -> str:
    """Month `month_number` (1 = the first month without an actual reading since L): average while the
    cap allows (0 = no cap) and there is enough history, else the norm."""
    if average_possible and (cap == 0 or month_number <= cap):
        return AVERAGE
    return NORM
