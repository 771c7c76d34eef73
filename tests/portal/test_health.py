"""Health: /health/ (database, broker, a worker's heartbeat) for monitors, /health/live and /health/ready for
load balancers, and the 503 page a customer sees while the database is down."""

import contextlib
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.html import page_text
from tests.readings.conftest import postgresql_only  # noqa: F401 - fixture
from tests.servers import free_port
from tests.workers import start_worker, stop_worker

pytestmark = pytest.mark.django_db(transaction=True)

DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@contextlib.contextmanager
def database_unreachable():
    """The default connection points at a port nothing listens on (a real refused connection), then back."""
    from django.db import connection

    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["PORT"] = str(free_port())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


@pytest.fixture
def running_worker(tmp_path):
    """A real `celery worker` process on the test database; it writes its heartbeat when ready."""
    from django.db import connection

    from portal.models import WorkerHeartbeat

    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs the PostgreSQL test database (CI runs this on PostgreSQL)")

    worker = start_worker("health", log=tmp_path / "worker.log")
    try:
        deadline = time.monotonic() + 60
        while not WorkerHeartbeat.objects.exists():
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
            time.sleep(0.2)
        yield worker
    finally:
        stop_worker(worker)


@pytest.mark.worker
def test_all_ok_with_a_worker_and_down_once_it_stops(client, running_worker):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "worker": "ok"}
    assert "no-cache" in response["Cache-Control"]
    stop_worker(running_worker)  # a worker that stops says so: its heartbeat row goes with it
    assert client.get(reverse("health")).json()["worker"] == "down"


def test_no_worker_means_503_naming_the_worker(client):
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "ok", "worker": "down", "down": ["worker"]}


def test_the_worker_is_down_when_its_heartbeat_is_older_than_a_minute(client, settings):
    from portal.models import WorkerHeartbeat

    heartbeat = WorkerHeartbeat.objects.create(hostname="w1@node", seen_at=timezone.now() - timedelta(seconds=59))
    assert client.get(reverse("health")).json()["worker"] == "ok"
    heartbeat.seen_at = timezone.now() - timedelta(seconds=61)
    heartbeat.save()
    assert client.get(reverse("health")).json()["worker"] == "down"


def test_broker_down_means_503_naming_it(client, settings):
    settings.CELERY_BROKER_URL = DEAD_BROKER
    settings.HEALTH_BROKER_TIMEOUT_SECONDS = 0.5
    response = client.get(reverse("health"))
    assert response.status_code == 503
    body = response.json()
    assert body["broker"] == "down" and body["database"] == "ok"
    assert body["down"] == ["broker", "worker"]


def test_live_answers_without_touching_anything(client):
    response = client.get("/health/live")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_ready_needs_the_database_and_only_warns_about_the_broker(client, settings):
    ready = client.get("/health/ready")
    assert ready.status_code == 200 and ready.json() == {"database": "ok", "broker": "ok"}
    settings.CELERY_BROKER_URL = DEAD_BROKER
    settings.HEALTH_BROKER_TIMEOUT_SECONDS = 0.5
    warned = client.get("/health/ready")
    assert warned.status_code == 200
    assert warned.json() == {"database": "ok", "broker": "down", "warnings": ["broker"]}


@pytest.mark.usefixtures("postgresql_only")  # an SQLite test database lives in memory: it cannot be cut off
def test_with_the_database_down_ready_fails_live_answers_and_pages_say_try_again(client):
    with database_unreachable():
        assert client.get("/health/live").status_code == 200
        ready = client.get("/health/ready")
        assert ready.status_code == 503 and ready.json()["database"] == "down"
        assert client.get(reverse("health")).json()["down"][0] == "database"
        page = client.get("/en/")
        assert page.status_code == 503 and page["Retry-After"] == "120"
        text = page_text(page)
        assert "Temporarily unavailable" in text
        assert "The service is temporarily unavailable. Please try again in a few minutes." in text
        ukrainian = page_text(client.get("/"))
        assert "Сервіс тимчасово недоступний. Спробуйте ще раз за кілька хвилин." in ukrainian
        api = client.get("/api/v1/accounts/", HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION="Bearer pk_0123456789")
        assert api.status_code == 503 and api.json()["error"]["code"] == "unavailable"
    assert client.get("/health/ready").status_code == 200


@pytest.mark.usefixtures("postgresql_only")
def test_a_signed_in_page_with_the_database_down_is_the_503_page_even_when_a_middleware_fails_first(client):
    """The audit log's middleware reads the session's user before any view: Django's 500 handler answers
    503 when the database is the cause (found by `make drill`)."""
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    client.raise_request_exception = False  # as in production: the handler answers, not the test client
    with database_unreachable():
        page = client.get("/en/cabinet/")
    assert page.status_code == 503
    assert "The service is temporarily unavailable. Please try again in a few minutes." in page_text(page)


def test_database_down_is_reported_as_down():
    """A real connection attempt to a server that is not there (nothing listens on port 1)."""
    from django.db.utils import ConnectionHandler

    from portal.health import database_status

    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "HOST": "127.0.0.1",
                "PORT": "1",
                "NAME": "portal",
                "OPTIONS": {"connect_timeout": 2},
            }
        }
    )
    assert database_status(handler["default"]) == "down"


def test_database_ok_on_the_real_database():
    from django.db import connection

    from portal.health import database_status

    assert database_status(connection) == "ok"


def test_health_only_answers_get(client):
    assert client.post(reverse("health")).status_code == 405
