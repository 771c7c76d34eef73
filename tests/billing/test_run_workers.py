"""The charge run on real Celery worker processes (PostgreSQL + Redis): two workers share a run and
charge every account exactly once; a worker killed mid-run loses nothing and doubles nothing."""

import datetime
import signal
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import Count
from django.utils import timezone

from accounts.models import District, PersonalAccount
from billing.models import BillingRun, Charge, Invoice, Tariff
from billing.services import run_in_process, run_start
from billing.tasks import queue_run
from readings.models import Channel, Meter, Reading
from tests.workers import start_worker as start_celery_worker
from tests.workers import stop_worker

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
        queue_run(run)
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
        queue_run(run)
        assert wait_for(lambda: BillingRun.objects.get(pk=run.pk).chunks_done >= 3, timeout=120)
    finally:
        stop(worker, signal.SIGKILL)  # no warm shutdown: a chunk may die mid-transaction
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
