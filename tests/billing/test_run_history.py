"""Issue 13, defect 1: the installation reading counts as history for the average and the zone shares
(DESIGN.md "Charges" 2: "the earliest accepted actual reading at most 6 calendar months before L (the
installation reading counts)"). Tariff 4.32 UAH/kWh, night 2.16; 4.80 / 2.40 from 15 November 2026."""

import datetime
from decimal import Decimal

import pytest

from billing.models import Charge
from readings.zones import TWO_ZONE
from tests.billing.helpers import read_two_zone as read
from tests.billing.test_run import bill, lines
from tests.factories import MeterFactory, PersonalAccountFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def installed_in_may(prices, kyiv):
    """Installed 13 May 2026 at day 1000 / night 500; read 31 July and 30 September; nothing in October."""
    account = PersonalAccountFactory(district=kyiv, residents=1)
    meter = MeterFactory(
        account=account, zone_set=TWO_ZONE, installed_on=D(2026, 5, 13), install_day=1000, install_night=500
    )
    read(meter, D(2026, 7, 31), 1400, 650)
    read(meter, D(2026, 9, 30), 1980, 920)
    bill(D(2026, 7, 1), "actual", D(2026, 8, 3))
    bill(D(2026, 8, 1), "final", D(2026, 9, 4))  # 13 May - 31 July is 79 days: August by the norm
    bill(D(2026, 9, 1), "actual", D(2026, 10, 3))
    return meter


def test_october_is_estimated_by_the_average_since_the_installation(installed_in_may):
    bill(D(2026, 10, 1), "final", D(2026, 11, 4))
    # L = 30 September; the earliest reading within 6 months of it is the installation of 13 May: 140 days,
    # day 1980 - 1000 = 980, night 920 - 500 = 420. October: 980 x 31 / 140 = 217, 420 x 31 / 140 = 93.
    assert lines(installed_in_may, D(2026, 10, 1)) == [
        ("day", "average", 217, Decimal("4.32000"), Decimal("937.44"), D(2026, 9, 30), D(2026, 10, 31)),
        ("night", "average", 93, Decimal("2.16000"), Decimal("200.88"), D(2026, 9, 30), D(2026, 10, 31)),
    ]


def test_the_norm_after_the_cap_takes_its_zone_shares_from_the_same_span(installed_in_may):
    for month in (D(2026, 10, 1), D(2026, 11, 1), D(2026, 12, 1), D(2027, 1, 1)):
        bill(month, "final", month.replace(day=28) + datetime.timedelta(days=7))
    # January is the 4th estimated month: the norm, 65 kWh x 1 resident, split 980 : 420 (13 May - 30 September)
    # = 45.5 / 19.5, the tie going to the earlier zone: day 46, night 19 (July - September alone: 44 / 21).
    january = list(
        Charge.objects.filter(meter=installed_in_may, billing_month=D(2027, 1, 1))
        .order_by("zone")
        .values_list("zone", "basis", "volume_kwh", "amount")
    )
    assert january == [
        ("day", "norm", 46, Decimal("220.80")),  # 46 x 4.80
        ("night", "norm", 19, Decimal("45.60")),  # 19 x 2.40
    ]


def test_the_reading_after_reverses_the_average_at_its_own_volume_and_price(installed_in_may):
    bill(D(2026, 10, 1), "final", D(2026, 11, 4))
    read(installed_in_may, D(2026, 11, 10), 2300, 1050)
    bill(D(2026, 11, 1), "actual", D(2026, 12, 3))
    reversals = [line for line in lines(installed_in_may, D(2026, 11, 1)) if line[1] == "reversal"]
    assert [(zone, volume, amount) for zone, _, volume, _, amount, _, _ in reversals] == [
        ("day", -217, Decimal("-937.44")),
        ("night", -93, Decimal("-200.88")),
    ]
