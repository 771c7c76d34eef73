"""Benchmark: what one reading submission costs, measured in process (no HTTP server, no load generator).

    python bench/submit_profile.py [--accounts 2000] [--submissions 1000] [--profile]

On PostgreSQL: generates one-zone accounts with a reading a month ago (as bench/api_load.py), then posts one
new reading per account through Django's test client to `POST /api/v1/integrations/readings/` (Bearer
key, Idempotency-Key, the whole service). Reports, per submission: SQL statements (after a first one
that warms caches), CPU of this Python process (web side) and CPU of its PostgreSQL backend (read from
/proc, user + system), so the figures survive a machine shared with other work. Appends to bench/RESULTS.md.
With --profile, the measured loop runs under cProfile and the top costs (own time and cumulative) are printed
(the CPU figures then include the profiler's overhead and nothing is appended).
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_databases,
    setup_test_environment,
    teardown_databases,  # noqa: E402
)

from bench.api_load import generate  # noqa: E402
from bench.results import results_append  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def backend_cpu_seconds(pid: int) -> float:
    """User + system CPU of one process, from /proc/<pid>/stat (fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def submit(client: Client, key: str, number: int, counter: int) -> int:
    body = {"account_number": f"{6_000_000_000 + number}", "meter_serial": f"S{number:09d}", "values": {"total": 4400}}
    response = client.post(
        "/api/v1/integrations/readings/",
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}", "Idempotency-Key": f"profile-{counter}"},
    )
    assert response.status_code in (200, 201), response.content
    return response.status_code


def print_profile(profiler: cProfile.Profile, count: int, top: int = 25) -> None:
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(top)
        print(f"--- top {top} by {order} ({count} submissions) ---")
        print(out.getvalue().split("\n", 6)[-1] if order == "tottime" else out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--submissions", type=int, default=1_000)
    parser.add_argument("--profile", action="store_true", help="cProfile the loop; print the top costs")
    args = parser.parse_args()
    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False)
    try:
        if connection.vendor != "postgresql":
            raise SystemExit("this benchmark needs PostgreSQL: set DATABASE_URL")
        key = generate(args.accounts)
        client = Client()
        submit(client, key, 1, 0)  # warms the process: the API client cache, the compiled SQL
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        # Statements on a sample (the debug cursor that counts them costs CPU), CPU on the rest without it.
        sample = range(2, 52)
        statements = 0
        for number in sample:
            connection.queries_log.clear()  # a bounded deque: a full one would count nothing
            with CaptureQueriesContext(connection) as captured:
                submit(client, key, number, number)
            statements += len(captured)
        statements_each = statements / len(sample)
        count = min(args.submissions, args.accounts - 52)
        profiler = cProfile.Profile(time.process_time) if args.profile else None  # CPU, not wall
        web_start, db_start, wall_start = time.process_time(), backend_cpu_seconds(backend), time.perf_counter()
        if profiler:
            profiler.enable()
        for number in range(52, count + 52):
            submit(client, key, number, number)
        if profiler:
            profiler.disable()
            profiler.dump_stats(BASE_DIR / "var" / "submit_profile.pstats")  # for pstats or snakeviz
        wall = time.perf_counter() - wall_start
        web = time.process_time() - web_start
        db = backend_cpu_seconds(backend) - db_start
        from readings.models import Reading

        stored = Reading.objects.filter(channel="ivr").count()
    finally:
        connection.close()
        teardown_databases(databases, verbosity=0)
    lines = [
        f"| statements per submission (a warm process) | {count:,} submissions, {stored:,} stored "
        f"| {statements_each:.1f} | |",
        f"| CPU per submission: web (this process) + PostgreSQL backend | {count:,} submissions "
        f"| {web / count * 1000:.2f} ms + {db / count * 1000:.2f} ms = {(web + db) / count * 1000:.2f} ms "
        f"| {count / wall:,.0f} submissions/s on one connection |",
    ]
    if profiler:
        print("\n".join(lines))
        print_profile(profiler, count)
        return
    results_append(
        command=f"`bench/submit_profile.py --accounts {args.accounts} --submissions {args.submissions}`",
        lines=lines,
        database="postgresql",
        columns="case | size | cost | rate",
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
