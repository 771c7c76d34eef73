"""Celery tasks of billing: thin, idempotent, taking ids and dates as JSON-friendly values; each calls a service.

Services queue these by name (`celery.signature("billing.tasks.…")`) after their commit, so this module
imports the services and not the other way round."""

from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from accounts.enqueue import enqueue
from accounts.tasks import DATABASE_LOST, DATABASE_RETRY
from billing.delivery.selectors import estimate_notice_ranges
from billing.delivery.services import estimate_notices_send
from billing.documents.selectors import print_queue
from billing.documents.services import invoice_render
from billing.documents.services import print_batches_build as print_batches_build_service
from billing.models import BillingRun, Invoice, Pass, PrintBatch, RunStatus
from billing.run.services import (
    RunRefused,
    chunk_bill,
    run_fail,
    run_finish,
    run_finish_if_complete,
    run_queue,
    run_start,
    runs_resume_stale,
)

# A lost database connection is worth waiting out (accounts.tasks.DATABASE_RETRY): a chunk is retried for
# about ten minutes; then the beat's billing_runs_resume queues it again.


@shared_task(
    acks_late=True,
    soft_time_limit=600,
    time_limit=660,
    max_retries=12,
    **DATABASE_RETRY,
)
def billing_chunk(chunk_id: int) -> int:
    """Bill one chunk; a duplicate delivery finds it done (or locked) and does nothing. The worker that
    bills the last chunk finishes the run. An error that is not transient fails the run, for staff."""
    try:
        billed = chunk_bill(chunk_id=chunk_id, now=timezone.now())
    except (*DATABASE_LOST, SoftTimeLimitExceeded):
        raise  # retried (the database), or resumed by beat (a chunk too slow for its time limit)
    except Exception as error:
        run_fail(chunk_id=chunk_id, error=error, now=timezone.now())
        raise
    run_finish_if_complete(chunk_id=chunk_id, now=timezone.now())
    return billed


@shared_task(acks_late=True)
def billing_run_finish(run_id: int) -> str:
    return run_finish(run=BillingRun.objects.get(pk=run_id), now=timezone.now()).status


@shared_task
def billing_runs_resume() -> int:
    """Beat, every few minutes: take over the runs whose heartbeat stopped (a chunk lost with a worker, the
    broker restarted) and queue their pending chunks again; nobody has to be awake at 02:00."""
    runs = runs_resume_stale(now=timezone.now())
    for run in runs:
        run_queue(run)
    return len(runs)


@shared_task
def billing_pass_scheduled(pass_name: str) -> str:
    """The beat entry of the 3rd (actual) and the 4th (final): bill the month that closed."""
    today = timezone.localdate()
    month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    try:
        run = run_start(month=month, pass_name=pass_name, run_date=today, now=timezone.now())
    except RunRefused as refused:
        return str(refused)
    run_queue(run)
    return f"run {run.pk} queued"


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def invoices_render(invoice_ids: list[int]) -> int:
    """Render the PDFs of freshly issued invoices (and email them); an invoice with a PDF is skipped."""
    return sum(invoice_render(invoice_id=invoice_id, now=timezone.now()) for invoice_id in invoice_ids)


PRINT_BATCHES_PER_TASK = 10  # about 1,000 invoices, a few minutes of rendering


@shared_task(acks_late=True, soft_time_limit=1800, time_limit=1900)
def print_batches_build(run_id: int | None = None) -> int:
    """After a pass: print batch PDFs of the paper invoices waiting, per district, some batches per task;
    the task queues itself again while invoices wait (a 100,000-account pass is hours of rendering)."""
    run = BillingRun.objects.filter(pk=run_id).first() if run_id else None
    built = print_batches_build_service(run=run, now=timezone.now(), max_batches=PRINT_BATCHES_PER_TASK)
    if len(built) == PRINT_BATCHES_PER_TASK and print_queue().exists():
        enqueue(print_batches_build, run_id)  # if the broker is gone, print_batches_waiting restarts the chain
    return len(built)


@shared_task
def invoices_render_missing(limit: int = 2000) -> int:
    """Safety net, every few minutes: queue the PDFs of invoices issued a while ago that still have none
    (a lost task, a broker that was down, the demo loader). Rendering skips what is done meanwhile."""
    ids = list(
        Invoice.objects.filter(pdf="", issued_at__lt=timezone.now() - timedelta(minutes=2))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for start in range(0, len(ids), 100):
        if not enqueue(invoices_render, ids[start : start + 100]):
            break
    return len(ids)


PRINT_CHAIN_IDLE = timedelta(minutes=10)


@shared_task
def print_batches_waiting() -> bool:
    """Safety net, every few minutes: when paper invoices wait and no batch was built for a while (the
    build's chain was lost with the broker or a worker), start the chain again. True when queued."""
    idle_since = timezone.now() - PRINT_CHAIN_IDLE
    waiting = print_queue().filter(issued_at__lt=idle_since).exists()
    if not waiting or PrintBatch.objects.filter(created_at__gte=idle_since).exists():
        return False
    return enqueue(print_batches_build, None)


@shared_task
def estimate_notices_missing() -> int:
    """Safety net, every few minutes: the final passes of the last week whose estimate notices were never
    fanned out (the broker was down when the pass committed). Sending skips what the outbox has."""
    runs = list(
        BillingRun.objects.filter(
            pass_name=Pass.FINAL,
            status=RunStatus.DONE,
            notices_queued_at__isnull=True,
            finished_at__lt=timezone.now() - timedelta(minutes=2),
            finished_at__gte=timezone.now() - timedelta(days=7),
        ).values_list("pk", flat=True)
    )
    for run_id in runs:
        if not enqueue(estimate_notices_start, run_id):
            break
    return len(runs)


@shared_task(acks_late=True, soft_time_limit=300, time_limit=360)
def estimate_notices_chunk(run_id: int, first_account_id: int, last_account_id: int) -> int:
    """The estimate notices of one chunk of a final pass; a duplicate delivery finds them in the outbox."""
    return estimate_notices_send(run_id=run_id, first_account_id=first_account_id, last_account_id=last_account_id)


@shared_task(acks_late=True)
def estimate_notices_start(run_id: int) -> int:
    """After pass `final` commits: fan the estimate notices out over the run's chunks."""
    ranges = estimate_notice_ranges(run_id=run_id)
    for first_account_id, last_account_id in ranges:
        if not enqueue(estimate_notices_chunk, run_id, first_account_id, last_account_id):
            return 0  # not marked: estimate_notices_missing starts again (the outbox skips what was queued)
    BillingRun.objects.filter(pk=run_id).update(notices_queued_at=timezone.now())
    return len(ranges)
