"""Staff: readings are read-only, flagged readings are reviewed, staff enter readings, the channel report."""

import datetime

import pytest
import time_machine
from django.utils import timezone, translation

from readings.models import Channel, Reading, ReadingDecision
from readings.report import in_thousands, readings_by_channel_and_day
from readings.services import reading_submit
from tests.factories import ReadingFactory, UserFactory
from tests.html import page_text
from tests.readings.conftest import aware

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def pending(two_zone_meter):
    on = datetime.date(2026, 12, 2)
    return reading_submit(
        meter=two_zone_meter,
        values={"day": "29000", "night": "14400"},
        reading_date=on,
        channel=Channel.SMS,
        submitted_by=None,
        now=aware(on),
        today=on,
    ).reading


def test_readings_cannot_be_added_changed_or_deleted_in_the_admin(staff_client, two_zone_meter):
    reading = Reading.objects.filter(meter=two_zone_meter).first()
    assert staff_client.get("/en/admin/readings/reading/add/").status_code == 403
    response = staff_client.post(f"/en/admin/readings/reading/{reading.pk}/change/", {"day": "1"})
    assert response.status_code == 403
    assert staff_client.post(f"/en/admin/readings/reading/{reading.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Reading.objects.filter(pk=reading.pk, day=reading.day).exists()


def test_review_queue_lists_flagged_readings_and_staff_accept_one(staff_client, pending):
    queue = page_text(staff_client.get("/en/admin/readings/reading/review/"))
    assert "1 reading waits for a decision." in queue and "02000007" in queue
    page = page_text(staff_client.get(f"/en/admin/readings/reading/review/{pending.pk}/"))
    assert "History of this meter" in page and "27893" in page
    assert "1107 / 486" in page  # what the flagged reading would mean, for the reviewer
    response = staff_client.post(
        f"/en/admin/readings/reading/review/{pending.pk}/", {"decision": "accept", "reason": ""}
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == "accepted"
    assert ReadingDecision.objects.get().decision == "accept"


def test_a_rejection_needs_a_reason(staff_client, pending):
    response = staff_client.post(
        f"/en/admin/readings/reading/review/{pending.pk}/", {"decision": "reject", "reason": ""}
    )
    assert response.status_code == 200
    assert "Say why, in words the customer understands." in page_text(response)
    pending.refresh_from_db()
    assert pending.status == "pending_review"


@time_machine.travel("2026-11-26 10:00 +0200", tick=False)
def test_staff_enter_a_reading_even_outside_a_strict_window(staff_client, dek):
    from tests.factories import MeterFactory

    MeterFactory(account__district=dek, serial_number="D-1", installed_on=datetime.date(2026, 1, 1))
    page = page_text(staff_client.get("/en/admin/readings/reading/enter/?serial=d-1"))
    assert "Meter D-1" in page
    response = staff_client.post(
        "/en/admin/readings/reading/enter/", {"serial": "D-1", "total": "1250", "reading_date": "2026-11-26"}
    )
    assert response.status_code == 302
    reading = Reading.objects.get(meter__serial_number="D-1")
    assert (reading.channel, reading.total, reading.billing_month) == ("staff", 1250, datetime.date(2026, 12, 1))


def test_channel_report_counts_by_day_and_channel_and_says_it_like_a_press_release(staff_client, two_zone_meter):
    meter = two_zone_meter
    for index, channel in enumerate(["web_form", "web_form", "cabinet", "api", "ivr"]):
        ReadingFactory(
            meter=meter,
            zone_set="day+night",
            total=None,
            day=30000 + index,
            night=15000,
            reading_date=datetime.date(2026, 11, 20) + datetime.timedelta(days=index),
            channel=channel,
            submitted_at=aware(datetime.date(2026, 11, 29) + datetime.timedelta(days=index % 2)),
            billing_month=datetime.date(2026, 11, 1),
        )
    with translation.override("en"):  # the labels are translated when the report is made
        report = readings_by_channel_and_day(start=datetime.date(2026, 11, 29), end=datetime.date(2026, 12, 1))
    assert report.total == 5
    assert report.by_channel == {"web_form": 2, "cabinet": 1, "api": 1, "ivr": 1}
    assert report.by_day[datetime.date(2026, 11, 29)] == 3 and report.by_day[datetime.date(2026, 12, 1)] == 0
    assert report.published[:3] == [
        ("through the site without registration", 2),
        ("through the cabinet and the app", 2),
        ("by voice menu", 1),
    ]
    page = page_text(
        staff_client.get("/en/admin/readings/reading/report/", {"start": "2026-11-29", "end": "2026-12-01"})
    )
    assert "From Nov. 29, 2026 to Dec. 1, 2026: 5 readings" in page
    assert "2 through the site without registration, 2 through the cabinet and the app, 1 by voice menu." in page


@pytest.mark.parametrize(
    ("count", "text"), [(61_100, "61.1 thousand"), (15_000, "15 thousand"), (7_480, "7.5 thousand"), (950, "950")]
)
def test_published_figures(count, text):
    from django.utils import translation

    with translation.override("en"):
        assert in_thousands(count) == text


def test_report_day_follows_kyiv_time(two_zone_meter):
    late = timezone.make_aware(datetime.datetime(2026, 11, 29, 23, 30))  # 21:30 UTC, still the 29th in Kyiv
    ReadingFactory(
        meter=two_zone_meter,
        zone_set="day+night",
        total=None,
        day=30000,
        night=15000,
        reading_date=datetime.date(2026, 11, 29),
        submitted_at=late,
        billing_month=datetime.date(2026, 11, 1),
    )
    report = readings_by_channel_and_day(start=datetime.date(2026, 11, 29), end=datetime.date(2026, 11, 29))
    assert report.total == 1


def test_channel_report_counts_viber_messenger_and_email(staff_client, two_zone_meter):
    channels = ["chatbot", "viber", "viber", "messenger", "email", "sms"]
    for index, channel in enumerate(channels):
        ReadingFactory(
            meter=two_zone_meter,
            zone_set="day+night",
            total=None,
            day=30000 + index,
            night=15000,
            reading_date=datetime.date(2026, 11, 20) + datetime.timedelta(days=index),
            channel=channel,
            submitted_at=aware(datetime.date(2026, 11, 29)),
            billing_month=datetime.date(2026, 11, 1),
        )
    with translation.override("en"):
        report = readings_by_channel_and_day(start=datetime.date(2026, 11, 29), end=datetime.date(2026, 11, 29))
    assert report.by_channel == {"chatbot": 1, "viber": 2, "messenger": 1, "sms": 1, "email": 1}
    assert report.published == [("by chatbots", 4), ("by SMS", 1), ("by email", 1)]
    page = page_text(
        staff_client.get("/en/admin/readings/reading/report/", {"start": "2026-11-29", "end": "2026-11-29"})
    )
    assert "4 by chatbots, 1 by SMS, 1 by email." in page
    assert "Viber" in page and "Facebook Messenger" in page  # each channel's own column


def test_export_readings_writes_the_new_channels(two_zone_meter):
    import csv
    import io

    from django.core.management import call_command

    for index, channel in enumerate(["viber", "messenger", "email"]):
        ReadingFactory(
            meter=two_zone_meter,
            zone_set="day+night",
            total=None,
            day=28000 + index,
            night=14000,
            reading_date=datetime.date(2026, 11, 20) + datetime.timedelta(days=index),
            channel=channel,
            billing_month=datetime.date(2026, 11, 1),
        )
    out = io.StringIO()
    call_command("export_readings", "--from", "2026-11-20", "--to", "2026-11-30", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(row["reading_date"], row["channel"], row["day"]) for row in rows] == [
        ("2026-11-20", "viber", "28000"),
        ("2026-11-21", "messenger", "28001"),
        ("2026-11-22", "email", "28002"),
    ]
