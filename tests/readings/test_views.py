"""Cabinet and public reading pages, through the test client."""

import datetime
import io
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from readings.models import Reading
from tests.html import page_text

pytestmark = pytest.mark.django_db

FORM = "/en/cabinet/accounts/1000100001/meters/02000007/reading/"
ON_DEC_2 = time_machine.travel("2026-12-02 10:00 +0200", tick=False)


@pytest.fixture
def logged_in(client, two_zone_meter):
    client.force_login(two_zone_meter.account.links.get().user)
    return client


def post(client, url, **data):
    return client.post(url, {"reading_date": "2026-12-02", **data}, follow=True)


@ON_DEC_2
def test_form_names_zones_as_the_display_does_and_shows_the_last_reading(logged_in):
    text = page_text(logged_in.get(FORM))
    assert "Day, shown as 1.8.2, 15.8.2 or T22 on the display" in text
    assert "Night, shown as 1.8.1, 15.8.1 or T21 on the display" in text
    assert "Last reading: 27893 on 30 October 2026" in text
    assert "Nothing used since last time" in text


@ON_DEC_2
def test_a_good_reading_gets_a_receipt_with_consumption_and_the_bill_month(logged_in):
    response = post(logged_in, FORM, day="28100", night="14020")
    text = page_text(response)
    assert "Your reading is saved. It goes to the November 2026 bill as an actual reading." in text
    assert "28100 · 207 kWh since the previous reading" in text
    assert "14020 · 106 kWh since the previous reading" in text
    reading = Reading.objects.get(reading_date=datetime.date(2026, 12, 2))
    assert f"R-{reading.pk:08d}" in text
    assert reading.channel == "cabinet" and reading.submitted_by is not None


@ON_DEC_2
def test_lower_value_error_names_the_zone_the_value_and_the_last_reading(logged_in):
    response = post(logged_in, FORM, day="27000", night="14020")
    assert response.status_code == 400
    text = page_text(response)
    assert (
        "Day (1.8.2, 15.8.2 or T22): 27000 is lower than your last reading, 27893 on 30 October 2026. "
        "If your meter passed 999999, check the number of digits." in text
    )
    assert not Reading.objects.filter(reading_date=datetime.date(2026, 12, 2)).exists()


@ON_DEC_2
def test_missing_zone_is_named(logged_in):
    text = page_text(post(logged_in, FORM, day="28100", night=""))
    assert "Night (1.8.1, 15.8.1 or T21): enter the number the display shows." in text


@ON_DEC_2
def test_swapped_pair_is_questioned_then_corrected(logged_in):
    text = page_text(post(logged_in, FORM, day="14020", night="28100"))
    assert "Did you swap day and night?" in text
    assert "you entered 14020, probably 28100" in text
    assert not Reading.objects.filter(reading_date=datetime.date(2026, 12, 2)).exists()
    response = post(logged_in, FORM, day="14020", night="28100", swap="yes")
    assert "Day and night were swapped as you confirmed." in page_text(response)
    reading = Reading.objects.get(reading_date=datetime.date(2026, 12, 2))
    assert (reading.day, reading.night, reading.swap_corrected) == (28100, 14020, True)


@ON_DEC_2
def test_implausible_reading_asks_for_a_photo_then_waits_for_review(logged_in):
    text = page_text(post(logged_in, FORM, day="29000", night="14400"))
    assert "Much more than you usually use" in text
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 200, 200)).save(buffer, format="JPEG")
    photo = SimpleUploadedFile("display.jpg", buffer.getvalue(), content_type="image/jpeg")
    response = logged_in.post(
        FORM, {"reading_date": "2026-12-02", "day": "29000", "night": "14400", "photo": photo}, follow=True
    )
    assert "waits for a check by our staff" in page_text(response)
    reading = Reading.objects.get(reading_date=datetime.date(2026, 12, 2))
    assert reading.status == "pending_review"
    photo_url = f"/cabinet/accounts/1000100001/readings/{reading.pk}/photo/"
    served = logged_in.get(photo_url)
    assert served["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(b"".join(served.streaming_content))).size == (64, 48)


@ON_DEC_2
def test_a_photo_must_be_an_image(logged_in):
    fake = SimpleUploadedFile("display.exe", b"MZ", content_type="application/x-msdownload")
    response = logged_in.post(FORM, {"reading_date": "2026-12-02", "day": "28100", "night": "14020", "photo": fake})
    assert response.status_code == 400
    assert "Send a photo (JPEG, PNG, HEIC or WebP)." in page_text(response)


@ON_DEC_2
def test_nothing_used_repeats_the_last_reading(logged_in):
    response = post(logged_in, FORM, same_as_last="1")
    assert "27893 · 0 kWh since the previous reading" in page_text(response)


@ON_DEC_2
def test_history_has_the_readings_the_chart_and_the_table(logged_in):
    post(logged_in, FORM, day="28100", night="14020")
    html = logged_in.get("/en/cabinet/accounts/1000100001/meters/02000007/history/").content.decode()
    text = page_text(html)
    assert "<svg" in html and 'role="img"' in html
    assert "November 2026 207 106 313" in text  # the accessible table: month, day, night, total
    assert "2 December 2026 personal cabinet accepted 28100 207 14020 106 November 2026" in text


@ON_DEC_2
def test_history_csv_has_one_line_per_reading_and_zone(logged_in):
    post(logged_in, FORM, day="28100", night="14020")
    response = logged_in.get("/cabinet/accounts/1000100001/meters/02000007/history.csv")
    lines = response.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0] == "reading_date,submitted_at,billing_month,channel,status,zone,value,consumption_kwh"
    assert lines[1].startswith("2026-12-02,2026-12-02T10:00+02:00,2026-11,cabinet,accepted,day,28100,207")
    assert len(lines) == 1 + 3 * 2


@ON_DEC_2
def test_public_form_three_steps_and_a_receipt(client, two_zone_meter):
    response = client.post("/en/readings/", {"account_number": "1000100001", "meter_serial": "02000007"}, follow=True)
    text = page_text(response)
    assert "Is this your address?" in text
    assert re.search(r"вул\. Шев\*{5}, буд\. \d\**", text)
    assert two_zone_meter.account.holder_name not in text and two_zone_meter.account.address not in text
    response = client.post("/en/readings/confirm/", {"answer": "yes"}, follow=True)
    text = page_text(response)
    assert "Enter your readings" in text and "Last reading" not in text  # no history for strangers
    response = client.post(
        "/en/readings/enter/", {"reading_date": "2026-12-02", "day": "28100", "night": "14020"}, follow=True
    )
    text = page_text(response)
    assert "It goes to the November 2026 bill as an actual reading." in text
    assert Reading.objects.get(reading_date=datetime.date(2026, 12, 2)).channel == "web_form"


@pytest.mark.parametrize(("number", "serial"), [("1000100009", "02000007"), ("1000100001", "02000099")])
def test_public_form_wrong_pair_is_neutral(client, two_zone_meter, number, serial):
    response = client.post("/en/readings/", {"account_number": number, "meter_serial": serial})
    assert response.status_code == 400
    assert "We could not find an account with this number and meter serial number." in page_text(response)


def test_public_form_steps_cannot_be_skipped(client, two_zone_meter):
    assert client.get("/readings/enter/")["Location"] == "/readings/"
    assert client.get("/readings/confirm/")["Location"] == "/readings/"
    assert client.get("/readings/receipt/").status_code == 404


def test_public_lookups_are_limited_per_client_address_and_account(client, two_zone_meter, settings):
    settings.PUBLIC_FORM_FAILURES_PER_PAIR = 3
    for _ in range(3):
        client.post("/en/readings/", {"account_number": "1000100001", "meter_serial": "2"})
    response = client.post("/en/readings/", {"account_number": "1000100001", "meter_serial": "3"})
    assert "Too many attempts" in page_text(response)
    right = client.post("/en/readings/", {"account_number": "1000100001", "meter_serial": "02000007"})
    assert right.status_code == 302  # the correct pair is never refused by the pair limit
    other = client.post(
        "/en/readings/", {"account_number": "1000100001", "meter_serial": "4"}, REMOTE_ADDR="198.51.100.9"
    )
    assert "We could not find an account" in page_text(other)
