"""`export_charges --month YYYY-MM`: the month's charges in the stable CSV format (DESIGN.md), in account, meter
and zone order, and only that month's."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import ChargeFactory, MeterFactory, PersonalAccountFactory

pytestmark = pytest.mark.django_db

OCTOBER = datetime.date(2026, 10, 1)


def export(month: str) -> list[str]:
    out = io.StringIO()
    call_command("export_charges", "--month", month, stdout=out)
    return out.getvalue().splitlines()


def test_export_charges_writes_the_month_in_the_stable_format():
    second = MeterFactory(account=PersonalAccountFactory(number="1000000002"), serial_number="S-2")
    first = MeterFactory(account=PersonalAccountFactory(number="1000000001"), serial_number="S-1", zone_set="day+night")
    ChargeFactory(meter=second, volume_kwh=100)
    ChargeFactory(meter=first, zone="night", basis="average", volume_kwh=60, price=Decimal("2.16000"))
    ChargeFactory(meter=first, zone="day", basis="average", volume_kwh=140)
    ChargeFactory(meter=first, zone="day", basis="average", volume_kwh=5, billing_month=datetime.date(2026, 11, 1))
    assert export("2026-10") == [
        "account_number,meter_serial,zone,basis,volume_kwh,price,amount,month",
        "1000000001,S-1,day,average,140,4.32000,604.80,2026-10",
        "1000000001,S-1,night,average,60,2.16000,129.60,2026-10",
        "1000000002,S-2,total,norm,100,4.32000,432.00,2026-10",
    ]
    assert export("2026-09") == ["account_number,meter_serial,zone,basis,volume_kwh,price,amount,month"]


def test_export_charges_refuses_a_month_not_in_the_format():
    with pytest.raises(CommandError, match="--month must be YYYY-MM"):
        export("10/2026")
