"""Benchmark: the monthly charge run, both passes with their invoices, on PostgreSQL.

    python bench/billing_run.py [--accounts 100000] [--workers 2] [--chunk 2000]   # run_billing --queue
    python bench/billing_run.py --in-process [--accounts 50000] [--lanes 2] [--profile]  # run_billing, one process
    python bench/billing_run.py ... --history   # with a year of invoiced charges, invoices and items before the month

Generates accounts (60 % one-zone, 40 % two-zone, all `hybrid`, one district) with 13 months of
readings, their billing state as of the previous month, and a reading for the billed month for 80 % of
them (the other 20 % are estimated). Runs pass `actual`, then pass `final`, each chunk billing its
charges and issuing its invoices in one transaction: by default through Celery workers started here (as
`run_billing --queue`), with `--in-process` as the `run_billing` command itself in this process. Reports
accounts per second and CPU-seconds per account: the workers' (or this process's) and their PostgreSQL
backends', and how busy they kept the cores. In the same run it COPYs the rows the passes wrote (charges,
billing states, invoices, invoice items) into scratch tables: the floor any database-bound run is measured
against. Appends the figures to bench/RESULTS.md.
"""

import argparse
import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
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

from bench.profiling import (  # noqa: E402
    add_profile_argument,
    machine_cpu_seconds,
    pid_cpu_seconds,
    process_cpu_seconds,
    processes_cpu_seconds,
    profiled,
)
from bench.results import results_append, times  # noqa: E402

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


class PassCpu:
    """CPU-seconds of a pass: the given processes (the workers, or this one) and every PostgreSQL backend of
    the benchmark's database. Sampled while the pass runs, so a backend that ends (a connection recycled, a
    `run_billing --lanes` lane's connection) still counts up to its last sample: in this process a thread
    samples every 100 ms (through its own connection, whose backend is left out).

    Beside them, the whole machine's busy CPU over the pass (/proc/stat) and what the other processes alive at
    both ends spent, by name (PostgreSQL's autovacuum and WAL writer, Redis, this bench's sampling): the run
    causes some of that work, and all of it competes for the same two cores."""

    def __init__(self, worker_pids: list[int], in_process: bool):
        self.worker_pids, self.in_process = worker_pids, in_process
        self.lock, self.stopped = threading.Lock(), threading.Event()
        self.own_backends: set[int] = set()
        self.machine_start, self.processes_start = machine_cpu_seconds(), processes_cpu_seconds()
        self.start = self._sample()
        self.seen = dict(self.start)
        self.sampler = None
        if in_process:
            self.sampler = threading.Thread(target=self._sample_until_stopped, daemon=True)
            self.sampler.start()

    def _sample_until_stopped(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.own_backends.add(cursor.fetchone()[0])
        try:
            while not self.stopped.wait(0.1):
                self.poll()
        finally:
            connection.close()

    def _sample(self) -> dict:
        from bench.profiling import tree_cpu_seconds

        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            values = {("pg", pid): pid_cpu_seconds(pid) for (pid,) in cursor.fetchall() if pid not in self.own_backends}
        for pid in self.worker_pids:
            values[("worker", pid)] = tree_cpu_seconds(pid)
        if self.in_process:
            values[("self", 0)] = process_cpu_seconds()
        return values

    def poll(self) -> None:
        sample = self._sample()
        with self.lock:
            for key, value in sample.items():
                self.seen[key] = max(value, self.seen.get(key, 0.0))

    def split(self) -> tuple[float, float]:
        """(workers or this process, PostgreSQL) CPU-seconds since the start."""
        if self.sampler is not None:
            self.stopped.set()
            self.sampler.join()
        self.poll()
        python = sum(v - self.start.get(k, 0.0) for k, v in self.seen.items() if k[0] != "pg")
        database = sum(v - self.start.get(k, 0.0) for k, v in self.seen.items() if k[0] == "pg")
        self.machine = machine_cpu_seconds() - self.machine_start
        counted = {pid for kind, pid in self.seen if kind == "pg"} | set(self.worker_pids)
        if self.in_process:
            counted.add(os.getpid())
        self.others: dict[str, float] = {}
        for pid, (name, seconds) in processes_cpu_seconds().items():
            if pid not in counted and pid in self.processes_start:
                spent = seconds - self.processes_start[pid][1]
                if spent > 0:
                    self.others[name] = self.others.get(name, 0.0) + spent
        return python, database


def run_pass(pass_name: str, run_date: date, *, chunk: int, workers: list, profile: bool, lanes: int | None) -> dict:
    from django.core.management import call_command

    from billing.models import BillingRun, Invoice
    from billing.run.services import run_queue, run_start

    in_process = not workers
    cpu = PassCpu([worker.pid for worker in workers], in_process)
    started = time.perf_counter()
    if in_process:
        with profiled(profile, label=f"pass {pass_name}"):
            call_command(
                "run_billing",
                month=f"{MONTH:%Y-%m}",
                pass_name=pass_name,
                date=run_date.isoformat(),
                chunk_size=chunk,
                lanes=lanes,
                stdout=io.StringIO(),
            )
        run = BillingRun.objects.get(month=MONTH, pass_name=pass_name)
    else:
        run = run_start(month=MONTH, pass_name=pass_name, run_date=run_date, now=timezone.now(), chunk_size=chunk)
        run_queue(run)
        while BillingRun.objects.get(pk=run.pk).status == "running":
            cpu.poll()
            time.sleep(0.2)
    elapsed = time.perf_counter() - started
    python_cpu, database_cpu = cpu.split()
    run.refresh_from_db()
    if run.status != "done":
        raise SystemExit(f"pass {pass_name} ended {run.status}: {run.errors}")
    return {
        "seconds": elapsed,
        "charges": sum(value["charges"] for value in run.counts.values()),
        "invoices": Invoice.objects.filter(run=run).count(),
        "python_cpu": python_cpu,
        "database_cpu": database_cpu,
        "machine_cpu": cpu.machine,
        "others": Counter(cpu.others),
    }


# The rows the passes write, COPYed again into scratch tables: the floor of any database-bound run. The run's
# charges and invoices carry its id; `--history`'s year of older ones does not and is left out.
WRITTEN_TABLES = ("billing_charge", "billing_meterbillingstate", "billing_invoice", "billing_invoiceitem")
WRITTEN_ROWS = {
    "billing_charge": "SELECT * FROM billing_charge WHERE run_id IS NOT NULL",
    "billing_invoice": "SELECT * FROM billing_invoice WHERE run_id IS NOT NULL",
    "billing_invoiceitem": "SELECT i.* FROM billing_invoiceitem i JOIN billing_invoice v ON v.id = i.invoice_id "
    "WHERE v.run_id IS NOT NULL",
}

# `--history`: the year before the billed month as a utility has it, invoiced and paid: per reading of
# the 12 months before October an actual charge, per account and month an invoice of it and its item.
INVOICED_YEAR = """
INSERT INTO billing_charge (account_id, meter_id, zone, basis, volume_kwh, price, amount, billing_month,
                            span_start, span_end, reading_id, created_at)
SELECT m.account_id, m.id, 'total', 'actual', 200, 4.32, 864.00, r.billing_month, r.reading_date - 30,
       r.reading_date, r.id, now()
  FROM readings_meter m JOIN readings_reading r ON r.meter_id = m.id AND r.billing_month < %(month)s;
INSERT INTO billing_invoice (number, year, sequence, kind, status, billing_month, issued_on, due_on, issued_at,
       currency, opening_balance, charges_total, payments_total, amount_due, paid_on, language, account_number,
       holder_name, address, district_name, district_phone, supplier, content, qr_data, paper_copy,
       void_reason, pdf, account_id, district_id)
SELECT 'H-' || a.id || '-' || k, 2000 + k, a.id, 'auto', 'paid', (%(month)s - make_interval(months => k))::date,
       (%(month)s - make_interval(months => k - 1) + interval '2 days')::date,
       (%(month)s - make_interval(months => k - 1) + interval '19 days')::date,
       now() - make_interval(months => k), 'UAH', 0, 864.00, 864.00, 0,
       (%(month)s - make_interval(months => k - 1) + interval '9 days')::date, 'uk', a.number, a.holder_name,
       a.address, 'Bench', '', '{}'::jsonb, '{}'::jsonb, '', false, '', '', a.id, a.district_id
  FROM accounts_personalaccount a CROSS JOIN generate_series(1, 12) k;
INSERT INTO billing_invoiceitem (invoice_id, charge_id, active)
SELECT i.id, c.id, true
  FROM billing_charge c JOIN billing_invoice i ON i.account_id = c.account_id AND i.billing_month = c.billing_month;
ANALYZE;
"""


def invoiced_year() -> None:
    with connection.cursor() as cursor:
        cursor.execute(INVOICED_YEAR, {"month": MONTH})


def copy_floor(tables=WRITTEN_TABLES) -> tuple[float, float, int]:
    """COPY every row the passes wrote into a scratch copy of its table (no indexes, no constraints), as
    text from this process: (wall seconds, CPU-seconds of this process and its backend, rows)."""
    from bench.profiling import backend_cpu_seconds

    dumps = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"CREATE TEMP TABLE scratch_{table} (LIKE {table})")
            with cursor.cursor.copy(f"COPY ({WRITTEN_ROWS.get(table, f'SELECT * FROM {table}')}) TO STDOUT") as copy:
                dumps[table] = b"".join(bytes(block) for block in copy)
    rows = sum(dump.count(b"\n") for dump in dumps.values())
    cpu_before, started = process_cpu_seconds() + backend_cpu_seconds(), time.perf_counter()
    with connection.cursor() as cursor:
        for table, dump in dumps.items():
            with cursor.cursor.copy(f"COPY scratch_{table} FROM STDIN") as copy:
                for start in range(0, len(dump), 1 << 20):
                    copy.write(dump[start : start + (1 << 20)])
    return time.perf_counter() - started, process_cpu_seconds() + backend_cpu_seconds() - cpu_before, rows


def perf_started(path: str | None):
    """`perf record` of every process and the kernel, so the machine's CPU can be split by command and library:
    the bench's own counters see processes, not what the kernel does for them."""
    if not path:
        return None
    recorder = subprocess.Popen(["perf", "record", "-a", "-g", "-F", "499", "-o", path], stderr=subprocess.DEVNULL)
    time.sleep(1)
    return recorder


def perf_stopped(recorder) -> None:
    """Stop the recorder (if any) so it writes its file; returns None, the recorder's new value."""
    if recorder is not None:
        recorder.send_signal(signal.SIGINT)
        recorder.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, help="Celery workers (run_billing --queue)")
    parser.add_argument("--in-process", action="store_true", help="run_billing in this process, no workers")
    parser.add_argument("--chunk", type=int, default=None, help="accounts per chunk (default BILLING_CHUNK_SIZE)")
    parser.add_argument(
        "--lanes",
        type=int,
        default=None,
        help="with --in-process: run_billing --lanes (default BILLING_RUN_LANES; 1 with --profile)",
    )
    parser.add_argument(
        "--history",
        action="store_true",
        help="a year of invoiced charges, invoices and items before the month (the run's reads grow with it)",
    )
    parser.add_argument(
        "--perf",
        metavar="FILE",
        help="record the whole machine with `perf record -a -g` over both passes into FILE (root, linux-perf)",
    )
    add_profile_argument(parser)
    args = parser.parse_args()
    from django.conf import settings

    chunk = args.chunk or settings.BILLING_CHUNK_SIZE
    if args.profile and args.in_process and args.lanes is None:
        # cProfile sees only the thread it runs in: profile the chunks in this thread, one lane.
        args.lanes = 1
    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False)
    if connection.vendor != "postgresql":
        raise SystemExit("this benchmark needs PostgreSQL: set DATABASE_URL")
    workers, recorder = [], None
    try:
        started = time.perf_counter()
        generate(args.accounts)
        if args.history:
            invoiced_year()
        generated = time.perf_counter() - started
        if not args.in_process:
            workers = start_workers(args.workers)
            time.sleep(4)  # let the workers connect
        options = {"chunk": chunk, "workers": workers, "profile": args.profile, "lanes": args.lanes}
        recorder = perf_started(args.perf)
        actual = run_pass("actual", MONTH.replace(month=11, day=3), **options)
        final = run_pass("final", MONTH.replace(month=11, day=4), **options)
        recorder = perf_stopped(recorder)
        copy_s, copy_cpu, copy_rows_count = copy_floor()
    finally:
        perf_stopped(recorder)  # a pass that failed must not leave perf recording the machine
        from tests.workers import stop_worker

        for worker in workers:
            stop_worker(worker)
        teardown_databases(databases, verbosity=0)
    lanes = args.lanes or settings.BILLING_RUN_LANES
    how = (
        f"run_billing in one process, {lanes} lane{'s' if lanes > 1 else ''}"
        if args.in_process
        else f"run_billing --queue, {args.workers} Celery workers"
    )
    who = "this process" if args.in_process else "workers"
    n = args.accounts

    # How busy the whole machine was: below 100 % the wall is waits (locks, round trips, the start and the
    # last chunk); at 100 % it is CPU, the run's and what else ran beside it (named by `others`).
    cores = os.cpu_count() or 1

    def others(result: dict) -> str:
        """The machine's CPU beyond the run's processes: the top three others by name, then what processes that
        ended during the pass and the kernel (loopback networking's softirq) spent."""
        named = [(name, seconds) for name, seconds in result["others"].most_common(3) if seconds >= 0.05]
        rest = result["machine_cpu"] - result["python_cpu"] - result["database_cpu"] - sum(result["others"].values())
        return ", ".join([*(f"{name} {seconds:.2f}" for name, seconds in named), f"ended or kernel {rest:.2f}"])

    def line(case: str, result: dict) -> str:
        cpu = result["python_cpu"] + result["database_cpu"]
        return (
            f"| {case} | {n:,} accounts, {result['charges']:,} charges, {result['invoices']:,} invoices | "
            f"{result['seconds']:.2f} s wall; {cpu:.2f} CPU-s ({who} {result['python_cpu']:.2f} + "
            f"PostgreSQL {result['database_cpu']:.2f}) = {cpu / n * 1000:.3f} ms CPU/account; machine "
            f"{result['machine_cpu']:.2f} CPU-s, cores busy {result['machine_cpu'] / (result['seconds'] * cores):.0%} "
            f"(the rest: {others(result)}) | "
            f"{n / result['seconds']:,.0f} accounts/s |"
        )

    both = {key: actual[key] + final[key] for key in actual}
    both_cpu = both["python_cpu"] + both["database_cpu"]
    lines = [
        line(f"pass actual (80 % with a reading), {how}, chunks of {chunk:,}", actual),
        line("pass final (20 % estimated)", final),
        line("both passes, invoices included", both),
        f"| COPY of the rows both passes wrote (charges, states, invoices, items) into scratch tables, same run | "
        f"{copy_rows_count:,} rows | {copy_s:.2f} s wall; {copy_cpu:.2f} CPU-s (this process + its backend) | "
        f"run / COPY = {times(both['seconds'], copy_s)} wall, {times(both_cpu, copy_cpu)} CPU |",
    ]
    load = os.getloadavg()
    results_append(
        command=(
            f"`bench/billing_run.py --accounts {n} "
            + (f"--in-process --lanes {lanes}" if args.in_process else f"--workers {args.workers}")
            + f" --chunk {chunk}{' --history' if args.history else ''}`; data generated by COPY in {generated:.1f} s "
            + (
                "(13 months of readings, 12 of them charged and invoiced before); "
                if args.history
                else "(13 months of readings); "
            )
            + f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores"
        ),
        lines=lines,
        database=connection.vendor,
        columns="case | size | cost | rate",
    )


if __name__ == "__main__":
    main()
