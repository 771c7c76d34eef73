"""Reads of payments: an account's payment history (the cabinet page and the customer API read the same
rows), and what a statement import must know before it books (which accounts exist, which references are
taken, where a payer's earlier payments went)."""

from django.core.paginator import Page, Paginator
from django.db.models import OuterRef, Subquery

from accounts.models import PersonalAccount
from billing.models import InvoiceItem, InvoiceStatus, Payment, PaymentSource, UnmatchedPayment

PAYMENTS_PER_PAGE = 50


def with_counting_invoice(payments):
    """Each payment with `invoice_number`: the (not void) invoice whose payments include it, or None while
    no invoice has counted it yet. One subquery, not a query per payment."""
    counting = (
        InvoiceItem.objects.filter(payment=OuterRef("pk"))
        .exclude(invoice__status=InvoiceStatus.VOID)
        .order_by("-invoice__issued_at", "-invoice__pk")
        .values("invoice__number")[:1]
    )
    return payments.annotate(invoice_number=Subquery(counting))


def payment_source_label(source: str) -> str:
    """`Payment.source` is open-ended (no choices on the field): the known sources in words."""
    return str(dict(PaymentSource.choices).get(source, source))


def account_payments_page(account: PersonalAccount, page_number) -> Page:
    """One page of the account's payments, newest first."""
    payments = with_counting_invoice(
        Payment.objects.filter(account=account)
        .only("pk", "account_id", "amount", "paid_on", "source", "reference")
        .order_by("-paid_on", "-pk")
    )
    page = Paginator(payments, PAYMENTS_PER_PAGE).get_page(page_number)
    # `Payment.source` is open-ended (no choices on the field): name the known sources in words.
    labels = dict(PaymentSource.choices)
    page.object_list = list(page.object_list)
    for payment in page.object_list:
        payment.source_label = labels.get(payment.source, payment.source)
    return page


def existing_account_numbers(numbers) -> set[str]:
    """Those of `numbers` that are personal accounts (one query; none for no numbers)."""
    numbers = set(numbers)
    if not numbers:
        return set()
    return set(PersonalAccount.objects.filter(number__in=numbers).values_list("number", flat=True))


def references_taken(*, source: str, references: list[str]) -> set[str]:
    """The references of `source` already booked as a payment or already waiting in the staff queue."""
    booked = Payment.objects.filter(source=source, reference__in=references).values_list("reference", flat=True)
    queued = UnmatchedPayment.objects.filter(source=source, reference__in=references).values_list(
        "reference", flat=True
    )
    return set(booked) | set(queued)


def accounts_by_payer_iban(ibans) -> dict[str, set[str]]:
    """IBAN -> the account numbers earlier payments from it were booked to."""
    by_iban: dict[str, set[str]] = {}
    for iban, number in (
        Payment.objects.filter(payer_iban__in=ibans).values_list("payer_iban", "account__number").distinct()
    ):
        by_iban.setdefault(iban, set()).add(number)
    return by_iban
