"""Getting issued invoices to customers: the PDF (rendered once), the "your invoice is ready" email through
the outbox, and print batches for the paper copies."""

import logging
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.languages import path_in_language
from accounts.models import AccountLink
from accounts.services import email_enqueue
from billing.documents import invoice_pdf, invoices_pdf, pdf_name
from billing.models import BillingRun, Invoice, InvoiceStatus, PrintBatch

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
        invoice_ready_notify(invoice=invoice)
    return True


def invoice_ready_notify(*, invoice: Invoice) -> int:
    """Email "your invoice is ready" with the PDF to every linked user who wants this account's email."""
    if invoice.status == InvoiceStatus.VOID:
        return 0
    links = AccountLink.objects.filter(account_id=invoice.account_id, notify_by_email=True).select_related("user")
    sent = 0
    for link in links:
        user = link.user
        if not user.is_active:
            continue
        language = user.preferred_language or "uk"
        with translation.override(language):
            url = path_in_language(reverse("invoice_detail", args=[invoice.account_number, invoice.number]), language)
            context = {"invoice": invoice, "user": user, "url": settings.PORTAL_URL + url}
            subject = gettext("Your invoice %(number)s is ready") % {"number": invoice.number}
            body = render_to_string("billing/email/invoice_ready.txt", context)
        email_enqueue(
            to_email=user.email,
            subject=subject,
            body_text=body,
            language=language,
            kind="invoice_ready",
            dedup_key=f"invoice-ready:{invoice.pk}:{user.pk}",
            attachment_path=invoice.pdf.name,
            attachment_name=f"{invoice.number}.pdf",
        )
        sent += 1
    return sent


def print_queue(district_id: int | None = None):
    """Paper invoices not yet in a batch (void ones are never printed)."""
    queue = Invoice.objects.filter(paper_copy=True, print_batch__isnull=True).exclude(status=InvoiceStatus.VOID)
    return queue.filter(district_id=district_id) if district_id else queue


def print_batches_build(*, run: BillingRun | None, now: datetime) -> list[PrintBatch]:
    """One PDF per district with every paper invoice waiting to be printed. Safe to run twice: an invoice
    goes into one batch only (taken under a row lock)."""
    batches = []
    district_ids = sorted(set(print_queue().values_list("district_id", flat=True)))
    for district_id in district_ids:
        with transaction.atomic():
            invoices = list(
                print_queue(district_id).select_for_update(skip_locked=True).order_by("account_number", "pk")
            )
            if not invoices:
                continue
            batch = PrintBatch.objects.create(
                district_id=district_id, run=run, created_at=now, invoice_count=len(invoices)
            )
            batch.pdf.save(
                pdf_name(f"print-{district_id}-{now:%Y%m%d}"), ContentFile(invoices_pdf(invoices)), save=True
            )
            Invoice.objects.filter(pk__in=[invoice.pk for invoice in invoices]).update(print_batch=batch)
            batches.append(batch)
            logger.info("print batch %s: %s invoices of district %s", batch.pk, len(invoices), district_id)
    return batches


def print_batch_mark_printed(*, batch: PrintBatch, staff, now: datetime) -> None:
    if batch.printed_at is None:
        batch.printed_at, batch.printed_by = now, staff
        batch.save(update_fields=["printed_at", "printed_by"])
