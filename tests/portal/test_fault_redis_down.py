"""Finding 1 of issue 15: with Redis down, the pages that need it only for rate limits keep working.

The test starts its own redis-server, counts a limit in it, kills it, and then signs up, logs in, asks for
a password reset, looks an account up on the public form, texts a reading and verifies an account through
the API: each answers what the customer reads, never a 500. The limits still hold, per process.
"""

import hashlib
import hmac
import json
import logging

import pytest
import redis
import time_machine
from rest_framework.test import APIClient

from accounts.models import User
from portal.models import ApiClient
from readings.models import Reading, SmsContract
from tests.factories import MeterFactory, PersonalAccountFactory, UserFactory
from tests.html import page_text
from tests.servers import own_redis

pytestmark = pytest.mark.django_db

PASSWORD = "Kyiv-Energy-2026!"


@pytest.fixture
def limits_redis(settings):
    """The rate-limit cache on a Redis this test owns (and will kill)."""
    with own_redis() as server:
        settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": server.url()}}
        yield server


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel("2026-11-20 10:00 +02:00", tick=False):
        yield


def sms(client, settings, body):
    raw = json.dumps(body).encode()
    signature = hmac.new(settings.SMS_WEBHOOK_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return client.post("/channels/sms/inbound/", raw, content_type="application/json", HTTP_X_SIGNATURE=signature)


def test_redis_down_degrades_every_limited_page_to_a_local_limit_never_a_500(
    client, settings, limits_redis, two_zone_meter, caplog
):
    settings.PUBLIC_FORM_FAILURES_PER_PAIR = 3
    client.post("/en/readings/", {"account_number": "1", "meter_serial": "2"})
    assert redis.Redis.from_url(limits_redis.url()).dbsize() >= 1, (
        "the failed lookup is counted in Redis while it is up"
    )

    limits_redis.stop()
    caplog.set_level(logging.WARNING, logger="accounts.ratelimit")

    signup = client.post(
        "/en/accounts/signup/", {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert signup.status_code == 302 and User.objects.filter(email="new@example.com").exists()
    client.logout()

    user = UserFactory(email="anna@example.com")
    user.set_password(PASSWORD)
    user.save()
    wrong = client.post("/en/accounts/login/", {"login": "anna@example.com", "password": "not-it"})
    assert wrong.status_code == 200
    assert "The email address and/or password you specified are not correct." in page_text(wrong)
    right = client.post("/en/accounts/login/", {"login": "anna@example.com", "password": PASSWORD})
    assert right.status_code == 302
    client.logout()

    reset = client.post("/en/accounts/password/reset/", {"email": "anna@example.com"})
    assert reset.status_code == 302

    lookup = client.post("/en/readings/", {"account_number": "1000100001", "meter_serial": "99999999"})
    assert lookup.status_code == 400
    assert "We could not find an account with this number and meter serial number." in page_text(lookup)
    found = client.post("/en/readings/", {"account_number": "1000100001", "meter_serial": "02000007"})
    assert found.status_code == 302

    account = PersonalAccountFactory(district=two_zone_meter.account.district, number="1000200002")
    meter = MeterFactory(account=account, serial_number="0100234", install_total=1000)
    SmsContract.objects.create(phone="+380501234567", account=account, language="en")
    texted = sms(client, settings, {"from": "+380501234567", "text": "1 # 001952", "id": "gw-1"})
    assert texted.status_code == 200 and texted.json()["status"] == "accepted"
    assert Reading.objects.get(meter=meter).total == 1952

    integration = ApiClient(name="ivr", channel="ivr", scopes=["accounts:verify"])
    key = integration.new_key()
    integration.save()
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    verified = api.post(
        "/api/v1/integrations/verify/", {"account_number": "1000100001", "meter_serial": "02000007"}, format="json"
    )
    assert verified.status_code == 200 and verified.json()["account_ending"] == "0001"

    # The limit still holds while Redis is down, counted in this process (3 failed lookups an hour per
    # address and account number).
    for _ in range(3):
        client.post("/en/readings/", {"account_number": "1", "meter_serial": "2"}, REMOTE_ADDR="198.51.100.7")
    limited = client.post("/en/readings/", {"account_number": "1", "meter_serial": "3"}, REMOTE_ADDR="198.51.100.7")
    assert "Too many attempts" in page_text(limited)

    warnings = [record.getMessage() for record in caplog.records if record.name == "accounts.ratelimit"]
    assert len(warnings) == 1 and "Redis unreachable" in warnings[0]


def test_redis_back_shares_the_limits_again(settings, limits_redis):
    from django.core.cache import cache

    from accounts.ratelimit import Limit, attempt_count

    limit = Limit(5, 3600)
    assert attempt_count("probe", "a", limit) == 1
    limits_redis.stop()
    assert attempt_count("probe", "a", limit) == 1  # a fresh local window: looser, never an error
    limits_redis.start()
    cache._redis_back_at = 0.0  # skip the few seconds' wait before Redis is tried again
    assert attempt_count("probe", "a", limit) == 1  # the restarted Redis is empty
    assert redis.Redis.from_url(limits_redis.url()).dbsize() == 1
