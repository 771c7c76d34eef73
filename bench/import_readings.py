"""Benchmark: import_readings of a head-end file against COPY of the same rows, on PostgreSQL.

    python bench/import_readings.py [--rows 100000]

Generates one-zone accounts with a reading a month ago (as bench/api_load.py), writes a CSV with one new
`ami` reading per meter, and times `readings_import` (parse, resolve meters, facts set-based, the policy per
row, the write) in one process. The floor: COPY of the same rows into a scratch copy of readings_reading, in
the same run. Reports wall time and this process's CPU (the machine may be shared) and appends to
bench/RESULTS.md. Target (issue 14): 100,000 rows in under 10 s, within 3x of COPY.
"""

import argparse
import csv
import io
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.api_load import generate  # noqa: E402
from bench.results import results_append  # noqa: E402


def source(rows: int, day) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["account_number", "meter_serial", "reading_date", "submitted_on", "channel", "total", "day",
                     "night", "peak", "half_peak"])  # fmt: skip
    for i in range(1, rows + 1):
        writer.writerow([f"{6_000_000_000 + i}", f"S{i:09d}", f"{day:%Y-%m-%d}", "", "ami", 4400 + i % 7, "", "", "",
                         ""])  # fmt: skip
    return out.getvalue().encode()


def timed(work):
    cpu, wall = time.process_time(), time.perf_counter()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    from readings.imports import readings_import
    from readings.models import Reading

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False)
    try:
        if connection.vendor != "postgresql":
            raise SystemExit("this benchmark needs PostgreSQL: set DATABASE_URL")
        generate(args.rows)
        today = timezone.localdate()
        data = source(args.rows, today - timedelta(days=1))
        result, wall, cpu = timed(lambda: readings_import(source=data, today=today, now=timezone.now()))
        print(f"import: {wall:.2f} s wall, {cpu:.2f} s CPU", flush=True)
        assert not result.errors, result.errors[:5]
        stored = Reading.objects.filter(reading_date=today - timedelta(days=1)).count()
        assert stored == args.rows, stored
        # The floor: the same rows COPYed into a scratch table shaped like readings_reading.
        columns = ["meter_id", "reading_date", "zone_set", "total", "channel", "status", "reason", "submitted_at",
                   "billing_month", "swap_corrected", "photo"]  # fmt: skip
        now, month = timezone.now(), today.replace(day=1)
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE scratch_readings (LIKE readings_reading INCLUDING DEFAULTS INCLUDING IDENTITY)"
            )

            def copy():
                with cursor.cursor.copy(f"COPY scratch_readings ({', '.join(columns)}) FROM STDIN") as stream:
                    for i in range(1, args.rows + 1):
                        stream.write_row(
                            (i, today, "total", 4400 + i % 7, "ami", "accepted", "", now, month, False, "")
                        )

            _, copy_wall, copy_cpu = timed(copy)
    finally:
        connection.close()
        teardown_databases(databases, verbosity=0)
    lines = [
        f"| import_readings: one `ami` reading per meter, checked and stored | {args.rows:,} rows | "
        f"{wall:.2f} s wall, {cpu:.2f} s CPU (this process) | {args.rows / wall:,.0f} rows/s |",
        f"| COPY of the same rows into a scratch copy of readings_reading (the floor), same run | {args.rows:,} rows | "
        f"{copy_wall:.2f} s wall, {copy_cpu:.2f} s CPU | import / COPY = {wall / copy_wall:.1f}x |",
    ]
    results_append(
        command=f"`bench/import_readings.py --rows {args.rows}`",
        lines=lines,
        database="postgresql",
        columns="case | size | time | rate",
    )


if __name__ == "__main__":
    main()
