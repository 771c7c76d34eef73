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
from tests.factories import AccountLinkFactory, MeterFactory, ReadingFactory
from tests.html import page_text
from tests.readings.meter_photos import unreadable_photo

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
def test_a_photo_sent_with_typed_numbers_is_kept_and_the_typed_numbers_count(customer, drum_meter):
    response = customer.post(FORM, {"reading_date": "2026-12-02", "total": "14400", "scan": upload(unreadable_photo())})
    assert response.status_code == 302
    reading = Reading.objects.get(meter=drum_meter, reading_date=datetime.date(2026, 12, 2))
    assert reading.total == 14400 and reading.photo.name.endswith(".jpg")


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
