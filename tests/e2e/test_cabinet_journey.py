"""A household registers, verifies its email from the outbox, logs in, links its account and sets it up."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import AccountLink, OutgoingEmail, PersonalAccount
from readings.zones import TWO_ZONE
from tests.factories import MeterFactory, PersonalAccountFactory

PASSWORD = "Kyiv-Energy-2026!"
LINK = re.compile(r"https?://\S+/accounts/confirm-email/\S+/")

WORDS = {
    "uk": {
        "prefix": "",
        "account_label": "Номер особового рахунку",
        "serial_label": "Заводський номер лічильника",
        "add": "Додати особовий рахунок",
        "neutral": "Не вдалося знайти особовий рахунок із таким номером і заводським номером лічильника.",
        "card": "Особовий рахунок 1000100001",
        "details": "Дані особового рахунку й налаштування",
        "supplier": "Постачальник щомісяця виставляє мені рахунок",
        "paper": "Надсилати також паперовий рахунок поштою",
        "save": "Зберегти налаштування",
        "saved": "Налаштування збережено.",
        "day": "День (на табло: 1.8.2, 15.8.2 або T22)",
    },
    "ru": {
        "prefix": "/ru",
        "account_label": "Номер лицевого счёта",
        "serial_label": "Заводской номер счётчика",
        "add": "Добавить лицевой счёт",
        "neutral": "Не удалось найти лицевой счёт с таким номером и заводским номером счётчика.",
        "card": "Лицевой счёт 1000100001",
        "details": "Данные лицевого счёта и настройки",
        "supplier": "Поставщик ежемесячно выставляет мне счёт",
        "paper": "Присылать также бумажный счёт по почте",
        "save": "Сохранить настройки",
        "saved": "Настройки сохранены.",
        "day": "День (на табло: 1.8.2, 15.8.2 или T22)",
    },
    "en": {
        "prefix": "/en",
        "account_label": "Personal account number",
        "serial_label": "Meter serial number",
        "add": "Add an account",
        "neutral": "We could not find an account with this number and meter serial number.",
        "card": "Account 1000100001",
        "details": "Account details and settings",
        "supplier": "The supplier issues my bill every month",
        "paper": "Also send me a paper bill by post",
        "save": "Save settings",
        "saved": "Your settings are saved.",
        "day": "Day (the display shows 1.8.2, 15.8.2 or T22)",
    },
}


@pytest.fixture
def demo_account(districts):
    account = PersonalAccountFactory(
        number="1000100001", district=districts[0], address="м. Київ, просп. Голосіївський, буд. 5, кв. 33"
    )
    MeterFactory(account=account, serial_number="02000007", zone_set=TWO_ZONE)
    return account


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
def test_register_verify_login_link_and_set_up(
    page, live_server, settings, demo_account, shoot, assert_accessible, language
):
    settings.PORTAL_URL = live_server.url  # every email links to PORTAL_URL, here the live server
    words = WORDS[language]
    base = live_server.url + words["prefix"]
    email = f"household-{language}@example.com"

    # Sign up.
    page.goto(base + "/accounts/signup/")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/accounts/confirm-email/")
    assert_accessible()
    shoot(f"cabinet-1-verify-sent-{language}")

    # The verification email waits in the outbox; open its link and confirm.
    outgoing = OutgoingEmail.objects.get(to_email=email)
    assert outgoing.language == language
    page.goto(LINK.search(outgoing.body_text).group(0).replace("http://testserver", live_server.url))
    page.locator("main form button[type=submit]").click()

    # Log out and log in again with the new password.
    page.locator("header form button[type=submit]").filter(has_text=re.compile("Log out|Вийти|Выйти")).click()
    page.goto(base + "/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**{words['prefix']}/cabinet/")

    # A wrong pair: one neutral message, focus on the error summary.
    page.get_by_role("link", name=words["add"]).first.click()
    page.get_by_label(words["account_label"]).fill("1000100001")
    page.get_by_label(words["serial_label"]).fill("02000099")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#error-summary")).to_contain_text(words["neutral"])
    expect(page.locator("#error-summary")).to_be_focused()
    assert_accessible()
    shoot(f"cabinet-2-wrong-pair-{language}")

    # The right pair links the demo two-zone account.
    page.get_by_label(words["serial_label"]).fill("02000007")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**{words['prefix']}/cabinet/")
    card = page.locator("article.account-card")
    expect(card).to_contain_text(words["card"])
    expect(card).to_contain_text("Голосіївський")
    expect(card).to_contain_text(words["day"])
    assert_accessible()
    shoot(f"cabinet-3-dashboard-{language}")

    # Change the invoice mode and ask for paper.
    page.get_by_role("link", name=words["details"]).click()
    page.get_by_label(re.compile(words["supplier"])).check()
    page.get_by_label(words["paper"]).check()
    page.get_by_role("button", name=words["save"]).click()
    expect(page.locator(".messages")).to_contain_text(words["saved"])
    assert_accessible()
    shoot(f"cabinet-4-account-{language}")

    account = PersonalAccount.objects.get(number="1000100001")
    assert (account.invoice_mode, account.paper_copy) == ("supplier", True)
    assert AccountLink.objects.filter(user__email=email, account=account).exists()
