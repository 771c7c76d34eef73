"""Meter photos: whatever is uploaded, the portal stores and serves only a picture it encoded itself."""

import datetime
import io

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from readings.models import Reading
from tests.factories import ReadingFactory
from tests.html import page_text

pytestmark = pytest.mark.django_db

FORM = "/en/cabinet/accounts/1000100001/meters/02000007/reading/"
ON_DEC_2 = time_machine.travel("2026-12-02 10:00 +0200", tick=False)
SCRIPT_CAPABLE = ("text/html", "image/svg+xml", "application/xhtml+xml", "text/xml", "application/xml", "text/")
SVG_WITH_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
HTML_PAGE = b"<!doctype html><html><body><script>fetch('/cabinet/').then(r=>r.text())</script></body></html>"


def picture(fmt: str, size=(320, 240), mode="RGB", **save) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (30, 120, 200, 255)[: len(mode)] if mode != "L" else 90).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def polyglot_jpeg() -> bytes:
    """A JPEG that decodes, with an HTML page in a comment segment, in EXIF and after the end of the image."""
    exif = Image.Exif()
    exif[0x010E] = HTML_PAGE.decode()  # ImageDescription
    exif[0x8825] = {2: (50.0, 27.0, 0.0)}  # a GPS position a phone would add
    jpeg = picture("JPEG", exif=exif.tobytes())
    comment = b"\xff\xfe" + (len(HTML_PAGE) + 2).to_bytes(2, "big") + HTML_PAGE
    return jpeg[:2] + comment + jpeg[2:] + HTML_PAGE


@pytest.fixture
def logged_in(client, two_zone_meter):
    client.force_login(two_zone_meter.account.links.get().user)
    return client


def send(client, content: bytes, name: str, content_type: str):
    photo = SimpleUploadedFile(name, content, content_type=content_type)
    # 29 000 is much more than usual: the form asks for a photo and stores the reading for review with it.
    return client.post(FORM, {"reading_date": "2026-12-02", "day": "29000", "night": "14400", "photo": photo})


def stored_reading():
    return Reading.objects.filter(reading_date=datetime.date(2026, 12, 2)).first()


def fetch_photo(client, reading):
    response = client.get(f"/cabinet/accounts/1000100001/readings/{reading.pk}/photo/")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def assert_safe_headers(response):
    content_type = response["Content-Type"]
    assert content_type in ("image/jpeg", "image/png"), content_type
    assert not content_type.startswith(SCRIPT_CAPABLE)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline; filename=")
    assert "sandbox" in response["Content-Security-Policy"]


@ON_DEC_2
@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("display.svg", SVG_WITH_SCRIPT, "image/svg+xml"),
        ("display.jpg", SVG_WITH_SCRIPT, "image/jpeg"),
        ("display.jpg", HTML_PAGE, "image/jpeg"),  # an HTML page renamed, with the browser's type forged
        ("display.html", HTML_PAGE, "text/html"),
        ("display.gif", picture("GIF"), "image/gif"),  # a real picture, but not a camera's format
    ],
)
def test_what_does_not_decode_as_a_photo_is_refused_and_nothing_is_stored(logged_in, name, content, content_type):
    response = send(logged_in, content, name, content_type)
    assert response.status_code == 400
    assert "Send a photo (JPEG, PNG, HEIC or WebP)." in page_text(response)
    assert stored_reading() is None


@ON_DEC_2
def test_a_polyglot_jpeg_is_stored_as_a_clean_jpeg_without_the_html_or_the_gps(logged_in):
    upload = polyglot_jpeg()
    assert Image.open(io.BytesIO(upload)).getexif()  # the upload really carries EXIF and the page
    response = send(logged_in, upload, "display.html", "text/html")
    assert response.status_code == 302
    reading = stored_reading()
    assert reading.status == "pending_review"
    assert reading.photo.name.startswith("reading-photos/") and reading.photo.name.endswith(".jpg")
    served, body = fetch_photo(logged_in, reading)
    assert_safe_headers(served)
    assert served["Content-Type"] == "image/jpeg"
    assert served["Content-Disposition"] == f'inline; filename="reading-{reading.pk}.jpg"'
    assert b"<script" not in body and b"<html" not in body
    decoded = Image.open(io.BytesIO(body))
    assert (decoded.format, decoded.size) == ("JPEG", (320, 240))
    assert not decoded.getexif()  # no GPS position, no description, no camera model
    assert "comment" not in decoded.info


@ON_DEC_2
def test_a_file_of_50_megabytes_is_refused_with_the_limit_named(logged_in):
    huge = picture("JPEG") + b"\0" * (50 * 1024 * 1024)
    response = send(logged_in, huge, "display.jpg", "image/jpeg")
    assert response.status_code == 400
    assert "The photo is larger than 10.0 MB: send a smaller one." in page_text(response)
    assert stored_reading() is None


@ON_DEC_2
def test_a_picture_over_the_pixel_limit_is_refused_and_a_small_one_is_fine(logged_in, settings):
    settings.READING_PHOTO_MAX_PIXELS = 2_000_000
    response = send(logged_in, picture("PNG", size=(2000, 1001), mode="L"), "big.png", "image/png")
    assert response.status_code == 400
    assert "The photo has more than 2 megapixels: send a smaller one." in page_text(response)
    assert stored_reading() is None
    tiny = send(logged_in, picture("JPEG", size=(16, 16)), "tiny.jpg", "image/jpeg")
    assert tiny.status_code == 302
    assert stored_reading().photo.name.endswith(".jpg")


@ON_DEC_2
@pytest.mark.parametrize(
    ("fmt", "mode", "content_type", "served_type"),
    [
        ("PNG", "RGBA", "image/png", "image/png"),  # transparency stays PNG
        ("PNG", "RGB", "image/png", "image/jpeg"),
        ("WEBP", "RGB", "image/webp", "image/jpeg"),
        ("HEIF", "RGB", "image/heic", "image/jpeg"),  # what an iPhone sends
    ],
)
def test_phone_formats_are_accepted_and_served_as_the_type_they_were_encoded_to(
    logged_in, fmt, mode, content_type, served_type
):
    if fmt == "HEIF":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    response = send(logged_in, picture(fmt, mode=mode), "IMG_0001.dat", content_type)
    assert response.status_code == 302
    served, body = fetch_photo(logged_in, stored_reading())
    assert_safe_headers(served)
    assert served["Content-Type"] == served_type
    assert Image.open(io.BytesIO(body)).size == (320, 240)


@pytest.mark.parametrize(
    ("stored_name", "content", "served_type"),
    [
        ("legacy.svg", SVG_WITH_SCRIPT, None),
        ("legacy.html", HTML_PAGE, None),
        ("legacy.webp", picture("WEBP"), "image/jpeg"),
        ("legacy.jpg", HTML_PAGE, "image/jpeg"),  # bytes a browser must never read as a page
    ],
)
def test_photos_stored_before_re_encoding_are_never_served_as_a_script_capable_type(
    logged_in, two_zone_meter, stored_name, content, served_type
):
    reading = ReadingFactory(meter=two_zone_meter, reading_date=datetime.date(2026, 11, 30), day=28000, night=14000)
    # Written straight to storage, as the upload code before re-encoding did with the sender's extension.
    name = reading.photo.storage.save(f"reading-photos/{stored_name}", ContentFile(content))
    Reading.objects.filter(pk=reading.pk).update(photo=name)
    response, body = fetch_photo(logged_in, Reading.objects.get(pk=reading.pk))
    if served_type is None:
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")  # the portal's own 404 page, not the file
        assert b"<script>alert" not in body and b"fetch('/cabinet/')" not in body
    else:
        assert_safe_headers(response)
        assert response["Content-Type"] == served_type
