"""A visitor reads the home page in each language; staff log into the admin."""

import pytest
from playwright.sync_api import expect

from tests.factories import UserFactory
from tests.factories.accounts import PASSWORD

HEADINGS = {"uk": "Передайте покази лічильника", "ru": "Передайте показания счётчика", "en": "Pass your meter readings"}
SWITCH_LABELS = {"uk": "Українська", "ru": "Русский", "en": "English"}


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
def test_home_page_in_each_language(page, live_server, districts, shoot, assert_accessible, language):
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    if language != "uk":
        page.get_by_role("button", name=SWITCH_LABELS[language]).click()  # the header's language switcher
        page.wait_for_url(f"**/{language}/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("heading", level=1)).to_have_text(HEADINGS[language])
    expect(page.locator("footer")).to_contain_text("0 800 300 150")
    assert page.get_by_role("listitem").filter(has_text="ДЕК").count() >= 1
    assert_accessible()
    shoot(f"home-{language}")


def test_skip_link_is_the_first_stop_for_the_keyboard(page, live_server, districts):
    page.goto(live_server.url + "/en/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"


def test_staff_logs_into_the_admin(page, live_server, districts, shoot):
    staff = UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)
    page.goto(live_server.url + "/en/admin/")
    page.get_by_label("Email address").fill(staff.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    expect(page.get_by_role("link", name="Personal accounts", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Readings", exact=True)).to_be_visible()
    shoot("admin-index-en")


def test_wrong_password_is_refused_in_the_admin(page, live_server, districts):
    UserFactory(email="staff@example.com", is_staff=True)
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Адреса електронної пошти").fill("staff@example.com")
    page.get_by_label("Пароль").fill("wrong-password")
    page.get_by_role("button", name="Увійти").click()
    expect(page.locator(".errornote")).to_be_visible()
