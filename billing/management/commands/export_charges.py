"""`export_charges --month YYYY-MM`: the month's charges as CSV on stdout (DESIGN.md format)."""

import csv

from django.core.management.base import BaseCommand

from billing.management.commands._arguments import month_option
from billing.models import Charge

COLUMNS = ["account_number", "meter_serial", "zone", "basis", "volume_kwh", "price", "amount", "month"]


class Command(BaseCommand):
    help = "Write the charges of a billing month as CSV to stdout."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")

    def handle(self, *args, **options):
        month = month_option(options["month"])
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(COLUMNS)
        rows = (
            Charge.objects.filter(billing_month=month)
            .order_by("account__number", "meter__serial_number", "zone", "basis", "span_start", "pk")
            .values_list("account__number", "meter__serial_number", "zone", "basis", "volume_kwh", "price", "amount")
        )
        for row in rows.iterator(chunk_size=5000):
            writer.writerow([*row, f"{month:%Y-%m}"])
