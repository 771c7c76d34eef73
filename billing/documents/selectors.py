"""Reads of the documents: the paper invoices waiting for a print batch, and a batch's invoices."""

from billing.models import Invoice, InvoiceStatus, PrintBatch


def print_queue(district_id: int | None = None):
    """Paper invoices not yet in a batch (void ones are never printed)."""
    queue = Invoice.objects.filter(paper_copy=True, print_batch__isnull=True).exclude(status=InvoiceStatus.VOID)
    return queue.filter(district_id=district_id) if district_id else queue


def print_batch_invoices(batch: PrintBatch) -> list[Invoice]:
    """A batch's invoices in the order a batch prints them."""
    return list(batch.invoices.select_related("district", "replaces").order_by("account_number", "pk"))
