"""`export_invoices --month YYYY-MM`: the invoices of a billing month as CSV on stdout (DESIGN.md format)."""

import csv

from django.core.management.base import BaseCommand

from billing.management.commands._arguments import month_option
from billing.models import Invoice

COLUMNS = [
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
]


class Command(BaseCommand):
    help = "Write the invoices of a billing month (void ones included, with their status) as CSV to stdout."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")

    def handle(self, *args, **options):
        month = month_option(options["month"])
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(COLUMNS)
        rows = (
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
        )
        for row in rows.iterator(chunk_size=5000):
            writer.writerow(row)
