"""Sums of money read back to the kopeck on both databases.

SQLite (the default of `make run`) stores and sums decimals as floats: 0.10 + 0.20 - 0.30 came back as
5.55E-17, so a settled account showed a balance that was not zero and `balance > 0` said "to pay". The
property test of the run found it (an estimate and its reversal summing to 5.68E-14)."""

from datetime import date
from decimal import Decimal

import pytest

from billing.selectors import account_charges_by_month, account_money
from tests.factories import ChargeFactory, MeterFactory

pytestmark = pytest.mark.django_db


def settled_meter():
    """A meter whose October has two lines and a reversal of both: 0.10 + 0.20 - 0.30."""
    meter = MeterFactory()
    for amount, day in (("0.10", 1), ("0.20", 2), ("-0.30", 3)):
        ChargeFactory(meter=meter, amount=Decimal(amount), span_start=date(2026, 10, day))
    return meter


def test_a_settled_account_has_a_balance_of_zero_kopecks():
    meter = settled_meter()
    money = account_money(meter.account)
    assert money.balance == Decimal("0.00") and str(money.balance) == "0.00"
    assert not money.balance > 0


def test_a_month_whose_lines_cancel_shows_zero_hryvnias():
    meter = settled_meter()
    (month,) = account_charges_by_month(meter.account)
    (group,) = month.groups
    assert str(group.amount) == "0.00" and str(month.total) == "0.00"
