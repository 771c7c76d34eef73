"""`run_billing` in one process with lanes (PostgreSQL): chunks billed at once on threads with their own
connections give the charges and invoices one lane gives, invoice numbers gap-free per district, and an
error in one chunk (bad data, or its database connection killed) fails the run as it does with one lane, a
rerun then billing everything exactly once."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

import billing.run.services as run_services
from billing.models import BillingChunk, BillingRun, Charge, Invoice, InvoiceCounter, InvoiceItem, MeterBillingState
from billing.run.services import RunFailed, run_in_process, run_lanes, run_start
from readings.models import ClosedMonth
from readings.zones import TWO_ZONE
from tests.billing.helpers import meter_inputs_failing, read_two_zone
from tests.factories import DistrictFactory, MeterFactory, PersonalAccountFactory, ReadingFactory
from tests.readings.conftest import aware

pytestmark = pytest.mark.django_db(transaction=True)

D = datetime.date
OCTOBER = D(2026, 10, 1)
PASSES = (("actual", D(2026, 11, 3)), ("final", D(2026, 11, 4)))
ACCOUNTS = 24
CHUNK = 3  # 8 chunks, so two lanes take several each


@pytest.fixture
def accounts(postgresql_only, prices):
    """24 accounts in two districts, interleaved so every chunk issues in both series; one- and two-zone
    meters; every fourth has no October reading (the final pass estimates it from its April reading)."""
    kyiv, lviv = DistrictFactory(code="KYIV"), DistrictFactory(code="LVIV")
    for i in range(ACCOUNTS):
        account = PersonalAccountFactory(
            district=lviv if i % 3 == 0 else kyiv,
            number=f"{1_000_000_000 + i}",
            residents=1 + i % 4,
            invoice_mode="supplier" if i % 2 else "hybrid",
        )
        if i % 2:
            meter = MeterFactory(
                account=account, zone_set=TWO_ZONE, installed_on=D(2026, 1, 15), install_day=27000, install_night=13500
            )
            read_two_zone(meter, D(2026, 4, 30), 27400 + i, 13700 + i)
            if i % 4 != 3:
                read_two_zone(meter, D(2026, 10, 30), 27893 + 7 * i, 13914 + 3 * i)
        else:
            meter = MeterFactory(account=account, installed_on=D(2026, 1, 15), install_total=1000)
            for on, total in ((D(2026, 4, 30), 1300 + i), (D(2026, 10, 30), 1800 + 11 * i)):
                ReadingFactory(
                    meter=meter,
                    total=total,
                    reading_date=on,
                    billing_month=account.district.window.billing_month(on),
                    submitted_at=aware(on),
                )


def bill_both_passes(lanes: int) -> None:
    for pass_name, run_date in PASSES:
        run = run_start(month=OCTOBER, pass_name=pass_name, run_date=run_date, now=timezone.now(), chunk_size=CHUNK)
        assert run_in_process(run=run, queue_documents=False, lanes=lanes).status == "done"


def charges() -> list[tuple]:
    return sorted(
        Charge.objects.values_list(
            "account__number", "meter__serial_number", "zone", "basis", "volume_kwh", "price", "amount", "span_end"
        )
    )


def invoices() -> list[tuple]:
    """Each invoice as its customer reads it, but for its number: lanes commit chunks in their own order, so
    which account takes which number of the series may differ (the series stays gap-free)."""
    return sorted(
        (
            invoice.account_number,
            invoice.issued_on,
            invoice.charges_total,
            invoice.amount_due,
            invoice.content,
            invoice.qr_data != "",
            sorted(invoice.items.values_list("charge__zone", "charge__basis", "charge__amount")),
        )
        for invoice in Invoice.objects.prefetch_related("items__charge")
    )


def assert_gap_free_series() -> None:
    for code in ("KYIV", "LVIV"):
        mine = Invoice.objects.filter(district__code=code)
        assert sorted(mine.values_list("sequence", flat=True)) == list(range(1, mine.count() + 1))
        assert sorted(mine.values_list("number", flat=True)) == [
            f"{code}-2026-{n:07d}" for n in range(1, mine.count() + 1)
        ]


def forget_the_runs() -> None:
    """Back to before the passes: what they wrote goes, the accounts and readings stay. By TRUNCATE: the models
    refuse to delete invoices and charges, and on PostgreSQL (these tests' database) so does the database, but
    for TRUNCATE (CASCADE: the card payments' key to invoices; none in these tests)."""
    models = (InvoiceItem, Invoice, Charge, MeterBillingState, InvoiceCounter, ClosedMonth, BillingChunk, BillingRun)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(model._meta.db_table for model in models)} CASCADE")


def test_two_lanes_bill_what_one_lane_bills(accounts, monkeypatch):
    bill_both_passes(lanes=1)
    one_lane = charges(), invoices()
    assert len(one_lane[0]) > ACCOUNTS and len(one_lane[1]) == ACCOUNTS  # something to compare
    forget_the_runs()

    # Each lane's first chunk waits for the other lane's: the two really bill at once.
    started, lane_names = threading.Barrier(2), set()
    chunk_bill = run_services.chunk_bill

    def chunk_bill_noting_its_lane(**kwargs):
        name = threading.current_thread().name
        if name not in lane_names:
            lane_names.add(name)
            started.wait(timeout=10)
        return chunk_bill(**kwargs)

    monkeypatch.setattr(run_services, "chunk_bill", chunk_bill_noting_its_lane)
    assert run_lanes(2) == 2  # outside a transaction, on PostgreSQL: lanes apply
    with transaction.atomic():
        assert run_lanes(2) == 1  # inside one, other connections would not see its rows: one lane
    bill_both_passes(lanes=2)
    assert lane_names == {"billing-lane-0", "billing-lane-1"}
    assert (charges(), invoices()) == one_lane
    assert_gap_free_series()
    # Nothing doubled: one charge per meter, zone and basis for October, one invoice per account and pass.
    assert Charge.objects.count() == len(one_lane[0])
    assert Invoice.objects.values("account").distinct().count() == ACCOUNTS


@pytest.mark.parametrize("lanes", [1, 2])
def test_an_error_in_a_chunk_fails_the_run_and_a_rerun_bills_the_rest_once(accounts, lanes, monkeypatch):
    in_one_go = billed_in_one_go()
    run = run_start(month=OCTOBER, pass_name="actual", run_date=D(2026, 11, 3), now=timezone.now(), chunk_size=CHUNK)
    first = run.chunks.get(index=0)
    repaired = meter_inputs_failing(
        monkeypatch, lambda chunk: chunk.pk == first.pk, RuntimeError("bad data in the first chunk")
    )
    with pytest.raises(RunFailed, match="bad data") as failed:
        run_in_process(run=run, queue_documents=False, lanes=lanes)
    assert isinstance(failed.value.__cause__, RuntimeError) and failed.value.marked
    run.refresh_from_db()
    assert run.errors == f"chunk {first.pk}: RuntimeError: bad data in the first chunk\n"
    repaired()
    # No lane starts a chunk after the error (the other lane ends the one it has).
    assert run.chunks.filter(done=True).count() <= lanes - 1
    assert_failed_then_a_rerun_bills_the_rest_once(run, first, lanes=lanes, in_one_go=in_one_go)


@pytest.mark.parametrize("lanes", [1, 2])
def test_a_chunk_whose_database_connection_is_killed_fails_the_run_and_a_rerun_bills_the_rest_once(
    accounts, lanes, monkeypatch
):
    """A real lost connection, not a raised error: the first chunk's backend is terminated by PostgreSQL
    (`pg_terminate_backend`, as a restart or a killed session does) after the chunk has read its inputs
    inside its transaction. The lane's next statement fails; the run must still be marked failed (over a
    new connection) with the error for staff, and a rerun bill every account once."""
    in_one_go = billed_in_one_go()
    run = run_start(month=OCTOBER, pass_name="actual", run_date=D(2026, 11, 3), now=timezone.now(), chunk_size=CHUNK)
    first = run.chunks.get(index=0)
    real, killed = run_services.meter_inputs, []

    def inputs_then_the_connection_killed(chunk, run):
        inputs = real(chunk, run)
        if chunk.pk == first.pk and not killed:
            killed.append(connection.connection.info.backend_pid)  # this lane's session, mid-transaction
            other = connection.get_new_connection(connection.get_connection_params())
            try:
                # The second argument waits until the session has ended (PostgreSQL 14+).
                assert other.execute("SELECT pg_terminate_backend(%s, 10000)", killed).fetchone() == (True,)
            finally:
                other.close()
        return inputs

    monkeypatch.setattr(run_services, "meter_inputs", inputs_then_the_connection_killed)
    with pytest.raises(RunFailed) as failed:
        run_in_process(run=run, queue_documents=False, lanes=lanes)
    assert len(killed) == 1
    assert isinstance(failed.value.__cause__, (OperationalError, InterfaceError)) and failed.value.marked
    run.refresh_from_db()
    assert run.errors.startswith(f"chunk {first.pk}: OperationalError: ") and "terminat" in run.errors
    monkeypatch.setattr(run_services, "meter_inputs", real)
    # The other lane went on while the lost connection surfaced, the new one was opened and the run marked
    # failed: some of its chunks may be done, never the first.
    assert_failed_then_a_rerun_bills_the_rest_once(run, first, lanes=lanes, in_one_go=in_one_go)


def billed_in_one_go() -> tuple[list, list]:
    """What billing both passes in one go charges and invoices, to compare a failed run and its rerun with;
    then back to before the passes."""
    bill_both_passes(lanes=1)
    in_one_go = charges(), invoices()
    assert len(in_one_go[0]) > ACCOUNTS and len(in_one_go[1]) == ACCOUNTS  # something to compare
    forget_the_runs()
    return in_one_go


def assert_failed_then_a_rerun_bills_the_rest_once(run, first, *, lanes: int, in_one_go) -> None:
    """After `run`'s chunk `first` failed: the run stopped as failed, whole chunks or nothing committed; a
    new start bills the rest once and the final pass ends the month as billing in one go did."""
    run.refresh_from_db()
    # The run stops as failed, as a worker's chunk fails it (run_fail); the failed chunk wrote nothing.
    assert run.status == "failed" and run.finished_at is not None
    done = list(run.chunks.filter(done=True))
    assert first not in done and run.chunks_done == len(done) and (lanes > 1 or not done)
    assert not Charge.objects.filter(account_id__gte=first.first_account_id, account_id__lte=first.last_account_id)
    billed = Charge.objects.values("account").distinct().count()
    assert billed == CHUNK * len(done) and Invoice.objects.count() == billed  # whole chunks or nothing
    assert_gap_free_series()

    # Staff start the pass again at once (no stale time to wait: the run is not `running`): a new run bills
    # the rest; the accounts the failed run billed get nothing twice.
    rerun = run_start(month=OCTOBER, pass_name="actual", run_date=D(2026, 11, 3), now=timezone.now(), chunk_size=CHUNK)
    assert rerun.pk != run.pk
    assert run_in_process(run=rerun, queue_documents=False, lanes=lanes).status == "done"
    run.refresh_from_db()
    assert run.status == "failed"
    # Every meter has a reading to bill (the April one where October has none): each account is charged
    # once per zone, and has one invoice.
    assert Charge.objects.count() == ACCOUNTS // 2 * (1 + 2)
    assert Charge.objects.values("meter", "zone").distinct().count() == Charge.objects.count()
    assert Invoice.objects.count() == Invoice.objects.values("account").distinct().count() == ACCOUNTS
    assert_gap_free_series()
    assert sum(Invoice.objects.values_list("charges_total", flat=True), Decimal(0)) == sum(
        Charge.objects.values_list("amount", flat=True), Decimal(0)
    )
    # The final pass then runs as usual; the month ends charged and invoiced to the kopiyka as in one go.
    run_final = run_start(
        month=OCTOBER, pass_name="final", run_date=D(2026, 11, 4), now=timezone.now(), chunk_size=CHUNK
    )
    assert run_in_process(run=run_final, queue_documents=False, lanes=lanes).status == "done"
    assert (charges(), invoices()) == in_one_go
    assert_gap_free_series()
