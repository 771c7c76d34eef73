"""Benchmark: the month-end peak on PostgreSQL behind gunicorn (sync workers, the production command), with wrk.

    python bench/api_load.py [--accounts 40000] [--connections 32,128] [--seconds 10] [--workers 4] [--profile]

Generates one-zone accounts with a last reading (COPY), creates an integration client, starts gunicorn on
the benchmark database, and runs wrk twice at the same concurrency: `GET /api/v1/ping/` (a trivial JSON
view of the same server: the base) and `POST /api/v1/integrations/readings/` (a new reading for a different
account each request, with its own Idempotency-Key, through the whole validation and the row lock).
A third run mixes what customers do at month end: 6 in 10 requests submit a reading, 2 open the public
form, 2 open the cabinet (a signed-in customer's dashboard). Each run is repeated at every --connections
figure. Beside requests/s and p50/p99, every run reports CPU per request: user + system seconds of the
gunicorn process tree and of its PostgreSQL backends (read from /proc), divided by the requests served,
which survives a machine shared with other work where wall-clock rates do not. Checks that every
submission was stored, and appends to bench/RESULTS.md. Needs `wrk` (Debian: apt-get install wrk).
With --profile, py-spy samples the gunicorn workers (on CPU only, no instrumentation overhead) during each
submission run and prints the top functions by own and by inclusive samples (needs py-spy, requirements-dev).
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.billing_run import copy_rows  # noqa: E402
from bench.results import results_append  # noqa: E402

PORT = int(os.environ.get("BENCH_PORT", "18765"))  # engineers sharing a machine each pick their own

SUBMIT_LUA = """
local counter = 0
local thread_id = 0
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  thread_id = tonumber(id)
end
request = function()
  counter = counter + 1
  local n = thread_id * 1000000 + counter
  local account = (n % 1000000) + thread_id * PER_THREAD
  local body = string.format(
    '{"account_number": "%d", "meter_serial": "S%09d", "values": {"total": %d}}',
    6000000000 + account, account, 4300 + counter % 50)
  wrk.headers["Idempotency-Key"] = string.format("bench-%d-%d", thread_id, counter)
  return wrk.format("POST", "/api/v1/integrations/readings/", nil, body)
end
"""


MIXED_LUA = SUBMIT_LUA.replace(
    "request = function()",
    """local submit_request = nil
request = function()
  if counter % 10 >= 8 then
    counter = counter + 1
    return wrk.format("GET", "/cabinet/", {["Cookie"] = "sessionid=SESSION"}, nil)
  elseif counter % 10 >= 6 then
    counter = counter + 1
    return wrk.format("GET", "/readings/", {}, nil)
  end
  return submit_request()
end
submit_request = function()""",
)

TICKS = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # the process ended
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in task.read_text().split()]
    return found


def server_cpu_seconds(server_pid: int) -> float:
    """User + system CPU of the gunicorn tree and of the PostgreSQL backends of the benchmark database."""
    pids, queue = [], [server_pid]
    while queue:
        pid = queue.pop()
        pids.append(pid)
        queue += _children(pid)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        pids += [row[0] for row in cursor.fetchall()]
    return sum(_cpu(pid) for pid in pids)


def cabinet_session() -> str:
    """A signed-in customer linked to the first generated account: the cabinet run's cookie."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import AccountLink, PersonalAccount, User

    user = User.objects.create_user(email="peak@example.com", password="peak-password-1")
    AccountLink.objects.create(user=user, account=PersonalAccount.objects.get(number="6000000001"))
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def generate(accounts: int) -> str:
    """One-zone accounts 6000000001... with meter S000000001... and a reading of 1000 a month ago."""
    from accounts.models import District
    from portal.models import ApiClient

    district = District.objects.create(code="LOAD", name="Load")
    now = timezone.now()
    copy_rows(
        "accounts_personalaccount",
        [
            "id", "number", "district_id", "address", "holder_name", "category", "residents", "invoice_mode",
            "paper_copy", "premises_vacant", "is_active", "created_at", "updated_at",
        ],
        ((i, f"{6_000_000_000 + i}", district.pk, "вул. Тестова, 1", "Н", "household", 2, "hybrid", False, False,
          True, now, now) for i in range(1, accounts + 1)),
    )  # fmt: skip
    copy_rows(
        "readings_meter",
        ["id", "account_id", "serial_number", "model_name", "zone_set", "register_labels", "register_digits",
         "multiplier", "installed_on", "is_smart", "install_total"],
        ((i, i, f"S{i:09d}", "", "total", "{}", 6, 1, date(2025, 1, 1), False, 1000) for i in range(1, accounts + 1)),
    )  # fmt: skip
    last = timezone.localdate() - timedelta(days=30)
    copy_rows(
        "readings_reading",
        ["id", "meter_id", "reading_date", "zone_set", "total", "channel", "status", "reason", "submitted_at",
         "billing_month", "swap_corrected", "photo"],
        ((i, i, last, "total", 4000 + i % 300, "ami", "accepted", "", now - timedelta(days=30), last.replace(day=1),
          False, "") for i in range(1, accounts + 1)),
    )  # fmt: skip
    with connection.cursor() as cursor:
        for table in ("accounts_personalaccount", "readings_meter", "readings_reading"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cursor.execute("ANALYZE")
    client = ApiClient(name="load", channel="ivr", scopes=["readings:write"])
    key = client.new_key()
    client.save()
    return key


def start_gunicorn(workers: int, threads: int) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"), "portal.wsgi", "--bind", f"127.0.0.1:{PORT}",
            "--workers", str(workers), "--threads", str(threads),
            "--worker-class", "sync" if threads == 1 else "gthread",
            "--no-control-socket", "--log-level", "warning",
        ],
        cwd=BASE_DIR, env=env, start_new_session=True,
    )  # fmt: skip
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/v1/ping/", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def mix_preflight(session: str) -> None:
    """The mix's pages must be what a customer gets, not a redirect or an error page that costs nothing: the
    cabinet with the session cookie shows the linked account; the public form shows its first step."""
    for path, headers, expected in (
        ("/cabinet/", {"Cookie": f"sessionid={session}"}, "6000000001"),
        ("/readings/", {}, "<form"),
    ):
        request = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", headers=headers)
        with urllib.request.urlopen(request, timeout=30) as response:  # urlopen follows redirects: check the URL
            body = response.read().decode()
            if response.status != 200 or response.url != f"http://127.0.0.1:{PORT}{path}" or expected not in body:
                raise SystemExit(f"the month-end mix would not measure {path}: {response.status} {response.url}")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def wrk(path: str, connections: int, seconds: int, script: str | None = None, key: str = "") -> dict:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    if key:
        command += ["-H", f"Authorization: Bearer {key}", "-H", "Content-Type: application/json"]
    if script:
        command += ["-s", script]
    url = f"http://127.0.0.1:{PORT}{path}"
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    latency = {
        percent: _ms(value, unit)
        for percent, value, unit in re.findall(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    }
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "p50": latency["50"],
        "p99": latency["99"],
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
    }


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def measured(
    server: subprocess.Popen, path: str, connections: int, seconds: int, script=None, key="", profile: str = ""
) -> dict:
    before = server_cpu_seconds(server.pid)
    spy = None
    if profile:
        command = [str(Path(sys.executable).parent / "py-spy"), "record", "--subprocesses", "--nonblocking",
                   "-p", str(server.pid), "-d", str(seconds), "-r", "200", "-f", "raw", "-o", profile]  # fmt: skip
        spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    result = wrk(path, connections, seconds, script, key)
    if spy:
        spy.wait(timeout=60)
        print_top_frames(profile)
    result["cpu_ms"] = (server_cpu_seconds(server.pid) - before) / max(result["requests"], 1) * 1000
    return result


def print_top_frames(collapsed: str, top: int = 20) -> None:
    """py-spy's collapsed stacks ("frame;frame;frame count" per line): the top frames by own samples (the
    stack's last frame) and by inclusive samples (anywhere in the stack, once per stack)."""
    own, inclusive, total = {}, {}, 0
    for line in Path(collapsed).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [frame.split(" (")[0] + " " + frame.rsplit("/", 1)[-1].rstrip(")") for frame in stack.split(";")]
        frames = frames[1:]  # the process name
        if not frames:
            continue
        total += int(count)
        own[frames[-1]] = own.get(frames[-1], 0) + int(count)
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + int(count)
    for title, table in (("own", own), ("inclusive", inclusive)):
        print(f"--- py-spy: top {top} by {title} samples of {total:,} ({collapsed}) ---")
        for frame, count in sorted(table.items(), key=lambda item: -item[1])[:top]:
            print(f"{count / max(total, 1):6.1%}  {frame}")


def _row(case: str, result: dict, base: dict | None = None) -> str:
    # A base that served nothing (the server down during its run) has no rate to compare with.
    share = f" ({result['rps'] / base['rps']:.0%} of ping)" if base and base["rps"] else ""
    return (
        f"| {case} | {result['requests']:,} requests, {result['errors']} non-2xx | "
        f"p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms | {result['cpu_ms']:.2f} ms | "
        f"{result['rps']:,.0f} req/s{share} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=40_000)
    parser.add_argument("--connections", default="32,128", help="comma-separated: one set of runs per figure")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)  # docs/operations.md's production command
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="py-spy the workers during the submission runs")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("this benchmark needs wrk: apt-get install wrk")
    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False)
    server = None
    lines = []
    try:
        if connection.vendor != "postgresql":
            raise SystemExit("this benchmark needs PostgreSQL: set DATABASE_URL")
        key = generate(args.accounts)
        session = cabinet_session()
        connection.close()
        server = start_gunicorn(args.workers, args.threads)
        mix_preflight(session)
        load_before = load_average()
        figures = [int(figure) for figure in args.connections.split(",")]
        # Two wrk threads per run, two submitting runs per figure: each thread submits for its own accounts,
        # so that every submission is a first one (a new reading, not a repeat).
        per_thread = str(args.accounts // (4 * len(figures)))
        submitted = 0
        for index, connections in enumerate(figures):
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as submit_script:
                submit_script.write(
                    SUBMIT_LUA.replace("PER_THREAD", per_thread).replace("#threads)", f"#threads + {index * 4})")
                )
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as mixed_script:
                mixed_script.write(
                    MIXED_LUA.replace("PER_THREAD", per_thread)
                    .replace("#threads)", f"#threads + {index * 4 + 2})")
                    .replace("SESSION", session)
                )
            base = measured(server, "/api/v1/ping/", connections, args.seconds)
            profile = str(BASE_DIR / "var" / f"api_load_submit_{connections}.txt") if args.profile else ""
            submit = measured(
                server, "/api/v1/integrations/readings/", connections, args.seconds, submit_script.name, key, profile
            )
            mixed = measured(
                server, "/api/v1/integrations/readings/", connections, args.seconds, mixed_script.name, key
            )
            submitted += submit["requests"] + mixed["requests"] * 6 // 10
            lines += [
                _row(f"{connections} connections: base, GET /api/v1/ping/", base),
                _row(
                    f"{connections} connections: submit a reading (POST /api/v1/integrations/readings/)", submit, base
                ),
                _row(f"{connections} connections: month-end mix (6 submit : 2 public form : 2 cabinet)", mixed, base),
            ]
        from readings.models import Reading

        stored = Reading.objects.filter(channel="ivr").count()
    finally:
        if server:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        connection.close()
        teardown_databases(databases, verbosity=0)
    kind = f"sync, {args.workers} workers" if args.threads == 1 else f"gthread, {args.workers} x {args.threads}"
    lines.append(f"| readings stored by the runs | about {submitted:,} submitted | | | {stored:,} stored |")
    lines.append(f"| machine load average (1, 5, 15 min) | before: {load_before}; after: {load_average()} | | | |")
    results_append(
        command=(
            f"`bench/api_load.py --accounts {args.accounts} --connections {args.connections} "
            f"--seconds {args.seconds} --workers {args.workers} --threads {args.threads}` (gunicorn {kind})"
        ),
        lines=lines,
        database=connection.vendor,
        columns="case | size | latency | CPU per request (web + PostgreSQL) | rate",
    )


if __name__ == "__main__":
    main()
