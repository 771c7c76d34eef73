"""The Celery app: configured from Django settings (CELERY_*), tasks discovered in every app."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Every worker says it is alive by writing a row (portal/health.py), which /health/ reads.
_heartbeat = {}


@signals.worker_ready.connect
def _heartbeat_start(sender=None, **kwargs):
    from portal.health import heartbeat_thread_start

    _heartbeat["hostname"] = sender.hostname
    _heartbeat["stop"] = heartbeat_thread_start(hostname=sender.hostname)


@signals.worker_shutdown.connect
def _heartbeat_stop(sender=None, **kwargs):
    if "stop" in _heartbeat:
        _heartbeat["stop"].set()
        from portal.health import heartbeat_remove

        try:
            heartbeat_remove(hostname=_heartbeat["hostname"])
        except Exception:  # noqa: BLE001 - a worker stopping during a database outage; the row goes stale
            pass
