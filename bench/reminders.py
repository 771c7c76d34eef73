"""Benchmark: the daily reminder job on a window-opening day, for generated accounts, on PostgreSQL.

    python bench/reminders.py [--accounts 100000] [--chunk BILLING_CHUNK_SIZE] [--processes 2] [--profile]

Generates accounts (Kyiv window), each with a meter (60 % one-zone, 40 % two-zone), a linked user (uk, ru,
en in turn) and, for 20 % of the meters, a reading for the month already (written by COPY). Then runs the
job for the opening day as the workers do: `reminder_chunks` finds the chunks, and `reminders_chunk_send`
does each (Reminder rows + one email per user and account into the outbox) in `--processes` processes,
as two Celery workers would. Sending is left out (the outbox's send tasks are not even published; a
chunk publishes one `emails_send` task per 25 emails, about 16 µs of CPU an email, bench/RESULTS.md):
this measures finding the meters, recording the reminders and rendering the emails.

The lead's quiet re-run: `DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python
bench/reminders.py --accounts 100000` (about a minute; chunks of BILLING_CHUNK_SIZE, 5,000, as the job's).
Reports accounts/s, emails queued and CPU-seconds (this process, the pool's processes and their PostgreSQL
backends); a second run of the same day checks that nothing is queued twice. `--profile` runs the first
day's chunks in this process under cProfile (so its wall time is one process's) and prints the top costs.
Appends the figures to bench/RESULTS.md.
"""

import argparse
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

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.billing_run import copy_rows  # noqa: E402
from bench.generated import metered_accounts, two_zone  # noqa: E402
from bench.profiling import add_profile_argument, backend_cpu_seconds, cpu_meter, profiled  # noqa: E402
from bench.results import results_append  # noqa: E402

MONTH = date(2026, 11, 1)
OPEN_DAY = date(2026, 11, 29)  # the Kyiv window of November opens


def generate(accounts: int) -> None:
    metered_accounts(
        accounts,
        invoice_mode="hybrid",
        register_labels=('{"day": ["1.8.2", "T22"], "night": ["1.8.1", "T21"]}', '{"total": ["1.8.0"]}'),
    )
    now = timezone.now()
    copy_rows(
        "accounts_user",
        [
            "id", "password", "is_superuser", "email", "full_name", "preferred_language", "is_staff", "is_active",
            "date_joined", "notify_reminders", "notify_decisions", "notify_estimates", "notify_invoices",
        ],
        (
            (i, "!", False, f"customer{i}@example.com", "Бенчмарк", ("uk", "ru", "en")[i % 3], False, True, now,
             True, True, True, True)
            for i in range(1, accounts + 1)
        ),
    )  # fmt: skip
    copy_rows(
        "accounts_accountlink",
        ["id", "user_id", "account_id", "created_at", "notify_by_email"],
        ((i, i, i, now, True) for i in range(1, accounts + 1)),
    )
    copy_rows(
        "readings_reading",
        [
            "meter_id", "reading_date", "zone_set", "total", "day", "night", "channel", "status", "reason",
            "submitted_at", "billing_month", "swap_corrected", "photo",
        ],
        (
            (i, OPEN_DAY, "day+night" if two_zone(i) else "total", None if two_zone(i) else 1200,
             1100 if two_zone(i) else None, 550 if two_zone(i) else None, "cabinet", "accepted", "", now, MONTH,
             False, "")
            for i in range(1, accounts + 1)
            if i % 5 == 0
        ),
    )  # fmt: skip
    with connection.cursor() as cursor:
        for table in ("accounts_personalaccount", "readings_meter", "accounts_user", "accounts_accountlink"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cursor.execute("ANALYZE")


def send_chunk(kwargs: dict) -> tuple[int, int, float]:
    """One chunk as a worker does it; also returns the CPU-seconds its PostgreSQL backend spent on it."""
    from accounts import services
    from readings.reminders import reminders_chunk_send

    # The send tasks are not published: the benchmark's broker may be shared with test runs.
    services._send_many_after_commit = lambda email_ids: None
    backend_before = backend_cpu_seconds()
    result = reminders_chunk_send(**(kwargs | {"month": date.fromisoformat(kwargs["month"])}), now=timezone.now())
    return result.reminders, result.emails, backend_cpu_seconds() - backend_before


def run_day(chunk: int, processes: int, profile: bool = False) -> dict:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from readings.reminders import reminder_chunks

    with cpu_meter() as cpu:
        backend_before = backend_cpu_seconds()
        chunks = [item.as_kwargs() for item in reminder_chunks(today=OPEN_DAY, chunk_size=chunk)]
        backend = backend_cpu_seconds() - backend_before
        if profile:
            with profiled(label="reminders, the day's chunks in one process"):
                results = [send_chunk(kwargs) for kwargs in chunks]
        else:
            connection.close()  # each forked process opens its own connection
            with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork")) as pool:
                results = list(pool.map(send_chunk, chunks))
    return {
        "wall": cpu.wall_seconds,
        "cpu": cpu.cpu_seconds,  # this process and the pool's (waited for when the pool shut down)
        "backend": backend + sum(r[2] for r in results),
        "chunks": len(chunks),
        "reminders": sum(r[0] for r in results),
        "emails": sum(r[1] for r in results),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=settings.BILLING_CHUNK_SIZE, help="as the daily job's chunks")
    parser.add_argument("--processes", type=int, default=2, help="like two Celery workers")
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
        first = run_day(args.chunk, args.processes, args.profile)
        rerun = run_day(args.chunk, args.processes)
        from accounts.models import OutgoingEmail

        outbox = OutgoingEmail.objects.count()
    finally:
        teardown_databases(databases, verbosity=0)
    assert rerun["reminders"] == 0 and outbox == first["emails"], (rerun, outbox, first)

    def cpu_cells(day: dict) -> str:
        total = day["cpu"] + day["backend"]
        return (
            f"{day['wall']:.2f} s wall | {args.accounts / day['wall']:,.0f} accounts/s | "
            f"{day['cpu']:.2f} + {day['backend']:.2f} = {total:.2f} CPU-s, "
            f"{total / args.accounts * 1e6:,.0f} µs/account |"
        )

    where = "in this process, profiled" if args.profile else f"in {args.processes} processes"
    lines = [
        f"| reminders, window-opening day, {first['chunks']} chunks of {args.chunk:,} {where} | "
        f"{args.accounts:,} accounts, {first['reminders']:,} reminders, {first['emails']:,} emails queued | "
        + cpu_cells(first),
        f"| the same day again (finds everything reminded) | 0 new, outbox still {outbox:,} | " + cpu_cells(rerun),
    ]
    results_append(
        command=(
            f"`bench/reminders.py --accounts {args.accounts} --chunk {args.chunk} --processes {args.processes}"
            f"{' --profile' if args.profile else ''}`; data generated by COPY in {generated:.1f} s "
            "(one meter, one linked user per account; 20 % already have their reading). "
            "CPU: Python (this process and the pool's) + PostgreSQL backends"
        ),
        lines=lines,
        database=connection.vendor,
        columns="case | size | time | rate | CPU",
    )


if __name__ == "__main__":
    main()
