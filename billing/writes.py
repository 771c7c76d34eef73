"""Moved to `billing.run.writes` (charges, states) and `billing.invoices.writes`.

These names stay importable from here for callers written before the move (and work in flight);
new code imports from the new place."""

from billing.invoices.writes import INVOICE_COLUMNS, insert_invoices
from billing.run.writes import CHARGE_COLUMNS, STATE_COLUMNS, insert_charges, upsert_states

__all__ = ["CHARGE_COLUMNS", "INVOICE_COLUMNS", "STATE_COLUMNS", "insert_charges", "insert_invoices", "upsert_states"]
