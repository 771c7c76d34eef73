"""Issue 13, defect 2: a month its final pass closed is never billed again (DESIGN.md "Charges" 4).

A pass for a closed month is refused, naming the month and when it was closed, unless it resumes a crashed
run of that same pass; the same pass completed before is "nothing to do" (exit 0); and no meter is ever
estimated for a month its billing state has passed. Tariff 4.32 / night 2.16, 4.80 / 2.40 from 15 November
2026; norm 65 kWh per resident."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum
from django.utils import timezone

from billing.models import BillingRun, Charge
from billing.run.services import MonthClosed, PassAlreadyDone, run_in_process, run_start
from readings.models import ClosedMonth
from readings.zones import TWO_ZONE
from tests.billing.helpers import read_two_zone as read
from tests.billing.test_run import bill
from tests.factories import MeterFactory, PersonalAccountFactory, ReadingFactory, UserFactory
from tests.readings.conftest import aware

pytestmark = pytest.mark.django_db

D = datetime.date
KYIV = datetime.timezone(datetime.timedelta(hours=2))


def at(day, hour=2):
    """02:00 Kyiv time on `day`, as the beat entries run."""
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=KYIV)


def bill_at(month, pass_name, run_date):
    with time_machine.travel(at(run_date), tick=False):
        return bill(month, pass_name, run_date)


def money(of):
    return Charge.objects.filter(meter=of).aggregate(total=Sum("amount"))["total"]


@pytest.fixture
def billed_in_order(prices, kyiv):
    """October by the reading of 30 October, November estimated, December by the reading of 2 January."""
    account = PersonalAccountFactory(district=kyiv, number="1000100001", residents=3)
    meter = MeterFactory(
        account=account, zone_set=TWO_ZONE, installed_on=D(2026, 1, 15), install_day=27000, install_night=13500
    )
    read(meter, D(2026, 4, 30), 27400, 13700)
    read(meter, D(2026, 10, 30), 27893, 13914)
    bill_at(D(2026, 10, 1), "actual", D(2026, 11, 3))
    bill_at(D(2026, 10, 1), "final", D(2026, 11, 4))
    bill_at(D(2026, 11, 1), "final", D(2026, 12, 4))
    read(meter, D(2027, 1, 2), 28100, 14020)
    bill_at(D(2026, 12, 1), "actual", D(2027, 1, 3))
    bill_at(D(2026, 12, 1), "final", D(2027, 1, 4))
    return meter


def test_rerunning_a_completed_final_pass_later_says_so_exits_0_and_bills_nothing(billed_in_order, capsys):
    charges, total = Charge.objects.count(), money(billed_in_order)
    # What was measured, at the prices of its days: October 893 x 4.32 + 414 x 2.16, December (49 + 158) day
    # and (25 + 81) night at 4.32 / 4.80 and 2.16 / 2.40; November's estimates are reversed.
    assert total == Decimal("3857.76") + Decimal("894.24") + Decimal("1218.48") == Decimal("5970.48")
    with time_machine.travel(at(D(2027, 3, 4)), tick=False):
        call_command("run_billing", "--month", "2026-11", "--pass", "final", "--date", "2026-11-04")
    out = capsys.readouterr().out
    assert "Nothing to do: the final pass of November 2026 already completed on Dec. 4, 2026, 2 a.m." in out
    assert (Charge.objects.count(), money(billed_in_order)) == (charges, total)
    assert BillingRun.objects.filter(month=D(2026, 11, 1), pass_name="final").count() == 1


def test_a_pass_of_a_closed_month_is_refused_naming_the_month_and_when_it_was_closed(billed_in_order):
    charges = Charge.objects.count()
    with pytest.raises(
        CommandError,
        match=r"Refused: November 2026 was closed by its final pass on Dec\. 4, 2026, 2 a\.m\.; "
        r"a closed month is never billed again",
    ):
        call_command("run_billing", "--month", "2026-11", "--pass", "actual", "--date", "2027-03-03")
    with pytest.raises(MonthClosed):
        run_start(month=D(2026, 11, 1), pass_name="actual", run_date=D(2026, 12, 3), now=timezone.now())
    with pytest.raises(PassAlreadyDone):
        run_start(month=D(2026, 10, 1), pass_name="final", run_date=D(2026, 11, 4), now=timezone.now())
    assert Charge.objects.count() == charges


def test_the_admin_says_why_it_does_not_start_a_pass_of_a_closed_month(billed_in_order, client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    form = {"month": "2026-11-01", "pass_name": "actual", "run_date": "2027-03-03"}
    page = client.post("/en/admin/billing/billingrun/start/", form, follow=True).content.decode()
    assert "Not started: November 2026 was closed by its final pass on Dec. 4, 2026, 2 a.m." in page
    page = client.post("/admin/billing/billingrun/start/", form, follow=True).content.decode()
    assert "Листопад 2026 закрито фінальним проходом" in page
    assert not BillingRun.objects.filter(month=D(2026, 11, 1), pass_name="actual").exists()


def test_a_resumed_crashed_run_of_an_old_month_does_not_estimate_meters_billed_past_it(prices, kyiv, settings):
    account = PersonalAccountFactory(district=kyiv, residents=2)
    meter = MeterFactory(account=account, installed_on=D(2026, 1, 10), install_total=1000)
    ReadingFactory(
        meter=meter,
        total=1400,
        reading_date=D(2026, 11, 28),
        billing_month=D(2026, 11, 1),
        submitted_at=aware(D(2026, 11, 28)),
    )
    started = timezone.now()
    crashed = run_start(month=D(2026, 10, 1), pass_name="final", run_date=D(2026, 11, 4), now=started)
    # While October's final pass hangs, November's actual pass bills the reading of 28 November.
    bill(D(2026, 11, 1), "actual", D(2026, 12, 3))
    november = money(meter)
    # 400 kWh over 322 days: 308 at 4.32, 14 at 4.80 -> 383 kWh (1654.56) + 17 kWh (81.60).
    assert november == Decimal("1736.16")
    later = started + datetime.timedelta(seconds=settings.BILLING_RUN_STALE_SECONDS + 1)
    resumed = run_start(month=D(2026, 10, 1), pass_name="final", run_date=D(2026, 11, 4), now=later)
    assert resumed.pk == crashed.pk
    assert run_in_process(run=resumed).status == "done"
    assert not Charge.objects.filter(meter=meter, billing_month=D(2026, 10, 1)).exists()
    assert money(meter) == november
    assert ClosedMonth.objects.filter(month=D(2026, 10, 1)).exists()
