"""Moved to `billing.invoices.texts`.

These names stay importable from here for callers written before the move (and work in flight);
new code imports from the new place."""

from billing.invoices.texts import MONTHS_RU, MONTHS_UK, payment_purpose

__all__ = ["MONTHS_RU", "MONTHS_UK", "payment_purpose"]
