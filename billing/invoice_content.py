"""Moved to `billing.invoices.content`.

These names stay importable from here for callers written before the move (and work in flight);
new code imports from the new place."""

from billing.invoices.content import (
    CONTENT_SCHEMA,
    ZONE_ORDER,
    ChargeRow,
    PaymentRow,
    cancellation_content,
    invoice_content,
)

__all__ = ["CONTENT_SCHEMA", "ZONE_ORDER", "ChargeRow", "PaymentRow", "cancellation_content", "invoice_content"]
