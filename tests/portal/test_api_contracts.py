"""API contracts: money as decimal strings everywhere, validation errors as portal codes and translated
messages (never Python's text), and Idempotency-Key records purged after 48 hours."""

import datetime
import json
import uuid
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from rest_framework.test import APIClient

from portal.models import ApiClient, IdempotencyRecord
from portal.tasks import idempotency_records_purge_task
from readings.models import Reading
from tests.factories import ChargeFactory

pytestmark = pytest.mark.django_db

READINGS = "/api/v1/integrations/readings/"


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel("2026-11-20 10:00 +02:00", tick=False) as clock:
        yield clock


def integration(language="en"):
    client = ApiClient(name=f"ivr-{uuid.uuid4().hex[:6]}", channel="ivr", scopes=["readings:write", "accounts:verify"])
    key = client.new_key()
    client.save()
    api = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return api


def customer_api(two_zone_meter):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(two_zone_meter.account.links.get().user)
    return api


def floats_in(value, path="$"):
    if isinstance(value, float):
        return [path]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in floats_in(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in floats_in(item, f"{path}[{index}]")]
    return []


def test_charges_send_money_as_decimal_strings(two_zone_meter):
    # 893 kWh x 4.32 = 3857.76 (a float would print 3857.7599999999998 in some clients, and 4.32 not 4.32000).
    ChargeFactory(meter=two_zone_meter, zone="day", volume_kwh=893, price=Decimal("4.32000"))
    response = customer_api(two_zone_meter).get("/api/v1/accounts/1000100001/charges/")
    assert response.status_code == 200
    raw = json.loads(response.content)  # what the client parses, not DRF's in-memory data
    assert raw[0]["price"] == "4.32000" and raw[0]["amount"] == "3857.76"
    assert raw[0]["volume_kwh"] == 893


def test_no_customer_endpoint_answers_with_a_float(two_zone_meter):
    ChargeFactory(meter=two_zone_meter, zone="day", volume_kwh=893, price=Decimal("4.32000"))
    api = customer_api(two_zone_meter)
    for path in (
        "/api/v1/accounts/",
        "/api/v1/accounts/1000100001/",
        "/api/v1/accounts/1000100001/charges/",
        "/api/v1/accounts/1000100001/invoices/",
        "/api/v1/accounts/1000100001/payments/",
        "/api/v1/accounts/1000100001/meters/02000007/readings/",
    ):
        response = api.get(path)
        assert response.status_code == 200, path
        assert floats_in(json.loads(response.content)) == [], path


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "A valid integer is required."), ("uk", "Необхідне цілочисельне значення.")],
)
def test_a_nested_validation_error_is_a_code_and_a_translated_message_per_dotted_field(
    two_zone_meter, language, message
):
    body = {"account_number": "1000100001", "meter_serial": "02000007", "values": {"day": "abc", "night": 14010}}
    response = integration(language).post(READINGS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"] == {"values.day": [message]}
    assert error["field_codes"] == {"values.day": ["invalid"]}
    assert "ErrorDetail" not in response.content.decode() and "{'" not in response.content.decode()
    assert not Reading.objects.filter(reading_date="2026-11-20").exists()


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Unknown zones: dya. The zones are: total, day, night, peak, half_peak."),
        ("ru", "Неизвестные зоны: dya. Зоны: total, day, night, peak, half_peak."),
    ],
)
def test_an_unknown_zone_has_its_own_code_and_a_translated_message(two_zone_meter, language, message):
    body = {"account_number": "1000100001", "meter_serial": "02000007", "values": {"dya": 1, "night": 14010}}
    response = integration(language).post(READINGS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    error = response.json()["error"]
    assert error["fields"] == {"values": [message]}
    assert error["field_codes"] == {"values": ["unknown_zone"]}


def test_idempotency_records_older_than_48_hours_are_purged_by_the_periodic_task(two_zone_meter, frozen_time):
    now = timezone.now()
    for hours, key in ((49, "old"), (47, "recent"), (1, "fresh")):
        IdempotencyRecord.objects.create(
            owner="client:1",
            key=key,
            request_hash="x",
            status_code=201,
            created_at=now - datetime.timedelta(hours=hours),
        )
    assert idempotency_records_purge_task() == 1
    assert sorted(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh", "recent"]
    assert idempotency_records_purge_task() == 0  # twice is harmless
    frozen_time.shift(datetime.timedelta(hours=2))
    assert idempotency_records_purge_task() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]


def test_the_purge_is_scheduled_hourly():
    call_command("setup_periodic_tasks")
    task = PeriodicTask.objects.get(name="API: purge old idempotency records")
    assert task.task == "portal.tasks.idempotency_records_purge_task"
    assert (task.interval.every, task.interval.period) == (60, "minutes")
