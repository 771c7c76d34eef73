"""A small model of DESIGN.md's charge rules, written for the property tests from the text alone.

It deliberately calls none of the project's billing code (no billing.run.plan, estimates, tariffs, money): when
the run and this model agree on thousands of random histories, both read DESIGN.md the same way.
Volumes are whole kWh, money Decimal; every split is by the largest remainder, ties to the earlier part.
"""

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

ZONE_ORDER = ("total", "day", "night", "peak", "half_peak")
DEFAULT_SHARES = {
    ("total",): (Fraction(1),),
    ("day", "night"): (Fraction(7, 10), Fraction(3, 10)),
    ("peak", "half_peak", "night"): (Fraction(2, 10), Fraction(5, 10), Fraction(3, 10)),
}
CENT = Decimal("0.01")


def first_of(day: date) -> date:
    return day.replace(day=1)


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def shift_months(day: date, months: int) -> date:
    """The same day `months` calendar months later (negative: earlier), clamped to the month's last day."""
    y, m = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(y, m + 1, min(day.day, calendar.monthrange(y, m + 1)[1]))


def half_up(value, places: str = "1") -> Decimal:
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)  # exact enough: 28 digits
    return Decimal(value).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def split(total: int, weights: list) -> list[int]:
    """Whole numbers in proportion to `weights` summing to `total`; leftovers to the largest remainders,
    earlier first on ties."""
    weight_sum = sum(weights)
    exact = [Fraction(total) * Fraction(w) / weight_sum for w in weights]
    parts = [int(x) if x >= 0 else -int(-x) for x in exact]
    left = total - sum(parts)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


@dataclass
class Line:
    zone: str
    basis: str
    volume: int
    price: Decimal

    @property
    def amount(self) -> Decimal:
        return half_up(self.volume * self.price, "0.01")


def priced(zone: str, basis: str, volume: int, start_excl: date, end_incl: date, tariffs) -> list[Line]:
    """`volume` over the days after `start_excl` up to `end_incl`, split between the tariff versions by days.

    `tariffs`: [(effective_from, {zone: price})] in any order."""
    versions = sorted(tariffs, key=lambda version: version[0])
    days_by_version: dict[int, int] = {}
    day = start_excl + timedelta(days=1)
    while day <= end_incl:
        index = max(i for i, (effective, _) in enumerate(versions) if effective <= day)
        days_by_version[index] = days_by_version.get(index, 0) + 1
        day += timedelta(days=1)
    indexes = sorted(days_by_version)
    volumes = split(volume, [days_by_version[i] for i in indexes])
    return [Line(zone, basis, v, versions[i][1][zone]) for i, v in zip(indexes, volumes, strict=True)]


@dataclass
class ModelReading:
    on: date
    values: dict
    billing_month: date
    submitted_on: date
    current: bool = True


@dataclass
class ModelMeter:
    key: int
    zones: tuple
    digits: int
    multiplier: int
    installed_on: date
    install: dict
    residents: int
    readings: list = field(default_factory=list)
    last: tuple = None  # (values, date)
    estimated: int = 0
    open_estimates: list = field(default_factory=list)  # Lines of estimates since L
    last_billed: date | None = None

    def __post_init__(self):
        self.last = (dict(self.install), self.installed_on)

    def used(self, earlier: dict, later: dict) -> dict:
        return {z: ((later[z] - earlier[z]) % 10**self.digits) * self.multiplier for z in self.zones}


def bill_month(meter: ModelMeter, *, month: date, final: bool, run_date: date, tariffs, norms, cap: int = 3):
    """The lines the run owes `meter` for `month` in this pass (DESIGN.md "Charges" 1, 2, 4), and the
    meter's new state. `norms`: [(effective_from, kwh per resident)]."""
    if meter.last_billed is not None and meter.last_billed >= month:
        return []
    seen = [r for r in meter.readings if r.current and r.submitted_on <= run_date]
    newer = [r for r in seen if r.billing_month <= month and r.on > meter.last[1]]
    if newer:
        reading = max(newer, key=lambda r: r.on)
        lines = []
        used = meter.used(meter.last[0], reading.values)
        for zone in meter.zones:
            lines += priced(zone, "actual", used[zone], meter.last[1], reading.on, tariffs)
        lines += [Line(e.zone, "reversal", -e.volume, e.price) for e in meter.open_estimates]
        meter.last, meter.estimated, meter.open_estimates, meter.last_billed = (
            (dict(reading.values), reading.on),
            0,
            [],
            month,
        )
        return lines
    if not final or meter.installed_on >= month:
        return []
    number = meter.estimated + 1
    last_values, last_on = meter.last
    since = shift_months(last_on, -6)
    history = [(r.values, r.on) for r in seen if since <= r.on < last_on]
    if since <= meter.installed_on < last_on:
        history.append((meter.install, meter.installed_on))
    earliest = min(history, key=lambda h: h[1]) if history else None
    used = meter.used(earliest[0], last_values) if earliest else None
    days = (last_on - earliest[1]).days if earliest else 0
    month_days = month_end(month).day
    if earliest and days >= 90 and (cap == 0 or number <= cap):
        basis = "average"
        volumes = {z: int(half_up(Fraction(used[z] * month_days, days))) for z in meter.zones}
    else:
        basis = "norm"
        norm = max((n for n in norms if n[0] <= month), key=lambda n: n[0])[1]
        total = int(half_up(norm * meter.residents))
        if used and sum(used.values()) > 0:
            weights = [used[z] for z in meter.zones]
        else:
            weights = list(DEFAULT_SHARES[meter.zones])
        volumes = dict(zip(meter.zones, split(total, weights), strict=True))
    lines = []
    for zone in meter.zones:
        lines += priced(zone, basis, volumes[zone], month - timedelta(days=1), month_end(month), tariffs)
    meter.estimated, meter.last_billed = number, month
    meter.open_estimates += lines
    return lines
