"""Getting issued invoices to customers: the PDF (rendered once), the "your invoice is ready" email through
the outbox, and print batches for the paper copies."""

import logging
from datetime import date, datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import AccountLink, Notice
from accounts.services import absolute_url, draft_enqueue, notice_draft
from billing.documents import invoice_pdf, invoices_pdf, pdf_name
from billing.models import BillingRun, Invoice, InvoiceKind, InvoiceStatus, PrintBatch

logger = logging.getLogger(__name__)


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


def invoice_ready_notify(*, invoice: Invoice) -> int:
    """Email "your invoice is ready" with the PDF to every linked user who wants this account's email.

    Only once the PDF is stored: the email says it is attached. Each user gets one email per invoice
    (the outbox's dedup key), whatever retries and second renders do.
    """
    if invoice.status == InvoiceStatus.VOID or not invoice.pdf or _newer_invoice_exists(invoice):
        return 0
    links = AccountLink.objects.filter(account_id=invoice.account_id, notify_by_email=True).select_related("user")
    sent = 0
    for link in links:
        user = link.user
        if not user.is_active or not user.notify_invoices:
            continue
        if not issued_after_linking(
            issued_on=invoice.issued_on, issued_at=invoice.issued_at, linked_on=timezone.localdate(link.created_at),
            linked_at=link.created_at,
        ):  # fmt: skip
            continue
        language = user.preferred_language or "uk"
        with translation.override(language):
            subject = gettext("Your invoice %(number)s is ready") % {"number": invoice.number}
        draft = notice_draft(
            notice=Notice.INVOICES,
            kind="invoice_ready",
            user_id=user.pk,
            email=user.email,
            language=language,
            subject=subject,
            template="billing/email/invoice_ready.txt",
            context={
                "invoice": invoice,
                "user": user,
                "url": absolute_url("invoice_detail", invoice.account_number, invoice.number, language=language),
            },
            dedup_key=f"invoice-ready:{invoice.pk}:{user.pk}",
        )
        draft_enqueue(draft, user=user, attachment_path=invoice.pdf.name, attachment_name=f"{invoice.number}.pdf")
        sent += 1
    return sent


def issued_after_linking(*, issued_on: date, issued_at: datetime, linked_on: date, linked_at: datetime) -> bool:
    """Whether an invoice is news to a person who linked its account at `linked_at`: one issued before (or
    dated before the day of linking, as the demo's history and late PDFs of old runs are) is not. They find
    it in the cabinet; an inbox that fills with a year of old bills at once looks like spam, or like a bill."""
    return issued_at >= linked_at and issued_on >= linked_on


def _newer_invoice_exists(invoice: Invoice) -> bool:
    """An invoice the account already has a later one for is old news: its PDF may be rendered late (a
    backlog, the demo loader), but only the latest one is announced."""
    later = Q(issued_on__gt=invoice.issued_on) | Q(issued_on=invoice.issued_on, pk__gt=invoice.pk)
    return (
        Invoice.objects.filter(account_id=invoice.account_id).exclude(status=InvoiceStatus.VOID).filter(later).exists()
    )


# A print batch is one WeasyPrint document, held in memory while it is laid out: about 3.5 MB and 0.1-0.2 s
# of CPU per invoice page. A district's paper invoices are therefore split into batches of this many (an
# account with no linked user gets paper by default, so a district may have tens of thousands).
PRINT_BATCH_MAX_INVOICES = 100


def print_queue(district_id: int | None = None):
    """Paper invoices not yet in a batch (void ones are never printed)."""
    queue = Invoice.objects.filter(paper_copy=True, print_batch__isnull=True).exclude(status=InvoiceStatus.VOID)
    return queue.filter(district_id=district_id) if district_id else queue


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
    invoices = list(batch.invoices.select_related("district", "replaces").order_by("account_number", "pk"))
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
