import datetime

import factory
from django.utils import timezone

from readings.models import Channel, Meter, Reading
from readings.zones import DEFAULT_REGISTER_LABELS, ONE_ZONE, ZONE_SETS
from tests.factories.accounts import PersonalAccountFactory


class MeterFactory(factory.django.DjangoModelFactory):
    """A one-zone meter by default; pass zone_set and matching install_* values for others."""

    class Meta:
        model = Meter

    account = factory.SubFactory(PersonalAccountFactory)
    serial_number = factory.Sequence(lambda n: f"{7000000 + n}")
    zone_set = ONE_ZONE
    register_labels = factory.LazyAttribute(lambda meter: DEFAULT_REGISTER_LABELS.get(meter.zone_set, {}))
    register_digits = 6
    installed_on = datetime.date(2024, 1, 15)
    install_total = factory.LazyAttribute(lambda meter: 1000 if "total" in ZONE_SETS.get(meter.zone_set, ()) else None)
    install_day = factory.LazyAttribute(lambda meter: 1000 if "day" in ZONE_SETS.get(meter.zone_set, ()) else None)
    install_night = factory.LazyAttribute(lambda meter: 500 if "night" in ZONE_SETS.get(meter.zone_set, ()) else None)
    install_peak = factory.LazyAttribute(lambda meter: 300 if "peak" in ZONE_SETS.get(meter.zone_set, ()) else None)
    install_half_peak = factory.LazyAttribute(
        lambda meter: 600 if "half_peak" in ZONE_SETS.get(meter.zone_set, ()) else None
    )


class ReadingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reading

    meter = factory.SubFactory(MeterFactory)
    zone_set = factory.LazyAttribute(lambda reading: reading.meter.zone_set)
    reading_date = datetime.date(2026, 10, 31)
    billing_month = datetime.date(2026, 10, 1)
    channel = Channel.CABINET
    total = factory.LazyAttribute(lambda reading: 1200 if reading.zone_set == ONE_ZONE else None)
    # Submitted on the day it reads (09:00 local), not whenever the test runs: reports by day and
    # "submitted by the run date" then give the same answer on any day of the month.
    submitted_at = factory.LazyAttribute(
        lambda reading: min(
            timezone.now(),
            timezone.make_aware(datetime.datetime.combine(reading.reading_date, datetime.time(9))),
        )
    )
