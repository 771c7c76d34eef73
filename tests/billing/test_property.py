"""Property: whatever the gaps, once a real reading arrives the customer has paid for exactly what the
meter measured, zone by zone, in kWh and in money at the prices in force on each day (estimates are reversed
at their own volume and price), whatever the meter's multiplier. The money is recomputed by the test's own
model of DESIGN.md (tests/billing/model.py), not by the project's pricing."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.windows import add_months
from billing.estimates import Snapshot, days_in
from billing.run.plan import PASS_FINAL, MeterInput, OpenEstimate, Rules, plan_meter
from billing.tariffs.versions import TariffVersion
from tests.billing import model

TARIFFS = [
    TariffVersion(date(2020, 1, 1), {"day": Decimal("4.32000"), "night": Decimal("2.16000")}),
    TariffVersion(date(2025, 6, 15), {"day": Decimal("4.80000"), "night": Decimal("2.40000")}),
]
NORMS = [(date(2020, 1, 1), Decimal("65"))]

month_plans = st.lists(
    st.one_of(st.none(), st.tuples(st.integers(0, 600), st.integers(0, 300))),  # None = no reading that month
    min_size=2,
    max_size=18,
)


@settings(max_examples=150, deadline=None)
@given(month_plans, st.integers(min_value=4, max_value=6), st.sampled_from([0, 3]), st.sampled_from([1, 30, 200]))
def test_after_an_actual_reading_the_customer_paid_exactly_what_was_measured(plans, digits, cap, multiplier):
    span = 10**digits
    install = {"day": span - 200, "night": 100}  # the day register rolls over early on
    installed_on = date(2024, 1, 10)
    values = dict(install)
    last = Snapshot(dict(install), installed_on)
    last_reading_id, estimated, open_estimates, charged = None, 0, [], {"day": 0, "night": 0}
    paid, spans = Decimal("0.00"), []
    history: list[Snapshot] = [last]
    next_id = 1
    month = date(2024, 2, 1)
    for step, used in enumerate(plans + [(1, 1)]):  # always end with a real reading
        reading = None
        if used is not None:
            values = {"day": (values["day"] + used[0]) % span, "night": (values["night"] + used[1]) % span}
            reading = Snapshot(dict(values), month.replace(day=days_in(month)) - timedelta(days=step % 3))
        six_before = add_months(last.on.replace(day=1), -6)
        start = next((snap for snap in history if snap.on >= six_before and snap.on < last.on), None)
        meter = MeterInput(
            meter_id=1,
            account_id=1,
            zones=("day", "night"),
            register_digits=digits,
            multiplier=multiplier,
            installed_on=installed_on,
            removed_on=None,
            category="household",
            residents=2,
            last=last,
            last_reading_id=last_reading_id,
            estimated_months=estimated,
            last_billed_month=None,
            closed=False,
            new_reading_id=next_id if reading else None,
            new_reading=reading,
            open_estimates=tuple(open_estimates),
            history_start=start,
        )
        plan = plan_meter(meter, month=month, pass_name=PASS_FINAL, tariffs=TARIFFS, norms=NORMS, rules=Rules(cap=cap))
        for line in plan.lines:
            charged[line.zone] += line.volume
            paid += line.amount
        if reading:
            spans.append((last.on, reading.on, used))
            open_estimates = []
            last, last_reading_id, estimated = reading, next_id, 0
            history.append(reading)
            next_id += 1
        else:
            open_estimates += [
                OpenEstimate(next_id * 100 + index, line.zone, line.volume, line.price, line.amount)
                for index, line in enumerate(plan.lines)
            ]
            estimated = plan.state.estimated_months
        month = add_months(month, 1)
    measured = {
        zone: multiplier * sum(step[index] for step in plans + [(1, 1)] if step)
        for index, zone in enumerate(("day", "night"))
    }
    assert charged == measured
    # The money of what was measured, span by span between real readings, at the prices of its days.
    versions = [(version.effective_from, version.prices) for version in TARIFFS]
    expected = sum(
        (
            line.amount
            for start, end, used in spans
            for index, zone in enumerate(("day", "night"))
            for line in model.priced(zone, "actual", used[index] * multiplier, start, end, versions)
        ),
        Decimal("0.00"),
    )
    assert paid == expected
