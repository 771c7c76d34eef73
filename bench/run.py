"""Benchmarks: `make bench` (uses DATABASE_URL and REDIS_URL; PostgreSQL is the one that counts).

Runs in a throwaway test database (created and dropped here), prints the figures and appends them to
bench/RESULTS.md with the machine, date and command. Later issues add their own cases here (the
monthly run over 100,000 accounts, the reading API under load, invoice PDFs).
"""

import os
import sys
import time
from datetime import date
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402

from bench.results import results_append  # noqa: E402


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
    started = time.perf_counter()
    Reading.objects.bulk_create(rows, batch_size=5_000)
    elapsed = time.perf_counter() - started
    rate = len(rows) / elapsed
    case = "readings bulk_create (two-zone, constraints on)"
    return f"| {case} | {len(rows):,} rows | {elapsed:.2f} s | {rate:,.0f} rows/s |"


def bench_reading_import(meters: int = 10_000, months: int = 10) -> str:
    """import_readings on 100,000 rows (one-, two- and three-zone meters, 10 months each), then the same file
    again (every row an identical repeat, skipped); the meters come from import_accounts."""
    import csv
    import io
    import tempfile

    from django.core.management import call_command

    from readings.imports import ACCOUNT_COLUMNS, READING_COLUMNS
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

        started = time.perf_counter()
        call_command("import_accounts", str(accounts_path), stdout=io.StringIO())
        accounts_elapsed = time.perf_counter() - started
        started = time.perf_counter()
        call_command("import_readings", str(readings_path), stdout=io.StringIO())
        first_elapsed = time.perf_counter() - started
        started = time.perf_counter()
        call_command("import_readings", str(readings_path), stdout=io.StringIO())
        again_elapsed = time.perf_counter() - started
    lines = [
        ("import_accounts (new meters)", meters, accounts_elapsed),
        ("import_readings (new readings, checked, bulk_create)", rows, first_elapsed),
        ("import_readings again (every row skipped as stored)", rows, again_elapsed),
    ]
    return "\n".join(
        f"| {case} | {size:,} rows | {elapsed:.2f} s | {size / elapsed:,.0f} rows/s |" for case, size, elapsed in lines
    )


def bench_home_page(requests: int = 300) -> str:
    from django.test import Client

    client = Client()
    client.get("/")  # warm templates and translations
    started = time.perf_counter()
    for _ in range(requests):
        assert client.get("/").status_code == 200
    elapsed = time.perf_counter() - started
    return f"| home page, in-process client | {requests} requests | {elapsed:.2f} s | {requests / elapsed:,.0f} req/s |"


def main() -> None:
    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False)
    try:
        lines = [bench_reading_inserts(), bench_reading_import(), bench_home_page()]
    finally:
        teardown_databases(databases, verbosity=0)
    results_append(
        command=("`make bench`"),
        lines=lines,
        database=connection.vendor,
    )


if __name__ == "__main__":
    main()
