"""Meters and readings: zone sets, registers and the append-only rule, enforced by the database."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from readings.models import AppendOnlyError, Reading, ReadingStatus
from readings.zones import THREE_ZONE, TWO_ZONE
from tests.factories import MeterFactory, ReadingFactory

pytestmark = pytest.mark.django_db


def refused(callable_, *args, **kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_(*args, **kwargs)


def test_duplicate_meter_serial_is_refused():
    meter = MeterFactory()
    refused(MeterFactory, serial_number=meter.serial_number)


@pytest.mark.parametrize(
    "fields",
    [
        {"zone_set": "day+peak"},
        {"multiplier": 0},
        {"register_digits": 3},
        {"register_digits": 10},
        {"serial_number": "AB 12"},
        {"removed_on": datetime.date(2020, 1, 1)},  # before installation
        {"install_day": 5},  # a one-zone meter has no day register
        {"install_total": None},  # and its total is required
    ],
)
def test_invalid_meters_are_refused_by_the_database(fields):
    refused(MeterFactory, **fields)


def test_two_and_three_zone_meters_need_exactly_their_zones():
    MeterFactory(zone_set=TWO_ZONE)
    MeterFactory(zone_set=THREE_ZONE)
    refused(MeterFactory, zone_set=TWO_ZONE, install_night=None)


def test_reading_values_must_fit_the_zones():
    meter = MeterFactory(zone_set=TWO_ZONE)
    refused(ReadingFactory, meter=meter, total=100)  # day/night missing, total present
    ReadingFactory(meter=meter, total=None, day=1100, night=550)


def test_reading_billing_month_is_a_first_day():
    refused(ReadingFactory, billing_month=datetime.date(2026, 10, 31))


def test_reading_channel_and_status_must_be_known():
    refused(ReadingFactory, channel="pigeon")
    refused(ReadingFactory, status="maybe")


def test_one_current_reading_per_meter_and_date():
    reading = ReadingFactory()
    refused(ReadingFactory, meter=reading.meter, reading_date=reading.reading_date)


def test_a_superseded_or_rejected_reading_leaves_room_for_the_correction():
    first = ReadingFactory()
    first.superseded_at = timezone.now()
    first.save(update_fields=["superseded_at"])
    correction = ReadingFactory(meter=first.meter, reading_date=first.reading_date, total=1250, supersedes=first)
    correction.status = ReadingStatus.REJECTED
    correction.save(update_fields=["status"])
    ReadingFactory(meter=first.meter, reading_date=first.reading_date, total=1260)
    assert Reading.objects.filter(meter=first.meter).count() == 3
    assert list(Reading.objects.filter(meter=first.meter).current().values_list("total", flat=True)) == [1260]


def test_readings_are_never_deleted():
    reading = ReadingFactory()
    with pytest.raises(AppendOnlyError):
        reading.delete()
    with pytest.raises(AppendOnlyError):
        Reading.objects.filter(pk=reading.pk).delete()
    assert Reading.objects.filter(pk=reading.pk).exists()


def test_reading_values_are_never_edited():
    reading = ReadingFactory()
    reading.total = 9999
    with pytest.raises(AppendOnlyError):
        reading.save()
    with pytest.raises(AppendOnlyError):
        reading.save(update_fields=["total"])
    reading.refresh_from_db()
    assert reading.total == 1200


def test_meter_clean_checks_labels_and_register_digits():
    from django.core.exceptions import ValidationError

    meter = MeterFactory.build(register_labels={"day": ["T22"]})
    with pytest.raises(ValidationError, match="zones the meter does not have"):
        meter.clean()
    meter = MeterFactory.build(register_digits=4, install_total=10_000)
    with pytest.raises(ValidationError):
        meter.clean()
