"""Celery tasks for accounts: thin wrappers that read the clock and call a service."""

from celery import shared_task
from django.utils import timezone

from accounts.services import email_deliver, email_requeue_due


@shared_task(bind=True, max_retries=None, acks_late=True, soft_time_limit=60, time_limit=90)
def email_send(self, email_id: int) -> str:
    """Send one outbox email; on a transient SMTP failure, try again later with backoff."""
    outcome = email_deliver(email_id=email_id, now=timezone.now())
    if outcome.status == "retry":
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(acks_late=True, soft_time_limit=120, time_limit=180)
def email_requeue_overdue() -> int:
    return email_requeue_due(now=timezone.now())
