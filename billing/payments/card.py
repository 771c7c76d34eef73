"""Card payments: start a checkout for an invoice, and book the money from the acquirer's verified callback.

Booked only from the callback, never from the customer's return to the site (which anyone can fake), and
once: the `Payment` is keyed by the acquirer's payment id (source `card`), and the order remembers it, so a
callback LiqPay repeats books nothing new.
"""

import logging
import secrets

from django.conf import settings
from django.db import transaction

from billing.models import CardPayment, CardPaymentStatus, Invoice, PaymentSource
from billing.payments.acquiring import PAID, CallbackRefused, CardProvider, LiqPay
from billing.payments.services import PaymentLine, payments_book

logger = logging.getLogger(__name__)


def card_provider() -> CardProvider | None:
    """The configured acquirer, or None when card payments are not set up (the button is then hidden)."""
    if not (settings.LIQPAY_PUBLIC_KEY and settings.LIQPAY_PRIVATE_KEY):
        return None
    return LiqPay(
        public_key=settings.LIQPAY_PUBLIC_KEY, private_key=settings.LIQPAY_PRIVATE_KEY, sandbox=settings.LIQPAY_SANDBOX
    )


def card_payment_start(*, provider: CardProvider, invoice: Invoice, user, now) -> CardPayment:
    """An order for what the invoice asks, to send the customer to the acquirer's checkout."""
    return CardPayment.objects.create(
        order_id=f"{invoice.number}-{secrets.token_hex(6)}",
        provider=provider.name,
        account_id=invoice.account_id,
        invoice=invoice,
        amount=invoice.amount_due,
        started_by=user,
        created_at=now,
    )


def card_payment_callback(*, provider: CardProvider, fields: dict[str, str], today, now) -> CardPayment:
    """Book a paid order from a callback the provider verified. Raises CallbackRefused (nothing booked) for
    a forged, unreadable or mismatching callback."""
    result = provider.verify_callback(fields)
    with transaction.atomic():
        order = (
            CardPayment.objects.select_for_update()
            .select_related("account")
            .filter(order_id=result.order_id, provider=provider.name)
            .first()
        )
        if order is None:
            raise CallbackRefused(f"no order {result.order_id}")
        if result.amount != order.amount or result.currency != settings.CURRENCY:
            raise CallbackRefused(f"order {order.order_id}: {result.amount} {result.currency} is not what was ordered")
        order.callback_at = now
        if result.status == PAID and order.payment_id is None:
            line = PaymentLine(
                order.account.number,
                result.paid_on or today,
                order.amount,
                f"{provider.name}-{result.transaction_id}"[:80],
                purpose=order.invoice.number if order.invoice_id else "",
            )
            booked = payments_book(lines=[line], source=PaymentSource.CARD, now=now)
            if booked.booked:
                order.payment = booked.booked[0]
            order.status = CardPaymentStatus.PAID
        elif result.status != PAID and order.payment_id is None:
            order.status = CardPaymentStatus.FAILED if result.status == "failed" else order.status
        order.save(update_fields=["callback_at", "payment", "status"])
    return order
