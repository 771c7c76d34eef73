"""Writes of the documents: an issued invoice's PDF (rendered once, then its customers are told) and the
print batches of the paper copies. Services queue the tasks by name after the commit (`billing.tasks`
imports this module, not the other way round)."""

import logging
import secrets
from datetime import datetime

from celery import signature
from django.core.files.base import ContentFile
from django.db import transaction

from accounts.enqueue import enqueue_after_commit
from billing.delivery.services import invoice_ready_notify
from billing.documents.pdf import invoice_pdf, invoices_pdf
from billing.documents.selectors import print_batch_invoices, print_queue
from billing.models import BillingRun, Invoice, InvoiceKind, PrintBatch

logger = logging.getLogger(__name__)


def pdf_name(prefix: str) -> str:
    """A storage name nobody can guess: the files are served only through views that check access."""
    return f"{prefix}-{secrets.token_urlsafe(24)}.pdf"


def invoice_render(*, invoice_id: int, now: datetime) -> bool:
    """Render the invoice's PDF if it has none yet, then tell its users. Safe to run twice."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().filter(pk=invoice_id).first()
        if invoice is None or invoice.pdf:
            return False
        content = invoice_pdf(invoice)
        invoice.pdf.save(pdf_name(f"{invoice.number}"), ContentFile(content), save=False)
        invoice.pdf_rendered_at = now
        invoice.save(update_fields=["pdf", "pdf_rendered_at"])
        # A cancellation is no invoice to pay: its customers hear of the reissue that follows it.
        if invoice.kind != InvoiceKind.CANCELLATION:
            invoice_ready_notify(invoice=invoice)
    return True


# A print batch is one WeasyPrint document, held in memory while it is laid out: about 3.5 MB and 0.1-0.2 s
# of CPU per invoice page. A district's paper invoices are therefore split into batches of this many (an
# account with no linked user gets paper by default, so a district may have tens of thousands).
PRINT_BATCH_MAX_INVOICES = 100


def print_batches_build(*, run: BillingRun | None, now: datetime, max_batches: int | None = None) -> list[PrintBatch]:
    """PDFs of the paper invoices waiting to be printed: per district, in account order, at most
    PRINT_BATCH_MAX_INVOICES each. Safe to run twice, or in two workers at once: an invoice goes into one
    batch only (taken under a row lock, skipping rows another worker holds), and each batch commits on
    its own, so an interrupted build keeps what it made and the next one takes the rest. With
    `max_batches`, it stops after that many (the task then queues itself again for the rest)."""
    batches = []
    district_ids = list(print_queue().order_by("district_id").values_list("district_id", flat=True).distinct())
    for district_id in district_ids:
        while max_batches is None or len(batches) < max_batches:
            batch = _print_batch_build(district_id=district_id, run=run, now=now)
            if batch is None:
                break
            batches.append(batch)
    return batches


def _print_batch_build(*, district_id: int, run: BillingRun | None, now: datetime) -> PrintBatch | None:
    with transaction.atomic():
        invoices = list(
            print_queue(district_id)
            # Lock the invoices only: the replaced invoice is an outer join PostgreSQL cannot lock.
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("district", "replaces")
            .order_by("account_number", "pk")[:PRINT_BATCH_MAX_INVOICES]
        )
        if not invoices:
            return None
        batch = PrintBatch.objects.create(district_id=district_id, run=run, created_at=now, invoice_count=len(invoices))
        name = pdf_name(f"print-{invoices[0].district.code}-{now:%Y%m%d}")
        batch.pdf.save(name, ContentFile(invoices_pdf(invoices)), save=True)
        Invoice.objects.filter(pk__in=[invoice.pk for invoice in invoices]).update(print_batch=batch)
        logger.info("print batch %s: %s invoices of district %s", batch.pk, len(invoices), district_id)
    return batch


def print_batch_pdf_render(*, batch: PrintBatch) -> bool:
    """Store the PDF of a batch that has none, from its invoices (in the order a batch prints them)."""
    invoices = print_batch_invoices(batch)
    if batch.pdf or not invoices:
        return False
    name = pdf_name(f"print-{invoices[0].district.code}-{batch.created_at:%Y%m%d}")
    batch.pdf.save(name, ContentFile(invoices_pdf(invoices)), save=False)
    batch.save(update_fields=["pdf"])
    return True


def print_batch_mark_printed(*, batch: PrintBatch, staff, now: datetime) -> None:
    if batch.printed_at is None:
        batch.printed_at, batch.printed_by = now, staff
        batch.save(update_fields=["printed_at", "printed_by"])


# Staff at the printer wait for this many batches; a worker builds the rest.
PRINT_BATCHES_AT_ONCE = 5


def print_batches_build_now(*, now: datetime) -> tuple[list[PrintBatch], bool]:
    """The admin's "Build print batches": a few batches at once, then the rest queued for a worker (without
    a broker, `print_batches_waiting` starts it later). Returns the batches built and whether more wait."""
    batches = print_batches_build(run=None, now=now, max_batches=PRINT_BATCHES_AT_ONCE)
    waiting = print_queue().exists()
    if waiting:
        enqueue_after_commit(signature("billing.tasks.print_batches_build"), None)
    return batches, waiting
