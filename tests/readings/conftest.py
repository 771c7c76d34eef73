import datetime

import pytest
from django.utils import timezone

from readings.zones import TWO_ZONE
from tests.factories import AccountLinkFactory, DistrictFactory, MeterFactory, ReadingFactory


@pytest.fixture
def kyiv(db):
    return DistrictFactory(code="KYIV", name="Київська філія")


@pytest.fixture
def dek(db):
    return DistrictFactory(
        code="DEK",
        name="ДЕК",
        window_open_day=20,
        window_close_month_offset=0,
        window_close_day=25,
        window_policy="strict",
    )


@pytest.fixture
def two_zone_meter(kyiv):
    """Kyiv two-zone meter: installed 15 Jan 2026 at 27 000 / 13 500, read on 30 April and 30 October."""
    link = AccountLinkFactory(account__district=kyiv, account__number="1000100001")
    meter = MeterFactory(
        account=link.account,
        serial_number="02000007",
        zone_set=TWO_ZONE,
        installed_on=datetime.date(2026, 1, 15),
        install_day=27000,
        install_night=13500,
    )
    for day, night, on in ((27400, 13700, datetime.date(2026, 4, 30)), (27893, 13914, datetime.date(2026, 10, 30))):
        ReadingFactory(
            meter=meter,
            zone_set=TWO_ZONE,
            total=None,
            day=day,
            night=night,
            reading_date=on,
            billing_month=on.replace(day=1),
        )
    return meter


@pytest.fixture
def postgresql_only(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks and real concurrency need PostgreSQL (CI runs this on PostgreSQL)")


def aware(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))
