"""Booking payments (from statements, card callbacks, staff) and settling invoices with them, oldest first.

Payments are allocated to an account's invoices oldest first: invoice N is paid once the account's
payments (all of them, in the order they were paid) cover the charges of invoices 1..N. This is the same
as allocating each payment to the oldest invoice still open, and it needs no allocation rows that could
drift: the status is recomputed from the booked payments whenever they change.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction

from accounts.models import PersonalAccount
from billing.models import Invoice, InvoiceKind, InvoiceStatus, Payment, PaymentSource, UnmatchedPayment


@dataclass(frozen=True)
class PaymentLine:
    account_number: str
    paid_on: date
    amount: Decimal
    reference: str
    payer_name: str = ""
    payer_iban: str = ""
    purpose: str = ""


@dataclass
class BookResult:
    booked: list[Payment] = field(default_factory=list)
    already_booked: list[str] = field(default_factory=list)  # references seen before: nothing booked twice


def payments_book(*, lines: list[PaymentLine], source: str = PaymentSource.BANK, created_by=None, now) -> BookResult:
    """Book payments; a reference already booked for the source is skipped (a statement imported twice).

    The caller has validated the lines (every account exists). Invoice statuses are refreshed in the same
    transaction.
    """
    result = BookResult()
    with transaction.atomic():
        accounts = dict(
            PersonalAccount.objects.filter(number__in={line.account_number for line in lines}).values_list(
                "number", "pk"
            )
        )
        seen = set(
            Payment.objects.filter(source=source, reference__in=[line.reference for line in lines]).values_list(
                "reference", flat=True
            )
        )
        fresh = []
        for line in lines:
            if line.reference in seen:
                result.already_booked.append(line.reference)
                continue
            seen.add(line.reference)
            fresh.append(
                Payment(
                    account_id=accounts[line.account_number],
                    amount=line.amount,
                    paid_on=line.paid_on,
                    source=source,
                    reference=line.reference,
                    payer_name=line.payer_name[:200],
                    payer_iban=line.payer_iban[:34],
                    purpose=line.purpose[:500],
                    created_at=now,
                    created_by=created_by,
                )
            )
        try:
            with transaction.atomic():
                result.booked = Payment.objects.bulk_create(fresh, batch_size=5000)
        except IntegrityError:
            # Another import booked some of the same references meanwhile: book the rest one by one.
            result.booked = []
            for payment in fresh:
                try:
                    with transaction.atomic():
                        payment.save()
                    result.booked.append(payment)
                except IntegrityError:
                    result.already_booked.append(payment.reference)
        invoice_statuses_refresh(account_ids={payment.account_id for payment in result.booked})
    return result


def payment_enter(
    *, account: PersonalAccount, amount: Decimal, paid_on: date, reference: str, note: str, staff, now
) -> Payment:
    """A payment staff book by hand (at a cash desk, from a letter)."""
    with transaction.atomic():
        payment = Payment.objects.create(
            account=account,
            amount=amount,
            paid_on=paid_on,
            source=PaymentSource.STAFF,
            reference=reference,
            note=note,
            created_at=now,
            created_by=staff,
        )
        invoice_statuses_refresh(account_ids=[account.pk])
    return payment


def unmatched_payment_assign(*, row: UnmatchedPayment, account: PersonalAccount, staff, now) -> Payment:
    """Staff decide the account of a queued line: it is booked as the payment it always was (same reference,
    so a later import of the same statement still books it once)."""
    with transaction.atomic():
        row = UnmatchedPayment.objects.select_for_update().get(pk=row.pk)
        if row.payment_id:
            return row.payment
        line = PaymentLine(
            account.number,
            row.paid_on,
            row.amount,
            row.reference,
            payer_name=row.payer_name,
            payer_iban=row.payer_iban,
            purpose=row.purpose,
        )
        result = payments_book(lines=[line], source=row.source, created_by=staff, now=now)
        payment = result.booked[0] if result.booked else Payment.objects.get(source=row.source, reference=row.reference)
        UnmatchedPayment.objects.filter(pk=row.pk).update(
            account=account, payment=payment, assigned_by=staff, assigned_at=now
        )
    return payment


def invoice_statuses_refresh(*, account_ids) -> int:
    """Mark each invoice paid (with the day it was covered) or to pay, from the account's booked payments."""
    account_ids = list(account_ids)
    if not account_ids:
        return 0
    payments: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for account_id, paid_on, amount in (
        Payment.objects.filter(account_id__in=account_ids)
        .order_by("paid_on", "pk")
        .values_list("account_id", "paid_on", "amount")
    ):
        payments[account_id].append((paid_on, amount))
    invoices = (
        Invoice.objects.filter(account_id__in=account_ids)
        .exclude(status=InvoiceStatus.VOID)
        # A cancellation's status is fixed at issue and its negative charges are not a bill to cover.
        .exclude(kind=InvoiceKind.CANCELLATION)
        .order_by("account_id", "issued_at", "pk")
        .only("pk", "account_id", "status", "paid_on", "charges_total", "amount_due", "issued_on")
    )
    billed: dict[int, Decimal] = defaultdict(Decimal)
    changed = []
    for invoice in invoices:
        billed[invoice.account_id] += invoice.charges_total
        covered_on = _covered_on(payments[invoice.account_id], billed[invoice.account_id], invoice)
        status = InvoiceStatus.PAID if covered_on else InvoiceStatus.ISSUED
        if (status, covered_on) != (invoice.status, invoice.paid_on):
            invoice.status, invoice.paid_on = status, covered_on
            changed.append(invoice)
    # One statement per batch, not a save per invoice: a bank statement settles thousands at once.
    Invoice.objects.bulk_update(changed, ["status", "paid_on"], batch_size=1000)
    return len(changed)


def _covered_on(payments: list[tuple[date, Decimal]], billed: Decimal, invoice: Invoice) -> date | None:
    """The day payments first covered everything billed up to this invoice (not before its issue), or None."""
    if billed <= 0:
        return invoice.issued_on  # nothing to pay: a credit from recalculations, or no charges
    paid = Decimal("0")
    for paid_on, amount in payments:
        paid += amount
        if paid >= billed:
            return max(paid_on, invoice.issued_on)
    return None
