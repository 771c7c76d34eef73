"""Celery tasks for accounts: thin wrappers that read the clock and call a service."""

from celery import shared_task
from django.utils import timezone

from accounts.enqueue import enqueue_later
from accounts.services import email_deliver, email_requeue_due


@shared_task(bind=True, max_retries=None, acks_late=True, soft_time_limit=60, time_limit=90)
def email_send(self, email_id: int) -> str:
    """Send one outbox email; on a transient SMTP failure, try again later with backoff."""
    outcome = email_deliver(email_id=email_id, now=timezone.now())
    if outcome.status == "retry":
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


# A batch waits at most OUTBOX_SEND_BATCH x EMAIL_TIMEOUT (25 x 20 s) on a hung SMTP server.
@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def emails_send(email_ids: list[int]) -> int:
    """Send a batch of outbox emails (a chunk's reminders or notices) one by one, as `email_send` would each:
    publishing a task per email cost more CPU than drafting it (bench/RESULTS.md). One that fails for now
    goes to `email_send` after its backoff; a redelivered batch skips what was sent or claimed already."""
    sent = 0
    for email_id in email_ids:
        outcome = email_deliver(email_id=email_id, now=timezone.now())
        if outcome.status == "retry":
            enqueue_later(outcome.retry_in, email_send, email_id)
        sent += outcome.status == "sent"
    return sent


@shared_task(acks_late=True, soft_time_limit=120, time_limit=180)
def email_requeue_overdue() -> int:
    return email_requeue_due(now=timezone.now())
