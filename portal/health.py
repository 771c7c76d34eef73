"""Health of what the portal depends on, for load balancers (`live`, `ready`) and monitors (`/health/`).

- live: the process answers (nothing else is touched).
- ready: the database answers; the broker is reported as a warning only, since a web node without a
  broker still serves customers (queued work waits for the sweepers, accounts/enqueue.py).
- /health/: database, broker and worker; the worker status comes from the heartbeat the workers write
  to the database (portal/celery.py), so the check costs one query, not a 1.5 s broadcast ping.
"""

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from kombu import Connection

logger = logging.getLogger(__name__)

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


def worker_status() -> str:
    """Up when some worker wrote its heartbeat within HEALTH_WORKER_STALE_SECONDS."""
    from portal.models import WorkerHeartbeat

    fresh_since = timezone.now() - timedelta(seconds=settings.HEALTH_WORKER_STALE_SECONDS)
    try:
        return OK if WorkerHeartbeat.objects.filter(seen_at__gte=fresh_since).exists() else DOWN
    except Exception:  # noqa: BLE001 - no database, no heartbeat to read
        return DOWN


def portal_health() -> dict[str, str]:
    return {"database": database_status(), "broker": broker_status(), "worker": worker_status()}


def readiness() -> tuple[bool, dict]:
    """(ready, body): ready when the database answers; a broker that does not is a warning."""
    body = {"database": database_status(), "broker": broker_status()}
    warnings = [name for name in ("broker",) if body[name] != OK]
    if warnings:
        body["warnings"] = warnings
    return body["database"] == OK, body


# --- The workers' side -------------------------------------------------------------------------------


def heartbeat_write(*, hostname: str) -> None:
    from portal.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(hostname=hostname[:200], defaults={"seen_at": timezone.now()})


def heartbeat_remove(*, hostname: str) -> None:
    from portal.models import WorkerHeartbeat

    WorkerHeartbeat.objects.filter(hostname=hostname[:200]).delete()


def heartbeat_thread_start(*, hostname: str) -> threading.Event:
    """Write the heartbeat now and every WORKER_HEARTBEAT_SECONDS in a daemon thread; set the returned
    event to stop. A database outage is logged and retried: the thread outlives it."""
    stop = threading.Event()

    def beat():
        while not stop.is_set():
            try:
                close_old_connections()
                heartbeat_write(hostname=hostname)
            except Exception as error:  # noqa: BLE001 - the database may be down; try again next beat
                logger.warning("worker heartbeat not written: %s: %s", type(error).__name__, error)
            stop.wait(settings.WORKER_HEARTBEAT_SECONDS)
        connection.close()

    threading.Thread(target=beat, name="portal-heartbeat", daemon=True).start()
    return stop
