"""`manage.py import_readings FILE`: meter readings from CSV, judged like every channel (docs/file-formats.md)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from readings.imports.readings import READING_COLUMNS, readings_import
from readings.management.commands._files import read_source, report_errors


class Command(BaseCommand):
    help = (
        "Import meter readings from a UTF-8 CSV file with the columns "
        + ",".join(READING_COLUMNS)
        + ". A head-end's OBIS-coded export (long: MeterSerial;Timestamp;OBIS;Value;Unit;Status, or wide: "
        "meter_serial,read_at,1.8.1,1.8.2) is recognised by its header. A file with any error changes "
        "nothing; importing a file again skips the readings already stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file, or - for standard input")

    def handle(self, *args, **options):
        source = read_source(options["file"])
        # The outermost layer reads the clock: the import day decides what "in the future" means.
        result = readings_import(source=source, today=timezone.localdate(), now=timezone.now())
        if result.errors:
            report_errors(self, result.errors)
        self.stdout.write(
            f"Imported {result.rows} rows: {result.accepted} accepted, {result.pending_review} waiting for staff "
            f"review, {result.superseded} of these correcting a stored reading; skipped {result.duplicates} "
            f"already stored and {result.previously_rejected} rejected earlier by staff."
        )
        if result.skipped_registers:
            reasons = ", ".join(f"{count} {why}" for why, count in sorted(result.skipped_registers.items()))
            self.stdout.write(f"{result.file_format}: skipped registers: {reasons}.")
