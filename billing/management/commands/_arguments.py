"""What the billing commands share: reading a `--month YYYY-MM` option, and writing a billing month's rows as
CSV on stdout (`export_charges`, `export_invoices`). Not a command itself."""

import csv
from abc import ABC, abstractmethod
from collections.abc import Iterable
from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError


def month_option(text: str) -> date:
    """The first day of the month `YYYY-MM` names; a CommandError saying the format otherwise."""
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError as error:
        raise CommandError(f"--month must be YYYY-MM: {error}") from error


class MonthCsvCommand(BaseCommand, ABC):
    """`--month YYYY-MM`: the header `columns`, then `rows(month)` in the order they come (DESIGN.md formats)."""

    columns: tuple[str, ...] = ()

    @abstractmethod
    def rows(self, month: date) -> Iterable[Iterable]:
        """The month's rows, in the columns' order (each command says which)."""

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")

    def handle(self, *args, **options):
        month = month_option(options["month"])
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows(self.rows(month))
