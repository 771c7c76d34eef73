"""`export_invoices --month YYYY-MM`: the invoices of a billing month as CSV on stdout (DESIGN.md format)."""

from billing.management.commands._arguments import MonthCsvCommand
from billing.models import Invoice


class Command(MonthCsvCommand):
    help = "Write the invoices of a billing month (void ones included, with their status) as CSV to stdout."
    columns = (
        "number",
        "account_number",
        "kind",
        "issued_on",
        "due_on",
        "opening_balance",
        "charges",
        "payments",
        "amount_due",
        "status",
    )

    def rows(self, month):
        return (
            Invoice.objects.filter(billing_month=month)
            .order_by("district_id", "year", "sequence")
            .values_list(
                "number",
                "account_number",
                "kind",
                "issued_on",
                "due_on",
                "opening_balance",
                "charges_total",
                "payments_total",
                "amount_due",
                "status",
            )
            .iterator(chunk_size=5000)
        )
