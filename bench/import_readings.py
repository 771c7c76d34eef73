"""Benchmark: import_readings of a head-end file against COPY of the same rows, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal python bench/import_readings.py [--rows 100000] [--profile]

Generates one-zone accounts with a reading a month ago (as bench/api_load.py), writes a CSV with one new
`ami` reading per meter, and times `readings_import` (parse, lock and read the meters, facts set-based, the
policy per row, the write) in one process. Then the same file with every 1,000th line spoilt (each bad
line must be named, nothing stored). The floors, same run: the rows the import wrote, COPYed the way it
writes them into readings_reading itself (its indexes and WAL) and into a temporary table (neither).
Reports wall time and CPU-seconds (this process and its PostgreSQL backend, from /proc: the machine may be
shared, and the CPU figures survive that) and the peak memory of this process, and appends to
bench/RESULTS.md. `--profile` runs the import under cProfile and prints the five largest costs by own
time (the figures are then the profiler's, and nothing is appended). Target (issue 14): 100,000 rows in
under 10 s, within 3x of COPY.
"""

import argparse
import cProfile
import csv
import io
import os
import pstats
import resource
import sys
import time
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.api_load import generate  # noqa: E402
from bench.results import results_append, times  # noqa: E402


def source(rows: int, day) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["account_number", "meter_serial", "reading_date", "submitted_on", "channel", "total", "day",
                     "night", "peak", "half_peak"])  # fmt: skip
    for i in range(1, rows + 1):
        writer.writerow([f"{6_000_000_000 + i}", f"S{i:09d}", f"{day:%Y-%m-%d}", "", "ami", 4400 + i % 7, "", "", "",
                         ""])  # fmt: skip
    return out.getvalue().encode()


TICKS = os.sysconf("SC_CLK_TCK")


def backend_cpu() -> float:
    """User + system CPU-seconds of this connection's PostgreSQL backend (the server runs on this machine)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def spoil(data: bytes) -> tuple[bytes, set[tuple[int, str, str]]]:
    """Every 1,000th data line made bad in turn: letters in the value, a meter that does not exist, more digits
    than the register has; and the (line, column, code) each must be reported as."""
    lines = data.decode().splitlines()
    expected = set()
    for index in range(1, len(lines), 1000):
        cells = lines[index].split(",")
        line = index + 1  # the header is line 1
        kind = (index // 1000) % 3
        if kind == 0:
            cells[5], error = "44x0", (line, "total", "not_a_number")
        elif kind == 1:
            cells[1], error = "NOSUCH1", (line, "meter_serial", "meter_unknown")
        else:
            cells[5], error = "9999999", (line, "total", "too_many_digits")
        lines[index] = ",".join(cells)
        expected.add(error)
    return ("\n".join(lines) + "\n").encode(), expected


def timed(work):
    """(result, wall, CPU of this process, CPU of its PostgreSQL backend)."""
    backend, cpu, wall = backend_cpu(), time.process_time(), time.perf_counter()
    result = work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return result, wall, cpu, backend_cpu() - backend


def top_costs(profile: cProfile.Profile, count: int = 5) -> list[str]:
    """The functions with the largest own time, as `share  own-seconds  calls  function`."""
    stats = pstats.Stats(profile)
    total = sum(entry[2] for entry in stats.stats.values())
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:count]
    return [
        f"{own / total:6.1%} {own:7.2f} s {calls:>9,} calls  {Path(file).name}:{line} {name}"
        for (file, line, name), (_, calls, own, _, _) in rows
    ]


def main() -> None:
    from readings.imports.readings import readings_import
    from readings.models import Reading

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true", help="cProfile the import; print the top five costs")
    args = parser.parse_args()
    load = os.getloadavg()[0]  # the machine may be shared: noted next to the figures
    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False)
    try:
        if connection.vendor != "postgresql":
            raise SystemExit("this benchmark needs PostgreSQL: set DATABASE_URL")
        generate(args.rows)
        today = timezone.localdate()
        data = source(args.rows, today - timedelta(days=1))
        profile = cProfile.Profile() if args.profile else None
        memory_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        def work():
            if profile is None:
                return readings_import(source=data, today=today, now=timezone.now())
            return profile.runcall(readings_import, source=data, today=today, now=timezone.now())

        result, wall, cpu, backend = timed(work)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        grown_mb = peak_mb - memory_before / 1024
        print(
            f"import: {wall:.2f} s wall, {cpu:.2f} s CPU here + {backend:.2f} s PostgreSQL backend "
            f"({(cpu + backend) / args.rows * 1000:.3f} ms CPU per row); peak RSS {peak_mb:.0f} MB "
            f"(+{grown_mb:.0f} MB during the import)",
            flush=True,
        )
        if profile is not None:
            dump = BASE_DIR / "var" / "import_readings.prof"
            dump.parent.mkdir(exist_ok=True)
            profile.dump_stats(dump)
            print(f"top five costs by own time (cProfile; all of it in {dump.relative_to(BASE_DIR)}):")
            print("\n".join(top_costs(profile)))
        assert not result.errors, result.errors[:5]
        stored = Reading.objects.filter(reading_date=today - timedelta(days=1)).count()
        assert stored == args.rows, stored
        if profile is not None:
            return

        # The same file again with every 1,000th line spoilt three ways: every bad line must be named (line,
        # column, code) and nothing stored; the good lines are repeats of stored readings, skipped.
        spoilt, expected = spoil(data)
        before = Reading.objects.count()
        bad_result, bad_wall, bad_cpu, bad_backend = timed(
            lambda: readings_import(source=spoilt, today=today, now=timezone.now())
        )
        named = {(error.line, error.field, error.code) for error in bad_result.errors}
        assert named == expected, sorted(named ^ expected)[:5]
        assert Reading.objects.count() == before
        print(f"bad file: {len(expected):,} bad lines named, nothing stored, {bad_wall:.2f} s wall", flush=True)

        # The floors: the rows the import wrote, read back, COPYed the way the import writes them (binary,
        # every column it writes) (1) into readings_reading itself, with its indexes, constraints and WAL,
        # committed (dated a day earlier, so they do not collide), and (2) into a temporary scratch copy of the
        # table without indexes or WAL (the figure issue 14 quotes).
        from readings.imports.readings import NEW_READING_COLUMNS, _column_types

        columns = ", ".join(NEW_READING_COLUMNS)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM readings_reading WHERE reading_date = %s", [today - timedelta(days=1)]
            )
            written = cursor.fetchall()
        assert len(written) == args.rows

        def copy_into(table: str, day):
            def copy():
                with transaction.atomic(), connection.cursor() as cursor:
                    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as stream:
                        stream.set_types(_column_types())
                        for row in written:
                            stream.write_row((row[0], day, *row[2:]))

            return copy

        _, table_wall, table_cpu, table_backend = timed(copy_into("readings_reading", today - timedelta(days=2)))
        print(f"COPY into readings_reading: {table_wall:.2f} s wall, {table_cpu:.2f} + {table_backend:.2f} s CPU")
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE scratch_readings (LIKE readings_reading INCLUDING DEFAULTS INCLUDING IDENTITY)"
            )
        _, copy_wall, copy_cpu, copy_backend = timed(copy_into("scratch_readings", today))
        print(f"COPY into a temporary table: {copy_wall:.2f} s wall, {copy_cpu:.2f} + {copy_backend:.2f} s CPU")
    finally:
        connection.close()
        teardown_databases(databases, verbosity=0)
    if args.profile:
        return  # the profiler's overhead: not a figure for RESULTS.md
    total, copy_total, table_total = cpu + backend, copy_cpu + copy_backend, table_cpu + table_backend
    lines = [
        f"| import_readings: one `ami` reading per meter, checked and stored | {args.rows:,} rows | "
        f"{wall:.2f} s | {cpu:.2f} + {backend:.2f} = {total:.2f} s ({total / args.rows * 1000:.3f} ms/row) | "
        f"{args.rows / wall:,.0f} rows/s; peak RSS {peak_mb:.0f} MB (+{grown_mb:.0f} MB) |",
        f"| the same file with {len(expected):,} bad lines: each named, nothing stored | {args.rows:,} rows | "
        f"{bad_wall:.2f} s | {bad_cpu:.2f} + {bad_backend:.2f} = {bad_cpu + bad_backend:.2f} s | |",
        f"| COPY of the same rows into readings_reading (indexes, WAL, commit), same run | {args.rows:,} rows | "
        f"{table_wall:.2f} s | {table_cpu:.2f} + {table_backend:.2f} = {table_total:.2f} s | "
        f"import / COPY = {times(wall, table_wall)} wall, {times(total, table_total)} CPU |",
        f"| COPY of the same rows into a temporary table (no indexes, no WAL), same run | {args.rows:,} rows | "
        f"{copy_wall:.2f} s | {copy_cpu:.2f} + {copy_backend:.2f} = {copy_total:.2f} s | "
        f"import / COPY = {times(wall, copy_wall)} wall, {times(total, copy_total)} CPU |",
    ]
    results_append(
        command=f"`bench/import_readings.py --rows {args.rows}` (load average at the start: {load:.2f})",
        lines=lines,
        database="postgresql",
        columns="case | size | wall | CPU-seconds, this process + PostgreSQL backend | rate",
    )


if __name__ == "__main__":
    main()
