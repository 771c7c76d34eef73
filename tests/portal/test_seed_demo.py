"""`seed_demo` makes a realistic portal and is safe to run again."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from accounts.models import AccountLink, District, PersonalAccount, User
from billing.models import BillingRun, Charge
from readings.models import Meter, Reading
from readings.zones import ONE_ZONE, THREE_ZONE, TWO_ZONE

pytestmark = pytest.mark.django_db

TODAY = "2026-11-21"


def table_counts():
    return {
        model.__name__: model.objects.count()
        for model in (District, PersonalAccount, Meter, Reading, User, AccountLink)
    }


def seed():
    out = StringIO()
    call_command("seed_demo", "--today", TODAY, stdout=out)
    return out.getvalue()


def test_seed_twice_gives_the_same_rows():
    first_output = seed()
    first = table_counts()
    readings_first = list(
        Reading.objects.order_by("meter__serial_number", "reading_date").values_list(
            "meter__serial_number", "reading_date", "total", "day", "night"
        )
    )
    second_output = seed()
    assert table_counts() == first
    readings_second = list(
        Reading.objects.order_by("meter__serial_number", "reading_date").values_list(
            "meter__serial_number", "reading_date", "total", "day", "night"
        )
    )
    assert readings_second == readings_first
    assert "created now: 2 districts, 30 accounts" in first_output
    assert "created now: 0 districts, 0 accounts, 0 meters, 0 readings, 0 users" in second_output


def test_demo_world_looks_like_a_utility():
    seed()
    kyiv, dek = District.objects.get(code="KYIV"), District.objects.get(code="DEK")
    assert (
        kyiv.window_open_month_offset,
        kyiv.window_open_day,
        kyiv.window_close_month_offset,
        kyiv.window_close_day,
        kyiv.window_policy,
    ) == (0, -2, 1, 3, "open")
    assert (dek.window_open_day, dek.window_close_day, dek.window_policy) == (20, 25, "strict")
    assert 25 <= PersonalAccount.objects.count() <= 35
    zone_sets = set(Meter.objects.values_list("zone_set", flat=True))
    assert zone_sets == {ONE_ZONE, TWO_ZONE, THREE_ZONE}
    two_zone = Meter.objects.filter(zone_set=TWO_ZONE).first()
    assert two_zone.register_labels["day"] == ["1.8.2", "15.8.2", "T22"]
    assert two_zone.register_labels["night"] == ["1.8.1", "15.8.1", "T21"]


def test_thirteen_months_of_history_with_some_gaps():
    seed()
    months = Reading.objects.filter(status="accepted").values("meter").annotate(n=Count("billing_month", distinct=True))
    counts = [row["n"] for row in months]
    assert max(counts) == 13
    assert min(counts) < 13, "some meters should have gaps"
    assert Reading.objects.filter(billing_month__gte=date(2026, 11, 1), status="accepted").count() == 0  # open month


def test_readings_only_ever_grow_except_by_rollover():
    seed()
    for meter in Meter.objects.prefetch_related("readings"):
        previous = meter.installation_values
        for reading in meter.readings.filter(status="accepted").order_by("reading_date"):
            for zone, value in reading.values.items():
                used = (value - previous[zone]) % 10**meter.register_digits
                assert 0 <= used < 1500, (meter.serial_number, reading.reading_date, zone, used)
            previous = reading.values


def test_one_implausible_reading_waits_for_review():
    seed()
    (pending,) = Reading.objects.filter(status="pending_review")
    assert pending.reading_date == date(2026, 11, 10)


def test_demo_logins():
    seed()
    customer = User.objects.get(email="demo@example.com")
    staff = User.objects.get(email="staff@example.com")
    assert customer.check_password("demo-portal-2026") and not customer.is_staff
    assert staff.check_password("demo-portal-2026") and staff.is_staff
    linked = PersonalAccount.objects.filter(links__user=customer).prefetch_related("meters")
    assert linked.count() == 2
    assert {meter.zone_set for account in linked for meter in account.meters.all()} == {TWO_ZONE, ONE_ZONE}
    assert customer.emailaddress_set.get().verified


def test_demo_has_a_billing_history_of_the_closed_months():
    seed()
    months = set(Charge.objects.values_list("billing_month", flat=True))
    assert max(months) == date(2026, 10, 1)  # 21 November: October is closed, November is open
    assert BillingRun.objects.filter(pass_name="final", errors="").count() == 13
    assert set(Charge.objects.values_list("basis", flat=True)) >= {"actual", "average", "reversal"}


def test_the_demo_customer_is_not_sent_a_year_of_invoices_when_the_worker_renders_them():
    """The loader issues a year of invoices for accounts the demo customer linked before; the worker renders
    their PDFs later, all at once. None of them is news: no "your invoice is ready" email (there were 12)."""
    from accounts.models import OutgoingEmail
    from billing.delivery.services import invoice_ready_notify
    from billing.models import Invoice

    seed()
    invoices = list(Invoice.objects.filter(account__links__user__email="demo@example.com"))
    assert len(invoices) >= 12
    for invoice in invoices:
        invoice.pdf.name = f"invoices/{invoice.number}-rendered.pdf"  # as the worker leaves it
        invoice_ready_notify(invoice=invoice)
    assert not OutgoingEmail.objects.filter(kind="invoice_ready").exists()
