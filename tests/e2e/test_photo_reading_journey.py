"""The cabinet's "take a photo" in real Chromium, in Ukrainian on a 390 px phone: a photo the portal cannot
read asks to type the numbers; a clear one fills the number in to check; the customer sends it and the
reading keeps the photo. The same step works with JavaScript off (a plain form POST)."""

import datetime

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone
from playwright.sync_api import expect

from readings.models import Reading
from tests.e2e.conftest import PHONE
from tests.e2e.test_readings_journey import log_in
from tests.factories import AccountLinkFactory, MeterFactory, ReadingFactory
from tests.readings.meter_photos import drum_photo, unreadable_photo

FIELD = "Загальні, на табло позначено 1.8.0"


@pytest.fixture
def drum_household(districts):
    """A one-zone drum counter read 14 000 forty days ago, linked to a customer."""
    today = timezone.localdate()
    link = AccountLinkFactory(
        user__email="olena@example.com",
        account__number="1000100003",
        account__district=districts[0],
        account__address="м. Київ, вул. Шевченка, буд. 12, кв. 5",
    )
    meter = MeterFactory(
        account=link.account,
        serial_number="5500001",
        installed_on=today - datetime.timedelta(days=400),
        install_total=12000,
    )
    on = today - datetime.timedelta(days=40)
    ReadingFactory(meter=meter, total=14000, reading_date=on, billing_month=districts[0].window.billing_month(on))
    EmailAddress.objects.create(user=link.user, email=link.user.email, verified=True, primary=True)
    return meter


def jpeg(name: str, image: bytes) -> dict:
    return {"name": name, "mimeType": "image/jpeg", "buffer": image}


def test_customer_photographs_the_meter_checks_the_number_and_sends_it(
    page, live_server, drum_household, shoot, assert_accessible
):
    page.set_viewport_size(PHONE)
    log_in(page, live_server.url, "olena@example.com")
    page.wait_for_url("**/cabinet/")
    page.goto(live_server.url + "/cabinet/accounts/1000100003/meters/5500001/reading/")
    scan = page.get_by_label("Фото табло, з якого прочитати цифри")
    expect(page.locator("fieldset.photo-scan legend")).to_have_text("Сфотографуйте табло лічильника")
    # The photo step comes first on the page, above the number field, and the old fields are all there.
    assert scan.bounding_box()["y"] < page.get_by_label(FIELD).bounding_box()["y"]
    expect(page.locator("input[name=photo]")).to_have_count(1)
    assert_accessible()
    shoot("photo-reading-1-form-uk")

    # A picture with no display on it: nothing is filled in, the customer is asked to type.
    scan.set_input_files(jpeg("IMG_0411.jpg", unreadable_photo()))  # the script reads it straight away
    result = page.locator("#photo-result")
    expect(result).to_contain_text("Введіть цифри, будь ласка")
    expect(result).to_contain_text("Не вдалося надійно прочитати цифри на цьому фото.")
    expect(page.get_by_label(FIELD)).to_have_value("")

    # A clear photo of the drums: the number is filled in to check.
    page.get_by_label("Фото табло, з якого прочитати цифри").set_input_files(jpeg("IMG_0412.jpg", drum_photo(14420)))
    result = page.locator("#photo-result")
    expect(result).to_contain_text("Перевірте ці цифри")
    expect(result).to_contain_text(f"{FIELD}: 14420")
    expect(result).to_contain_text("Фото збережеться разом із показами.")
    expect(result).to_be_focused()
    expect(page.get_by_label(FIELD)).to_have_value("14420")
    preview = page.get_by_role("img", name="Ваше фото табло")  # to compare the numbers with the picture
    expect(preview).to_be_visible()
    assert preview.evaluate("img => img.complete && img.naturalWidth > 100")
    assert_accessible()
    shoot("photo-reading-2-check-uk")

    page.get_by_role("button", name="Передати покази").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Покази збережено")
    expect(page.locator(".receipt")).to_contain_text("14420")
    expect(page.locator(".receipt")).to_contain_text("420 кВт·год")
    shoot("photo-reading-3-receipt-uk")
    reading = Reading.objects.get(meter=drum_household, reading_date=timezone.localdate())
    assert (reading.total, reading.status) == (14420, "accepted")
    served = page.request.get(live_server.url + f"/cabinet/accounts/1000100003/readings/{reading.pk}/photo/")
    assert served.status == 200 and served.headers["content-type"] == "image/jpeg"


def test_without_javascript_the_read_button_does_the_same(browser, live_server, drum_household):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    try:
        log_in(page, live_server.url, "olena@example.com")
        page.wait_for_url("**/cabinet/")
        page.goto(live_server.url + "/cabinet/accounts/1000100003/meters/5500001/reading/")
        page.get_by_label("Фото табло, з якого прочитати цифри").set_input_files(jpeg("IMG.jpg", drum_photo(14420)))
        expect(page.locator("#photo-result")).to_have_count(0)  # nothing happens until the button
        page.get_by_role("button", name="Прочитати цифри з фото").click()
        expect(page.locator("#photo-result")).to_contain_text("Перевірте ці цифри")
        expect(page.get_by_label(FIELD)).to_have_value("14420")
        page.get_by_label(FIELD).fill("14421")  # what the customer types wins
        page.get_by_role("button", name="Передати покази").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Покази збережено")
    finally:
        context.close()
    reading = Reading.objects.get(meter=drum_household, reading_date=timezone.localdate())
    assert reading.total == 14421 and reading.photo
