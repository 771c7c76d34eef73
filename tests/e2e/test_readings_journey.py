"""Readings in real Chromium: the cabinet with a swapped pair, the public form, the staff review queue."""

import datetime
import re

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone, translation
from playwright.sync_api import expect

from portal.templatetags.portal_format import month_year
from readings.models import Channel, Reading
from readings.services import reading_submit
from readings.zones import TWO_ZONE
from tests.factories import AccountLinkFactory, MeterFactory, ReadingFactory, UserFactory
from tests.factories.accounts import PASSWORD


@pytest.fixture
def household(districts):
    """A Kyiv two-zone meter read 200 and 45 days ago (each in the billing month the Kyiv window gives that
    day, so the newest is never in today's month), linked to a customer."""
    today = timezone.localdate()
    link = AccountLinkFactory(
        user__email="olena@example.com",
        account__number="1000100001",
        account__district=districts[0],
        account__address="м. Київ, вул. Шевченка, буд. 12, кв. 5",
    )
    meter = MeterFactory(
        account=link.account,
        serial_number="02000007",
        zone_set=TWO_ZONE,
        installed_on=today - datetime.timedelta(days=400),
        install_day=26000,
        install_night=13000,
    )
    for days_ago, day, night in ((200, 27000, 13500), (45, 27893, 13914)):
        on = today - datetime.timedelta(days=days_ago)
        ReadingFactory(
            meter=meter,
            zone_set=TWO_ZONE,
            total=None,
            day=day,
            night=night,
            reading_date=on,
            billing_month=districts[0].window.billing_month(on),
        )
    EmailAddress.objects.create(user=link.user, email=link.user.email, verified=True, primary=True)
    return meter


def log_in(page, base, email):
    page.goto(base + "/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()


PREFIX = {"uk": "", "ru": "/ru", "en": "/en"}
# What the customer reads, in each language, as the catalogs say it (written out, not looked up).
WORDS = {
    "uk": {
        "link": "Передати покази",
        "last": "Останні покази: 27893",
        "day": "День, на табло позначено 1.8.2, 15.8.2 або T22",
        "night": "Ніч, на табло позначено 1.8.1, 15.8.1 або T21",
        "send": "Передати покази",
        "swap": "Ви не переплутали день і ніч?",
        "yes": "Так, поміняти місцями",
        "saved": "Покази збережено",
        "used": "28100 · 207 кВт·год від попередніх показів",
        "swapped": "День і ніч поміняно місцями, як ви підтвердили.",
        "history": "Історія цього лічильника",
        "chart": "Споживання за місяцями, кВт·год",
    },
    "ru": {
        "link": "Передать показания",
        "last": "Последние показания: 27893",
        "day": "День, на табло обозначено 1.8.2, 15.8.2 или T22",
        "night": "Ночь, на табло обозначено 1.8.1, 15.8.1 или T21",
        "send": "Передать показания",
        "swap": "Вы не перепутали день и ночь?",
        "yes": "Да, поменять местами",
        "saved": "Показания сохранены",
        "used": "28100 · 207 кВт·ч от предыдущих показаний",
        "swapped": "День и ночь переставлены, как вы подтвердили.",
        "history": "История этого счётчика",
        "chart": "Потребление по месяцам, кВт·ч",
    },
    "en": {
        "link": "Pass a reading",
        "last": "Last reading: 27893",
        "day": "Day, shown as 1.8.2, 15.8.2 or T22 on the display",
        "night": "Night, shown as 1.8.1, 15.8.1 or T21 on the display",
        "send": "Send the reading",
        "swap": "Did you swap day and night?",
        "yes": "Yes, swap them",
        "saved": "Reading saved",
        "used": "28100 · 207 kWh since the previous reading",
        "swapped": "Day and night were swapped as you confirmed.",
        "history": "History of this meter",
        "chart": "Consumption by month, kWh",
    },
}


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
def test_customer_passes_a_two_zone_reading_with_a_swapped_pair(
    page, live_server, districts, household, shoot, assert_accessible, language
):
    """The main job, first try, without touching the date (it is pre-filled with today, as ISO, which a
    browser's date input shows in every language), then the swap question, the receipt and the chart."""
    words, prefix = WORDS[language], PREFIX[language]
    today = timezone.localdate()
    log_in(page, live_server.url + prefix, "olena@example.com")
    page.wait_for_url(f"**{prefix}/cabinet/")
    page.get_by_role("link", name=words["link"]).first.click()
    expect(page.get_by_text(words["last"])).to_be_visible()
    date_input = page.locator("input[name=reading_date]")
    expect(date_input).to_have_value(today.isoformat())
    assert page.evaluate("document.querySelector('input[name=reading_date]').valueAsDate !== null")
    page.get_by_label(words["day"]).fill("14020")
    page.get_by_label(words["night"]).fill("28100")
    assert_accessible()
    shoot(f"readings-1-form-{language}")
    page.get_by_role("button", name=words["send"]).click()

    question = page.locator("#swap-question")
    expect(question).to_contain_text(words["swap"])
    expect(question).to_be_focused()
    assert_accessible()
    shoot(f"readings-2-swap-question-{language}")
    page.get_by_role("button", name=words["yes"]).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(words["saved"])
    expect(page.locator(".receipt")).to_contain_text(words["used"])
    expect(page.locator(".receipt")).to_contain_text(words["swapped"])
    assert_accessible()
    shoot(f"readings-3-receipt-{language}")

    page.get_by_role("link", name=words["history"]).click()
    expect(page.get_by_role("heading", name=words["chart"])).to_be_visible()
    # The chart draws: every bar has a real rendered height (a localized "100,0" renders as nothing), three
    # months have a reading (two zones each: 200 and 45 days ago, and today), the other ten are marked as
    # months without one.
    heights = page.eval_on_selector_all("figure.chart svg rect.bar", "bars => bars.map(b => b.getBBox().height)")
    assert len(heights) == 6 and all(height > 0 for height in heights), heights
    assert page.locator("figure.chart svg text.no-reading").count() == 10
    # 207 kWh day, 106 night in the row of the month the Kyiv window gives today (November on 2 December).
    with translation.override(language):
        month = month_year(districts[0].window.billing_month(today))
    row = page.locator("table.data-table").first.locator("tr", has_text=month)
    expect(row.locator("td")).to_have_text(["207", "106", "313"])
    assert_accessible()
    shoot(f"readings-4-history-{language}")
    reading = Reading.objects.current().get(meter=household, reading_date=today)
    assert (reading.day, reading.night, reading.swap_corrected) == (28100, 14020, True)


PUBLIC_WORDS = {
    "uk": {
        "start": "Передати покази зараз",
        "account": "Номер особового рахунку",
        "serial": "Заводський номер лічильника",
        "yes": "Так, це моя адреса",
        "day": "День, на табло позначено 1.8.2, 15.8.2 або T22",
        "night": "Ніч, на табло позначено 1.8.1, 15.8.1 або T21",
        "send": "Передати покази",
        "saved": "Покази збережено",
        "receipt": "Ваші покази збережено.",
    },
    "ru": {
        "start": "Передать показания сейчас",
        "account": "Номер лицевого счёта",
        "serial": "Заводской номер счётчика",
        "yes": "Да, это мой адрес",
        "day": "День, на табло обозначено 1.8.2, 15.8.2 или T22",
        "night": "Ночь, на табло обозначено 1.8.1, 15.8.1 или T21",
        "send": "Передать показания",
        "saved": "Показания сохранены",
        "receipt": "Ваши показания сохранены.",
    },
    "en": {
        "start": "Pass a reading now",
        "account": "Personal account number",
        "serial": "Meter serial number",
        "yes": "Yes, this is my address",
        "day": "Day, shown as 1.8.2, 15.8.2 or T22 on the display",
        "night": "Night, shown as 1.8.1, 15.8.1 or T21 on the display",
        "send": "Send the reading",
        "saved": "Reading saved",
        "receipt": "Your reading is saved.",
    },
}


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
def test_anonymous_visitor_passes_a_reading_through_the_public_form(
    page, live_server, household, shoot, assert_accessible, language
):
    words = PUBLIC_WORDS[language]
    page.goto(live_server.url + PREFIX[language] + "/")
    page.get_by_role("link", name=words["start"]).click()
    page.get_by_label(words["account"]).fill("1000100001")
    page.get_by_label(words["serial"]).fill("02000007")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".masked-address")).to_have_text(re.compile(r"вул\. Шев\*{5}, буд\. 1\*"))
    expect(page.locator("main")).not_to_contain_text("Шевчук")
    assert_accessible()
    shoot(f"public-1-confirm-{language}")
    page.get_by_role("button", name=words["yes"]).click()
    page.get_by_label(words["day"]).fill("28100")
    page.get_by_label(words["night"]).fill("14020")
    assert_accessible()
    shoot(f"public-2-enter-{language}")
    page.get_by_role("button", name=words["send"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["saved"])
    expect(page.locator(".receipt")).to_contain_text(words["receipt"])
    assert_accessible()
    shoot(f"public-3-receipt-{language}")
    assert Reading.objects.current().get(meter=household, reading_date=timezone.localdate()).channel == "web_form"


STAFF_WORDS = {
    "uk": {
        "queue": "Черга перевірки",
        "waits": "1 показ чекає на рішення.",
        "review": "Перевірити",
        "history": "Історія цього лічильника",
        "values": "день 31000, ніч 15400",
        "accepted": "прийнято",
        "save": "Зберегти рішення",
        "saved": "Рішення щодо лічильника 02000007 збережено.",
    },
    "ru": {
        "queue": "Очередь проверки",
        "waits": "1 показание ожидает решения.",
        "review": "Проверить",
        "history": "История этого счётчика",
        "values": "день 31000, ночь 15400",
        "accepted": "принято",
        "save": "Сохранить решение",
        "saved": "Решение по счётчику 02000007 сохранено.",
    },
    "en": {
        "queue": "Review queue",
        "waits": "1 reading waits for a decision.",
        "review": "Review",
        "history": "History of this meter",
        "values": "day 31000, night 15400",
        "accepted": "accepted",
        "save": "Save the decision",
        "saved": "Decision saved for meter 02000007.",
    },
}


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
def test_staff_accept_a_flagged_reading_from_the_review_queue(page, live_server, household, shoot, language):
    words, prefix = STAFF_WORDS[language], PREFIX[language]
    today = timezone.localdate()
    pending = reading_submit(
        meter=household,
        values={"day": "31000", "night": "15400"},
        reading_date=today,
        channel=Channel.SMS,
        submitted_by=None,
        now=timezone.now(),
        today=today,
    ).reading
    assert pending.status == "pending_review"
    UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)
    page.goto(live_server.url + prefix + "/admin/login/")
    page.locator("#id_username").fill("staff@example.com")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.goto(live_server.url + prefix + "/admin/readings/reading/")
    page.get_by_role("link", name=words["queue"]).click()
    expect(page.locator("#content")).to_contain_text(words["waits"])
    shoot(f"staff-1-review-queue-{language}")
    page.get_by_role("link", name=words["review"], exact=True).click()
    expect(page.locator("#content")).to_contain_text(words["history"])
    expect(page.locator("#content")).to_contain_text(words["values"])  # zones in the staff's words
    page.get_by_label(words["accepted"]).check()
    shoot(f"staff-2-review-one-{language}")
    page.get_by_role("button", name=words["save"]).click()
    expect(page.locator(".messagelist")).to_contain_text(words["saved"])
    pending.refresh_from_db()
    assert pending.status == "accepted"
