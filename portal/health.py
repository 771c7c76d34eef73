"""Liveness checks of what the portal depends on: the database, the broker and a Celery worker."""

from django.conf import settings
from django.db import connection
from kombu import Connection

from portal.celery import app as celery_app

OK = "ok"
DOWN = "down"


def database_status(db_connection=None) -> str:
    try:
        with (db_connection or connection).cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any failure means "down" to a health probe
        return DOWN
    return OK


def broker_status() -> str:
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=settings.HEALTH_BROKER_TIMEOUT_SECONDS) as conn:
            conn.ensure_connection(max_retries=1, timeout=settings.HEALTH_BROKER_TIMEOUT_SECONDS)
    except Exception:  # noqa: BLE001
        return DOWN
    return OK


def worker_status(broker: str) -> str:
    """A worker is up when at least one answers a ping; without a broker nobody can answer."""
    if broker != OK:
        return DOWN
    try:
        replies = celery_app.control.ping(timeout=settings.HEALTH_WORKER_TIMEOUT_SECONDS)
    except Exception:  # noqa: BLE001
        return DOWN
    return OK if replies else DOWN


def portal_health() -> dict[str, str]:
    broker = broker_status()
    return {"database": database_status(), "broker": broker, "worker": worker_status(broker)}
