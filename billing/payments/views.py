"""The account's payments, the "Pay" page of an invoice and card payments. The bank details, the NBU link and
the QR are the invoice's own stored copies (never today's settings): what the customer pays is what the invoice
printed."""

import logging
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.ratelimit import Limit, attempt_count, client_ip
from accounts.selectors import account_for_user
from billing.invoices.selectors import account_invoice
from billing.models import InvoiceStatus
from billing.payments.acquiring import CallbackRefused
from billing.payments.card import card_payment_callback, card_payment_start, card_provider
from billing.payments.selectors import account_payments_page
from billing.qr.image import qr_svg
from billing.qr.payloads import qr_payment_purpose
from billing.selectors import account_money

logger = logging.getLogger(__name__)
NBU_LINKS = ("https://bank.gov.ua/qr/", "https://qr.bank.gov.ua/")
PAGE_QR_MODULE_MM = Decimal("1.5")  # a large code on a desktop screen, read by a phone's camera


@login_required
@require_GET
def payment_list(request, number):
    account = account_for_user(request.user, number)
    context = {
        "account": account,
        "page": account_payments_page(account, request.GET.get("page")),
        "money": account_money(account),
    }
    return render(request, "billing/payments.html", context)


def _payable(invoice) -> bool:
    return invoice.status == InvoiceStatus.ISSUED and invoice.amount_due > 0 and bool(invoice.qr_data)


@login_required
@require_GET
def invoice_pay(request, number, invoice_number):
    account = account_for_user(request.user, number)
    invoice = account_invoice(account, invoice_number)
    payable = _payable(invoice)
    qr_data = invoice.qr_data if payable else ""
    context = {
        "account": account,
        "invoice": invoice,
        "payable": payable,
        "money": account_money(account),
        "supplier": invoice.supplier,
        "purpose": qr_payment_purpose(qr_data) if qr_data else "",
        "bank_link": qr_data if qr_data.startswith(NBU_LINKS) else "",
        "qr": qr_svg(qr_data, scale=PAGE_QR_MODULE_MM) if qr_data else "",
        "card": payable and card_provider() is not None,
    }
    return render(request, "billing/pay.html", context)


@login_required
@require_POST
def invoice_pay_card(request, number, invoice_number):
    account = account_for_user(request.user, number)
    invoice = account_invoice(account, invoice_number)
    provider = card_provider()
    if provider is None or not _payable(invoice):
        return redirect("invoice_pay", number=account.number, invoice_number=invoice.number)
    order = card_payment_start(provider=provider, invoice=invoice, user=request.user, now=timezone.now())
    back = reverse("account_payments", args=[account.number])
    checkout = provider.checkout(
        order_id=order.order_id,
        amount=order.amount,
        currency=settings.CURRENCY,
        description=qr_payment_purpose(invoice.qr_data) or invoice.number,
        result_url=settings.PORTAL_URL + back,
        server_url=settings.PORTAL_URL + reverse("card_callback", args=[provider.name]),
        language=translation.get_language() or "uk",
    )
    return render(request, "billing/card_checkout.html", {"account": account, "invoice": invoice, "checkout": checkout})


@csrf_exempt
@require_POST
def card_callback(request, provider_name):
    """The acquirer's server-to-server callback. A forged or mismatching one books nothing (400)."""
    limit = Limit.from_rate(settings.CARD_CALLBACK_RATE)
    if attempt_count("card-callback", client_ip(request), limit) > limit.attempts:
        return HttpResponse("too many callbacks", status=429, content_type="text/plain")
    provider = card_provider()
    if provider is None or provider.name != provider_name:
        return HttpResponseBadRequest("card payments are not configured")
    fields = {key: request.POST.get(key, "") for key in ("data", "signature")}
    try:
        card_payment_callback(provider=provider, fields=fields, today=timezone.localdate(), now=timezone.now())
    except CallbackRefused as refused:
        logger.warning("card callback refused: %s", refused)
        return HttpResponseBadRequest("refused")
    return HttpResponse("ok", content_type="text/plain")
