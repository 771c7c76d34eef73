""" "Take a photo" on the cabinet's and the public reading form, without JavaScript (plain form POSTs): the
photo's numbers are filled in for the customer to check, the photo is held and kept with the reading they
send, what they type wins, and a photo that cannot be read asks them to type the numbers."""

import datetime

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from readings.held_photos import FOLDER, held_photo, held_photos_purge, photo_hold
from readings.models import Reading
from readings.photos import EncodedPhoto
from readings.zones import TWO_ZONE
from tests.factories import AccountLinkFactory, MeterFactory, ReadingFactory
from tests.html import page_text
from tests.readings.meter_photos import drum_photo, lcd_photo, unreadable_photo

pytestmark = pytest.mark.django_db

ON_DEC_2 = time_machine.travel("2026-12-02 10:00 +0200", tick=False)
FORM = "/en/cabinet/accounts/1000100003/meters/5500001/reading/"
FORM_UK = "/cabinet/accounts/1000100003/meters/5500001/reading/"
TWO_ZONE_FORM = "/en/cabinet/accounts/1000100001/meters/02000007/reading/"


@pytest.fixture(autouse=True)
def no_held_photos():
    """Test media is shared by the session: each test counts only the photos it held."""
    for name in held_files():
        default_storage.delete(f"{FOLDER}/{name}")


@pytest.fixture
def drum_meter(kyiv):
    """A one-zone drum counter installed on 15 January 2026 at 12 000, read 14 000 on 30 October."""
    link = AccountLinkFactory(account__district=kyiv, account__number="1000100003")
    meter = MeterFactory(
        account=link.account, serial_number="5500001", installed_on=datetime.date(2026, 1, 15), install_total=12000
    )
    ReadingFactory(meter=meter, total=14000, reading_date=datetime.date(2026, 10, 30))
    return meter


@pytest.fixture
def customer(client, drum_meter):
    client.force_login(drum_meter.account.links.get().user)
    return client


def upload(image: bytes, name="IMG_0412.jpg", content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image, content_type=content_type)


def field_value(response, name: str) -> str | None:
    """The value attribute of the named input as the page renders it."""
    import re

    html = response.content.decode()
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    if tag is None:
        return None
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


def held_files() -> list[str]:
    try:
        return default_storage.listdir(FOLDER)[1]
    except FileNotFoundError:
        return []


@ON_DEC_2
def test_the_form_offers_a_photo_at_the_top_and_keeps_its_fields(customer):
    html = customer.get(FORM_UK).content.decode()
    scan = html.index('name="scan"')
    assert scan < html.index('name="total"') < html.index('name="photo"')  # the photo step comes first
    assert 'accept="image/*"' in html[html.rfind("<input", 0, scan) : scan + 200]
    assert 'capture="environment"' in html[html.rfind("<input", 0, scan) : scan + 200]
    text = page_text(customer.get(FORM_UK))
    assert "Сфотографуйте табло лічильника" in text and "Прочитати цифри з фото" in text


@ON_DEC_2
def test_a_photo_fills_in_the_number_to_check_and_the_reading_keeps_the_photo(customer, drum_meter):
    read = customer.post(FORM, {"reading_date": "2026-12-02", "scan": upload(drum_photo(14420)), "recognize": "1"})
    assert read.status_code == 200
    text = page_text(read)
    assert "Check these numbers" in text and "We read them from your photo." in text
    assert "Total, shown as 1.8.0 on the display: 14420" in text and "The photo will be kept with the reading." in text
    assert field_value(read, "total") == "14420"
    assert not Reading.objects.filter(reading_date=datetime.date(2026, 12, 2)).exists()  # nothing sent yet
    token = field_value(read, "held_photo")
    assert token and len(held_files()) == 1

    sent = customer.post(FORM, {"reading_date": "2026-12-02", "total": "14420", "held_photo": token})
    assert sent.status_code == 302
    reading = Reading.objects.get(meter=drum_meter, reading_date=datetime.date(2026, 12, 2))
    assert (reading.total, reading.status, reading.channel) == (14420, "accepted", "cabinet")
    assert reading.photo.name.startswith("reading-photos/")  # the same address as any attached photo
    photo = customer.get(f"/cabinet/accounts/1000100003/readings/{reading.pk}/photo/")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert held_files() == []  # the held copy is gone once the reading has its own
    receipt = page_text(customer.get(sent["Location"]))
    assert "14420" in receipt and "420" in receipt  # 420 kWh since 14 000


@ON_DEC_2
def test_what_the_customer_types_wins_over_what_the_photo_showed(customer, drum_meter):
    read = customer.post(FORM, {"reading_date": "2026-12-02", "scan": upload(drum_photo(14420)), "recognize": "1"})
    token = field_value(read, "held_photo")
    customer.post(FORM, {"reading_date": "2026-12-02", "total": "14421", "held_photo": token})
    reading = Reading.objects.get(meter=drum_meter, reading_date=datetime.date(2026, 12, 2))
    assert reading.total == 14421 and reading.photo


@ON_DEC_2
def test_a_photo_it_cannot_read_asks_to_type_the_numbers_and_still_keeps_the_photo(customer, drum_meter):
    read = customer.post(FORM, {"reading_date": "2026-12-02", "scan": upload(unreadable_photo()), "recognize": "1"})
    assert read.status_code == 200
    text = page_text(read)
    assert "Please type the numbers" in text
    assert "We could not read the numbers on this photo reliably." in text
    assert "Check these numbers" not in text
    assert field_value(read, "total") == ""  # nothing uncertain is filled in
    sent = customer.post(
        FORM, {"reading_date": "2026-12-02", "total": "14420", "held_photo": field_value(read, "held_photo")}
    )
    assert sent.status_code == 302
    assert Reading.objects.get(reading_date=datetime.date(2026, 12, 2)).photo


@ON_DEC_2
def test_sending_a_photo_with_nothing_typed_reads_it_instead_of_sending_it(customer):
    response = customer.post(FORM, {"reading_date": "2026-12-02", "scan": upload(drum_photo(14420))})
    assert response.status_code == 200 and "Check these numbers" in page_text(response)
    assert field_value(response, "total") == "14420"
    assert not Reading.objects.filter(reading_date=datetime.date(2026, 12, 2)).exists()


@ON_DEC_2
def test_a_photo_sent_with_typed_numbers_is_kept_and_the_typed_numbers_count(customer, drum_meter):
    response = customer.post(FORM, {"reading_date": "2026-12-02", "total": "14400", "scan": upload(unreadable_photo())})
    assert response.status_code == 302
    reading = Reading.objects.get(meter=drum_meter, reading_date=datetime.date(2026, 12, 2))
    assert reading.total == 14400 and reading.photo.name.endswith(".jpg")


@ON_DEC_2
def test_nothing_used_with_a_photo_chosen_passes_the_last_reading_with_the_photo(customer, drum_meter):
    response = customer.post(
        FORM, {"reading_date": "2026-12-02", "same_as_last": "1", "scan": upload(unreadable_photo())}
    )
    assert response.status_code == 302
    reading = Reading.objects.get(meter=drum_meter, reading_date=datetime.date(2026, 12, 2))
    assert reading.total == 14000 and reading.photo


@ON_DEC_2
def test_a_number_lower_than_the_last_reading_is_not_sent_silently(customer, drum_meter):
    # The customer photographed another meter's 13 500: read surely, but lower than this meter's 14 000.
    read = customer.post(FORM, {"reading_date": "2026-12-02", "scan": upload(drum_photo(13500)), "recognize": "1"})
    text = page_text(read)
    assert "These numbers do not fit your meter" in text and field_value(read, "total") == "13500"
    sent = customer.post(
        FORM, {"reading_date": "2026-12-02", "total": "13500", "held_photo": field_value(read, "held_photo")}
    )
    assert sent.status_code == 400
    assert "13500 is lower than your last reading, 14000 on 30 October 2026" in page_text(sent)
    assert not Reading.objects.filter(reading_date=datetime.date(2026, 12, 2)).exists()
    assert field_value(sent, "held_photo")  # the photo is still held for the corrected numbers


@ON_DEC_2
def test_not_a_photo_is_refused_in_ukrainian_and_nothing_is_held(customer):
    response = customer.post(
        FORM_UK, {"reading_date": "2026-12-02", "scan": upload(b"%PDF-1.4 not a picture", "bill.pdf"), "recognize": "1"}
    )
    assert response.status_code == 400
    assert "Надішліть фото (JPEG, PNG, HEIC або WebP)." in page_text(response)
    assert held_files() == []
    asked = customer.post(FORM_UK, {"reading_date": "2026-12-02", "recognize": "1"})
    assert asked.status_code == 400 and "Спершу оберіть або зробіть фото табло." in page_text(asked)
    assert not Reading.objects.filter(reading_date=datetime.date(2026, 12, 2)).exists()


@ON_DEC_2
def test_a_photo_of_one_register_of_a_two_zone_display_fills_that_zone(client, two_zone_meter):
    """A two-zone LCD shows one register at a time; its code (T21 = night on a Kyiv meter) names the zone."""
    client.force_login(two_zone_meter.account.links.get().user)
    night = upload(lcd_photo(14020, "T21", TWO_ZONE, "night"))
    first = client.post(TWO_ZONE_FORM, {"reading_date": "2026-12-02", "scan": night, "recognize": "1"})
    text = page_text(first)
    assert "Night, shown as 1.8.1, 15.8.1 or T21 on the display: 14020" in text
    assert "The photo did not show Day, shown as 1.8.2, 15.8.2 or T22 on the display" in text
    assert (field_value(first, "day"), field_value(first, "night")) == ("", "14020")
    # The day typed first stays when the night is photographed after it.
    again = upload(lcd_photo(14020, "T21", TWO_ZONE, "night"))
    second = client.post(TWO_ZONE_FORM, {"reading_date": "2026-12-02", "day": "28100", "scan": again, "recognize": "1"})
    assert (field_value(second, "day"), field_value(second, "night")) == ("28100", "14020")
    form = {"reading_date": "2026-12-02", "day": "28100", "night": "14020"}
    sent = client.post(TWO_ZONE_FORM, {**form, "held_photo": field_value(second, "held_photo")})
    assert sent.status_code == 302
    reading = Reading.objects.get(meter=two_zone_meter, reading_date=datetime.date(2026, 12, 2))
    assert (reading.day, reading.night) == (28100, 14020) and reading.photo


@ON_DEC_2
def test_a_drum_counter_of_a_two_zone_meter_is_read_but_not_placed_in_a_zone(client, two_zone_meter):
    client.force_login(two_zone_meter.account.links.get().user)
    read = client.post(
        TWO_ZONE_FORM, {"reading_date": "2026-12-02", "scan": upload(drum_photo(28100)), "recognize": "1"}
    )
    text = page_text(read)
    assert "We read 28100 on the photo but cannot tell which zone it is." in text
    assert (field_value(read, "day"), field_value(read, "night")) == ("", "")  # nothing guessed


def preview_url(response) -> str:
    import re

    return re.search(r'<img class="photo-preview" src="([^"]+)"', response.content.decode()).group(1)


@ON_DEC_2
def test_the_photo_is_shown_beside_the_numbers_only_to_who_may_pass_the_reading(customer, client, drum_meter):
    from django.test import Client

    read = customer.post(FORM, {"reading_date": "2026-12-02", "scan": upload(unreadable_photo()), "recognize": "1"})
    url = preview_url(read)
    shown = customer.get(url)
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    assert shown.content[:2] == b"\xff\xd8" and "sandbox" in shown["Content-Security-Policy"]
    assert Client().get(url).status_code == 404  # nobody signed in
    stranger = Client()
    stranger.force_login(AccountLinkFactory().user)  # signed in, but not linked to this account
    assert stranger.get(url).status_code == 404
    assert customer.get(url[:-4] + "abc/").status_code == 404  # a forged token

    visitor = Client()
    identify(visitor)
    public = visitor.post(PUBLIC, {"scan": upload(unreadable_photo()), "recognize": "1"})
    assert visitor.get(preview_url(public)).status_code == 200
    assert Client().get(preview_url(public)).status_code == 404


@ON_DEC_2
def test_a_held_photo_of_another_meter_or_a_forged_token_is_not_attached(customer, drum_meter, two_zone_meter):
    other = photo_hold(meter_id=two_zone_meter.pk, photo=EncodedPhoto(b"\xff\xd8jpeg", "jpg", 1, 1))
    response = customer.post(FORM, {"reading_date": "2026-12-02", "total": "14420", "held_photo": other})
    assert response.status_code == 302
    assert not Reading.objects.get(meter=drum_meter, reading_date=datetime.date(2026, 12, 2)).photo
    assert held_photo(other, meter_id=two_zone_meter.pk) is not None  # still there for its own meter
    for forged in (other[:-3] + "abc", "held-photos/x.jpg", ""):
        assert held_photo(forged, meter_id=two_zone_meter.pk) is None


def test_held_photos_nobody_sent_are_purged_after_the_hold(settings, drum_meter):
    import os
    import time

    from django.utils import timezone

    settings.READING_PHOTO_HOLD_SECONDS = 3600
    photo_hold(meter_id=drum_meter.pk, photo=EncodedPhoto(b"\xff\xd8old", "jpg", 1, 1))
    [old] = held_files()
    two_hours_ago = time.time() - 7200
    os.utime(default_storage.path(f"{FOLDER}/{old}"), (two_hours_ago, two_hours_ago))
    photo_hold(meter_id=drum_meter.pk, photo=EncodedPhoto(b"\xff\xd8new", "jpg", 1, 1))
    assert held_photos_purge(now=timezone.now()) == 1
    assert len(held_files()) == 1 and old not in held_files()


# --- The public form: the same step, for someone who proved only two numbers ---

PUBLIC = "/en/readings/enter/"


def identify(client, number="1000100003", serial="5500001"):
    client.post("/en/readings/", {"account_number": number, "meter_serial": serial})
    client.post("/en/readings/confirm/", {"answer": "yes"})


@ON_DEC_2
def test_the_public_form_reads_a_photo_and_keeps_it_with_the_reading(client, drum_meter):
    identify(client)
    read = client.post(PUBLIC, {"scan": upload(drum_photo(14420)), "recognize": "1"})
    assert read.status_code == 200
    text = page_text(read)
    assert "Check these numbers" in text and "display: 14420" in text, text
    assert "14000" not in text  # a stranger never sees the last reading
    sent = client.post(PUBLIC, {"total": "14420", "held_photo": field_value(read, "held_photo")})
    assert sent.status_code == 302
    reading = Reading.objects.get(meter=drum_meter, channel="web_form")
    assert reading.total == 14420 and reading.photo
    assert "Reading saved" in page_text(client.get("/en/readings/receipt/"))


@ON_DEC_2
def test_the_public_form_limits_photo_reads_per_meter_and_the_numbers_can_still_be_typed(client, drum_meter, settings):
    settings.READING_PHOTO_READS_PER_METER_HOUR = 1
    identify(client)
    assert client.post(PUBLIC, {"scan": upload(unreadable_photo()), "recognize": "1"}).status_code == 200
    refused = client.post(PUBLIC, {"scan": upload(unreadable_photo()), "recognize": "1"})
    assert refused.status_code == 400
    assert "Many photos of this meter were read in the last hour. Type the numbers, please." in page_text(refused)
    assert client.post(PUBLIC, {"total": "14420"}).status_code == 302


@ON_DEC_2
def test_the_public_form_asks_to_type_what_it_cannot_read(client, drum_meter):
    identify(client)
    read = client.post(PUBLIC, {"scan": upload(unreadable_photo()), "recognize": "1"})
    assert read.status_code == 200 and "Please type the numbers" in page_text(read)
    sent = client.post(PUBLIC, {"total": "14420", "held_photo": field_value(read, "held_photo")})
    assert sent.status_code == 302
    assert Reading.objects.get(meter=drum_meter, channel="web_form").photo


@ON_DEC_2
def test_the_public_form_says_a_lower_number_does_not_fit_without_the_last_value(client, drum_meter):
    identify(client)
    lower = client.post(PUBLIC, {"scan": upload(drum_photo(13500)), "recognize": "1"})
    text = page_text(lower)
    assert "These numbers do not fit your meter" in text and "14000" not in text
    assert not Reading.objects.filter(channel="web_form").exists()
