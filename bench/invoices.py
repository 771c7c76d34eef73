"""Benchmark: issuing invoices for generated accounts (no PDF) and rendering invoice PDFs, on PostgreSQL.

    python bench/invoices.py [--accounts 100000] [--chunk 2000] [--processes 2] [--pdfs 200] [--profile]

1. Generates accounts, each with a one- or two-zone meter and a month of charges (written by COPY), then
   issues their invoices chunk by chunk exactly as the billing pass does (`auto_invoices_issue` of pass
   `final` in one transaction per chunk, numbers from the district's counter) in 2 processes, as the
   pass's two workers would, and reports invoices per second and CPU-seconds per invoice (the processes'
   and their PostgreSQL backends'), beside a COPY of the same invoice and item rows in the same run.
   `--profile` profiles the first two chunks in this process first (they are then not timed).
2. Renders `--pdfs` of those invoices to PDF in this (warm) process and reports the median and p95 per
   invoice, with a minimal one-line WeasyPrint page rendered in the same run as the base of the ratio.
Appends the figures to bench/RESULTS.md.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.billing_run import copy_floor, copy_rows  # noqa: E402
from bench.generated import metered_accounts, two_zone  # noqa: E402
from bench.profiling import add_profile_argument, profiled  # noqa: E402
from bench.results import results_append, times  # noqa: E402

MONTH = date(2026, 10, 1)


def generate(accounts: int) -> None:
    """Accounts with a meter each (60 % one-zone, 40 % two-zone) and October's charges: 1 or 2 lines."""
    metered_accounts(accounts, invoice_mode="supplier", register_labels=('{"day": ["T22"], "night": ["T21"]}', "{}"))
    now = timezone.now()

    def charges():
        for i in range(1, accounts + 1):
            lines = (
                (("day", 140, "4.32000", "604.80"), ("night", 60, "2.16000", "129.60"))
                if two_zone(i)
                else (("total", 200, "4.32000", "864.00"),)
            )
            for zone, volume, price, amount in lines:
                yield (
                    i,
                    i,
                    zone,
                    "average",
                    volume,
                    price,
                    amount,
                    MONTH,
                    date(2026, 9, 30),
                    date(2026, 10, 31),
                    1,
                    now,
                )

    copy_rows(
        "billing_charge",
        [
            "account_id", "meter_id", "zone", "basis", "volume_kwh", "price", "amount", "billing_month",
            "span_start", "span_end", "estimate_number", "created_at",
        ],
        charges(),
    )  # fmt: skip
    with connection.cursor() as cursor:
        for table in ("accounts_personalaccount", "readings_meter", "billing_charge"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cursor.execute("ANALYZE")


def issue_chunk(run_id: int, first: int, last: int) -> tuple[int, float, float]:
    """What a pass's chunk does for invoices: the supplier's invoices of the id range in one transaction,
    numbers from the district's counter. Returns (invoices, CPU-seconds here, CPU-seconds of the backend)."""
    from bench.profiling import backend_cpu_seconds
    from billing.invoices.services import auto_invoices_issue
    from billing.models import BillingRun

    run = BillingRun.objects.get(pk=run_id)
    python, database = time.process_time(), backend_cpu_seconds()
    with transaction.atomic():
        issued = auto_invoices_issue(first_account_id=first, last_account_id=last, run=run, now=timezone.now())
    return len(issued.ids), time.process_time() - python, backend_cpu_seconds() - database


def issue_all(accounts: int, chunk: int, processes: int, profile: bool) -> dict:
    """Issue every account's invoice, chunk by chunk, in `processes` processes (as the pass's workers do);
    with `profile`, the first two chunks are profiled in this process first."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from billing.models import BillingRun

    now = timezone.now()
    run = BillingRun.objects.create(
        month=MONTH, pass_name="final", run_date=date(2026, 11, 4), chunk_size=chunk, started_at=now, heartbeat_at=now
    )
    chunks = [(run.pk, first, min(first + chunk - 1, accounts)) for first in range(1, accounts + 1, chunk)]
    issued = python = database = 0
    if profile:
        with profiled(True, label="invoice issue, 2 chunks"):
            for done in chunks[:2]:
                count, _python, _database = issue_chunk(*done)
                issued += count
        chunks = chunks[2:]
    connection.close()  # each forked process opens its own connection
    started = time.perf_counter()
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork")) as pool:
        for count, chunk_python, chunk_database in pool.map(issue_chunk, *zip(*chunks, strict=True)):
            issued, python, database = issued + count, python + chunk_python, database + chunk_database
    elapsed = time.perf_counter() - started
    assert issued == accounts, f"issued {issued} of {accounts}"
    measured = sum(last - first + 1 for _run, first, last in chunks)
    return {"seconds": elapsed, "invoices": measured, "python": python, "database": database}


def timed(render, count: int) -> list[float]:
    for _ in range(5):
        render(0)  # warm: fonts, stylesheet, templates
    times = []
    for index in range(count):
        started = time.perf_counter()
        render(index)
        times.append((time.perf_counter() - started) * 1000)
    return times


def pdf_times(count: int) -> tuple[list[float], list[float]]:
    from weasyprint import HTML

    from billing.documents.pdf import invoice_pdf
    from billing.models import Invoice

    invoices = list(Invoice.objects.order_by("pk")[:count])
    base = timed(lambda index: HTML(string="<p>Рахунок № 1</p>").write_pdf(), count)
    invoice = timed(lambda index: invoice_pdf(invoices[index % len(invoices)]), count)
    return base, invoice


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=2000)
    parser.add_argument("--pdfs", type=int, default=200, help="0: the issue part only")
    parser.add_argument("--processes", type=int, default=2, help="like the pass's Celery workers")
    add_profile_argument(parser)
    args = parser.parse_args()
    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False)
    try:
        if connection.vendor != "postgresql":
            raise SystemExit("this benchmark needs PostgreSQL: set DATABASE_URL")
        started = time.perf_counter()
        generate(args.accounts)
        generated = time.perf_counter() - started
        issue = issue_all(args.accounts, args.chunk, args.processes, args.profile)
        copy_s, copy_cpu, copy_count = copy_floor(("billing_invoice", "billing_invoiceitem"))
        base, pdf = pdf_times(args.pdfs) if args.pdfs else ([], [])
    finally:
        teardown_databases(databases, verbosity=0)
    n, cpu = issue["invoices"], issue["python"] + issue["database"]
    lines = [
        f"| invoice issue (no PDF), chunks of {args.chunk:,} in {args.processes} processes, one district | "
        f"{n:,} invoices | {issue['seconds']:.2f} s wall; {cpu:.2f} CPU-s (processes {issue['python']:.2f} + "
        f"PostgreSQL {issue['database']:.2f}) = {cpu / n * 1000:.3f} ms CPU/invoice | "
        f"{n / issue['seconds']:,.0f} invoices/s |",
        f"| COPY of the same invoices and items into scratch tables, same run | {copy_count:,} rows | "
        f"{copy_s:.2f} s wall; {copy_cpu:.2f} CPU-s | issue / COPY = {times(issue['seconds'], copy_s)} wall, "
        f"{times(cpu, copy_cpu)} CPU |",
    ]
    if args.pdfs:
        base_median, pdf_median = statistics.median(base), statistics.median(pdf)
        lines += [
            f"| invoice PDF, warm, {args.pdfs} invoices | median {pdf_median:.1f} ms, p95 {p95(pdf):.1f} ms | "
            f"{times(pdf_median, base_median)} the base | |",
            f"| base: one-line WeasyPrint page, same run | median {base_median:.1f} ms, p95 {p95(base):.1f} ms | | |",
        ]
    load = os.getloadavg()
    results_append(
        command=(
            f"`bench/invoices.py --accounts {args.accounts} --chunk {args.chunk} --processes {args.processes} "
            f"--pdfs {args.pdfs}`; data generated by COPY in {generated:.1f} s; "
            f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores"
        ),
        lines=lines,
        database=connection.vendor,
        columns="case | size | cost | rate",
    )


if __name__ == "__main__":
    main()
