"""Where PostgreSQL's CPU goes in the monthly run: `perf record` on this process's backend while each pass runs
in process (the data of bench/billing_run.py), then perf's cumulative shares of the backend's functions.

    python bench/pg_profile_run.py [--accounts 30000] [--chunk 5000]

Needs Debian's linux-perf and root; PostgreSQL on this machine. Prints, does not write RESULTS.md.
"""

import argparse
import io
import os
import re
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402

from bench.billing_run import MONTH, generate  # noqa: E402

WATCHED = (
    "CopyFrom|ExecInsertIndexTuples|btinsert|AfterTriggerFireDeferred|AfterTriggerEndQuery|RI_FKey_check|"
    "SPI_execute_snapshot|heap_lock_tuple|heap_insert|XLogInsert|CommitTransactionCommand|ExecInsert|"
    "ExecOnConflict|pg_plan_queries|ExecScan|ExecHashJoin|ExecAgg|ExecSort|ExecNestLoop|ExecIndexScan|"
    "ExecSeqScan|exec_simple_query|exec_execute_message|exec_bind_message|standard_ExecutorRun|ExecUpdate|"
    "CheckConstraint|ExecConstraints|ExecCheck|heap_update|jsonb_in|numeric_in|date_in|PortalRun"
)


def profile_pass(pass_name: str, run_date: date, chunk: int, out: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    perf = subprocess.Popen(["perf", "record", "-F", "999", "-g", "-p", str(pid), "-o", out, "-q"])
    try:
        call_command(
            "run_billing",
            month=f"{MONTH:%Y-%m}",
            pass_name=pass_name,
            date=run_date.isoformat(),
            chunk_size=chunk,
            lanes=1,  # this connection bills every chunk: the one perf watches
            stdout=io.StringIO(),
        )
    finally:
        perf.send_signal(signal.SIGINT)
        perf.wait()
    report = subprocess.run(
        ["perf", "report", "-i", out, "--children", "--sort", "symbol", "--stdio", "-g", "none"],
        capture_output=True,
        text=True,
    ).stdout
    print(f"== pass {pass_name}: backend {pid}, cumulative share of its samples")
    for line in report.splitlines():
        if "%" in line and re.search(rf"\] ({WATCHED})\b", line):
            print("  " + " ".join(line.split()[:4:3]) + " " + line.split()[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=30_000)
    parser.add_argument("--chunk", type=int, default=5000)
    args = parser.parse_args()
    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False)
    try:
        generate(args.accounts)
        profile_pass("actual", date(2026, 11, 3), args.chunk, "/tmp/perf.actual.data")
        profile_pass("final", date(2026, 11, 4), args.chunk, "/tmp/perf.final.data")
    finally:
        teardown_databases(databases, verbosity=0)


if __name__ == "__main__":
    main()
