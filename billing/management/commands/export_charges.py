"""`export_charges --month YYYY-MM`: the month's charges as CSV on stdout (DESIGN.md format)."""

from billing.management.commands._arguments import MonthCsvCommand
from billing.models import Charge


class Command(MonthCsvCommand):
    help = "Write the charges of a billing month as CSV to stdout."
    columns = ("account_number", "meter_serial", "zone", "basis", "volume_kwh", "price", "amount", "month")

    def rows(self, month):
        rows = (
            Charge.objects.filter(billing_month=month)
            .order_by("account__number", "meter__serial_number", "zone", "basis", "span_start", "pk")
            .values_list("account__number", "meter__serial_number", "zone", "basis", "volume_kwh", "price", "amount")
        )
        return ((*row, f"{month:%Y-%m}") for row in rows.iterator(chunk_size=5000))
