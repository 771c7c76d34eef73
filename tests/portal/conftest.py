import datetime

import pytest

from readings.zones import TWO_ZONE
from tests.factories import AccountLinkFactory, DistrictFactory, MeterFactory, ReadingFactory, UserFactory
from tests.readings.conftest import dek, postgresql_only, two_zone_meter  # noqa: F401 - shared fixtures


@pytest.fixture
def customer(db):
    return UserFactory(email="olena@example.com")


@pytest.fixture
def kyiv(db):
    return DistrictFactory(code="KYIV", name="Київська філія", contact_phone="0 800 300 150")


@pytest.fixture
def two_zone_account(customer, kyiv):
    """The customer's Kyiv account with a two-zone meter and one accepted reading."""
    link = AccountLinkFactory(
        user=customer,
        account__number="1000100001",
        account__district=kyiv,
        account__address="м. Київ, вул. Шевченка, буд. 1",
    )
    meter = MeterFactory(account=link.account, serial_number="02000007", zone_set=TWO_ZONE)
    ReadingFactory(
        meter=meter,
        reading_date=datetime.date(2026, 10, 31),
        billing_month=datetime.date(2026, 10, 1),
        total=None,
        day=27893,
        night=13914,
    )
    return link.account
