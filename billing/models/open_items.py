"""The open items: the charges and payments no invoice has taken yet, one narrow row each, kept by the
database itself (triggers, billing migration 0012).

Why a table: "not taken" is the absence of an active invoice item, and finding an absence means reading
every charge an account ever had and probing the items for each: the monthly run read a year of history
for every account it invoiced (bench/RESULTS.md, session 6: 180 -> 834 ms a pass per 20,000 accounts with
one year; ten years would be ten times that). Here an account's pending work is what its rows are, read by
the account's index, whatever the years behind it. Charges and payments stay append-only: the open state
lives beside them, not in them.

Who keeps it: triggers on the tables, not the code, so every path (the run's COPY, the customer's
interim charges, a statement import, an admin correction, raw SQL) keeps it true. A charge or payment
written opens its row; an active invoice item written closes it; an item made inactive (the invoice
cancelled) opens it again. `tests/billing/test_open_items.py` holds the table to the definition.
"""

from django.db import models

from accounts.models import PersonalAccount
from billing.models.charges import Charge
from billing.models.invoices import Payment

# No foreign-key constraints (docs/decisions.md "The open items"): the rows are written only by the triggers,
# from the rows being inserted, so the check could not fail; it would cost a probe per charge on the run's
# write path. Charges, payments and accounts are never deleted.
_UNCHECKED = {"on_delete": models.DO_NOTHING, "db_constraint": False}


class OpenCharge(models.Model):
    """A charge no active invoice item has taken (DESIGN.md "Invoices": an invoice gathers every one)."""

    charge = models.OneToOneField(Charge, primary_key=True, related_name="open_item", **_UNCHECKED)
    account = models.ForeignKey(PersonalAccount, db_index=False, related_name="+", **_UNCHECKED)

    class Meta:
        indexes = [models.Index(fields=["account"], name="open_charge_account_idx")]

    def __str__(self) -> str:
        return f"{self.account_id}: charge {self.charge_id}"


class OpenPayment(models.Model):
    """A payment no active invoice item has taken."""

    payment = models.OneToOneField(Payment, primary_key=True, related_name="open_item", **_UNCHECKED)
    account = models.ForeignKey(PersonalAccount, db_index=False, related_name="+", **_UNCHECKED)

    class Meta:
        indexes = [models.Index(fields=["account"], name="open_payment_account_idx")]

    def __str__(self) -> str:
        return f"{self.account_id}: payment {self.payment_id}"
