"""The whole charge run as a state machine on the real database, checked against the test's own model.

Each step is one of: a new meter (1-3 zones, 4-9 digits, a multiplier, installed mid-month); a month of the
run (random readings: missing, late, rolled over, corrected the same day; a tariff version from mid-month;
a new norm; pass `actual` or not, then pass `final`, either one possibly crashing after its first chunk and
resumed, a chunk delivered twice); or a rerun of any earlier pass at a later date. After every step:

- the charges per (meter, month, zone, basis) equal tests/billing/model.py's, which is written from DESIGN.md
  and calls none of the project's billing code (volumes and money);
- every meter's money is what its readings measured, priced at the prices in force on each day, plus the
  estimates still open; no rerun changes anything; every charge is on exactly one invoice.

`make test` runs a small profile; `BILLING_PROPERTY_EXAMPLES=300 make property-nightly` a large one.
"""

import os
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from billing.models import BillingChunk, Charge, InvoiceItem, Norm, Tariff
from billing.run.services import RunRefused, chunk_bill, run_in_process, run_start
from readings.models import Reading
from readings.zones import ONE_ZONE, THREE_ZONE, TWO_ZONE, zones_of
from tests.billing import model
from tests.factories import DistrictFactory, MeterFactory, PersonalAccountFactory, ReadingFactory
from tests.readings.conftest import aware

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("BILLING_PROPERTY_EXAMPLES", "12"))
STEPS = int(os.environ.get("BILLING_PROPERTY_STEPS", "14"))
START = date(2025, 3, 1)
BASE_PRICES = {
    "total": Decimal("4.32000"),
    "day": Decimal("4.32000"),
    "night": Decimal("2.16000"),
    "peak": Decimal("6.48000"),
    "half_peak": Decimal("4.32000"),
}

meter_specs = st.fixed_dictionaries(
    {
        "zone_set": st.sampled_from([ONE_ZONE, TWO_ZONE, TWO_ZONE, THREE_ZONE]),
        "digits": st.integers(4, 9),
        "multiplier": st.sampled_from([1, 1, 2, 30]),
        "day": st.integers(1, 28),
        "residents": st.integers(1, 4),
        "near_rollover": st.booleans(),
    }
)
reading_specs = st.fixed_dictionaries(
    {
        "reads": st.booleans(),
        "used": st.lists(st.integers(0, 900), min_size=3, max_size=3),
        "day": st.integers(1, 31),
        "late": st.booleans(),
        "corrected": st.sampled_from([False, False, False, True]),
    }
)
month_specs = st.fixed_dictionaries(
    {
        "readings": st.lists(reading_specs, min_size=6, max_size=6),
        "tariff_from_day": st.one_of(st.none(), st.integers(1, 28)),
        "price_factor": st.sampled_from([Decimal("1.10"), Decimal("0.95"), Decimal("1.25")]),
        "norm": st.one_of(st.none(), st.integers(40, 90)),
        "actual_pass": st.sampled_from([True, True, False]),
        "crash": st.sampled_from([None, None, "actual", "final"]),
    }
)


class ChargeRun(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # Every example starts from an empty database: its writes are rolled back in teardown().
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.month = START
        self.district = DistrictFactory()
        self.meters: list[tuple[model.ModelMeter, object]] = []
        self.tariffs = [(date(2020, 1, 1), dict(BASE_PRICES))]
        self.norms = [(date(2020, 1, 1), Decimal("65"))]
        Tariff.objects.bulk_create(
            Tariff(category="household", effective_from=date(2020, 1, 1), zone=zone, price=price)
            for zone, price in BASE_PRICES.items()
        )
        Norm.objects.create(category="household", effective_from=date(2020, 1, 1), kwh_per_resident=Decimal("65"))
        self.expected: dict[tuple, list] = defaultdict(lambda: [0, Decimal("0.00")])
        self.actual_money: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
        self.done: list[tuple[date, str]] = []
        self.clock = timezone.now()

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- steps ----------------------------------------------------------------------------------------

    @precondition(lambda self: len(self.meters) < 5)
    @rule(spec=meter_specs)
    def install_a_meter(self, spec):
        zones = zones_of(spec["zone_set"])
        top = 10 ** spec["digits"]
        start = top - 400 if spec["near_rollover"] else top // 3
        install = {zone: (start + 37 * index) % top for index, zone in enumerate(zones)}
        installed_on = self.month.replace(day=spec["day"])
        account = PersonalAccountFactory(district=self.district, residents=spec["residents"], invoice_mode="supplier")
        meter = MeterFactory(
            account=account,
            zone_set=spec["zone_set"],
            register_digits=spec["digits"],
            multiplier=spec["multiplier"],
            installed_on=installed_on,
            **{f"install_{zone}": install.get(zone) for zone in ("total", "day", "night", "peak", "half_peak")},
        )
        self.meters.append(
            (
                model.ModelMeter(
                    meter.pk, zones, spec["digits"], spec["multiplier"], installed_on, install, spec["residents"]
                ),
                meter,
            )
        )

    @rule(spec=month_specs)
    def bill_a_month(self, spec):
        month, month_end = self.month, model.month_end(self.month)
        next_month = month_end + timedelta(days=1)
        for (mine, meter), reading in zip(self.meters, spec["readings"], strict=False):
            if reading["reads"]:
                self._read(mine, meter, reading, month_end, next_month)
        if spec["tariff_from_day"] is not None:
            self._new_tariff(month.replace(day=spec["tariff_from_day"]), spec["price_factor"])
        if spec["norm"] is not None:
            Norm.objects.create(category="household", effective_from=month, kwh_per_resident=Decimal(spec["norm"]))
            self.norms.append((month, Decimal(spec["norm"])))
        if spec["actual_pass"]:
            self._pass("actual", next_month.replace(day=3), crash=spec["crash"] == "actual")
        self._pass("final", next_month.replace(day=4), crash=spec["crash"] == "final")
        self.month = next_month

    @precondition(lambda self: self.done)
    @rule(data=st.data())
    def rerun_an_earlier_pass(self, data):
        month, pass_name = data.draw(st.sampled_from(self.done))
        if data.draw(st.booleans()):
            pass_name = "actual" if pass_name == "final" else "final"
            if (month, pass_name) not in self.done and month >= self.month:
                return  # not a rerun: the open month's final pass is still to come
        before = self._charges()
        self.clock += timedelta(days=40)
        run_date = model.shift_months(month, 1).replace(day=data.draw(st.integers(3, 28)))
        refused = None
        try:
            run = run_start(month=month, pass_name=pass_name, run_date=run_date, now=self.clock, chunk_size=2)
        except RunRefused as error:
            refused = error
        else:
            run_in_process(run=run, queue_documents=False)
        assert self._charges() == before, f"a rerun of {month:%Y-%m} {pass_name} changed the charges"
        assert refused is not None, f"a rerun of {month:%Y-%m} {pass_name} was not refused"

    # --- invariants -----------------------------------------------------------------------------------

    @invariant()
    def charges_equal_the_model(self):
        expected = {key: tuple(value) for key, value in self.expected.items()}
        assert self._charges() == expected

    @invariant()
    def money_is_what_was_measured_plus_the_open_estimates(self):
        paid = defaultdict(lambda: Decimal("0.00"))
        for meter_id, amount in Charge.objects.values_list("meter_id", "amount"):
            paid[meter_id] += amount
        for mine, _ in self.meters:
            open_estimates = sum((line.amount for line in mine.open_estimates), Decimal("0.00"))
            assert paid.get(mine.key, Decimal("0.00")) == self.actual_money[mine.key] + open_estimates

    @invariant()
    def every_charge_is_on_exactly_one_invoice(self):
        items = Charge.objects.annotate(
            items=Count("pk", filter=Q(pk__in=InvoiceItem.objects.filter(active=True).values("charge_id")))
        )
        assert not items.exclude(items=1).exists()
        duplicated = InvoiceItem.objects.filter(charge__isnull=False, active=True).values("charge_id")
        assert duplicated.annotate(n=Count("pk")).filter(n__gt=1).count() == 0

    # --- helpers --------------------------------------------------------------------------------------

    def _charges(self) -> dict:
        # Summed here, not by SQL: SQLite sums decimals as floats (5.68E-14 for an estimate and its reversal).
        groups = defaultdict(lambda: [0, Decimal("0.00")])
        for meter, month, zone, basis, kwh, money in Charge.objects.values_list(
            "meter_id", "billing_month", "zone", "basis", "volume_kwh", "amount"
        ):
            group = groups[(meter, month, zone, basis)]
            group[0] += kwh
            group[1] += money
        return {key: tuple(value) for key, value in groups.items()}

    def _read(self, mine, meter, spec, month_end, next_month):
        earliest = max([mine.installed_on, *(r.on for r in mine.readings)]) + timedelta(days=1)
        on = min(max(self.month.replace(day=min(spec["day"], month_end.day)), earliest), month_end)
        if on < earliest:
            return  # the meter was read on the last day already
        current = [r for r in mine.readings if r.current]  # a superseded reading is no base for the next
        previous = max(current, key=lambda r: r.on).values if current else mine.install
        top = 10**mine.digits
        values = {zone: (previous[zone] + spec["used"][index]) % top for index, zone in enumerate(mine.zones)}
        submitted = next_month.replace(day=4) if spec["late"] else on
        self._store(mine, meter, on, values, submitted)
        if spec["corrected"]:
            # The same day again with other values (a correction while the month is open): it supersedes.
            values = {zone: (value + 11) % top for zone, value in values.items()}
            Reading.objects.filter(meter=meter, reading_date=on, superseded_at__isnull=True).update(
                superseded_at=aware(submitted)
            )
            mine.readings[-1].current = False
            self._store(mine, meter, on, values, submitted)

    def _store(self, mine, meter, on, values, submitted):
        ReadingFactory(
            meter=meter,
            zone_set=meter.zone_set,
            reading_date=on,
            billing_month=self.month,
            submitted_at=aware(submitted, hour=9),
            **{zone: values.get(zone) for zone in ("total", "day", "night", "peak", "half_peak")},
        )
        mine.readings.append(model.ModelReading(on, values, self.month, submitted))

    def _new_tariff(self, effective_from, factor):
        if any(version[0] == effective_from for version in self.tariffs):
            return
        latest = max(self.tariffs, key=lambda version: version[0])[1]
        prices = {zone: (price * factor).quantize(Decimal("0.00001")) for zone, price in latest.items()}
        Tariff.objects.bulk_create(
            Tariff(category="household", effective_from=effective_from, zone=zone, price=price)
            for zone, price in prices.items()
        )
        self.tariffs.append((effective_from, prices))

    def _pass(self, pass_name, run_date, *, crash):
        self.clock += timedelta(days=1)
        run = run_start(month=self.month, pass_name=pass_name, run_date=run_date, now=self.clock, chunk_size=2)
        if crash and run.chunks_total > 1:
            # The worker dies after its first chunk; another start after the stale time resumes the run,
            # and the first chunk is delivered again.
            first = run.chunks.order_by("index").first()
            chunk_bill(chunk_id=first.pk, now=self.clock, queue_documents=False)
            self.clock += timedelta(seconds=django_settings.BILLING_RUN_STALE_SECONDS + 1)
            resumed = run_start(month=self.month, pass_name=pass_name, run_date=run_date, now=self.clock)
            assert resumed.pk == run.pk
            BillingChunk.objects.filter(pk=first.pk).update(done=False)
        run = run_in_process(run=run, queue_documents=False)
        assert run.status == "done", run.errors
        for mine, _ in self.meters:
            for line in model.bill_month(
                mine,
                month=self.month,
                final=pass_name == "final",
                run_date=run_date,
                tariffs=self.tariffs,
                norms=self.norms,
                cap=django_settings.ESTIMATE_AVERAGE_MAX_MONTHS,
            ):
                group = self.expected[(mine.key, self.month, line.zone, line.basis)]
                group[0] += line.volume
                group[1] += line.amount
                if line.basis == "actual":
                    self.actual_money[mine.key] += line.amount
        self.done.append((self.month, pass_name))


def test_the_charge_run_agrees_with_the_model_of_design_md(db):
    assert django_settings.ESTIMATE_LOOKBACK_MONTHS == 6 and django_settings.ESTIMATE_MIN_HISTORY_DAYS == 90
    run_state_machine_as_test(
        ChargeRun,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
