"""`POST .../readings/recognize/` on the customer's and the integrations' API: a photo in (multipart), what the
display shows for that meter out, nothing stored; limits on size and type with translated errors, the
caller's own accounts only, the integration scope, the rate limit and the OpenAPI schema."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.devices import api_token_issue
from portal.models import ApiClient
from readings.models import Reading
from readings.zones import TWO_ZONE
from tests.factories import AccountLinkFactory, MeterFactory, ReadingFactory
from tests.readings.meter_photos import drum_photo, lcd_photo, unreadable_photo

pytestmark = pytest.mark.django_db

CUSTOMER_URL = "/api/v1/accounts/1000100003/meters/5500001/readings/recognize/"
INTEGRATION_URL = "/api/v1/integrations/readings/recognize/"


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel("2026-12-02 10:00 +02:00", tick=False):
        yield


@pytest.fixture
def drum_meter(kyiv):
    link = AccountLinkFactory(account__district=kyiv, account__number="1000100003")
    meter = MeterFactory(
        account=link.account, serial_number="5500001", installed_on=datetime.date(2026, 1, 15), install_total=12000
    )
    ReadingFactory(meter=meter, total=14000, reading_date=datetime.date(2026, 10, 30))
    return meter


def customer_api(meter, language="en") -> APIClient:
    api = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=meter.account.links.get().user).key}")
    return api


def integration_api(*scopes) -> APIClient:
    client = ApiClient(name=f"Chatbot {' '.join(scopes)}", channel="chatbot", scopes=list(scopes))
    key = client.new_key()
    client.save()
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return api


def photo(image: bytes, name="IMG_0412.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, image, content_type=content_type)


def test_the_customer_gets_the_values_of_a_photo_and_nothing_is_stored(drum_meter):
    before = Reading.objects.count()
    response = customer_api(drum_meter).post(CUSTOMER_URL, {"photo": photo(drum_photo(14420))}, format="multipart")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"values", "code", "confidence", "sure", "message"}
    assert (body["values"], body["code"], body["sure"]) == ({"total": 14420}, None, True)
    assert 0.6 <= body["confidence"] <= 1
    assert body["message"].startswith("We read them from your photo. Compare them with the display")
    assert Reading.objects.count() == before


def test_a_photo_it_cannot_read_says_type_the_numbers(drum_meter):
    response = customer_api(drum_meter, "uk").post(
        CUSTOMER_URL, {"photo": photo(unreadable_photo())}, format="multipart"
    )
    body = response.json()
    assert response.status_code == 200 and body["sure"] is False
    assert body["message"].startswith("Не вдалося надійно прочитати цифри на цьому фото.")


def test_an_lcd_code_names_the_zone_of_a_two_zone_meter(two_zone_meter):
    api = customer_api(two_zone_meter)
    image = lcd_photo(14020, "T21", TWO_ZONE, "night")
    body = api.post(
        "/api/v1/accounts/1000100001/meters/02000007/readings/recognize/", {"photo": photo(image)}, format="multipart"
    ).json()
    assert (body["values"], body["sure"]) == ({"night": 14020}, True)
    assert body["code"] in two_zone_meter.labels_for("night")  # the register code the display showed


def test_another_customers_account_is_404_and_reads_nothing(drum_meter, two_zone_meter):
    api = customer_api(two_zone_meter)
    response = api.post(CUSTOMER_URL, {"photo": photo(unreadable_photo())}, format="multipart")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    assert APIClient().post(CUSTOMER_URL, {"photo": photo(unreadable_photo())}, format="multipart").status_code == 401


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("uk", "Надішліть фото (JPEG, PNG, HEIC або WebP)."),
        ("ru", "Отправьте фото (JPEG, PNG, HEIC или WebP)."),
        ("en", "Send a photo (JPEG, PNG, HEIC or WebP)."),
    ],
)
def test_what_is_not_a_photo_is_refused_in_the_callers_language(drum_meter, language, message):
    response = customer_api(drum_meter, language).post(
        CUSTOMER_URL, {"photo": photo(b"<svg><script>alert(1)</script></svg>", "a.svg", "image/svg+xml")},
        format="multipart",
    )  # fmt: skip
    error = response.json()["error"]
    assert (response.status_code, error["code"], error["message"]) == (400, "photo_not_an_image", message)
    assert error["fields"] == {"photo": [message]}


def test_a_photo_over_the_size_limit_is_413_with_the_limit_named(drum_meter, settings):
    settings.READING_PHOTO_MAX_BYTES = 50_000
    big = unreadable_photo() + b"\0" * 60_000
    response = customer_api(drum_meter).post(CUSTOMER_URL, {"photo": photo(big)}, format="multipart")
    error = response.json()["error"]
    assert (response.status_code, error["code"]) == (413, "photo_too_large")
    assert error["message"] == "The photo is larger than 48.8\xa0KB: send a smaller one."


def test_no_photo_or_a_json_body_is_a_clear_400_or_415(drum_meter):
    api = customer_api(drum_meter)
    missing = api.post(CUSTOMER_URL, {}, format="multipart")
    assert missing.status_code == 400 and "photo" in missing.json()["error"]["fields"]
    as_json = api.post(CUSTOMER_URL, {"photo": "aGVsbG8="}, format="json")
    assert as_json.status_code == 415
    assert as_json.json()["error"]["message"] == "Send the photo as multipart/form-data in the field photo."


def test_recognizing_is_rate_limited_per_customer(drum_meter, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "recognize": "2/minute"},
    }
    api = customer_api(drum_meter)
    codes = [
        api.post(CUSTOMER_URL, {"photo": photo(unreadable_photo())}, format="multipart").status_code for _ in range(3)
    ]
    assert codes == [200, 200, 429]


def test_an_integration_with_readings_write_reads_a_photo_for_an_account_and_meter(drum_meter):
    api = integration_api("readings:write")
    form = {"account_number": "1000100003", "meter_serial": "5500001"}
    response = api.post(INTEGRATION_URL, {**form, "photo": photo(drum_photo(14420))}, format="multipart")
    assert response.status_code == 200
    assert (response.json()["values"], response.json()["sure"]) == ({"total": 14420}, True)
    assert not Reading.objects.filter(channel="chatbot").exists()


def test_reads_of_one_meter_are_limited_per_hour_whoever_asks(drum_meter, settings):
    settings.READING_PHOTO_READS_PER_METER_HOUR = 2
    customer, bot = customer_api(drum_meter, "uk"), integration_api("readings:write")
    form = {"account_number": "1000100003", "meter_serial": "5500001"}
    assert customer.post(CUSTOMER_URL, {"photo": photo(unreadable_photo())}, format="multipart").status_code == 200
    assert (
        bot.post(INTEGRATION_URL, {**form, "photo": photo(unreadable_photo())}, format="multipart").status_code == 200
    )
    third = customer.post(CUSTOMER_URL, {"photo": photo(unreadable_photo())}, format="multipart")
    error = third.json()["error"]
    assert (third.status_code, error["code"]) == (429, "photo_too_many_reads")
    assert error["message"] == "Цього лічильника за останню годину прочитано багато фото. Введіть цифри, будь ласка."


def test_an_integration_needs_readings_write_and_the_right_pair(drum_meter):
    form = {"account_number": "1000100003", "meter_serial": "5500001"}
    api = integration_api("readings:write")
    unread = api.post(INTEGRATION_URL, {**form, "photo": photo(unreadable_photo())}, format="multipart")
    assert unread.status_code == 200 and unread.json()["sure"] is False
    wrong = api.post(
        INTEGRATION_URL, {**form, "meter_serial": "5500002", "photo": photo(unreadable_photo())}, format="multipart"
    )
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (404, "account_not_found")
    read_only = integration_api("readings:read", "accounts:verify").post(
        INTEGRATION_URL, {**form, "photo": photo(unreadable_photo())}, format="multipart"
    )
    assert (read_only.status_code, read_only.json()["error"]["code"]) == (403, "permission_denied")
    assert not Reading.objects.filter(channel="chatbot").exists()


def test_both_operations_are_in_the_openapi_schema_as_multipart(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path, operation_id in (
        ("/api/v1/accounts/{number}/meters/{serial}/readings/recognize/", "meter_readings_recognize"),
        ("/api/v1/integrations/readings/recognize/", "integration_readings_recognize"),
    ):
        operation = schema["paths"][path]["post"]
        assert operation["operationId"] == operation_id
        assert "multipart/form-data" in operation["requestBody"]["content"]
        out = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert out.endswith("/RecognizeOut")
    assert set(schema["components"]["schemas"]["RecognizeOut"]["properties"]) == {
        "values", "code", "confidence", "sure", "message",
    }  # fmt: skip
