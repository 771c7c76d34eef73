"""Helpers the billing tests share (not fixtures): readings as customers pass them."""

from readings.zones import TWO_ZONE
from tests.factories import ReadingFactory
from tests.readings.conftest import aware


def read_two_zone(meter, on, day, night, submitted=None):
    """An accepted day/night reading as of `on`, submitted on `submitted` (default the same day), its billing
    month fixed by the district's window as a real submission would."""
    submitted = submitted or on
    return ReadingFactory(
        meter=meter,
        zone_set=TWO_ZONE,
        total=None,
        day=day,
        night=night,
        reading_date=on,
        billing_month=meter.account.district.window.billing_month(submitted),
        submitted_at=aware(submitted),
    )
