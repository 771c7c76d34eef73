"""`make drill`: a fault drill that anyone can rerun (issue 15). Not part of `make test`.

    python bench/drill.py [--accounts 1500] [--redis-down 30] [--threads 6] [--profile]

Starts its own servers on their own ports: PostgreSQL 15 (55500, a throwaway cluster), Redis (56500),
an SMTP server (18951, in this process, which can be made to hang), gunicorn with 2 workers (18950) and
two Celery workers (prefork, both queues). Seeds one-zone accounts with a reading of last month, copies
the database as the undisturbed reference and bills it in process there, then runs a bounded month-end
load (6 in 10 requests submit a reading through the API, 2 open the public form, 2 a customer's cabinet)
while the pass runs on the workers, and injects in turn:

  redis       Redis stopped for --redis-down seconds, then started again (empty)
  postgres    PostgreSQL restarted (pg_ctl restart -m fast) while chunks are being billed
  worker      a whole worker SIGKILLed (a new one started)
  pool-child  the other worker's pool children SIGKILLed (the worker lives on)
  smtp        SMTP accepting and never answering for 20 s

After each: the count of 500s and of 503s (the documented answer while PostgreSQL is down), p99. At the
end: every 2xx-acknowledged reading is stored exactly once (meter, date and value compared), charges and
invoices equal the undisturbed run's (checksums), and every email was delivered once SMTP was back.
Beat's sweepers (billing_runs_resume, email_requeue_overdue, invoices_render_missing) are called every
10 s by this process, as beat would every 5 minutes. Results go to docs/reliability.md, with CPU-seconds:
the undisturbed pass's (run_billing in one process) per account and gunicorn's per request over the load.
`--profile` profiles the sweepers' thread (the rest runs in the servers' processes) and prints its top costs.
"""

import argparse
import contextlib
import hashlib
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

import requests

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
from bench.profiling import add_profile_argument, cpu_meter, profiled, tree_cpu_seconds  # noqa: E402

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_PORT, REDIS_PORT, WEB_PORT, SMTP_PORT = 55500, 56500, 18950, 18951
WORK = BASE_DIR / "var" / "drill"
DATABASE_URL = f"postgres://postgres@127.0.0.1:{PG_PORT}/drill"
REFERENCE_URL = f"postgres://postgres@127.0.0.1:{PG_PORT}/drill_ref"
REDIS_URL = f"redis://127.0.0.1:{REDIS_PORT}/0"
ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "bench.drill_settings",
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "DRILL_SMTP_PORT": str(SMTP_PORT),
    "PYTHONPATH": str(BASE_DIR),
}
os.environ.update({key: ENV[key] for key in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "DRILL_SMTP_PORT")})
PY = sys.executable
TODAY = date.today()
LAST_MONTH = (TODAY.replace(day=1) - timedelta(days=1)).replace(day=1)
RUN_DATE = TODAY - timedelta(days=1)
EMAILS_DURING_SMTP_OUTAGE = 20  # readings of the drill (today) are not in the pass


def log(message: str) -> None:
    print(f"[drill {datetime.now():%H:%M:%S}] {message}", flush=True)


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.3):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


# --- Servers --------------------------------------------------------------------------------------------


class Postgres:
    def __init__(self):
        self.data = WORK / "pg"

    def _as_postgres(self, *command, output=subprocess.DEVNULL):
        # No pipes: the postmaster pg_ctl starts inherits them, and reading them would wait for it to exit.
        return subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, stdout=output, stderr=output)

    def init(self):
        shutil.rmtree(self.data, ignore_errors=True)
        self.data.mkdir(parents=True)
        shutil.chown(self.data, "postgres", "postgres")
        self._as_postgres(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip

    def start(self):
        options = f"-p {PG_PORT} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.data / "log"),
                          "-o", options, "start")  # fmt: skip

    def restart(self):
        self._as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-m", "fast", "-l", str(self.data / "log"), "restart"
        )

    def stop(self):
        with contextlib.suppress(subprocess.CalledProcessError):
            self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-m", "immediate", "stop")

    def createdb(self, name: str, *, template: str | None = None):
        """A database on this server, copied from `template` if given; createdb's complaints go to the terminal
        (no postmaster inherits them)."""
        template_option = ["-T", template] if template else []
        self._as_postgres(
            str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(PG_PORT), *template_option, name, output=None
        )


class Redis:
    def __init__(self):
        self.process = None

    def start(self):
        binary = shutil.which("redis-server")
        self.process = subprocess.Popen(
            [binary, "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_port(REDIS_PORT)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class Smtp:
    """aiosmtpd in a thread; `hanging` makes every new connection wait without a greeting."""

    def __init__(self):
        self.received = []
        self.hanging = False

    def start(self):
        from aiosmtpd.controller import Controller

        drill = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                drill.received.append(envelope.rcpt_tos)
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=SMTP_PORT + 100)
        self.controller.start()
        # A front that forwards to aiosmtpd, or holds the connection silently while `hanging`.
        self.front = socket.socket()
        self.front.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.front.bind(("127.0.0.1", SMTP_PORT))
        self.front.listen(64)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                client, _ = self.front.accept()
            except OSError:
                return
            if self.hanging:
                threading.Thread(target=lambda c=client: (time.sleep(120), c.close()), daemon=True).start()
                continue
            threading.Thread(target=self._pipe_to_backend, args=(client,), daemon=True).start()

    def _pipe_to_backend(self, client):
        backend = socket.create_connection(("127.0.0.1", SMTP_PORT + 100))

        def pump(source, sink):
            with contextlib.suppress(OSError):
                while data := source.recv(65536):
                    sink.sendall(data)
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)

        threading.Thread(target=pump, args=(backend, client), daemon=True).start()
        pump(client, backend)

    def stop(self):
        self.front.close()
        self.controller.stop()


def start_process(command: list[str], name: str) -> subprocess.Popen:
    out = (WORK / f"{name}.log").open("a")
    return subprocess.Popen(
        command, cwd=BASE_DIR, env=ENV, start_new_session=True, stdout=out, stderr=subprocess.STDOUT
    )


def start_web() -> subprocess.Popen:
    web = start_process(
        [PY, "-m", "gunicorn", "portal.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{WEB_PORT}",
         "--no-control-socket", "--timeout", "60"],
        "gunicorn",
    )  # fmt: skip
    wait_port(WEB_PORT)
    return web


def start_worker(name: str) -> subprocess.Popen:
    return start_process(
        [PY, "-m", "celery", "-A", "portal", "worker", "--pool", "prefork", "--concurrency", "2", "-n",
         f"{name}@%h", "-Q", "celery,documents", "-l", "warning", "--without-gossip", "--without-mingle"],
        name,
    )  # fmt: skip


def kill_group(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=60)


# --- Data -----------------------------------------------------------------------------------------------


def manage(*args, database_url=DATABASE_URL, redis_url=REDIS_URL, check=True):
    env = {**ENV, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    return subprocess.run([PY, "manage.py", *args], cwd=BASE_DIR, env=env, check=check, capture_output=True, text=True)


def seed(accounts: int) -> tuple[str, list[str]]:
    """Accounts with a one-zone meter read last month, a linked customer for every tenth one (the cabinet and
    invoice emails), a tariff, an integration client. Returns the client's key and the customers' sessions."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from accounts.models import AccountLink, District, PersonalAccount, User
    from billing.models import Tariff
    from portal.models import ApiClient
    from readings.models import Channel, Meter, Reading

    district = District.objects.create(code="DR", name="Drill", window_policy="open")
    Tariff.objects.create(category="household", effective_from=date(2020, 1, 1), zone="total", price="4.32")
    created = PersonalAccount.objects.bulk_create(
        PersonalAccount(number=f"{8_000_000_000 + i}", district=district, address="вул. Навчальна, 1", holder_name="Д")
        for i in range(accounts)
    )
    meters = Meter.objects.bulk_create(
        Meter(account=account, serial_number=f"D{i:07d}", zone_set="total", installed_on=date(2024, 1, 1),
              install_total=1000)
        for i, account in enumerate(created)
    )  # fmt: skip
    Reading.objects.bulk_create(
        Reading(meter=meter, reading_date=LAST_MONTH + timedelta(days=25), zone_set="total", total=2000 + i % 50,
                channel=Channel.AMI, billing_month=LAST_MONTH, submitted_at=timezone.now() - timedelta(days=5))
        for i, meter in enumerate(meters)
    )  # fmt: skip
    sessions = []
    for i in range(0, accounts, 10):
        user = User.objects.create_user(email=f"drill{i}@example.com", password=None)
        AccountLink.objects.create(user=user, account=created[i])
        if len(sessions) < 20:
            session = SessionStore()
            session[SESSION_KEY], session[BACKEND_SESSION_KEY] = (
                str(user.pk),
                "django.contrib.auth.backends.ModelBackend",
            )
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            sessions.append(session.session_key)
    client = ApiClient(name="drill", channel="ivr", scopes=["accounts:verify", "readings:write"])
    key = client.new_key()
    client.save()
    return key, sessions


# --- Load -----------------------------------------------------------------------------------------------


class Load:
    """Threads sending the month-end mix; every answer recorded with the fault phase it happened in."""

    def __init__(self, key: str, sessions: list[str], accounts: int, threads: int):
        self.key, self.sessions, self.threads = key, sessions, threads
        self.next_account = iter(range(accounts))
        self.lock = threading.Lock()
        self.phase = "warm-up"
        self.results = []  # (phase, kind, status, seconds)
        self.acknowledged = {}  # serial -> value
        self.stop = threading.Event()

    def _account(self):
        with self.lock:
            return next(self.next_account, None)

    def _request(self, session, kind, method, url, **kwargs):
        started = time.monotonic()
        try:
            response = session.request(method, url, timeout=30, **kwargs)
            status = response.status_code
        except requests.RequestException:
            response, status = None, 0  # refused or reset: the client saw no answer
        self.results.append((self.phase, kind, status, time.monotonic() - started))
        return response, status

    def _submit(self, http):
        index = self._account()
        if index is None:
            return
        serial, value = f"D{index:07d}", 2000 + index % 50 + 40
        body = {"account_number": f"{8_000_000_000 + index}", "meter_serial": serial, "values": {"total": value}}
        headers = {"Authorization": f"Bearer {self.key}", "Idempotency-Key": str(uuid.uuid4()), "Accept-Language": "en"}
        for _attempt in range(5):  # a client retries with the same key, as the API docs say
            response, status = self._request(
                http,
                "submit",
                "POST",
                f"http://127.0.0.1:{WEB_PORT}/api/v1/integrations/readings/",
                json=body,
                headers=headers,
            )
            if 200 <= status < 300:
                if response.json().get("status") in ("accepted", "pending_review"):
                    self.acknowledged[serial] = value
                return
            if status and status < 500 and status != 429:
                return
            time.sleep(1)

    def _worker(self):
        http = requests.Session()
        rng = random.Random()
        while not self.stop.is_set():
            pick = rng.random()
            if pick < 0.6:
                self._submit(http)
            elif pick < 0.8:
                self._request(http, "public form", "GET", f"http://127.0.0.1:{WEB_PORT}/readings/")
            else:
                cookie = {"sessionid": rng.choice(self.sessions)}
                self._request(http, "cabinet", "GET", f"http://127.0.0.1:{WEB_PORT}/cabinet/", cookies=cookie)
            time.sleep(0.05)

    def start(self):
        for _ in range(self.threads):
            threading.Thread(target=self._worker, daemon=True).start()


def p99(values):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * 0.99))] if values else 0.0


# --- Checks ---------------------------------------------------------------------------------------------


def billing_checksums(database_url: str) -> tuple[str, str, int, int]:
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as db:
        charges = db.execute(
            "SELECT a.number, m.serial_number, c.zone, c.basis, c.volume_kwh, c.amount FROM billing_charge c "
            "JOIN accounts_personalaccount a ON a.id = c.account_id JOIN readings_meter m ON m.id = c.meter_id "
            "WHERE c.billing_month = %s ORDER BY 1, 2, 3, 4",
            [LAST_MONTH],
        ).fetchall()
        invoices = db.execute(
            "SELECT a.number, i.kind, i.billing_month, i.charges_total, i.status FROM billing_invoice i "
            "JOIN accounts_personalaccount a ON a.id = i.account_id ORDER BY 1, 2, 3"
        ).fetchall()
    digest = lambda rows: hashlib.sha256(repr(rows).encode()).hexdigest()[:16]  # noqa: E731
    return digest(charges), digest(invoices), len(charges), len(invoices)


def stored_readings(load: Load) -> tuple[int, int, int]:
    """(acknowledged, stored exactly once with their value, missing or doubled)."""
    import psycopg

    with psycopg.connect(DATABASE_URL.replace("postgres://", "postgresql://")) as db:
        rows = db.execute(
            "SELECT m.serial_number, r.total FROM readings_reading r JOIN readings_meter m ON m.id = r.meter_id "
            "WHERE r.reading_date = %s",
            [TODAY],
        ).fetchall()
    by_serial = {}
    for serial, total in rows:
        by_serial.setdefault(serial, []).append(total)
    good = sum(1 for serial, value in load.acknowledged.items() if by_serial.get(serial) == [value])
    return len(load.acknowledged), good, len(load.acknowledged) - good


def sweepers_every(seconds: float, stop: threading.Event, profile: bool = False) -> None:
    """What beat does every 5 minutes, every few seconds here (in this process, on the drill's database)."""
    with profiled(profile, label="sweepers (this thread)", clock="thread"):
        _sweep_until(seconds, stop)


def _sweep_until(seconds: float, stop: threading.Event) -> None:
    import django
    from django.db import close_old_connections

    django.setup()
    from accounts.tasks import email_requeue_overdue
    from billing.tasks import billing_runs_resume, invoices_render_missing

    while not stop.wait(seconds):
        for sweeper in (billing_runs_resume, email_requeue_overdue, invoices_render_missing):
            try:
                close_old_connections()
                sweeper()
            except Exception as error:  # noqa: BLE001 - a sweeper during an outage fails; the next one runs
                log(f"sweeper {sweeper.name}: {type(error).__name__}")


def emails_state() -> dict[str, int]:
    import psycopg

    with psycopg.connect(DATABASE_URL.replace("postgres://", "postgresql://")) as db:
        return dict(db.execute("SELECT status, count(*) FROM accounts_outgoingemail GROUP BY status").fetchall())


# --- The drill ------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1500)
    parser.add_argument("--redis-down", type=int, default=30)
    parser.add_argument("--threads", type=int, default=6)
    add_profile_argument(parser)
    options = parser.parse_args()
    # A SIGTERM (Ctrl-C, a timeout) must still stop every server this drill started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    WORK.mkdir(parents=True, exist_ok=True)
    for old_log in WORK.glob("*.log"):
        old_log.unlink()
    postgres, redis_server, smtp = Postgres(), Redis(), Smtp()
    processes: dict[str, subprocess.Popen] = {}
    stop_sweepers = threading.Event()
    phases = []
    try:
        postgres.init()
        postgres.start()
        postgres.createdb("drill")
        redis_server.start()
        smtp.start()
        log("servers up; migrating and seeding")
        manage("migrate", "--no-input")
        manage("compile_translations")
        import django

        django.setup()
        from django.db import connection

        key, sessions = seed(options.accounts)
        connection.close()
        postgres.createdb("drill_ref", template="drill")
        log("reference: the same pass, undisturbed, in process")
        with cpu_meter() as reference_cpu:  # the child's CPU, counted once it has been waited for
            reference = manage(
                "run_billing", "--month", f"{LAST_MONTH:%Y-%m}", "--pass", "actual", "--date", f"{RUN_DATE}",
                database_url=REFERENCE_URL, redis_url=f"redis://127.0.0.1:{REDIS_PORT}/7",
            )  # fmt: skip
        log(reference.stdout.strip().splitlines()[-1])

        processes["web"] = start_web()
        processes["worker-1"], processes["worker-2"] = start_worker("worker-1"), start_worker("worker-2")
        threading.Thread(target=sweepers_every, args=(10, stop_sweepers, options.profile), daemon=True).start()
        load = Load(key, sessions, options.accounts, options.threads)
        web_cpu = tree_cpu_seconds(processes["web"].pid)
        load.start()
        time.sleep(20)

        def phase(name, action, recover=15):
            load.phase = name
            started = time.monotonic()
            log(f"fault: {name}")
            action()
            time.sleep(recover)
            phases.append((name, time.monotonic() - started))

        def redis_outage():
            redis_server.stop()
            time.sleep(options.redis_down)
            redis_server.start()

        phase("redis", redis_outage)
        log("billing pass queued to the workers (run_billing --queue)")
        billing = subprocess.Popen(
            [PY, "manage.py", "run_billing", "--month", f"{LAST_MONTH:%Y-%m}", "--pass", "actual", "--date",
             f"{RUN_DATE}", "--queue", "--timeout", "900"],
            cwd=BASE_DIR, env=ENV, stdout=(WORK / "billing.log").open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        time.sleep(3)
        phase("postgres", postgres.restart)

        def kill_worker():
            kill_group(processes["worker-1"], signal.SIGKILL)
            processes["worker-1"] = start_worker("worker-1b")

        phase("worker", kill_worker)

        def kill_pool_children():
            pid = processes["worker-2"].pid
            for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
                os.kill(int(child), signal.SIGKILL)

        phase("pool-child", kill_pool_children)

        def smtp_hang():
            smtp.hanging = True
            from accounts.services import email_enqueue  # as signups and password resets would, meanwhile

            for number in range(EMAILS_DURING_SMTP_OUTAGE):
                email_enqueue(
                    to_email=f"drill-mail-{number}@example.com",
                    subject="Drill",
                    body_text="Sent while SMTP hung.",
                    language="en",
                    kind="drill",
                )
            time.sleep(20)
            smtp.hanging = False

        phase("smtp", smtp_hang)
        load.phase = "after"
        time.sleep(10)
        load.stop.set()
        billing_code = billing.wait(timeout=900)
        log(f"billing pass exit {billing_code}: {(WORK / 'billing.log').read_text().strip().splitlines()[-1]}")
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and emails_state().get("queued", 0):
            time.sleep(3)
        web_cpu = tree_cpu_seconds(processes["web"].pid) - web_cpu
        stop_sweepers.set()
        time.sleep(1)  # the sweepers' thread prints its profile
        report(options, load, phases, billing_code, smtp, cpu=(reference_cpu, web_cpu))
    finally:
        stop_sweepers.set()
        for process in processes.values():
            kill_group(process)
        with contextlib.suppress(Exception):
            smtp.stop()
        redis_server.stop()
        postgres.stop()


def report(options, load: Load, phases, billing_code: int, smtp: Smtp, cpu) -> None:
    lines, failures = [], []
    for name in ["warm-up", *[name for name, _ in phases], "after"]:
        rows = [row for row in load.results if row[0] == name]
        errors_500 = sum(1 for row in rows if row[2] >= 500 and row[2] != 503)
        unavailable = sum(1 for row in rows if row[2] == 503)
        refused = sum(1 for row in rows if row[2] == 0)
        slowest = p99([row[3] for row in rows]) * 1000
        lines.append(f"| {name} | {len(rows)} | {errors_500} | {unavailable} | {refused} | {slowest:.0f} ms |")
        if errors_500:
            failures.append(f"{errors_500} answers 5xx (not 503) during {name}")
    acknowledged, stored_once, lost = stored_readings(load)
    charges, invoices, charge_rows, invoice_rows = billing_checksums(DATABASE_URL)
    ref_charges, ref_invoices, _, _ = billing_checksums(REFERENCE_URL)
    emails = emails_state()
    if lost:
        failures.append(f"{lost} acknowledged readings not stored exactly once")
    if (charges, invoices) != (ref_charges, ref_invoices):
        failures.append("charges or invoices differ from the undisturbed run")
    if billing_code != 0:
        failures.append(f"run_billing --queue exited {billing_code}")
    if emails.get("queued") or emails.get("failed") or len(smtp.received) < EMAILS_DURING_SMTP_OUTAGE:
        failures.append(f"emails not delivered: {emails}")
    processor = platform.processor() or platform.machine()
    machine = f"{platform.node()}, {os.cpu_count()} cores, {processor}, Python {platform.python_version()}"
    text = (
        f"\n## {datetime.now().astimezone():%Y-%m-%d %H:%M %Z} · {machine}\n\n"
        f"Command: `python bench/drill.py --accounts {options.accounts} --redis-down {options.redis_down} "
        f"--threads {options.threads}` (the machine was shared with other work: latencies are noisy)\n\n"
        "| phase | requests | 5xx other than 503 | 503 (documented) | no answer | p99 |\n|---|---|---|---|---|---|\n"
        + "\n".join(lines)
        + f"\n\n- readings acknowledged (2xx): {acknowledged}; stored exactly once with their value: {stored_once}; "
        f"lost or doubled: {lost}\n"
        f"- charges of {LAST_MONTH:%Y-%m}: {charge_rows} rows, checksum {charges} (undisturbed run: {ref_charges}); "
        f"invoices: {invoice_rows}, checksum {invoices} (undisturbed: {ref_invoices})\n"
        f"- run_billing --queue exit code {billing_code}\n"
        f"- outbox after recovery: {emails}; messages the SMTP server received: {len(smtp.received)}\n"
        f"- CPU: the undisturbed pass (run_billing in one process, its PostgreSQL not counted) "
        f"{cpu[0].summary(options.accounts, 'account')}; gunicorn (2 workers) {cpu[1]:.2f} CPU-s for "
        f"{len(load.results):,} requests, {cpu[1] / max(len(load.results), 1) * 1000:.2f} ms CPU/request\n"
        f"- verdict: {'PASS' if not failures else 'FAIL: ' + '; '.join(failures)}\n"
    )
    print(text)
    results = BASE_DIR / "docs" / "reliability.md"
    if not results.exists():
        results.write_text("# Reliability drills\n\nAppended by `make drill` (bench/drill.py); newest last.\n")
    with results.open("a") as out:
        out.write(text)
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
