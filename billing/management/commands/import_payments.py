"""`manage.py import_payments FILE`: a bank statement as CSV (docs/file-formats.md); all or nothing.

Each reference is booked once per source: importing the same statement again books nothing new.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from billing.imports import payments_import
from readings.management.commands._files import read_source, report_errors


class Command(BaseCommand):
    help = "Import payments from a UTF-8 CSV bank statement. A file with any error books nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file, or - for standard input")
        parser.add_argument(
            "--source", default="bank", help="where the statement comes from (references are unique per source)"
        )

    def handle(self, *args, **options):
        result = payments_import(
            source=read_source(options["file"]),
            source_name=options["source"][:20],
            today=timezone.localdate(),
            now=timezone.now(),
        )
        if result.errors:
            report_errors(self, result.errors)
        self.stdout.write(f"Booked: {result.booked} payments; already booked before: {result.already_booked}.")
