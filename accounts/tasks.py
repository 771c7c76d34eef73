"""Celery tasks for accounts: thin wrappers that read the clock and call a service."""

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from accounts.enqueue import enqueue_later
from accounts.services import email_deliver, email_requeue_due

# A database that is lost or busy for a moment (PostgreSQL restarted, a failover, a killed backend; SQLite's
# "table is locked" when another connection reads it) is worth waiting out: retried after about 2, 4, 8 ...
# 60 s with jitter. A send is safe to retry: the claim is its own transaction, so a claim that failed sent
# nothing, and a claimed email is not due again until its backoff has passed.
DATABASE_LOST = (OperationalError, InterfaceError)
DATABASE_RETRY = {"autoretry_for": DATABASE_LOST, "retry_backoff": 2, "retry_backoff_max": 60, "retry_jitter": True}


@shared_task(bind=True, max_retries=None, acks_late=True, soft_time_limit=60, time_limit=90, **DATABASE_RETRY)
def email_send(self, email_id: int) -> str:
    """Send one outbox email; on a transient SMTP failure, try again later with backoff."""
    outcome = email_deliver(email_id=email_id, now=timezone.now())
    if outcome.status == "retry":
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


# A batch waits at most OUTBOX_SEND_BATCH x EMAIL_TIMEOUT (25 x 20 s) on a hung SMTP server.
@shared_task(acks_late=True, soft_time_limit=600, time_limit=660, max_retries=12, **DATABASE_RETRY)
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
