"""The charge run on real Celery worker processes (PostgreSQL + Redis): two workers share a run and
charge every account exactly once; a worker killed mid-run loses nothing and doubles nothing."""

import contextlib
import datetime
import io
import os
import signal
import threading
import time
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from accounts.models import District, PersonalAccount
from billing.models import BillingRun, Charge, Invoice, InvoiceCounter, Tariff
from billing.run.services import run_in_process, run_queue, run_start
from billing.tasks import billing_runs_resume
from readings.models import Channel, Meter, Reading
from tests.servers import broker_on, own_redis, queued_tasks
from tests.workers import pool_children, stop_worker
from tests.workers import start_worker as start_celery_worker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parent.parent.parent
OCTOBER = datetime.date(2026, 10, 1)


@pytest.fixture
def two_thousand_accounts(postgresql_only):
    """2,000 one-zone accounts, each with a reading for October: 100 + (index % 50) kWh since installation."""
    district = District.objects.create(code="W", name="Workers")
    Tariff.objects.create(
        category="household", effective_from=datetime.date(2020, 1, 1), zone="total", price=Decimal("4.32")
    )
    accounts = PersonalAccount.objects.bulk_create(
        PersonalAccount(number=f"{7_000_000_000 + i}", district=district, address="вул. Тестова, 1", holder_name="Т")
        for i in range(2000)
    )
    meters = Meter.objects.bulk_create(
        Meter(
            account=account,
            serial_number=f"W{i:07d}",
            zone_set="total",
            installed_on=datetime.date(2026, 1, 1),
            install_total=1000,
        )
        for i, account in enumerate(accounts)
    )
    Reading.objects.bulk_create(
        Reading(
            meter=meter,
            reading_date=datetime.date(2026, 10, 30),
            zone_set="total",
            total=1100 + i % 50,
            channel=Channel.AMI,
            billing_month=OCTOBER,
            # Submitted on its date, before the run date (3 November) whatever day the suite runs.
            submitted_at=timezone.make_aware(datetime.datetime(2026, 10, 30, 12)),
        )
        for i, meter in enumerate(meters)
    )
    return meters


def start_worker(name: str):
    return start_celery_worker(name, log=BASE_DIR / "var" / f"test-worker-{name}.log")


def stop(worker, sig=signal.SIGTERM):
    stop_worker(worker, sig)


def wait_for(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


def no_other_session_holds_a_chunk() -> bool:
    """No other session's transaction has the chunks' table locked (`FOR UPDATE` takes a table lock too)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks"
            " WHERE relation = 'billing_billingchunk'::regclass AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] == 0


def expected_rows(meters):
    return sorted((meter.serial_number, 100 + index % 50) for index, meter in enumerate(meters))


def charged_rows():
    return sorted(Charge.objects.values_list("meter__serial_number", "volume_kwh"))


def assert_one_gap_free_series(accounts: int) -> None:
    """Every account has its one auto invoice, numbered W-2026-0000001 on without a gap or a duplicate."""
    sequences = sorted(Invoice.objects.filter(kind="auto").values_list("sequence", flat=True))
    assert sequences == list(range(1, accounts + 1))
    assert Invoice.objects.values("account").distinct().count() == accounts
    numbers = set(Invoice.objects.values_list("number", flat=True))
    assert "W-2026-0000001" in numbers and f"W-2026-{accounts:07d}" in numbers


def test_two_workers_charge_each_account_exactly_once(two_thousand_accounts):
    workers = [start_worker("w1"), start_worker("w2")]
    try:
        run = run_start(
            month=OCTOBER, pass_name="actual", run_date=datetime.date(2026, 11, 3), now=timezone.now(), chunk_size=100
        )
        run_queue(run)
        assert wait_for(lambda: BillingRun.objects.get(pk=run.pk).status == "done"), "the run did not finish"
    finally:
        for worker in workers:
            stop(worker)
    assert charged_rows() == expected_rows(two_thousand_accounts)
    assert not Charge.objects.values("meter").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert BillingRun.objects.get(pk=run.pk).counts == {
        "actual": {"charges": 2000, "kwh": sum(100 + i % 50 for i in range(2000))}
    }
    # The two workers issued the invoices of one district concurrently, chunk by chunk.
    assert_one_gap_free_series(2000)


def test_a_worker_killed_mid_run_then_the_pass_run_again_gives_the_same_rows(two_thousand_accounts, settings):
    worker = start_worker("doomed")
    run = run_start(
        month=OCTOBER, pass_name="actual", run_date=datetime.date(2026, 11, 3), now=timezone.now(), chunk_size=50
    )
    try:
        run_queue(run)
        assert wait_for(lambda: BillingRun.objects.get(pk=run.pk).chunks_done >= 3, timeout=120)
    finally:
        stop(worker, signal.SIGKILL)  # no warm shutdown: a chunk may die mid-transaction
    # PostgreSQL ends the dead worker's session when it next reads its socket; until then its chunk stays
    # locked, and a resumed run skips it as another worker's (CI, loaded: the run stayed `running`).
    assert wait_for(no_other_session_holds_a_chunk, timeout=60), "the killed worker's session did not end"
    run.refresh_from_db()
    assert run.status == "running" and run.chunks_done < run.chunks_total
    partial = Charge.objects.count()
    assert partial == 50 * run.chunks_done  # a killed chunk leaves nothing behind: one transaction each
    assert Invoice.objects.count() == 50 * run.chunks_done  # invoices commit with their chunk, or not at all

    settings.BILLING_RUN_STALE_SECONDS = 0  # the crashed run's heartbeat has "stopped"
    resumed = run_start(month=OCTOBER, pass_name="actual", run_date=datetime.date(2026, 11, 3), now=timezone.now())
    assert resumed.pk == run.pk
    assert run_in_process(run=resumed).status == "done"
    assert charged_rows() == expected_rows(two_thousand_accounts)  # row for row what an uninterrupted run gives
    assert_one_gap_free_series(2000)  # the killed chunk's numbers went back with its transaction


# --- A run that heals itself (issue 15, finding 4) ------------------------------------------------------


@contextlib.contextmanager
def invoice_numbers_held(district):
    """Hold the district's invoice counter row from another connection: a chunk blocks inside its
    transaction (it takes the counter to number its invoices) until the block ends."""
    counter, _ = InvoiceCounter.objects.get_or_create(district=district, year=2026)
    db = connection.settings_dict
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"]) as holder:
        holder.execute("SELECT 1 FROM billing_invoicecounter WHERE id = %s FOR UPDATE", [counter.pk])
        yield
        holder.rollback()


def blocked_backends() -> list[int]:
    """The database backends of this test database waiting for a row lock (the chunk held above)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return [pid for (pid,) in cursor.fetchall()]


@pytest.fixture
def own_broker():
    """A Redis broker of this test's own: its chunk tasks reach only its own workers (which, on test
    settings, use its database 9)."""
    with own_redis() as server, broker_on(server.url(9)):
        yield server


def test_a_killed_pool_child_has_its_chunk_redelivered_and_the_run_finishes(two_thousand_accounts, own_broker):
    worker = start_celery_worker(
        "oom", log=BASE_DIR / "var" / "test-worker-oom.log", pool="prefork", redis_url=own_broker.url()
    )
    try:
        run = run_start(
            month=OCTOBER, pass_name="actual", run_date=datetime.date(2026, 11, 3), now=timezone.now(), chunk_size=1000
        )
        with invoice_numbers_held(two_thousand_accounts[0].account.district):
            run_queue(run)
            assert wait_for(blocked_backends, timeout=60), "the first chunk reached the invoice counter"
            (child,) = pool_children(worker)
            os.kill(child, signal.SIGKILL)  # as the OOM killer does: the worker lives, its pool child dies
        assert wait_for(lambda: BillingRun.objects.get(pk=run.pk).status == "done", timeout=120), (
            "the killed child's chunk was not redelivered"
        )
    finally:
        stop(worker)
    assert charged_rows() == expected_rows(two_thousand_accounts)
    assert_one_gap_free_series(2000)


def test_a_lost_database_connection_is_retried_with_backoff(two_thousand_accounts, own_broker):
    worker = start_celery_worker(
        "db-lost", log=BASE_DIR / "var" / "test-worker-db-lost.log", redis_url=own_broker.url()
    )
    try:
        run = run_start(
            month=OCTOBER, pass_name="actual", run_date=datetime.date(2026, 11, 3), now=timezone.now(), chunk_size=1000
        )
        with invoice_numbers_held(two_thousand_accounts[0].account.district):
            run_queue(run)
            assert wait_for(blocked_backends, timeout=60)
            with connection.cursor() as cursor:  # the chunk's connection dies, as in a PostgreSQL restart
                cursor.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [blocked_backends()])
        assert wait_for(lambda: BillingRun.objects.get(pk=run.pk).status == "done", timeout=120), (
            "the chunk was not retried after its database connection was lost"
        )
    finally:
        stop(worker)
    assert charged_rows() == expected_rows(two_thousand_accounts)
    assert_one_gap_free_series(2000)


def test_run_billing_queue_waits_out_a_lost_database_connection_and_reports_the_run(two_thousand_accounts, own_broker):
    """`make drill` found it: PostgreSQL restarted while `run_billing --queue` waited for the workers, and the
    command ended with a traceback (exit 1) while the workers went on and finished the run. Here its own
    session is terminated while it waits (the run held unfinished at the invoice counter meanwhile); it must
    say so, wait, and report the run when the workers have finished it."""
    district = two_thousand_accounts[0].account.district
    connection.ensure_connection()
    command_session = connection.connection.info.backend_pid
    held, faults = threading.Event(), []

    def hold_the_run_then_end_the_command_session():
        try:
            with invoice_numbers_held(district):  # released at the end: the chunk numbers; the run finishes
                held.set()
                if wait_for(blocked_backends, timeout=60):
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT pg_terminate_backend(%s, 10000)", [command_session])
                        faults.append(cursor.fetchone()[0])
                    time.sleep(3)  # the command finds its connection gone and waits
        finally:
            connection.close()  # this thread's own connection

    log = BASE_DIR / "var" / "test-worker-wait-out.log"
    worker = start_celery_worker("wait-out", log=log, redis_url=own_broker.url())
    fault = threading.Thread(target=hold_the_run_then_end_the_command_session)
    out = io.StringIO()
    try:
        fault.start()
        assert held.wait(timeout=30)
        call_command(
            "run_billing", "--month", "2026-10", "--pass", "actual", "--date", "2026-11-03", "--queue",
            "--chunk-size", "1000", "--timeout", "180", stdout=out,
        )  # fmt: skip
    finally:
        fault.join(timeout=120)
        stop(worker)
    assert faults == [True], "the command's session was not terminated while it waited"
    assert "database unreachable (terminating connection due to administrator command)" in out.getvalue()
    assert "Done in" in out.getvalue() and "actual: 2000 charges" in out.getvalue()
    assert charged_rows() == expected_rows(two_thousand_accounts)
    assert_one_gap_free_series(2000)


def test_beat_resumes_a_stalled_run_by_queueing_its_pending_chunks(two_thousand_accounts, own_broker, settings):
    run = run_start(
        month=OCTOBER, pass_name="actual", run_date=datetime.date(2026, 11, 3), now=timezone.now(), chunk_size=500
    )
    assert billing_runs_resume() == 0  # its heartbeat is fresh: someone is working on it
    BillingRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(minutes=11))
    assert billing_runs_resume() == 1
    chunk_ids = list(run.chunks.order_by("index").values_list("pk", flat=True))
    assert queued_tasks(own_broker, "celery", db=9) == [("billing.tasks.billing_chunk", [pk], {}) for pk in chunk_ids]
    assert billing_runs_resume() == 0  # taken over: its heartbeat moved on


def test_run_billing_queue_gives_up_waiting_after_its_timeout(two_thousand_accounts, own_broker):
    with pytest.raises(CommandError, match=r"still running after 1 s \(0/2 chunks\)"):
        call_command(
            "run_billing",
            "--month",
            "2026-10",
            "--pass",
            "actual",
            "--date",
            "2026-11-03",
            "--queue",
            "--chunk-size",
            "1000",
            "--timeout",
            "1",
            stdout=io.StringIO(),
        )
    own_broker.stop()
    BillingRun.objects.update(heartbeat_at=timezone.now() - datetime.timedelta(hours=1))
    with pytest.raises(CommandError, match="the broker is unreachable"):
        call_command(
            "run_billing",
            "--month",
            "2026-10",
            "--pass",
            "actual",
            "--date",
            "2026-11-03",
            "--queue",
            stdout=io.StringIO(),
        )
