"""`manage.py import_payments FILE`: a bank statement in any format banks export (docs/file-formats.md).

The format is detected from the file: 1C ClientBankExchange, ISO 20022 camt.053/camt.054, a bank's CSV
export, or the portal's own CSV. Each transaction is booked once per source however often the statement is
imported; lines that name no account (or two) go to the staff queue "Unmatched payments".
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing.payments.statement_import import statement_import
from billing.payments.statements.bankcsv import LAYOUT_FIELDS
from readings.management.commands._files import read_source, report_errors


class Command(BaseCommand):
    help = (
        "Import payments from a bank statement (1C ClientBankExchange, camt.053/054, bank CSV, portal CSV). "
        "A file with any error books nothing unless --good-lines."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the statement file, or - for standard input")
        parser.add_argument(
            "--source", default="bank", help="where the statement comes from (references are unique per source)"
        )
        parser.add_argument(
            "--good-lines",
            action="store_true",
            help="book the good lines and list the bad ones (by default a file with any error books nothing)",
        )
        parser.add_argument(
            "--column",
            action="append",
            default=[],
            metavar="FIELD=HEADER",
            help="only for a bank CSV whose layout is not known: which header holds each field "
            f"({', '.join(LAYOUT_FIELDS)}); repeat for each field",
        )

    def handle(self, *args, **options):
        result = statement_import(
            raw=read_source(options["file"]),
            source_name=options["source"][:20],
            today=timezone.localdate(),
            now=timezone.now(),
            good_lines=options["good_lines"],
            columns=_columns(options["column"]),
        )
        if result.errors and not options["good_lines"]:
            report_errors(self, result.errors)
        for error in result.errors:
            self.stderr.write(str(error))
        encoding = f" ({result.encoding})" if result.encoding else ""
        self.stdout.write(f"Format: {result.format}{encoding}.")
        self.stdout.write(f"Booked: {result.booked} payments; already booked before: {result.already_booked}.")
        self.stdout.write(
            f"To the staff queue (Unmatched payments): {result.unmatched} unmatched, {result.ambiguous} ambiguous."
        )
        self.stdout.write(f"Ignored: {result.debits} debit lines, {result.own_transfers} own transfers.")
        if result.pending:
            self.stdout.write(f"Not booked by the bank yet (ignored): {result.pending} entries.")
        if result.skipped:
            self.stdout.write(f"Skipped: {result.skipped} bad lines (listed on stderr), nothing booked from them.")


def _columns(pairs: list[str]) -> dict[str, str]:
    columns = {}
    for pair in pairs:
        name, separator, header = pair.partition("=")
        if not separator or name.strip() not in LAYOUT_FIELDS or not header.strip():
            raise CommandError(f"--column {pair!r}: expected FIELD=HEADER with FIELD one of {', '.join(LAYOUT_FIELDS)}")
        columns[name.strip()] = header.strip()
    return columns
