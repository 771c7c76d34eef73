"""The Content-Security-Policy holds on every page a customer or staff open, and breaks none of them.

Chromium enforces the portal's real header; every `securitypolicyviolation` event and every console
line about the policy is collected, and the server's report endpoint must have logged nothing.
"""

import logging
import re
from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from portal.demo import CUSTOMER_EMAIL, DEMO_PASSWORD, STAFF_EMAIL

COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI} in ${event.sourceFile}`);
});
"""
SKIP = re.compile(r"(\.csv|/pdf/|/photo/|/unlink/|logout|/delete/|/history/\d+/|/generate/)")


@pytest.fixture
def watched(page, caplog):
    """The page, with CSP violations collected from the browser console, the DOM event and the server."""
    console = []
    page.add_init_script(COLLECT_VIOLATIONS)
    page.on(
        "console", lambda message: console.append(message.text) if "Content Security Policy" in message.text else None
    )
    caplog.set_level(logging.WARNING, logger="portal.csp")

    def violations() -> list[str]:
        in_page = page.evaluate("window.__cspViolations || []")
        reported = [record.getMessage() for record in caplog.records if record.name == "portal.csp"]
        return [*in_page, *console, *reported]

    page.violations = violations
    return page


def visit(page, url: str) -> None:
    response = page.goto(url)
    assert response.status < 400, (url, response.status)
    policy = dict(part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))
    assert policy["script-src"].startswith("'self'") and "unsafe" not in policy["script-src"], policy
    page.wait_for_load_state("networkidle")
    assert page.violations() == [], (url, page.violations())


def same_site_links(page, base: str, prefix: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(link => link.href)")
    links = []
    for href in hrefs:
        path = urlparse(href).path
        if href.startswith(base) and path.startswith(prefix) and not SKIP.search(path) and href not in links:
            links.append(href.split("#")[0])
    return links


def log_in(page, url: str, email: str) -> None:
    page.goto(url)
    page.locator("input[name=login], input[name=username]").first.fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_load_state("networkidle")


def test_customer_pages_the_admin_and_the_api_docs_run_under_the_policy_without_a_violation(
    watched, live_server, transactional_db
):
    call_command("seed_demo", "--today", timezone.localdate().isoformat())
    base = live_server.url
    for url in ("/", "/ru/", "/en/accounts/login/", "/accounts/signup/", "/readings/"):
        visit(watched, base + url)

    # The customer's cabinet: the dashboard and every page it links to, one level down.
    log_in(watched, base + "/en/accounts/login/", CUSTOMER_EMAIL)
    visit(watched, base + "/en/cabinet/")
    seen = set()
    for url in same_site_links(watched, base, "/en/cabinet/"):
        if url in seen:
            continue
        seen.add(url)
        visit(watched, url)
        for deeper in same_site_links(watched, base, "/en/cabinet/")[:12]:
            if deeper not in seen:
                seen.add(deeper)
                visit(watched, deeper)
    assert any("/reading/" in url for url in seen) and any("/history/" in url for url in seen), seen

    # The reading form's error summary takes the focus through portal.js, not an inline script.
    reading_form = next(url for url in seen if url.endswith("/reading/"))
    visit(watched, reading_form)
    watched.locator("#reading-form").get_by_role("button", name="Send the reading", exact=True).click()
    expect(watched.locator("#error-summary")).to_be_focused()
    assert watched.violations() == []

    # Staff: the admin's index, every change list it links to, and one change form.
    watched.context.clear_cookies()
    log_in(watched, base + "/en/admin/login/", STAFF_EMAIL)
    visit(watched, base + "/en/admin/")
    changelists = same_site_links(watched, base, "/en/admin/")
    assert len(changelists) >= 8, changelists
    for url in changelists:
        visit(watched, url)
    visit(watched, base + "/en/admin/accounts/personalaccount/")
    watched.locator("#result_list tbody tr th a").first.click()
    watched.wait_for_load_state("networkidle")
    assert watched.violations() == []

    # The API docs: Swagger UI's start-up script runs with the response's nonce; Redoc too.
    visit(watched, base + "/api/docs/")
    expect(watched.locator(".swagger-ui .info .title")).to_contain_text("Energy portal API")
    visit(watched, base + "/api/redoc/")
    expect(watched.locator("h1").first).to_contain_text("Energy portal API")
    assert watched.violations() == []


def test_an_injected_inline_script_is_blocked_and_reported(watched, live_server, transactional_db, caplog):
    """The policy really is enforced: a script without the nonce does not run, and the server logs it."""
    visit(watched, live_server.url + "/en/")
    watched.evaluate(
        """() => { const script = document.createElement("script");
                   script.textContent = "window.__ran = true";
                   document.body.appendChild(script); }"""
    )
    for _ in range(50):  # the browser posts its report to /csp-report/ on its own time
        if any(record.name == "portal.csp" for record in caplog.records):
            break
        watched.wait_for_timeout(100)
    assert watched.evaluate("window.__ran === undefined")
    assert any("script-src" in line for line in watched.evaluate("window.__cspViolations"))
    logged = [record.getMessage() for record in caplog.records if record.name == "portal.csp"]
    assert len(logged) == 1 and '"effective-directive": "script-src-elem"' in logged[0], logged
    assert '"document-uri": "' + live_server.url + '/en/"' in logged[0]
