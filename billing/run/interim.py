"""Interim charges: the customer's "Generate invoice" bills newer readings before its invoice (DESIGN.md
"Charges" 3), with the run's own decision and writes, outside any run."""

from collections import defaultdict
from datetime import date, datetime
from types import SimpleNamespace

from accounts.models import PersonalAccount
from accounts.windows import add_months
from billing.run.plan import PASS_ACTUAL, plan_meter
from billing.run.selectors import billing_rules, meter_inputs, tariff_versions
from billing.run.writes import insert_charges, upsert_states
from readings.models import Reading


def interim_bill(*, account: PersonalAccount, today: date, now: datetime) -> int:
    """Bill any accepted reading newer than each meter's L as an interim actual charge (DESIGN.md
    "Charges" 3): what a self-generated invoice does first. The reading's month then counts as actual."""
    # A reading submitted in the window at the end of a month may belong to the next one.
    horizon = add_months(today, 1)
    chunk = SimpleNamespace(first_account_id=account.pk, last_account_id=account.pk)
    probe = SimpleNamespace(month=horizon, run_date=today, pass_name=PASS_ACTUAL, pk=None)
    inputs = [meter for meter in meter_inputs(chunk, probe) if meter.new_reading_id]
    if not inputs:
        return 0
    months = dict(
        Reading.objects.filter(pk__in=[meter.new_reading_id for meter in inputs]).values_list("pk", "billing_month")
    )
    tariffs, rules = tariff_versions(), billing_rules()
    lines_by_month: dict[date, list] = defaultdict(list)
    states = []
    for meter in inputs:
        month = months[meter.new_reading_id]
        plan = plan_meter(
            meter, month=month, pass_name=PASS_ACTUAL, tariffs=tariffs.get(meter.category, []), norms=[], rules=rules
        )
        lines_by_month[month] += plan.lines
        states += [plan.state] if plan.state else []
    for month, lines in lines_by_month.items():
        insert_charges(lines, run=SimpleNamespace(month=month, pk=None), now=now)
    upsert_states(states)
    return sum(len(lines) for lines in lines_by_month.values())
