"""The open items (billing/models/open_items.py): the charges and payments no active invoice item has taken,
kept by the database's triggers on every path, and what an invoice gathers; read by the account, so a chunk
of the run does not read its accounts' history (tariff 4.32, night 2.16; norm 65)."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Exists, OuterRef
from django.utils import timezone

from billing.invoices.services import invoice_generate, invoice_void, invoices_issue
from billing.models import Charge, InvoiceItem, OpenCharge, OpenPayment, Payment
from billing.payments.services import PaymentLine, payments_book
from tests.billing.test_invoices import OCTOBER, OCTOBER_ACTUAL, account_with_meter, bill, invoices_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
NOW = timezone.make_aware(datetime.datetime(2026, 11, 3, 2, 0))


def untaken(model, column: str) -> set[tuple[int, int]]:
    """The definition, computed the long way: rows with no active invoice item."""
    taken = InvoiceItem.objects.filter(**{column: OuterRef("pk")}, active=True)
    return set(model.objects.exclude(Exists(taken)).values_list("pk", "account_id"))


def assert_open_items_are_what_no_invoice_took() -> None:
    assert set(OpenCharge.objects.values_list("charge_id", "account_id")) == untaken(Charge, "charge_id")
    assert set(OpenPayment.objects.values_list("payment_id", "account_id")) == untaken(Payment, "payment_id")


def open_amount(account) -> Decimal:
    return sum(Charge.objects.filter(open_item__account=account).values_list("amount", flat=True), Decimal("0.00"))


def test_every_path_keeps_the_open_items_and_every_invoice_gathers_them(prices, kyiv):
    read_in_october = account_with_meter(kyiv, "1000000001", "supplier")
    estimated = account_with_meter(kyiv, "1000000002", "supplier", october_reading=False)
    own_invoices = account_with_meter(kyiv, "1000000003", "self")
    staff = UserFactory(is_staff=True)

    bill(OCTOBER, "actual", D(2026, 11, 3))  # the run's COPY of charges, then its invoices' items
    assert_open_items_are_what_no_invoice_took()
    assert open_amount(read_in_october) == 0 and open_amount(own_invoices) == OCTOBER_ACTUAL
    (october,) = invoices_of(read_in_october)
    assert october.charges_total == OCTOBER_ACTUAL

    payments_book(lines=[PaymentLine(read_in_october.number, D(2026, 11, 2), Decimal("1000.00"), "P-1")], now=NOW)
    assert_open_items_are_what_no_invoice_took()
    assert OpenPayment.objects.filter(account=read_in_october).count() == 1

    bill(OCTOBER, "final", D(2026, 11, 4))  # the estimated account's norm charges, invoiced in the same chunk
    assert_open_items_are_what_no_invoice_took()
    (estimate,) = invoices_of(estimated)
    assert open_amount(estimated) == 0 and estimate.charges_total > 0

    # A cancellation with its reissue: the charges and the payment open and are taken again by the reissue.
    reissue = invoice_void(invoice=october, reason="wrong address", staff=staff, today=D(2026, 11, 5), now=NOW)
    assert_open_items_are_what_no_invoice_took()
    assert (reissue.charges_total, reissue.payments_total) == (OCTOBER_ACTUAL, Decimal("1000.00"))
    assert not OpenPayment.objects.exists()

    # Cancelled without a reissue: the estimate's charges wait, and the next invoice gathers them.
    invoice_void(invoice=estimate, reason="meter replaced", staff=staff, today=D(2026, 11, 5), now=NOW, reissue=False)
    assert_open_items_are_what_no_invoice_took()
    assert open_amount(estimated) == estimate.charges_total
    (again,) = invoices_issue(
        account_ids=[estimated.pk], kind="auto", billing_month=OCTOBER, issued_on=D(2026, 11, 6), now=NOW
    )
    assert_open_items_are_what_no_invoice_took()
    assert again.charges_total == estimate.charges_total and open_amount(estimated) == 0

    # The customer's button: its interim charges (none newer here) and every open charge of the account.
    own = invoice_generate(account=own_invoices, user=None, today=D(2026, 11, 6), now=NOW)
    assert_open_items_are_what_no_invoice_took()
    assert own.charges_total == OCTOBER_ACTUAL and open_amount(own_invoices) == 0


def test_an_item_made_active_again_closes_its_charge_whatever_path_writes_it(prices, kyiv):
    """The triggers, not the services, keep the table: a raw UPDATE (an administrator's repair) counts too."""
    account = account_with_meter(kyiv, "1000000001", "supplier")
    bill(OCTOBER, "actual", D(2026, 11, 3))
    items = InvoiceItem.objects.filter(invoice__account=account)
    items.update(active=False)
    assert open_amount(account) == OCTOBER_ACTUAL
    items.update(active=True)
    assert open_amount(account) == 0
    assert_open_items_are_what_no_invoice_took()


@pytest.mark.django_db(transaction=True)
def test_the_migration_opens_what_was_pending_before_it(prices, kyiv):
    """Upgrading a database with history: migration 0012 copies in today's untaken charges and payments."""
    invoiced = account_with_meter(kyiv, "1000000001", "supplier")
    waiting = account_with_meter(kyiv, "1000000002", "self")
    bill(OCTOBER, "actual", D(2026, 11, 3))
    payments_book(lines=[PaymentLine(invoiced.number, D(2026, 11, 2), Decimal("1000.00"), "P-1")], now=NOW)
    call_command("migrate", "billing", "0011", verbosity=0)
    call_command("migrate", "billing", verbosity=0)
    assert_open_items_are_what_no_invoice_took()
    assert open_amount(waiting) == OCTOBER_ACTUAL and open_amount(invoiced) == 0
    assert OpenPayment.objects.filter(account=invoiced).count() == 1
