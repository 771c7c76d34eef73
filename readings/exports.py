"""`export_readings`: the current readings of a date range as CSV (DESIGN.md "Stable file formats").

The first five columns and the zone columns are exactly `import_readings`' columns, so an export can be
imported elsewhere (or again: every row is then an identical repeat and is skipped).
"""

import csv
from collections.abc import Iterator
from datetime import date
from typing import TextIO

from django.utils import timezone

from readings.models import Reading
from readings.zones import ALL_ZONES

EXPORT_COLUMNS = (
    "account_number",
    "meter_serial",
    "reading_date",
    "submitted_on",
    "billing_month",
    "channel",
    "status",
    *ALL_ZONES,
)


def reading_export_rows(*, date_from: date, date_to: date) -> Iterator[list[str]]:
    """The rows, streamed from the database in chunks: current readings (not superseded, not rejected) dated
    `date_from` to `date_to` inclusive, by account number, meter serial and reading date."""
    portal_zone = timezone.get_default_timezone()
    readings = (
        Reading.objects.current()
        .filter(reading_date__gte=date_from, reading_date__lte=date_to)
        .order_by("meter__account__number", "meter__serial_number", "reading_date")
        .values_list(
            "meter__account__number",
            "meter__serial_number",
            "reading_date",
            "submitted_at",
            "billing_month",
            "channel",
            "status",
            *ALL_ZONES,
        )
    )
    for number, serial, reading_date, submitted_at, billing_month, channel, status, *values in readings.iterator(
        chunk_size=2_000
    ):
        yield [
            number,
            serial,
            reading_date.isoformat(),
            # The day it was submitted where the portal works, as import_readings reads `submitted_on`.
            timezone.localdate(submitted_at, portal_zone).isoformat(),
            f"{billing_month:%Y-%m}",
            channel,
            status,
            *("" if value is None else str(value) for value in values),
        ]


def readings_export(*, date_from: date, date_to: date, out: TextIO) -> int:
    """Write the header and the rows to `out`; the number of readings written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for row in reading_export_rows(date_from=date_from, date_to=date_to):
        writer.writerow(row)
        count += 1
    return count
