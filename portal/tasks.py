"""Periodic housekeeping of the portal as a whole (schedules in setup_periodic_tasks)."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone


@shared_task(ignore_result=True, soft_time_limit=300, time_limit=360)
def idempotency_records_purge_task() -> int:
    """Hourly: Idempotency-Key records older than IDEMPOTENCY_RETENTION_HOURS. Safe to run twice."""
    from portal.api.idempotency import idempotency_records_purge

    return idempotency_records_purge(now=timezone.now(), retention_hours=settings.IDEMPOTENCY_RETENTION_HOURS)
