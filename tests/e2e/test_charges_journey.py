"""The demo customer reads their charges, each line explained, after the demo's billing history."""

from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect


def test_demo_customer_reads_explained_charges(page, live_server, shoot, assert_accessible, transactional_db):
    call_command("seed_demo", "--today", timezone.localdate().isoformat())
    page.goto(live_server.url + "/en/accounts/login/")
    page.locator("input[name=login]").fill("demo@example.com")
    page.locator("input[name=password]").fill("demo-portal-2026")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/en/cabinet/")
    page.get_by_role("link", name="Account details and settings").first.click()
    page.get_by_role("link", name="Charges by month").click()
    months = page.locator("section.charge-month")
    expect(months.first).to_be_visible()
    assert months.count() == 12
    expect(page.locator("main")).to_contain_text("by your reading of")
    assert_accessible()
    shoot("charges-en")
    page.get_by_role("button", name="Українська").click()
    expect(page.locator("main")).to_contain_text("за вашими показами на")
    shoot("charges-uk")
    page.get_by_role("button", name="Русский").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("heading", level=1)).to_contain_text("1000100001")
    shoot("charges-ru")
    # The profile, at phone width too, in both languages.
    page.goto(live_server.url + "/ru/cabinet/profile/")
    shoot("profile-ru")
    page.goto(live_server.url + "/cabinet/profile/")
    shoot("profile-uk")
