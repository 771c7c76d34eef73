"""Benchmarks: `make bench` (uses DATABASE_URL and REDIS_URL; PostgreSQL is the one that counts).

Runs in a throwaway test database (created and dropped here), prints the figures and appends them to
bench/RESULTS.md with the machine, date and command. Later issues add their own cases here (the
monthly run over 100,000 accounts, the reading API under load, invoice PDFs).
"""

import argparse
import os
import sys
from datetime import date
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402

from bench.profiling import add_profile_argument, cpu_meter, profiled  # noqa: E402
from bench.results import results_append  # noqa: E402

COLUMNS = "case | size | time | rate | CPU per item"


def row(case: str, size: int, unit: str, cpu) -> str:
    """One table row: wall time and CPU-seconds (this process; PostgreSQL's backend is not counted)."""
    return (
        f"| {case} | {size:,} {unit}s | {cpu.wall_seconds:.2f} s wall, {cpu.cpu_seconds:.2f} CPU-s | "
        f"{size / cpu.wall_seconds:,.0f} {unit}s/s | {cpu.per_item_ms(size):.3f} ms |"
    )


def bench_reading_inserts(meters: int = 10_000, months: int = 10) -> str:
    """Readings through bulk_create with every CHECK and the partial unique index in force."""
    from accounts.models import District, PersonalAccount
    from readings.models import Channel, Meter, Reading

    district = District.objects.create(code="BENCH", name="Bench")
    accounts = PersonalAccount.objects.bulk_create(
        PersonalAccount(number=f"{9_000_000_000 + i}", district=district, address="вул. Тестова, 1", holder_name="Б")
        for i in range(meters)
    )
    meter_rows = Meter.objects.bulk_create(
        Meter(
            account=account,
            serial_number=f"B{i:08d}",
            zone_set="day+night",
            installed_on=date(2024, 1, 1),
            install_day=0,
            install_night=0,
        )
        for i, account in enumerate(accounts)
    )
    rows = [
        Reading(
            meter=meter,
            reading_date=date(2025, month, 28),
            zone_set="day+night",
            day=month * 150,
            night=month * 70,
            channel=Channel.AMI,
            billing_month=date(2025, month, 1),
        )
        for month in range(1, months + 1)
        for meter in meter_rows
    ]
    with cpu_meter() as cpu:
        Reading.objects.bulk_create(rows, batch_size=5_000)
    return row("readings bulk_create (two-zone, constraints on)", len(rows), "row", cpu)


def bench_reading_import(meters: int = 10_000, months: int = 10) -> str:
    """import_readings on 100,000 rows (one-, two- and three-zone meters, 10 months each), then the same file
    again (every row an identical repeat, skipped); the meters come from import_accounts."""
    import csv
    import io
    import tempfile

    from django.core.management import call_command

    from readings.imports.accounts import ACCOUNT_COLUMNS
    from readings.imports.readings import READING_COLUMNS
    from readings.zones import ALL_ZONES, ZONE_SETS

    zone_sets = list(ZONE_SETS)
    account_cells = ["BENCH-IMPORT", "Bench", "вул. Тестова, 1", "Б", "household", "2", "hybrid", "no"]
    with tempfile.TemporaryDirectory() as folder:
        accounts_path, readings_path = Path(folder) / "accounts.csv", Path(folder) / "readings.csv"
        with accounts_path.open("w", newline="") as accounts_file:
            writer = csv.writer(accounts_file)
            writer.writerow(ACCOUNT_COLUMNS)
            for i in range(meters):
                zones = ZONE_SETS[zone_sets[i % 3]]
                installs = ["1000" if zone in zones else "" for zone in ALL_ZONES]
                meter_cells = [f"I{i:08d}", zone_sets[i % 3], "6", "1", "2024-12-20", *installs]
                writer.writerow([f"{8_000_000_000 + i}", *account_cells, *meter_cells])
        with readings_path.open("w", newline="") as readings_file:
            writer = csv.writer(readings_file)
            writer.writerow(READING_COLUMNS)
            for i in range(meters):
                zones = ZONE_SETS[zone_sets[i % 3]]
                for month in range(1, months + 1):
                    values = [str(1000 + month * 120) if zone in zones else "" for zone in ALL_ZONES]
                    writer.writerow([f"{8_000_000_000 + i}", f"I{i:08d}", f"2025-{month:02d}-28", "", "ami", *values])
        rows = meters * months

        with cpu_meter() as accounts_cpu:
            call_command("import_accounts", str(accounts_path), stdout=io.StringIO())
        with cpu_meter() as first_cpu:
            call_command("import_readings", str(readings_path), stdout=io.StringIO())
        with cpu_meter() as again_cpu:
            call_command("import_readings", str(readings_path), stdout=io.StringIO())
    lines = [
        ("import_accounts (new meters)", meters, accounts_cpu),
        ("import_readings (new readings, checked, COPY)", rows, first_cpu),
        ("import_readings again (every row skipped as stored)", rows, again_cpu),
    ]
    return "\n".join(row(case, size, "row", cpu) for case, size, cpu in lines)


def bench_home_page(requests: int = 300) -> str:
    from django.test import Client

    client = Client()
    client.get("/")  # warm templates and translations
    with cpu_meter() as cpu:
        for _ in range(requests):
            assert client.get("/").status_code == 200
    return row("home page, in-process client", requests, "request", cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description="bulk_create, import_readings and the home page; `make bench`")
    add_profile_argument(parser)
    args = parser.parse_args()
    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False)
    try:
        lines = []
        for case in (bench_reading_inserts, bench_reading_import, bench_home_page):
            with profiled(args.profile, label=case.__name__):
                lines.append(case())
    finally:
        teardown_databases(databases, verbosity=0)
    results_append(
        command="`make bench` (bench/run.py" + (" --profile" if args.profile else "") + ")",
        lines=lines,
        database=connection.vendor,
        columns=COLUMNS,
    )


if __name__ == "__main__":
    main()
