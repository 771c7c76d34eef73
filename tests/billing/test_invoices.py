"""Invoices with worked numbers: the three modes on the 3rd and the 4th, the customer's button with its
interim charge, numbering, opening balances, void and reissue (tariff 4.32, night 2.16; norm 65)."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from billing.invoices.selectors import invoice_generate_refusal
from billing.invoices.services import InvoiceRefused, invoice_generate, invoice_void, invoices_issue
from billing.models import BillingChunk, Charge, Invoice, InvoiceItem
from billing.payments.services import PaymentLine, payments_book
from billing.run.services import PassAlreadyDone, chunk_bill, run_in_process, run_start
from readings.models import AppendOnlyError, ClosedMonth
from readings.zones import TWO_ZONE
from tests.billing.helpers import read_two_zone as read
from tests.factories import MeterFactory, PersonalAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
OCTOBER, NOVEMBER = D(2026, 10, 1), D(2026, 11, 1)
NOW = timezone.make_aware(datetime.datetime(2026, 11, 3, 2, 0))


def account_with_meter(district, number, mode, *, october_reading=True, april_reading=True):
    account = PersonalAccountFactory(district=district, number=number, residents=3, invoice_mode=mode)
    meter = MeterFactory(
        account=account, zone_set=TWO_ZONE, installed_on=D(2026, 1, 15), install_day=27000, install_night=13500
    )
    if april_reading:
        read(meter, D(2026, 4, 30), 27400, 13700)
    if october_reading:
        read(meter, D(2026, 10, 30), 27893, 13914)
    return account


def bill(month, pass_name, run_date):
    run = run_start(month=month, pass_name=pass_name, run_date=run_date, now=NOW, chunk_size=2)
    return run_in_process(run=run)


def invoices_of(account):
    return list(Invoice.objects.filter(account=account).order_by("issued_at", "pk"))


# October actual: day 893 kWh x 4.32 = 3857.76; night 414 x 2.16 = 894.24; 4752.00 in all.
OCTOBER_ACTUAL = Decimal("4752.00")


def test_supplier_mode_invoices_on_the_3rd_those_with_a_reading_and_on_the_4th_the_rest(prices, kyiv):
    with_reading = account_with_meter(kyiv, "1000000001", "supplier")
    without = account_with_meter(kyiv, "1000000002", "supplier", october_reading=False, april_reading=False)

    bill(OCTOBER, "actual", D(2026, 11, 3))
    (invoice,) = invoices_of(with_reading)
    assert invoices_of(without) == []
    assert (invoice.number, invoice.kind, invoice.billing_month, invoice.issued_on, invoice.due_on) == (
        "KYIV-2026-0000001",
        "auto",
        OCTOBER,
        D(2026, 11, 3),
        D(2026, 11, 17),
    )
    assert (invoice.opening_balance, invoice.charges_total, invoice.payments_total, invoice.amount_due) == (
        Decimal("0.00"),
        OCTOBER_ACTUAL,
        Decimal("0.00"),
        OCTOBER_ACTUAL,
    )
    assert invoice.status == "issued" and invoice.qr_data.startswith("https://bank.gov.ua/qr/")

    bill(OCTOBER, "final", D(2026, 11, 4))
    assert len(invoices_of(with_reading)) == 1  # never a second auto invoice for the month
    (estimated,) = invoices_of(without)
    assert estimated.number == "KYIV-2026-0000002" and estimated.issued_on == D(2026, 11, 4)
    # No reading since the installation: the norm, 65 x 3 residents = 195 kWh, day 70 % = 136.5 and night
    # 58.5, the tie to the earlier zone: day 137 x 4.32 = 591.84, night 58 x 2.16 = 125.28.
    assert sorted((row["zone"], row["basis"], row["volume"], row["amount"]) for row in estimated.content["lines"]) == [
        ("day", "norm", 137, "591.84"),
        ("night", "norm", 58, "125.28"),
    ]
    assert estimated.charges_total == Decimal("717.12") == estimated.amount_due


def test_rerunning_a_pass_issues_nothing_twice(prices, kyiv):
    account = account_with_meter(kyiv, "1000000001", "supplier")
    bill(OCTOBER, "actual", D(2026, 11, 3))
    with pytest.raises(PassAlreadyDone):
        run_start(month=OCTOBER, pass_name="actual", run_date=D(2026, 11, 3), now=NOW)
    # A chunk billed again (a task delivered twice, its first commit unseen) issues nothing either.
    chunk = BillingChunk.objects.get(run__month=OCTOBER)
    BillingChunk.objects.filter(pk=chunk.pk).update(done=False)
    chunk_bill(chunk_id=chunk.pk, now=NOW, queue_documents=False)
    assert len(invoices_of(account)) == 1
    assert InvoiceItem.objects.filter(invoice__account=account).count() == 2


def test_self_mode_the_supplier_never_invoices_and_the_button_bills_the_new_reading_first(prices, kyiv):
    account = account_with_meter(kyiv, "1000000001", "self")
    user = UserFactory()
    ClosedMonth.objects.create(month=D(2026, 9, 1))

    invoice = invoice_generate(account=account, user=user, today=D(2026, 11, 2), now=NOW)
    assert invoice.kind == "self" and invoice.billing_month == OCTOBER  # October is still open on the 2nd
    assert invoice.charges_total == OCTOBER_ACTUAL and invoice.created_by == user
    interim = Charge.objects.filter(account=account)
    assert sorted(interim.values_list("basis", "volume_kwh", "billing_month")) == [
        ("actual", 414, OCTOBER),
        ("actual", 893, OCTOBER),
    ]
    assert all(charge.run_id is None for charge in interim)

    bill(OCTOBER, "actual", D(2026, 11, 3))
    bill(OCTOBER, "final", D(2026, 11, 4))
    assert invoices_of(account) == [invoice]  # the month counts as actual: nothing billed again, no auto invoice
    assert Charge.objects.filter(account=account).count() == 2


def test_self_mode_button_twice_with_nothing_new_is_refused_and_names_the_last_invoice(prices, kyiv):
    account = account_with_meter(kyiv, "1000000001", "self")
    first = invoice_generate(account=account, user=None, today=D(2026, 11, 2), now=NOW)
    with pytest.raises(InvoiceRefused) as refused:
        invoice_generate(account=account, user=None, today=D(2026, 11, 2), now=NOW)
    assert refused.value.code == "nothing_new" and refused.value.invoice == first
    assert Invoice.objects.count() == 1


def test_supplier_mode_customer_cannot_generate_and_nothing_is_billed(prices, kyiv):
    account = account_with_meter(kyiv, "1000000001", "supplier")
    assert invoice_generate_refusal(account, today=D(2026, 11, 2)) == "supplier_mode"
    with pytest.raises(InvoiceRefused) as refused:
        invoice_generate(account=account, user=None, today=D(2026, 11, 2), now=NOW)
    assert refused.value.code == "supplier_mode"
    assert not Charge.objects.exists() and not Invoice.objects.exists()


def test_hybrid_the_supplier_skips_an_account_with_an_unexpired_invoice(prices, kyiv):
    account = account_with_meter(kyiv, "1000000001", "hybrid")
    own = invoice_generate(account=account, user=None, today=D(2026, 11, 2), now=NOW)  # pay by 16 November
    bill(OCTOBER, "actual", D(2026, 11, 3))
    bill(OCTOBER, "final", D(2026, 11, 4))
    assert invoices_of(account) == [own]


def test_hybrid_the_supplier_invoices_when_the_last_invoice_expired(prices, kyiv):
    account = account_with_meter(kyiv, "1000000001", "hybrid", october_reading=False)
    old = invoice_generate(account=account, user=None, today=D(2026, 10, 10), now=NOW)  # pay by 24 October
    assert old.charges_total > 0  # the April reading, billed as an interim charge
    read(account.meters.get(), D(2026, 10, 30), 27893, 13914)
    bill(OCTOBER, "actual", D(2026, 11, 3))
    (_, auto) = invoices_of(account)
    assert auto.kind == "auto" and auto.issued_on == D(2026, 11, 3)
    assert auto.opening_balance == old.amount_due
    assert auto.amount_due == old.amount_due + auto.charges_total


def test_hybrid_the_customer_cannot_generate_on_the_day_the_supplier_issued(prices, kyiv):
    account = account_with_meter(kyiv, "1000000001", "hybrid")
    bill(OCTOBER, "actual", D(2026, 11, 3))
    assert invoice_generate_refusal(account, today=D(2026, 11, 3)) == "supplier_issued_today"
    with pytest.raises(InvoiceRefused):
        invoice_generate(account=account, user=None, today=D(2026, 11, 3), now=NOW)
    assert invoice_generate_refusal(account, today=D(2026, 11, 4)) is None


def test_hybrid_the_4th_invoices_accounts_the_3rd_left(prices, kyiv):
    account = account_with_meter(kyiv, "1000000001", "hybrid", october_reading=False, april_reading=False)
    bill(OCTOBER, "actual", D(2026, 11, 3))
    assert invoices_of(account) == []
    bill(OCTOBER, "final", D(2026, 11, 4))
    (invoice,) = invoices_of(account)
    assert invoice.issued_on == D(2026, 11, 4) and invoice.billing_month == OCTOBER


def test_numbers_run_per_district_and_year(prices, kyiv, dek):
    accounts = [
        account_with_meter(kyiv, "1000000001", "supplier"),
        account_with_meter(dek, "2000000001", "supplier"),
        account_with_meter(kyiv, "1000000002", "supplier"),
    ]
    with transaction.atomic():
        issued = invoices_issue(
            account_ids=[a.pk for a in accounts], kind="auto", billing_month=OCTOBER, issued_on=D(2026, 12, 30), now=NOW
        )
    with transaction.atomic():
        next_year = invoices_issue(
            account_ids=[accounts[0].pk], kind="self", billing_month=D(2027, 1, 1), issued_on=D(2027, 1, 2), now=NOW
        )
    assert sorted(invoice.number for invoice in issued + next_year) == [
        "DEK-2026-0000001",
        "KYIV-2026-0000001",
        "KYIV-2026-0000002",
        "KYIV-2027-0000001",
    ]


def test_opening_balance_payments_and_amount_due_chain(prices, kyiv):
    account = account_with_meter(kyiv, "1000000001", "supplier")
    bill(OCTOBER, "actual", D(2026, 11, 3))
    (october,) = invoices_of(account)
    payments_book(lines=[PaymentLine(account.number, D(2026, 11, 10), Decimal("1000.00"), "P-1")], now=NOW)
    read(account.meters.get(), D(2026, 11, 30), 28093, 14014)  # November: day 200, night 100
    bill(NOVEMBER, "actual", D(2026, 12, 3))
    (_, november) = invoices_of(account)
    # November straddles the 15 November price change: 31 days after 30 October, 15 at the old price and 16
    # at the new. Day 200 = 96.77 + 103.23 -> 97 x 4.32 + 103 x 4.80; night 100 = 48.39 + 51.61 -> 48 x 2.16
    # + 52 x 2.40 (largest remainders).
    assert november.charges_total == Decimal("419.04") + Decimal("494.40") + Decimal("103.68") + Decimal("124.80")
    assert (november.opening_balance, november.payments_total) == (OCTOBER_ACTUAL, Decimal("1000.00"))
    assert november.amount_due == OCTOBER_ACTUAL + november.charges_total - Decimal("1000.00")
    assert [row["reference"] for row in november.content["payments"]] == ["P-1"]
    october.refresh_from_db()
    assert october.status == "issued"  # 1000 of 4752 paid


def test_a_correction_is_a_cancellation_document_then_a_reissue_in_the_same_series(prices, kyiv):
    """Issue 13: the original keeps its content; a numbered cancellation negates it and enters the balance
    chain (opening = the previous amount due); then the reissue. October: 4752.00 (893 x 4.32 + 414 x 2.16)."""
    account = account_with_meter(kyiv, "1000000001", "supplier")
    staff = UserFactory(is_staff=True)
    bill(OCTOBER, "actual", D(2026, 11, 3))
    (original,) = invoices_of(account)
    content = original.content
    reissue = invoice_void(invoice=original, reason="wrong address", staff=staff, today=D(2026, 11, 5), now=NOW)
    original.refresh_from_db()
    assert (original.status, original.void_reason, original.content) == ("void", "wrong address", content)
    cancellation = original.cancelled_by
    assert (cancellation.number, cancellation.kind, cancellation.billing_month) == (
        "KYIV-2026-0000002",
        "cancellation",
        OCTOBER,
    )
    assert (
        cancellation.opening_balance,
        cancellation.charges_total,
        cancellation.payments_total,
        cancellation.amount_due,
    ) == (OCTOBER_ACTUAL, -OCTOBER_ACTUAL, Decimal("0.00"), Decimal("0.00"))
    assert [(line["zone"], line["volume"], line["amount"]) for line in cancellation.content["lines"]] == [
        ("day", -893, "-3857.76"),
        ("night", -414, "-894.24"),
    ]
    assert cancellation.content["cancels"] == original.number and cancellation.qr_data == ""
    assert reissue.number == "KYIV-2026-0000003" and reissue.replaces == original
    assert (reissue.kind, reissue.billing_month, reissue.issued_on) == ("auto", OCTOBER, D(2026, 11, 5))
    assert (reissue.opening_balance, reissue.charges_total, reissue.amount_due) == (
        Decimal("0.00"),
        OCTOBER_ACTUAL,
        OCTOBER_ACTUAL,
    )
    assert set(InvoiceItem.objects.filter(active=True).values_list("invoice_id", flat=True)) == {reissue.pk}
    out = io.StringIO()
    call_command("export_invoices", "--month", "2026-10", stdout=out)
    assert out.getvalue().splitlines()[1:] == [
        "KYIV-2026-0000001,1000000001,auto,2026-11-03,2026-11-17,0.00,4752.00,0.00,4752.00,void",
        "KYIV-2026-0000002,1000000001,cancellation,2026-11-05,2026-11-05,4752.00,-4752.00,0.00,0.00,paid",
        "KYIV-2026-0000003,1000000001,auto,2026-11-05,2026-11-19,0.00,4752.00,0.00,4752.00,issued",
    ]
    with pytest.raises(ValueError):
        invoice_void(invoice=original, reason="again", staff=staff, today=D(2026, 11, 5), now=NOW)
    with pytest.raises(ValueError):
        invoice_void(invoice=cancellation, reason="again", staff=staff, today=D(2026, 11, 5), now=NOW)


def test_hybrid_no_unexpired_invoice_ignores_cancelled_invoices_and_cancellations(prices, kyiv):
    account = account_with_meter(kyiv, "1000000001", "hybrid")
    staff = UserFactory(is_staff=True)
    (own,) = invoices_issue(
        account_ids=[account.pk], kind="self", billing_month=OCTOBER, issued_on=D(2026, 10, 30), now=NOW
    )
    invoice_void(invoice=own, reason="issued by mistake", staff=staff, today=D(2026, 11, 3), now=NOW, reissue=False)
    bill(OCTOBER, "actual", D(2026, 11, 3))  # both are due after the 3rd, neither is to pay: the supplier invoices
    assert [(i.kind, i.status) for i in invoices_of(account)] == [
        ("self", "void"),
        ("cancellation", "paid"),
        ("auto", "issued"),
    ]


def test_an_issued_invoice_cannot_be_edited_or_deleted(prices, kyiv):
    account = account_with_meter(kyiv, "1000000001", "supplier")
    bill(OCTOBER, "actual", D(2026, 11, 3))
    (invoice,) = invoices_of(account)
    invoice.amount_due = Decimal("1.00")
    with pytest.raises(AppendOnlyError):
        invoice.save()
    with pytest.raises(AppendOnlyError):
        invoice.save(update_fields=["amount_due"])
    with pytest.raises(AppendOnlyError):
        invoice.delete()
    with pytest.raises(AppendOnlyError):
        Invoice.objects.all().delete()
    invoice.refresh_from_db()
    assert invoice.amount_due == OCTOBER_ACTUAL


def test_set_based_updates_cannot_change_what_an_issued_invoice_prints(prices, kyiv):
    """Issue 13: QuerySet.update and bulk_update pass only the fields an issued invoice may change, and a
    database trigger refuses the rest whatever path the UPDATE takes (raw SQL too)."""
    account = account_with_meter(kyiv, "1000000001", "supplier")
    bill(OCTOBER, "actual", D(2026, 11, 3))
    (invoice,) = invoices_of(account)
    assert invoice.content["schema"] == 1  # the layout of what it copied (billing/invoices/content.py)
    with pytest.raises(AppendOnlyError, match="amount_due"):
        Invoice.objects.filter(pk=invoice.pk).update(amount_due=Decimal("1.00"))
    invoice.content = {"lines": []}
    with pytest.raises(AppendOnlyError, match="content"):
        Invoice.objects.bulk_update([invoice], ["content", "status"])
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE billing_invoice SET amount_due = 1 WHERE id = %s", [invoice.pk])
    # What may change still does, by any path.
    Invoice.objects.filter(pk=invoice.pk).update(status="paid", paid_on=D(2026, 11, 10))
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_on, invoice.amount_due) == ("paid", D(2026, 11, 10), OCTOBER_ACTUAL)
    assert invoice.content["lines"]


def test_the_invoice_copies_what_it_prints(prices, kyiv):
    account = account_with_meter(kyiv, "1000000001", "supplier")
    bill(OCTOBER, "actual", D(2026, 11, 3))
    account.address, account.holder_name = "вул. Нова, 2", "Інше Ім'я"
    account.save()
    (invoice,) = invoices_of(account)
    assert invoice.address != account.address and invoice.holder_name != account.holder_name
    day = next(row for row in invoice.content["readings"] if row["zone"] == "day")
    assert (day["previous"], day["current"], day["volume"], day["basis"]) == (27000, 27893, 893, "actual")
    assert {line["price"] for line in invoice.content["lines"]} == {"4.32000", "2.16000"}


def test_a_big_chunk_invoices_exactly_its_accounts_not_the_others_in_its_id_range(kyiv):
    """A chunk issues invoices for exactly the accounts it is given, not for others between them."""
    accounts = [PersonalAccountFactory(district=kyiv, number=f"{3_000_000_000 + i}") for i in range(240)]
    chosen = [account.pk for account in accounts[::2]]  # 120 accounts, every other one in the range
    with transaction.atomic():
        issued = invoices_issue(
            account_ids=chosen, kind="auto", billing_month=OCTOBER, issued_on=D(2026, 11, 4), now=NOW
        )
    assert sorted(invoice.account_id for invoice in issued) == sorted(chosen)
    assert set(Invoice.objects.values_list("account_id", flat=True)) == set(chosen)
    assert sorted(Invoice.objects.values_list("sequence", flat=True)) == list(range(1, 121))


def test_staff_cancel_in_the_admin_and_are_told_the_cancellation_and_the_reissue(client, prices, kyiv):
    """The admin's "void and reissue" names the three documents of a correction, in the staff's language."""
    account = account_with_meter(kyiv, "1000000001", "supplier")
    bill(OCTOBER, "actual", D(2026, 11, 3))
    (original,) = invoices_of(account)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        f"/admin/billing/invoice/{original.pk}/void/", {"reason": "wrong address", "reissue": "on"}, follow=True
    )
    cancellation, reissue = invoices_of(account)[1:]
    assert (cancellation.kind, cancellation.cancels_id) == ("cancellation", original.pk)
    assert reissue.replaces_id == original.pk
    assert [str(m) for m in response.context["messages"]] == [
        f"Рахунок {original.number} скасовано документом {cancellation.number}; замість нього — {reissue.number}."
    ]


def test_an_amount_over_the_qr_maximum_issues_that_invoice_without_a_qr_and_tells_staff(prices, kyiv):
    """The NBU QR carries at most 999,999,999.99: one account over it must not stop its chunk. Its invoice
    goes out without a QR (the amount stands), the others of the chunk get theirs, and the run says why."""
    normal = account_with_meter(kyiv, "1000000001", "supplier")
    huge = PersonalAccountFactory(district=kyiv, number="1000000002", residents=3, invoice_mode="supplier")
    meter = MeterFactory(
        account=huge,
        zone_set=TWO_ZONE,
        installed_on=D(2026, 1, 15),
        install_day=27000,
        install_night=13500,
        multiplier=1_000_000,  # a current-transformer meter read in the wrong unit, say
    )
    read(meter, D(2026, 10, 30), 27893, 13914)

    run = bill(OCTOBER, "actual", D(2026, 11, 3))  # both accounts in one chunk of 2

    assert run.status == "done" and BillingChunk.objects.filter(run=run).count() == 1
    (big,) = invoices_of(huge)
    # 893,000,000 kWh x 4.32 + 414,000,000 x 2.16 = 3,857,760,000.00 + 894,240,000.00
    assert (big.amount_due, big.status, big.qr_data) == (Decimal("4752000000.00"), "issued", "")
    (ordinary,) = invoices_of(normal)
    assert ordinary.amount_due == OCTOBER_ACTUAL and ordinary.qr_data.startswith("https://bank.gov.ua/qr/")
    # In the portal's language (Ukrainian), as the run's errors are shown to staff in the admin.
    assert f"рахунок {big.number} (особовий рахунок 1000000002) виставлено без QR-коду для оплати" in run.errors
    assert "at most 999999999.99" in run.errors
