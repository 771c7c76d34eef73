"""`manage.py export_readings --from YYYY-MM-DD --to YYYY-MM-DD`: current readings as CSV on stdout."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from readings.exports import readings_export
from readings.imports.csvfile import ISO_DATE


def iso_date(text: str) -> date:
    try:
        if ISO_DATE.match(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise CommandError(f"{text!r} is not a date written YYYY-MM-DD")


class Command(BaseCommand):
    help = "Write the current readings dated FROM to TO (inclusive) as CSV to standard output."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", required=True, help="first reading date, YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", required=True, help="last reading date, YYYY-MM-DD")

    def handle(self, *args, **options):
        date_from, date_to = iso_date(options["date_from"]), iso_date(options["date_to"])
        if date_from > date_to:
            raise CommandError("--from must not be after --to")
        readings_export(date_from=date_from, date_to=date_to, out=self.stdout)
