import datetime
from decimal import Decimal

import pytest

from billing.models import Norm, Tariff
from tests.readings.conftest import dek, kyiv, postgresql_only  # noqa: F401 - shared fixtures


@pytest.fixture
def prices(db):
    """4.32 UAH/kWh (night half price) from 2025, 4.80 from 15 November 2026; norm 65 kWh per resident."""
    for effective_from, base in (
        (datetime.date(2025, 1, 1), Decimal("4.32")),
        (datetime.date(2026, 11, 15), Decimal("4.80")),
    ):
        for zone, price in (
            ("total", base),
            ("day", base),
            ("night", base / 2),
            ("peak", base * Decimal("1.5")),
            ("half_peak", base),
        ):
            Tariff.objects.create(category="household", effective_from=effective_from, zone=zone, price=price)
    Norm.objects.create(category="household", effective_from=datetime.date(2025, 1, 1), kwh_per_resident=Decimal("65"))
