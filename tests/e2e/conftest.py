"""Browser journeys: real Chromium (Debian's) driven by Playwright against Django's live server."""

import os

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.factories import DistrictFactory

# Django's ORM inside the live-server tests runs next to Playwright's event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def pytest_collection_modifyitems(items):
    for item in items:
        if item.fspath and "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def districts(transactional_db):
    return [
        DistrictFactory(
            code="KYIV",
            name="Київська філія",
            contact_phone="0 800 300 150",
            contact_email="kyiv@energy-portal.example",
        ),
        DistrictFactory(
            code="DEK",
            name="Дніпровська енергетична компанія (ДЕК)",
            contact_phone="0 800 500 444",
            window_open_day=20,
            window_close_month_offset=0,
            window_close_day=25,
            window_policy="strict",
        ),
    ]


def full_page_screenshot(page, path) -> None:
    """A full-page screenshot that survives a loaded machine.

    CI once saw Chromium report "fonts loaded" and then never deliver the frame of a page that was already
    asserted and checked by axe (30 s, on a machine running the suite 50 % slower than usual): the capture
    waits for a compositor frame after the viewport change. The page is done; one more try after a pause
    gets the frame. A second timeout still fails the test."""
    try:
        page.screenshot(path=str(path), full_page=True, timeout=45_000)
    except PlaywrightTimeoutError:
        page.wait_for_timeout(1_000)
        page.screenshot(path=str(path), full_page=True, timeout=90_000)


@pytest.fixture
def shoot(page, screenshot_dir):
    """Save a full-page screenshot at phone and desktop width; returns the file paths."""

    def take(name: str) -> list:
        paths = []
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            if label == "phone" and "/admin/" not in page.url and "/api/" not in page.url:
                # Phone first: a customer page never scrolls sideways at 390 px (long words, amounts and tables
                # wrap or become cards). The admin and the API docs are desktop tools.
                overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                assert overflow <= 0, f"{name}: {page.url} is {overflow} px wider than a 390 px phone"
            path = screenshot_dir / f"{name}-{label}.png"
            full_page_screenshot(page, path)
            paths.append(path)
        print(f"screenshots: {', '.join(map(str, paths))}")
        return paths

    return take


@pytest.fixture(scope="session")
def axe():
    return Axe()


@pytest.fixture
def assert_accessible(page, axe):
    """No serious or critical axe-core violation on the page as it is now."""

    def check():
        results = axe.run(page)
        bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert not bad, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in bad]

    return check
