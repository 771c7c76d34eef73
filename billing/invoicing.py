"""Moved to `billing.invoices` (services, selectors).

These names stay importable from here for callers written before the move (and work in flight);
new code imports from the new place."""

from billing.invoices.selectors import (
    auto_invoice_candidates,
    district_supplier,
    invoice_generate_refusal,
    open_billing_month,
    supplier_details,
    supplier_payee,
)
from billing.invoices.services import (
    InvoiceRefused,
    after_issue,
    auto_invoices_issue,
    invoice_generate,
    invoice_number,
    invoice_row,
    invoice_void,
    invoices_issue,
)

__all__ = [
    "InvoiceRefused",
    "after_issue",
    "auto_invoice_candidates",
    "auto_invoices_issue",
    "district_supplier",
    "invoice_generate",
    "invoice_generate_refusal",
    "invoice_number",
    "invoice_row",
    "invoice_void",
    "invoices_issue",
    "open_billing_month",
    "supplier_details",
    "supplier_payee",
]
