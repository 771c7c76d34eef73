"""`manage.py import_tariffs FILE`: versioned tariffs from CSV (docs/file-formats.md); all or nothing."""

from auditlog.context import set_extra_data
from django.core.management.base import BaseCommand

from billing.tariffs.imports import tariffs_import
from readings.management.commands._files import read_source, report_errors


class Command(BaseCommand):
    help = "Import tariffs from a UTF-8 CSV file. A file with any error changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file, or - for standard input")

    def handle(self, *args, **options):
        # The audit log names the command and file as the source of each price change (a command has no user).
        with set_extra_data({"additional_data": {"source": f"import_tariffs {options['file']}"}}):
            result = tariffs_import(source=read_source(options["file"]))
        if result.errors:
            report_errors(self, result.errors)
        self.stdout.write(f"Imported: {result.created} new, {result.updated} updated, {result.unchanged} unchanged.")
