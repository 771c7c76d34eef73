"""Benchmark: the monthly charge run over generated accounts on PostgreSQL, end to end through Celery.

    python bench/billing_run.py [--accounts 100000] [--workers 2]

Generates accounts (60 % one-zone, 40 % two-zone) with 13 months of readings, their billing state as
of the previous month, and a reading for the billed month for 80 % of them (the other 20 % are
estimated). Runs pass `actual`, then pass `final` through Celery workers started here, and reports
accounts per second. In the same run it times COPY of as many charge rows into a scratch table, the
floor any database-bound run is measured against. Appends the figures to bench/RESULTS.md.
"""

import argparse
import os
import sys
import time
from datetime import date, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.results import results_append  # noqa: E402

MONTH = date(2026, 10, 1)
HISTORY = [date(2025, month, 28) if month >= 10 else date(2026, month, 28) for month in (10, 11, 12, *range(1, 10))]


def copy_rows(table: str, columns: list[str], rows) -> None:
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def generate(accounts: int) -> None:
    """Accounts, meters, 13 months of readings, billing state at September, October readings for 80 %."""
    from accounts.models import District
    from billing.models import Norm, Tariff

    district = District.objects.create(code="BENCH", name="Bench")
    Tariff.objects.bulk_create(
        Tariff(category="household", effective_from=date(2020, 1, 1), zone=zone, price=price)
        for zone, price in (("total", "4.32"), ("day", "4.32"), ("night", "2.16"))
    )
    Norm.objects.create(category="household", effective_from=date(2020, 1, 1), kwh_per_resident=65)
    now = timezone.now()
    copy_rows(
        "accounts_personalaccount",
        [
            "id",
            "number",
            "district_id",
            "address",
            "holder_name",
            "category",
            "residents",
            "invoice_mode",
            "paper_copy",
            "premises_vacant",
            "is_active",
            "created_at",
            "updated_at",
        ],
        (
            (
                i,
                f"{5_000_000_000 + i}",
                district.pk,
                "вул. Тестова, 1",
                "Б",
                "household",
                2,
                "hybrid",
                False,
                False,
                True,
                now,
                now,
            )
            for i in range(1, accounts + 1)
        ),
    )
    zones = lambda i: ("total",) if i % 5 < 3 else ("day", "night")  # noqa: E731
    copy_rows(
        "readings_meter",
        [
            "id",
            "account_id",
            "serial_number",
            "model_name",
            "zone_set",
            "register_labels",
            "register_digits",
            "multiplier",
            "installed_on",
            "is_smart",
            "install_total",
            "install_day",
            "install_night",
        ],
        (
            (
                i,
                i,
                f"B{i:09d}",
                "",
                "+".join(zones(i)) if len(zones(i)) > 1 else "total",
                "{}",
                6,
                1,
                date(2025, 1, 1),
                False,
                1000 if zones(i) == ("total",) else None,
                None if zones(i) == ("total",) else 1000,
                None if zones(i) == ("total",) else 500,
            )
            for i in range(1, accounts + 1)
        ),
    )
    reading_id = 0
    state_rows = []

    def readings():
        nonlocal reading_id
        for i in range(1, accounts + 1):
            z = zones(i)
            for step, day in enumerate([*HISTORY, MONTH.replace(day=30)]):
                if day.month == 10 and day.year == 2026 and i % 5 == 4:
                    continue  # 20 % without a reading this month
                reading_id += 1
                used = 200 * (step + 1)
                values = (
                    {"total": 1000 + used}
                    if z == ("total",)
                    else {"day": 1000 + used * 7 // 10, "night": 500 + used * 3 // 10}
                )
                if day == HISTORY[-1]:
                    state_rows.append((i, reading_id, day, 0, date(2026, 9, 1), False))
                submitted = timezone.make_aware(datetime.combine(day, datetime.min.time()))
                yield (
                    reading_id,
                    i,
                    day,
                    "+".join(z) if len(z) > 1 else "total",
                    values.get("total"),
                    values.get("day"),
                    values.get("night"),
                    "ami",
                    "accepted",
                    "",
                    submitted,
                    day.replace(day=1),
                    False,
                    "",
                )

    copy_rows(
        "readings_reading",
        [
            "id",
            "meter_id",
            "reading_date",
            "zone_set",
            "total",
            "day",
            "night",
            "channel",
            "status",
            "reason",
            "submitted_at",
            "billing_month",
            "swap_corrected",
            "photo",
        ],
        readings(),
    )
    copy_rows(
        "billing_meterbillingstate",
        ["meter_id", "last_reading_id", "last_date", "estimated_months", "last_billed_month", "closed"],
        state_rows,
    )
    with connection.cursor() as cursor:
        for table in ("accounts_personalaccount", "readings_meter", "readings_reading"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cursor.execute("ANALYZE")


def start_workers(count: int) -> list:
    from tests.workers import start_worker

    return [start_worker(f"bench{n}") for n in range(count)]


def run_pass(pass_name: str, run_date: date) -> tuple[float, int]:
    from billing.models import BillingRun
    from billing.services import run_start
    from billing.tasks import queue_run

    started = time.perf_counter()
    run = run_start(month=MONTH, pass_name=pass_name, run_date=run_date, now=timezone.now())
    queue_run(run)
    while BillingRun.objects.get(pk=run.pk).status == "running":
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    run.refresh_from_db()
    return elapsed, sum(value["charges"] for value in run.counts.values())


def copy_floor(rows: int) -> float:
    """COPY as many charge rows, built as the run builds them, into a scratch table: the write floor."""
    from billing.writes import CHARGE_COLUMNS

    columns = ", ".join(CHARGE_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE charge_copy AS SELECT {columns} FROM billing_charge WITH NO DATA")
    now = timezone.now()
    row = (1, 1, "total", "actual", 200, "4.32000", "864.00", MONTH, MONTH, MONTH, None, None, None, None, now)
    started = time.perf_counter()
    copy_rows("charge_copy", CHARGE_COLUMNS, (row for _ in range(rows)))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False)
    if connection.vendor != "postgresql":
        raise SystemExit("this benchmark needs PostgreSQL: set DATABASE_URL")
    workers = []
    try:
        started = time.perf_counter()
        generate(args.accounts)
        generated = time.perf_counter() - started
        workers = start_workers(args.workers)
        time.sleep(4)  # let the workers connect
        actual_s, actual_rows = run_pass("actual", MONTH.replace(month=11, day=3))
        final_s, final_rows = run_pass("final", MONTH.replace(month=11, day=4))
        rows = actual_rows + final_rows
        copy_s = copy_floor(rows)
    finally:
        from tests.workers import stop_worker

        for worker in workers:
            stop_worker(worker)
        teardown_databases(databases, verbosity=0)
    total = actual_s + final_s
    lines = [
        f"| charge run, pass actual (80 % with a reading), {args.workers} Celery workers | "
        f"{args.accounts:,} accounts | "
        f"{actual_s:.2f} s | {args.accounts / actual_s:,.0f} accounts/s |",
        f"| charge run, pass final (20 % estimated) | {args.accounts:,} accounts | {final_s:.2f} s | "
        f"{args.accounts / final_s:,.0f} accounts/s |",
        f"| charge run, both passes end to end | {args.accounts:,} accounts, {rows:,} charges | {total:.2f} s | "
        f"{args.accounts / total:,.0f} accounts/s |",
        f"| COPY of {rows:,} charge rows into a scratch table (the floor) | {rows:,} rows | {copy_s:.2f} s | "
        f"run / COPY = {total / copy_s:.1f}x |",
    ]
    results_append(
        command=(
            f"`make bench` (bench/billing_run.py --accounts {args.accounts} --workers {args.workers}); "
            f"data generated by COPY in {generated:.1f} s (13 months of readings)"
        ),
        lines=lines,
        database=connection.vendor,
    )


if __name__ == "__main__":
    main()
