"""Celery tasks of readings: thin, idempotent, taking ids and ISO dates; only they read the clock."""

from datetime import date

from celery import shared_task
from django.utils import timezone

from accounts.enqueue import enqueue
from readings.reminders import reminder_chunks, reminders_chunk_send


@shared_task(acks_late=True, soft_time_limit=300, time_limit=360)
def reminders_chunk(district_id: int, kind: str, month: str, first_account_id: int, last_account_id: int) -> int:
    """Remind one chunk of a district's accounts; a second delivery finds the reminders recorded and sends none."""
    result = reminders_chunk_send(
        district_id=district_id,
        kind=kind,
        month=date.fromisoformat(month),
        first_account_id=first_account_id,
        last_account_id=last_account_id,
        now=timezone.now(),
    )
    return result.emails


@shared_task
def reminders_daily() -> str:
    """The beat entry (09:00): reminders of the districts whose window opens today or closes tomorrow."""
    chunks = reminder_chunks(today=timezone.localdate())
    for chunk in chunks:
        enqueue(reminders_chunk, **chunk.as_kwargs())
    return f"{len(chunks)} reminder chunks queued"


@shared_task(acks_late=True, soft_time_limit=120, time_limit=180)
def reading_decision_notice(decision_id: int) -> int:
    """Tell the account's users what staff decided about a reading that waited for review."""
    from readings.notices import reading_decision_notify

    return reading_decision_notify(decision_id=decision_id)


@shared_task
def reading_decision_notices_missing() -> int:
    """Safety net, every few minutes: staff decisions of the last day whose notice task was lost (the broker
    was down at the decision). Notifying is idempotent: the outbox's dedup key sends each email once."""
    from readings.notices import reading_decision_notices_missing as missing

    return missing(now=timezone.now())


@shared_task
def held_photos_purge() -> int:
    """Hourly: delete photos the reading form read but no reading was sent with (readings/held_photos.py)."""
    from readings.held_photos import held_photos_purge as purge

    return purge(now=timezone.now())
