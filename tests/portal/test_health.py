"""/health/ reports the database, the broker and a Celery worker, and says what is down."""

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse

from portal.celery import app as celery_app

pytestmark = pytest.mark.django_db(transaction=True)

DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def running_worker():
    """A real Celery worker (in a thread) consuming from the test broker."""
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=20) as worker:
        yield worker


@pytest.mark.worker
def test_all_ok_with_a_worker(client, running_worker):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "worker": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_no_worker_means_503_naming_the_worker(client):
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "ok", "worker": "down", "down": ["worker"]}


def test_broker_down_means_503_naming_broker_and_worker(client, settings):
    settings.CELERY_BROKER_URL = DEAD_BROKER
    settings.HEALTH_BROKER_TIMEOUT_SECONDS = 0.5
    response = client.get(reverse("health"))
    assert response.status_code == 503
    body = response.json()
    assert body["broker"] == "down" and body["worker"] == "down"
    assert body["database"] == "ok"
    assert body["down"] == ["broker", "worker"]


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
