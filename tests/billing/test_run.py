"""The charge run against the database, with worked numbers (tariff 4.32, night 2.16; 4.80 / 2.40 from
15 November 2026; norm 65 kWh per resident)."""

import datetime
import gc
from decimal import Decimal

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection
from django.db.models import Sum
from django.utils import timezone, translation

import billing.run.services as run_services
from billing.models import BillingRun, Charge, MeterBillingState
from billing.run.services import PassAlreadyDone, RunFailed, RunRefused, run_in_process, run_start
from readings.models import ClosedMonth
from readings.zones import TWO_ZONE
from tests.billing.helpers import meter_inputs_failing
from tests.billing.helpers import read_two_zone as read
from tests.factories import MeterFactory, PersonalAccountFactory, ReadingFactory
from tests.readings.conftest import aware

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def meter(prices, kyiv):
    account = PersonalAccountFactory(district=kyiv, number="1000100001", residents=3)
    meter = MeterFactory(
        account=account, zone_set=TWO_ZONE, installed_on=D(2026, 1, 15), install_day=27000, install_night=13500
    )
    read(meter, D(2026, 4, 30), 27400, 13700)
    read(meter, D(2026, 10, 30), 27893, 13914)
    return meter


def bill(month, pass_name, run_date):
    run = run_start(month=month, pass_name=pass_name, run_date=run_date, now=timezone.now(), chunk_size=2)
    return run_in_process(run=run)


def lines(meter, month):
    return [
        (c.zone, c.basis, c.volume_kwh, c.price, c.amount, c.span_start, c.span_end)
        for c in Charge.objects.filter(meter=meter, billing_month=month).order_by("basis", "zone", "span_start")
    ]


def test_actual_pass_bills_the_reading_against_the_installation(meter):
    run = bill(D(2026, 10, 1), "actual", D(2026, 11, 3))
    assert run.status == "done" and run.counts == {"actual": {"charges": 2, "kwh": 1307}}
    assert lines(meter, D(2026, 10, 1)) == [
        ("day", "actual", 893, Decimal("4.32000"), Decimal("3857.76"), D(2026, 1, 15), D(2026, 10, 30)),
        ("night", "actual", 414, Decimal("2.16000"), Decimal("894.24"), D(2026, 1, 15), D(2026, 10, 30)),
    ]
    state = MeterBillingState.objects.get(meter=meter)
    assert (state.last_date, state.estimated_months) == (D(2026, 10, 30), 0)


def test_a_chunk_is_billed_with_the_cycle_collector_paused_and_it_is_back_on_after(meter, monkeypatch):
    """The collector's full collections walked a chunk's rows again and again (portal/collector.py): it waits
    while a chunk runs, a failed one too, and the money is what it always was."""
    enabled_in_chunk, real = [], run_services.meter_inputs

    def noting(chunk, run):
        enabled_in_chunk.append(gc.isenabled())
        return real(chunk, run)

    monkeypatch.setattr(run_services, "meter_inputs", noting)
    assert gc.isenabled()
    run = bill(D(2026, 10, 1), "actual", D(2026, 11, 3))
    assert enabled_in_chunk == [False] and gc.isenabled()
    assert run.status == "done" and Charge.objects.aggregate(total=Sum("amount"))["total"] == Decimal("4752.00")

    meter_inputs_failing(monkeypatch, lambda chunk: True, RuntimeError("bad data"))
    with pytest.raises(RunFailed):
        bill(D(2026, 10, 1), "final", D(2026, 11, 4))
    assert gc.isenabled()


def test_a_chunk_records_when_it_finished_and_beats_the_run_heart_then(meter):
    """A chunk's rows carry the moment it started; its `finished_at` and the run's heartbeat are when it
    ended, so a chunk that ran long does not make its run look stalled (BILLING_RUN_STALE_SECONDS)."""
    run = run_start(month=D(2026, 10, 1), pass_name="actual", run_date=D(2026, 11, 3), now=timezone.now())
    (chunk,) = run.chunks.all()
    started = timezone.now() - datetime.timedelta(minutes=15)  # a chunk that took a quarter of an hour
    before_the_end = timezone.now()
    assert run_services.chunk_bill(chunk_id=chunk.pk, now=started, queue_documents=False) == 2
    chunk.refresh_from_db()
    run.refresh_from_db()
    assert chunk.finished_at >= before_the_end and run.heartbeat_at >= before_the_end
    assert set(Charge.objects.values_list("created_at", flat=True)) == {started}


def test_final_pass_estimates_by_average_split_across_the_tariff_change(meter):
    bill(D(2026, 10, 1), "actual", D(2026, 11, 3))
    bill(D(2026, 11, 1), "actual", D(2026, 12, 3))
    assert lines(meter, D(2026, 11, 1)) == []  # no reading for November: nothing in the actual pass
    run = bill(D(2026, 11, 1), "final", D(2026, 12, 4))
    # 30 April -> 30 October: 183 days, day 493, night 214. November: day 81, night 35; 14 days old, 16 new.
    assert lines(meter, D(2026, 11, 1)) == [
        ("day", "average", 38, Decimal("4.32000"), Decimal("164.16"), D(2026, 10, 31), D(2026, 11, 14)),
        ("day", "average", 43, Decimal("4.80000"), Decimal("206.40"), D(2026, 11, 14), D(2026, 11, 30)),
        ("night", "average", 16, Decimal("2.16000"), Decimal("34.56"), D(2026, 10, 31), D(2026, 11, 14)),
        ("night", "average", 19, Decimal("2.40000"), Decimal("45.60"), D(2026, 11, 14), D(2026, 11, 30)),
    ]
    assert run.counts == {"average": {"charges": 4, "kwh": 116}}
    assert ClosedMonth.objects.filter(month=D(2026, 11, 1)).exists()  # the final pass closes the month


def test_a_real_reading_reverses_the_estimates_and_the_customer_pays_what_was_measured(meter):
    bill(D(2026, 10, 1), "actual", D(2026, 11, 3))
    bill(D(2026, 11, 1), "final", D(2026, 12, 4))
    read(meter, D(2027, 1, 2), 28100, 14020)  # submitted 2 January: December's reading
    bill(D(2026, 12, 1), "actual", D(2027, 1, 3))
    december = lines(meter, D(2026, 12, 1))
    assert december[:4] == [
        # 31 October - 2 January: 15 days at 4.32, 49 at 4.80; day 207 -> 49 / 158, night 106 -> 25 / 81.
        ("day", "actual", 49, Decimal("4.32000"), Decimal("211.68"), D(2026, 10, 30), D(2026, 11, 14)),
        ("day", "actual", 158, Decimal("4.80000"), Decimal("758.40"), D(2026, 11, 14), D(2027, 1, 2)),
        ("night", "actual", 25, Decimal("2.16000"), Decimal("54.00"), D(2026, 10, 30), D(2026, 11, 14)),
        ("night", "actual", 81, Decimal("2.40000"), Decimal("194.40"), D(2026, 11, 14), D(2027, 1, 2)),
    ]
    reversals = [line for line in december if line[1] == "reversal"]
    assert sorted((zone, volume, amount) for zone, _, volume, _, amount, _, _ in reversals) == [
        ("day", -43, Decimal("-206.40")),
        ("day", -38, Decimal("-164.16")),
        ("night", -19, Decimal("-45.60")),
        ("night", -16, Decimal("-34.56")),
    ]
    measured = {"day": 28100 - 27000, "night": 14020 - 13500}
    charged = dict(Charge.objects.filter(meter=meter).values_list("zone").annotate(kwh=Sum("volume_kwh")))
    assert charged == measured
    # And the money: what was measured at the prices of its days, October (893 x 4.32 + 414 x 2.16) and
    # December (the four lines above); November's estimates cancel out.
    paid = Charge.objects.filter(meter=meter).aggregate(money=Sum("amount"))["money"]
    assert paid == Decimal("3857.76") + Decimal("894.24") + Decimal("1218.48") == Decimal("5970.48")


def test_a_meter_with_a_multiplier_pays_what_was_measured_times_the_multiplier(prices, kyiv):
    """A current-transformer meter (x30): 1000 -> 1030 by 30 October, 1035 on 2 January, November estimated."""
    account = PersonalAccountFactory(district=kyiv, residents=2)
    meter = MeterFactory(account=account, multiplier=30, installed_on=D(2026, 1, 15), install_total=1000)
    for on, total in ((D(2026, 4, 30), 1010), (D(2026, 10, 30), 1030), (D(2027, 1, 2), 1035)):
        month = on.replace(day=1) if on.day > 2 else D(2026, 12, 1)
        ReadingFactory(meter=meter, total=total, reading_date=on, billing_month=month, submitted_at=aware(on))
    bill(D(2026, 10, 1), "actual", D(2026, 11, 3))
    bill(D(2026, 11, 1), "final", D(2026, 12, 4))
    # November by the average of 30 April - 30 October: 20 x 30 = 600 kWh in 183 days -> 98 kWh.
    assert Charge.objects.filter(meter=meter, billing_month=D(2026, 11, 1)).aggregate(kwh=Sum("volume_kwh")) == {
        "kwh": 98
    }
    bill(D(2026, 12, 1), "actual", D(2027, 1, 3))
    totals = Charge.objects.filter(meter=meter).aggregate(kwh=Sum("volume_kwh"), money=Sum("amount"))
    # (1035 - 1000) x 30 = 1050 kWh: October 900 x 4.32 = 3888.00; December 150 kWh over 64 days, 15 at 4.32
    # and 49 at 4.80 -> 35 x 4.32 = 151.20 and 115 x 4.80 = 552.00.
    assert totals == {"kwh": 1050, "money": Decimal("3888.00") + Decimal("151.20") + Decimal("552.00")}


def test_the_fourth_estimated_month_switches_to_the_norm(meter):
    bill(D(2026, 10, 1), "actual", D(2026, 11, 3))
    for month in (D(2026, 11, 1), D(2026, 12, 1), D(2027, 1, 1), D(2027, 2, 1)):
        bill(month, "final", month.replace(day=28) + datetime.timedelta(days=7))
    bases = dict(Charge.objects.filter(meter=meter, zone="day").values_list("billing_month", "basis").distinct())
    assert bases == {
        D(2026, 10, 1): "actual",
        D(2026, 11, 1): "average",
        D(2026, 12, 1): "average",
        D(2027, 1, 1): "average",
        D(2027, 2, 1): "norm",
    }
    # Norm: 65 x 3 residents = 195 kWh, split by the history's shares 493 : 214 -> 135.98 / 59.02 -> 136 / 59.
    february = dict(
        Charge.objects.filter(meter=meter, billing_month=D(2027, 2, 1))
        .values_list("zone")
        .annotate(kwh=Sum("volume_kwh"))
    )
    assert february == {"day": 136, "night": 59}


def test_too_little_history_means_the_norm_at_once(prices, kyiv):
    account = PersonalAccountFactory(district=kyiv, residents=2)
    meter = MeterFactory(account=account, installed_on=D(2026, 9, 20), install_total=5000)
    ReadingFactory(
        meter=meter,
        total=5300,
        reading_date=D(2026, 10, 30),
        billing_month=D(2026, 10, 1),
        submitted_at=aware(D(2026, 10, 30)),
    )
    bill(D(2026, 10, 1), "actual", D(2026, 11, 3))
    bill(D(2026, 11, 1), "final", D(2026, 12, 4))
    november = list(Charge.objects.filter(meter=meter, billing_month=D(2026, 11, 1)).values_list("basis", "volume_kwh"))
    assert november == [("norm", 61), ("norm", 69)]  # 130 kWh: 14 days old price, 16 new


def test_a_meter_installed_during_the_month_is_not_estimated(prices, kyiv):
    meter = MeterFactory(account=PersonalAccountFactory(district=kyiv), installed_on=D(2026, 11, 10), install_total=0)
    bill(D(2026, 11, 1), "final", D(2026, 12, 4))
    assert not Charge.objects.filter(meter=meter).exists()


def test_reruns_and_duplicate_runs_create_nothing_twice(meter):
    bill(D(2026, 10, 1), "actual", D(2026, 11, 3))
    first = Charge.objects.count()
    with pytest.raises(PassAlreadyDone):
        bill(D(2026, 10, 1), "actual", D(2026, 11, 3))
    bill(D(2026, 10, 1), "final", D(2026, 11, 4))  # the meter is billed for October: nothing to estimate
    with pytest.raises(PassAlreadyDone):
        bill(D(2026, 10, 1), "final", D(2026, 11, 4))
    assert Charge.objects.count() == first


def test_a_second_start_while_running_is_refused_and_a_crashed_run_is_resumed(meter, settings):
    now = timezone.now()
    run = run_start(month=D(2026, 10, 1), pass_name="actual", run_date=D(2026, 11, 3), now=now)
    with pytest.raises(RunRefused):
        run_start(month=D(2026, 10, 1), pass_name="actual", run_date=D(2026, 11, 3), now=now)
    later = now + datetime.timedelta(seconds=settings.BILLING_RUN_STALE_SECONDS + 1)
    resumed = run_start(month=D(2026, 10, 1), pass_name="actual", run_date=D(2026, 11, 3), now=later)
    assert resumed.pk == run.pk
    assert run_in_process(run=resumed).status == "done"
    assert BillingRun.objects.count() == 1


def test_readings_submitted_after_the_run_date_wait_for_the_next_run(meter):
    read(meter, D(2026, 12, 2), 28100, 14020, submitted=D(2026, 12, 2))
    bill(D(2026, 10, 1), "actual", D(2026, 11, 3))
    bill(D(2026, 11, 1), "actual", D(2026, 12, 1))  # run on the 1st: the reading of the 2nd is not seen
    assert not Charge.objects.filter(billing_month=D(2026, 11, 1)).exists()
    bill(D(2026, 11, 1), "final", D(2026, 12, 3))  # a later pass sees it: actual, not an estimate
    assert set(Charge.objects.filter(billing_month=D(2026, 11, 1)).values_list("basis", flat=True)) == {"actual"}


def test_the_command_prints_the_counts(meter, capsys):
    call_command("run_billing", "--month", "2026-10", "--pass", "actual", "--date", "2026-11-03")
    out = capsys.readouterr().out
    assert "actual: 2 charges, 1307 kWh" in out
    with pytest.raises(CommandError, match="--month must be"):
        call_command("run_billing", "--month", "10/2026", "--pass", "actual")


@pytest.mark.django_db(transaction=True)
def test_the_command_says_which_chunks_another_session_holds_and_a_rerun_finishes(meter, postgresql_only, settings):
    """A chunk locked by another session (a live worker, or a killed one PostgreSQL has not noticed yet) is
    skipped, not billed twice; staff are told so, and running the command again finishes the run."""
    MeterFactory(account=PersonalAccountFactory(district=meter.account.district, number="1000100002", residents=3))
    run = run_start(month=D(2026, 10, 1), pass_name="actual", run_date=D(2026, 11, 3), now=timezone.now(), chunk_size=1)
    held = run.chunks.order_by("index").last()
    settings.BILLING_RUN_STALE_SECONDS = 0  # the command resumes the run started above
    command = ("run_billing", "--month", "2026-10", "--pass", "actual", "--date", "2026-11-03", "--lanes", "1")
    db = connection.settings_dict
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"]) as holder:
        holder.execute("SELECT 1 FROM billing_billingchunk WHERE id = %s FOR UPDATE", [held.pk])
        with pytest.raises(CommandError) as refused:
            call_command(*command)
        assert str(refused.value) == (
            f"Run {run.pk}: 1 of 2 chunks billed; the other 1 are held by another worker, or by a stopped worker's "
            "session that the database has not closed yet. Run this command again in a minute, or let the beat "
            "resume the run."
        )
        assert list(run.chunks.order_by("index").values_list("done", flat=True)) == [True, False]
        assert Charge.objects.filter(meter=meter).count() == 2
        holder.rollback()
    call_command(*command)
    assert BillingRun.objects.get(pk=run.pk).status == "done"
    assert list(run.chunks.order_by("index").values_list("done", flat=True)) == [True, True]
    assert Charge.objects.filter(meter=meter).count() == 2  # the first chunk was not billed again


def test_the_command_fails_the_run_on_an_error_in_a_chunk_and_a_rerun_bills_the_rest_once(meter, monkeypatch):
    other = MeterFactory(
        account=PersonalAccountFactory(district=meter.account.district, number="1000100002", residents=3),
        zone_set=TWO_ZONE,
        installed_on=D(2026, 1, 15),
        install_day=27000,
        install_night=13500,
    )
    read(other, D(2026, 4, 30), 27400, 13700)
    read(other, D(2026, 10, 30), 27893, 13914)
    repaired = meter_inputs_failing(
        monkeypatch, lambda chunk: chunk.first_account_id == other.account_id, RuntimeError("bad data")
    )
    command = ("run_billing", "--month", "2026-10", "--pass", "actual", "--date", "2026-11-03", "--chunk-size", "1")
    with pytest.raises(CommandError, match=r"Failed: run \d+ failed in chunk \d+ \(RuntimeError: bad data\)"):
        call_command(*command)
    # Staff see the run failed with the error, as when a worker's chunk fails; the first chunk stays billed.
    failed = BillingRun.objects.get()
    failed_chunk = failed.chunks.get(first_account_id=other.account_id)
    assert (failed.status, failed.errors) == ("failed", f"chunk {failed_chunk.pk}: RuntimeError: bad data\n")
    assert Charge.objects.filter(account=other.account).count() == 0
    assert Charge.objects.filter(account=meter.account).count() == 2

    repaired()
    call_command(*command)  # at once: a failed run does not block a new start
    assert list(BillingRun.objects.order_by("pk").values_list("status", flat=True)) == ["failed", "done"]
    month = D(2026, 10, 1)
    for billed in (meter, other):
        assert lines(billed, month) == [
            ("day", "actual", 893, Decimal("4.32000"), Decimal("3857.76"), D(2026, 1, 15), D(2026, 10, 30)),
            ("night", "actual", 414, Decimal("2.16000"), Decimal("894.24"), D(2026, 1, 15), D(2026, 10, 30)),
        ]
        assert list(billed.account.invoices.values_list("charges_total", flat=True)) == [Decimal("4752.00")]


def test_a_lost_database_in_one_process_fails_the_run_too_or_leaves_it_to_the_stale_time(meter, monkeypatch):
    """Nothing retries a chunk billed in this process (a worker waits a lost database out): the run is marked
    failed so staff can start it again; when even that cannot be written, it stays running and says so."""
    lost = OperationalError("server closed the connection unexpectedly")
    meter_inputs_failing(monkeypatch, lambda chunk: True, lost)
    run = run_start(month=D(2026, 10, 1), pass_name="actual", run_date=D(2026, 11, 3), now=timezone.now())
    with pytest.raises(RunFailed) as failed:
        run_in_process(run=run)
    assert failed.value.__cause__ is lost and failed.value.marked
    run.refresh_from_db()
    assert run.status == "failed" and "OperationalError: server closed the connection" in run.errors

    def run_fail_without_a_database(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(run_services, "run_fail", run_fail_without_a_database)
    run = run_start(month=D(2026, 10, 1), pass_name="actual", run_date=D(2026, 11, 3), now=timezone.now())
    with pytest.raises(RunFailed) as failed:
        run_in_process(run=run)
    assert not failed.value.marked and failed.value.run_id == run.pk
    with translation.override("en"):
        assert "could not be marked failed, so it still shows as running" in str(failed.value)
    with translation.override("uk"):
        assert "позначити його невдалим не вдалося" in str(failed.value)
    run.refresh_from_db()
    assert run.status == "running" and not Charge.objects.exists()


def test_a_zero_use_month_is_still_a_charge_row(prices, kyiv):
    meter = MeterFactory(account=PersonalAccountFactory(district=kyiv), installed_on=D(2026, 1, 1), install_total=5000)
    ReadingFactory(
        meter=meter,
        total=5000,
        reading_date=D(2026, 10, 30),
        billing_month=D(2026, 10, 1),
        submitted_at=aware(D(2026, 10, 30)),
    )
    bill(D(2026, 10, 1), "actual", D(2026, 11, 3))
    assert list(Charge.objects.filter(meter=meter).values_list("basis", "volume_kwh", "amount")) == [
        ("actual", 0, Decimal("0.00"))
    ]


def test_a_three_zone_meter_without_history_gets_the_norm_by_default_shares(prices, kyiv):
    account = PersonalAccountFactory(district=kyiv, residents=2)
    meter = MeterFactory(
        account=account,
        zone_set="peak+half_peak+night",
        installed_on=D(2026, 10, 20),
        install_peak=100,
        install_half_peak=200,
        install_night=300,
    )
    bill(D(2026, 11, 1), "final", D(2026, 12, 4))
    volumes = dict(Charge.objects.filter(meter=meter).values_list("zone").annotate(kwh=Sum("volume_kwh")))
    assert volumes == {"peak": 26, "half_peak": 65, "night": 39}  # 130 kWh: 20 / 50 / 30 %
    peak_prices = set(Charge.objects.filter(meter=meter, zone="peak").values_list("price", flat=True))
    assert peak_prices == {Decimal("6.48000"), Decimal("7.20000")}  # 1.5 x 4.32, then 1.5 x 4.80


def test_meter_exchange_bills_the_old_meter_to_its_removal_and_the_new_one_from_its_installation(prices, kyiv):
    account = PersonalAccountFactory(district=kyiv)
    old = MeterFactory(account=account, serial_number="OLD1", installed_on=D(2025, 1, 1), install_total=1000)
    ReadingFactory(
        meter=old,
        total=3000,
        reading_date=D(2026, 10, 30),
        billing_month=D(2026, 10, 1),
        submitted_at=aware(D(2026, 10, 30)),
    )
    bill(D(2026, 10, 1), "actual", D(2026, 11, 3))
    # Staff exchange the meter on 20 November: the old one's removal reading, the new one's installation.
    old.removed_on = D(2026, 11, 20)
    old.save()
    ReadingFactory(
        meter=old,
        total=3150,
        reading_date=D(2026, 11, 20),
        billing_month=D(2026, 11, 1),
        submitted_at=aware(D(2026, 11, 20)),
        channel="staff",
    )
    new = MeterFactory(account=account, serial_number="NEW1", installed_on=D(2026, 11, 20), install_total=0)
    bill(D(2026, 11, 1), "actual", D(2026, 12, 3))
    bill(D(2026, 11, 1), "final", D(2026, 12, 4))
    assert list(Charge.objects.filter(meter=old, billing_month=D(2026, 11, 1)).values_list("basis", flat=True)) == [
        "actual",
        "actual",  # 150 kWh split at the tariff change
    ]
    assert not Charge.objects.filter(meter=new, billing_month=D(2026, 11, 1)).exists()  # installed in November
    assert MeterBillingState.objects.get(meter=old).closed
    ReadingFactory(
        meter=new,
        total=90,
        reading_date=D(2026, 12, 30),
        billing_month=D(2026, 12, 1),
        submitted_at=aware(D(2026, 12, 30)),
    )
    bill(D(2026, 12, 1), "actual", D(2027, 1, 3))
    bill(D(2026, 12, 1), "final", D(2027, 1, 4))
    assert not Charge.objects.filter(meter=old, billing_month=D(2026, 12, 1)).exists()  # never estimated again
    assert Charge.objects.filter(meter=new, billing_month=D(2026, 12, 1)).aggregate(kwh=Sum("volume_kwh"))["kwh"] == 90
