"""What one meter is charged for one month: the decision, as a pure function (no Django).

The run loads each chunk's state set-based, calls `plan_meter` for every meter, and writes the lines
it returns. Keeping the decision pure lets the tests (and the property test) drive it with plain numbers.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from billing.estimates import (
    AVERAGE,
    Snapshot,
    average_estimate,
    days_in,
    estimate_basis,
    months_before,
    norm_estimate,
    used_between,
    zone_shares,
)
from billing.money import line_amount
from billing.tariffs.versions import TariffVersion, price_span

ACTUAL = "actual"
NORM = "norm"
REVERSAL = "reversal"
PASS_ACTUAL = "actual"
PASS_FINAL = "final"


# The per-meter values are named tuples, not frozen dataclasses: a run builds one per meter and per line,
# and a frozen dataclass's constructor sets each field through object.__setattr__.
class OpenEstimate(NamedTuple):
    charge_id: int
    zone: str
    volume: int
    price: Decimal
    amount: Decimal


class MeterInput(NamedTuple):
    meter_id: int
    account_id: int
    zones: tuple[str, ...]
    register_digits: int
    multiplier: int
    installed_on: date
    removed_on: date | None
    category: str
    residents: int
    last: Snapshot  # L: the last billed actual reading, or the installation values
    last_reading_id: int | None  # None while L is the installation
    estimated_months: int  # consecutive estimated months since L
    last_billed_month: date | None
    closed: bool
    new_reading_id: int | None = None  # R: the latest accepted reading of this month newer than L
    new_reading: Snapshot | None = None
    open_estimates: tuple[OpenEstimate, ...] = ()
    history_start: Snapshot | None = None  # the earliest reading at most 6 months before L
    installation: Snapshot | None = None  # the installation reading, which counts as history too


@dataclass(frozen=True)
class Rules:
    cap: int = 3  # ESTIMATE_AVERAGE_MAX_MONTHS; 0 = no limit
    lookback_months: int = 6  # ESTIMATE_LOOKBACK_MONTHS
    min_history_days: int = 90
    default_shares: dict | None = None


class ChargeLine(NamedTuple):
    meter_id: int
    account_id: int
    zone: str
    basis: str
    volume: int
    price: Decimal
    amount: Decimal
    span_start: date
    span_end: date
    reading_id: int | None = None
    reverses_id: int | None = None
    estimate_number: int | None = None


class NewState(NamedTuple):
    meter_id: int
    last_reading_id: int | None
    last_date: date
    estimated_months: int
    last_billed_month: date
    closed: bool


@dataclass
class MeterPlan:
    lines: list[ChargeLine] = field(default_factory=list)
    state: NewState | None = None


def _priced(
    meter: MeterInput, zone, basis, volume, tariffs, start, end, reading_id=None, estimate_number=None
) -> list[ChargeLine]:
    lines = []
    for part in price_span(volume, tariffs, start, end):
        price = part.price(zone)
        lines.append(
            ChargeLine(
                meter.meter_id,
                meter.account_id,
                zone,
                basis,
                part.volume,
                price,
                line_amount(part.volume, price),
                part.start_exclusive,
                part.end_inclusive,
                reading_id=reading_id,
                estimate_number=estimate_number,
            )
        )
    return lines


def plan_meter(
    meter: MeterInput,
    *,
    month: date,
    pass_name: str,
    tariffs: list[TariffVersion],
    norms: list[tuple[date, Decimal]],
    rules: Rules,
) -> MeterPlan:
    """The charges of `meter` for `month` in this pass, and its billing state afterwards."""
    if meter.closed or (meter.last_billed_month is not None and meter.last_billed_month >= month):
        # Nothing left to bill, or this month is billed already (a rerun), or the meter's billing has moved
        # past it (a resumed run of an old month): a month behind a meter's state is never billed again.
        return MeterPlan()
    if meter.new_reading is not None:
        return _actual(meter, month=month, tariffs=tariffs)
    month_end = month.replace(day=days_in(month))
    if pass_name != PASS_FINAL or meter.installed_on >= month or (meter.removed_on and meter.removed_on <= month_end):
        return MeterPlan()  # estimates only in the final pass; a meter installed in M is not estimated for M
    return _estimate(meter, month=month, tariffs=tariffs, norms=norms, rules=rules)


def _actual(meter: MeterInput, *, month: date, tariffs) -> MeterPlan:
    reading = meter.new_reading
    used = used_between(meter.last, reading, register_digits=meter.register_digits, multiplier=meter.multiplier)
    lines = []
    for zone in meter.zones:
        lines += _priced(meter, zone, ACTUAL, used[zone], tariffs, meter.last.on, reading.on, meter.new_reading_id)
    # Every estimate billed since L is reversed at its own volume and price: over time the customer pays
    # exactly the measured consumption at the prices in force when it was used.
    for estimate in meter.open_estimates:
        lines.append(
            ChargeLine(
                meter.meter_id,
                meter.account_id,
                estimate.zone,
                REVERSAL,
                -estimate.volume,
                estimate.price,
                -estimate.amount,
                meter.last.on,
                reading.on,
                reverses_id=estimate.charge_id,
            )
        )
    closed = meter.removed_on is not None and reading.on >= meter.removed_on
    state = NewState(meter.meter_id, meter.new_reading_id, reading.on, 0, month, closed)
    return MeterPlan(lines, state)


def history_start(meter: MeterInput, lookback_months: int) -> Snapshot | None:
    """The earliest accepted actual reading at most `lookback_months` calendar months before L, the
    installation reading included (DESIGN.md "Charges" 2): the average and the zone shares both use it."""
    since = months_before(meter.last.on, lookback_months)
    candidates = [
        snapshot
        for snapshot in (meter.history_start, meter.installation)
        if snapshot is not None and since <= snapshot.on < meter.last.on
    ]
    return min(candidates, key=lambda snapshot: snapshot.on, default=None)


def _estimate(meter: MeterInput, *, month: date, tariffs, norms, rules: Rules) -> MeterPlan:
    month_number = meter.estimated_months + 1
    earliest = history_start(meter, rules.lookback_months)
    average = average_estimate(
        last=meter.last,
        earliest=earliest,
        month=month,
        register_digits=meter.register_digits,
        multiplier=meter.multiplier,
        min_history_days=rules.min_history_days,
    )
    basis = estimate_basis(month_number=month_number, cap=rules.cap, average_possible=average is not None)
    if basis == AVERAGE:
        volumes = average
    else:
        history = (
            used_between(earliest, meter.last, register_digits=meter.register_digits, multiplier=meter.multiplier)
            if earliest is not None
            else None
        )
        norm_day, norm = max(((day, kwh) for day, kwh in norms if day <= month), default=(None, None))
        if norm is None:
            raise LookupError(f"no norm for category {meter.category} in force on {month.isoformat()}")
        volumes = norm_estimate(
            norm_per_resident=norm,
            residents=meter.residents,
            shares=zone_shares(history, meter.zones, rules.default_shares),
        )
    start, end = month - timedelta(days=1), month.replace(day=days_in(month))
    lines = []
    for zone in meter.zones:
        lines += _priced(meter, zone, basis, volumes[zone], tariffs, start, end, estimate_number=month_number)
    state = NewState(meter.meter_id, meter.last_reading_id, meter.last.on, month_number, month, False)
    return MeterPlan(lines, state)
