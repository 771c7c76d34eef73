"""Staff on a 1280 px screen: every wide change list of the demo portal fits beside its filters, in Ukrainian,
with no horizontal scroll (screenshots kept under the screenshot folder)."""

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import UserFactory
from tests.factories.accounts import PASSWORD

CHANGE_LISTS = [
    "billing/invoice", "billing/charge", "billing/billingrun", "billing/printbatch", "billing/payment",
    "billing/tariff", "readings/reading", "readings/meter", "accounts/personalaccount", "accounts/outgoingemail",
    "accounts/district", "auditlog/logentry",
]  # fmt: skip


@pytest.fixture
def staff_page(page, live_server, transactional_db):
    call_command("seed_demo", "--today", timezone.localdate().isoformat(), stdout=open("/dev/null", "w"))
    staff = UserFactory(email="operator@example.com", is_staff=True, is_superuser=True, preferred_language="uk")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Адреса електронної пошти").fill(staff.email)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Увійти").click()
    expect(page.get_by_role("heading", name="Адміністрування сайта")).to_be_visible()
    return page


def test_wide_change_lists_fit_1280_px_beside_their_filters(staff_page, live_server, screenshot_dir):
    overflowing = {}
    for name in CHANGE_LISTS:
        staff_page.goto(f"{live_server.url}/admin/{name}/")
        expect(staff_page.locator("#content h1")).to_be_visible()
        widths = staff_page.evaluate(
            """() => {
                const table = document.querySelector('#result_list');
                const filter = document.querySelector('#changelist-filter');
                return {
                    page: document.documentElement.scrollWidth,
                    table: table ? Math.round(table.getBoundingClientRect().right) : 0,
                    filter: filter ? Math.round(filter.getBoundingClientRect().left) : 1280,
                };
            }"""
        )
        staff_page.screenshot(path=str(screenshot_dir / f"admin-{name.replace('/', '-')}-1280.png"))
        if widths["page"] > 1280 or widths["table"] > widths["filter"]:
            overflowing[name] = widths
    assert overflowing == {}
