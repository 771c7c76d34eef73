"""Payments: the bank statement import (re-import books nothing twice, a bad file books nothing), oldest-first
settling of invoices, staff entry in the admin, and `export_invoices`."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from billing.invoices.services import invoices_issue
from billing.models import Charge, Invoice, Payment
from billing.payments.services import PaymentLine, payments_book
from readings.zones import ONE_ZONE
from tests.factories import MeterFactory, PersonalAccountFactory, ReadingFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
NOW = timezone.make_aware(datetime.datetime(2026, 11, 20, 9, 0))


@pytest.fixture
def account(kyiv):
    return PersonalAccountFactory(district=kyiv, number="1000000001")


def charge(account, amount: str, month: D) -> Charge:
    """An actual charge of 100 kWh as the run writes it; the amount is what matters here."""
    meter = account.meters.first() or MeterFactory(account=account, zone_set=ONE_ZONE)
    reading = ReadingFactory(meter=meter, reading_date=month.replace(day=28), billing_month=month, total=1200)
    return Charge.objects.create(
        account=account,
        meter=meter,
        zone="total",
        basis="actual",
        volume_kwh=100,
        price=Decimal(amount) / 100,
        amount=Decimal(amount),
        billing_month=month,
        span_start=month - datetime.timedelta(days=1),
        span_end=month.replace(day=28),
        reading=reading,
    )


def issue(account, month, issued_on):
    with transaction.atomic():
        (invoice,) = invoices_issue(
            account_ids=[account.pk], kind="auto", billing_month=month, issued_on=issued_on, now=NOW
        )
    return invoice


def statement(*rows) -> str:
    return "account_number,paid_on,amount,reference\n" + "".join(f"{','.join(row)}\n" for row in rows)


def import_file(tmp_path, text, **options):
    path = tmp_path / "statement.csv"
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_payments", str(path), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_importing_the_same_statement_twice_books_each_payment_once(tmp_path, account):
    text = statement(("1000000001", "2026-11-10", "100.50", "BANK-1"), ("1000000001", "2026-11-11", "20", "BANK-2"))
    out, _ = import_file(tmp_path, text)
    assert "Booked: 2 payments; already booked before: 0." in out
    out, _ = import_file(tmp_path, text)
    assert "Booked: 0 payments; already booked before: 2." in out
    assert sorted(Payment.objects.values_list("reference", "amount")) == [
        ("BANK-1", Decimal("100.50")),
        ("BANK-2", Decimal("20.00")),
    ]


def test_a_statement_with_any_bad_line_books_nothing_and_names_every_problem(tmp_path, account):
    text = statement(
        ("1000000001", "2026-11-10", "100.50", "OK-1"),
        ("9999999999", "2026-11-10", "10", "X-1"),
        ("1000000001", "2026-13-01", "10", "X-2"),
        ("1000000001", "2026-11-10", "-5", "X-3"),
        ("1000000001", "2026-11-10", "1.234", "X-4"),
        ("1000000001", "2099-01-01", "10", "X-5"),
        ("1000000001", "2026-11-10", "10", "OK-1"),
    )
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_payments", str(path), stdout=io.StringIO(), stderr=err)
    report = err.getvalue()
    assert "line 3, account_number: no personal account 9999999999 [unknown_account]" in report
    assert "line 4, paid_on" in report and "[invalid_date]" in report
    assert "line 5, amount" in report and "line 6, amount" in report
    assert "line 7, paid_on: 2099-01-01 is in the future [future_date]" in report
    assert "line 8, reference: this reference is already on line 2 [duplicate_in_file]" in report
    assert not Payment.objects.exists()


def test_payments_settle_invoices_oldest_first(account):
    charge(account, "300.00", D(2026, 9, 1))
    september = issue(account, D(2026, 9, 1), D(2026, 10, 3))
    charge(account, "200.00", D(2026, 10, 1))
    october = issue(account, D(2026, 10, 1), D(2026, 11, 3))
    assert (october.opening_balance, october.amount_due) == (Decimal("300.00"), Decimal("500.00"))

    payments_book(lines=[PaymentLine(account.number, D(2026, 11, 5), Decimal("250.00"), "A")], now=NOW)
    september.refresh_from_db(), october.refresh_from_db()
    assert (september.status, october.status) == ("issued", "issued")  # 250 of September's 300

    payments_book(lines=[PaymentLine(account.number, D(2026, 11, 8), Decimal("100.00"), "B")], now=NOW)
    september.refresh_from_db(), october.refresh_from_db()
    assert (september.status, september.paid_on) == ("paid", D(2026, 11, 8))
    assert october.status == "issued"  # 50 of October's 200

    payments_book(lines=[PaymentLine(account.number, D(2026, 11, 12), Decimal("150.00"), "C")], now=NOW)
    october.refresh_from_db()
    assert (october.status, october.paid_on) == ("paid", D(2026, 11, 12))


def test_an_invoice_covered_by_earlier_payments_is_paid_on_issue(account):
    payments_book(lines=[PaymentLine(account.number, D(2026, 10, 20), Decimal("500.00"), "ADVANCE")], now=NOW)
    charge(account, "120.00", D(2026, 10, 1))
    invoice = issue(account, D(2026, 10, 1), D(2026, 11, 3))
    assert (invoice.payments_total, invoice.amount_due) == (Decimal("500.00"), Decimal("-380.00"))
    assert (invoice.status, invoice.paid_on, invoice.qr_data) == ("paid", D(2026, 11, 3), "")


def test_staff_enter_a_payment_in_the_admin_and_it_settles_the_invoice(client, account):
    charge(account, "99.90", D(2026, 10, 1))
    invoice = issue(account, D(2026, 10, 1), D(2026, 11, 3))
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.post(
        "/en/admin/billing/payment/add/",
        {"account": account.pk, "amount": "99.90", "paid_on": "2026-11-06", "reference": "", "note": "cash desk"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    payment = Payment.objects.get()
    assert (payment.source, payment.created_by, payment.note) == ("staff", staff, "cash desk")
    assert payment.reference.startswith("staff-")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_on) == ("paid", D(2026, 11, 6))


def test_staff_payment_with_a_zero_amount_is_refused_with_the_field_named(client, account):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        "/en/admin/billing/payment/add/",
        {"account": account.pk, "amount": "0", "paid_on": "2026-11-06", "reference": "R", "note": ""},
    )
    assert response.status_code == 200
    assert "The amount must be more than 0." in response.content.decode()
    assert not Payment.objects.exists()


def test_export_invoices_writes_the_month_in_the_stable_format(account):
    charge(account, "300.00", D(2026, 10, 1))
    issue(account, D(2026, 10, 1), D(2026, 11, 3))
    payments_book(lines=[PaymentLine(account.number, D(2026, 11, 5), Decimal("300.00"), "A")], now=NOW)
    out = io.StringIO()
    call_command("export_invoices", "--month", "2026-10", stdout=out)
    assert out.getvalue().splitlines() == [
        "number,account_number,kind,issued_on,due_on,opening_balance,charges,payments,amount_due,status",
        "KYIV-2026-0000001,1000000001,auto,2026-11-03,2026-11-17,0.00,300.00,0.00,300.00,paid",
    ]
    assert Invoice.objects.get().status == "paid"
