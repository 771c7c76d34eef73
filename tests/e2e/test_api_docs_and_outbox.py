"""The API docs page renders from local assets; staff see the demo customer's reminder and estimate notice in
the outbox after the demo load."""

from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import UserFactory
from tests.factories.accounts import PASSWORD


def test_the_api_docs_page_renders(page, live_server, shoot):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(live_server.url + "/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Energy portal API")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert page.locator(".opblock").count() >= 12
    assert all(url.startswith(live_server.url) for url in requests), [u for u in requests if "127.0.0.1" not in u]
    shoot("api-docs")


def test_staff_see_the_demo_reminder_and_estimate_notice_in_the_outbox(page, live_server, shoot, transactional_db):
    call_command("seed_demo", "--today", timezone.localdate().isoformat())
    staff = UserFactory(email="outbox@example.com", is_staff=True, is_superuser=True)
    page.goto(live_server.url + "/en/admin/")
    page.get_by_label("Email address").fill(staff.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server.url + "/en/admin/accounts/outgoingemail/?q=demo%40example.com")
    rows = page.locator("#result_list tbody tr")
    expect(rows.first).to_be_visible()
    kinds = page.locator("#result_list").inner_text()
    # The kinds in the staff's words (accounts/admin_base.py), not the stored codes.
    assert "reminder to pass a reading" in kinds and "estimated month" in kinds, kinds
    shoot("outbox-demo-en")
