"""`manage.py import_accounts FILE`: districts, accounts and meters from CSV (docs/file-formats.md)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from readings.imports.accounts import ACCOUNT_COLUMNS, accounts_import
from readings.management.commands._files import read_source, report_errors


class Command(BaseCommand):
    help = (
        "Create or update districts, personal accounts and meters from a UTF-8 CSV file with the columns "
        + ",".join(ACCOUNT_COLUMNS)
        + ". A file with any error changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file, or - for standard input")

    def handle(self, *args, **options):
        result = accounts_import(source=read_source(options["file"]), now=timezone.now())
        if result.errors:
            report_errors(self, result.errors)
        self.stdout.write(
            f"Imported: districts {result.districts_created} created, {result.districts_renamed} renamed; "
            f"accounts {result.accounts_created} created, {result.accounts_updated} updated, "
            f"{result.accounts_unchanged} unchanged; meters {result.meters_created} created, "
            f"{result.meters_updated} updated, {result.meters_unchanged} unchanged."
        )
