# ruff: noqa: F811 - the cabinet fixtures are imported by name and requested by name
"""The "Pay" page (the invoice's own NBU link and bank details) and card payments through LiqPay, with the
acquirer mocked at the HTTP boundary: its checkout form fields and its signed server-to-server callback, in
the shapes LiqPay documents (data = base64 JSON, signature = base64 sha1(private + data + private))."""

import base64
import datetime
import hashlib
import json
import re
from decimal import Decimal

import pytest
import time_machine
from django.test import override_settings

from billing.models import CardPayment, Payment
from tests.billing.test_cabinet_invoices import (  # noqa: F401 - shared fixtures
    OCTOBER,
    account,
    customer_client,
    issue,
    link,
    meter,
    url,
)
from tests.factories import ChargeFactory
from tests.html import page_text

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = "2026-11-20 12:00 +0200"
PUBLIC, PRIVATE = "sandbox_i000000001", "sandbox_private_key_of_the_test"
LIQPAY = override_settings(LIQPAY_PUBLIC_KEY=PUBLIC, LIQPAY_PRIVATE_KEY=PRIVATE, LIQPAY_SANDBOX=False)


def liqpay_signed(params: dict, private_key: str = PRIVATE) -> dict:
    """A callback body exactly as LiqPay signs it (documentation, "Callback")."""
    data = base64.b64encode(json.dumps(params).encode()).decode()
    signature = base64.b64encode(hashlib.sha1((private_key + data + private_key).encode()).digest()).decode()
    return {"data": data, "signature": signature}


def liqpay_callback(order_id, amount, status="success", payment_id=2384102011):
    return {
        "action": "pay",
        "payment_id": payment_id,
        "status": status,
        "version": 3,
        "type": "buy",
        "paytype": "card",
        "public_key": PUBLIC,
        "acq_id": 414963,
        "order_id": order_id,
        "liqpay_order_id": "QWERTY1763625000123456",
        "description": "Оплата за електроенергію",
        "sender_card_mask2": "516875*94",
        "sender_card_bank": "pb",
        "sender_card_type": "mc",
        "sender_card_country": 804,
        "amount": float(amount),
        "currency": "UAH",
        "sender_commission": 0.0,
        "receiver_commission": 8.13,
        "agent_commission": 0.0,
        "amount_debit": float(amount),
        "amount_credit": float(amount),
        "commission_debit": 0.0,
        "commission_credit": 8.13,
        "currency_debit": "UAH",
        "currency_credit": "UAH",
        "sender_bonus": 0.0,
        "amount_bonus": 0.0,
        "mpi_eci": "7",
        "is_3ds": False,
        "create_date": 1795161300000,
        "end_date": 1795161361000,  # 2026-11-20 09:56 Kyiv
        "transaction_id": 2384102011,
    }


@pytest.fixture
def invoice(account, meter):
    """October, 130 kWh at the factory's price, invoiced on 3 November and unpaid."""
    ChargeFactory(meter=meter, billing_month=OCTOBER, volume_kwh=130)
    return issue(account, month=OCTOBER, issued_on=D(2026, 11, 3))


@time_machine.travel(TODAY, tick=False)
def test_the_pay_page_offers_the_invoices_own_nbu_link_and_details_never_todays_settings(customer_client, invoice):
    assert invoice.qr_data.startswith("https://bank.gov.ua/qr/")
    pay_url = url("invoice_pay", invoice.account, invoice.number)
    listing = customer_client.get(url("account_invoices", invoice.account)).content.decode()
    assert listing.count(f'href="{pay_url}"') == 2  # the invoice's row and the balance
    for page in (url("account_payments", invoice.account), url("account_detail", invoice.account), "/cabinet/"):
        assert f'href="{pay_url}"' in customer_client.get(page).content.decode(), page  # every balance shown

    with override_settings(SUPPLIER_IBAN="UA000000000000000000000000000", SUPPLIER_CODE="99999999"):
        response = customer_client.get(pay_url)
    html = response.content.decode()
    assert f'href="{invoice.qr_data}"' in html
    text = page_text(html)
    assert invoice.supplier["iban"] in text and "UA000000000000000000000000000" not in text
    assert invoice.supplier["code"] in text and "99999999" not in text
    assert f"о/р {invoice.account_number}" in text  # the purpose, read back from the stored QR
    assert re.search(r'id="pay-amount">' + re.escape(f"{invoice.amount_due:.2f}") + "<", html)
    assert "<script>" not in html and "onclick" not in html  # copy buttons work from static/js/pay.js
    assert "By card" not in text and "Карткою" not in text  # no acquirer configured


@time_machine.travel(TODAY, tick=False)
def test_another_customers_invoice_has_no_pay_page(client, invoice):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(url("invoice_pay", invoice.account, invoice.number)).status_code == 404


@LIQPAY
@time_machine.travel(TODAY, tick=False)
def test_a_verified_liqpay_callback_books_the_card_payment_once(client, customer_client, invoice):
    response = customer_client.post(url("invoice_pay_card", invoice.account, invoice.number))
    order = CardPayment.objects.get()
    assert (order.amount, order.invoice, order.status) == (invoice.amount_due, invoice, "started")
    html = response.content.decode()
    assert 'action="https://www.liqpay.ua/api/3/checkout"' in html
    data = re.search(r'name="data" value="([^"]+)"', html).group(1)
    signature = re.search(r'name="signature" value="([^"]+)"', html).group(1)
    assert (
        liqpay_signed(json.loads(base64.b64decode(data)))["signature"] != ""
        and signature == base64.b64encode(hashlib.sha1((PRIVATE + data + PRIVATE).encode()).digest()).decode()
    )
    params = json.loads(base64.b64decode(data))
    assert params["order_id"] == order.order_id and params["amount"] == f"{invoice.amount_due:.2f}"
    assert params["server_url"].endswith("/payments/liqpay/callback/") and params["currency"] == "UAH"

    forged = liqpay_signed(liqpay_callback(order.order_id, invoice.amount_due), private_key="not-the-key")
    assert client.post("/payments/liqpay/callback/", forged).status_code == 400
    wrong_amount = liqpay_signed(liqpay_callback(order.order_id, Decimal("1.00")))
    assert client.post("/payments/liqpay/callback/", wrong_amount).status_code == 400
    assert not Payment.objects.exists()

    paid = liqpay_signed(liqpay_callback(order.order_id, invoice.amount_due))
    assert client.post("/payments/liqpay/callback/", paid).status_code == 200
    assert client.post("/payments/liqpay/callback/", paid).status_code == 200  # LiqPay repeats callbacks
    payment = Payment.objects.get()
    assert (payment.source, payment.amount, payment.paid_on, payment.reference) == (
        "card",
        invoice.amount_due,
        D(2026, 11, 20),
        "liqpay-2384102011",
    )
    order.refresh_from_db()
    invoice.refresh_from_db()
    assert (order.status, order.payment) == ("paid", payment)
    assert invoice.status == "paid"
    assert url("invoice_pay", invoice.account, invoice.number) not in customer_client.get("/cabinet/").content.decode()
    text = page_text(customer_client.get(url("account_payments", invoice.account)).content.decode())
    assert "Поточний баланс: Сплачувати нічого не потрібно" in text  # the balance at once


@LIQPAY
@time_machine.travel(TODAY, tick=False)
def test_a_failed_card_payment_books_nothing(client, customer_client, invoice):
    customer_client.post(url("invoice_pay_card", invoice.account, invoice.number))
    order = CardPayment.objects.get()
    failed = liqpay_signed(liqpay_callback(order.order_id, invoice.amount_due, status="failure"))
    assert client.post("/payments/liqpay/callback/", failed).status_code == 200
    order.refresh_from_db()
    assert order.status == "failed" and not Payment.objects.exists()
    sandbox = liqpay_signed(liqpay_callback(order.order_id, invoice.amount_due, status="sandbox"))
    client.post("/payments/liqpay/callback/", sandbox)  # test mode is not money unless LIQPAY_SANDBOX
    assert not Payment.objects.exists()


@LIQPAY
@override_settings(CARD_CALLBACK_RATE="3/minute")
def test_the_public_callback_is_rate_limited_per_client(client):
    from accounts.ratelimit import attempts_clear

    attempts_clear("card-callback", "127.0.0.1")  # only this test's counter: the cache is shared
    forged = liqpay_signed(liqpay_callback("KYIV-2026-0000001-abc", Decimal("10.00")), private_key="guess")
    codes = [client.post("/payments/liqpay/callback/", forged).status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]
    attempts_clear("card-callback", "127.0.0.1")


@LIQPAY
@time_machine.travel(TODAY, tick=False)
def test_staff_see_card_orders_in_the_admin(client, customer_client, invoice):
    from tests.factories import UserFactory

    customer_client.post(url("invoice_pay_card", invoice.account, invoice.number))
    order = CardPayment.objects.get()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    text = page_text(client.get("/en/admin/billing/cardpayment/").content.decode())
    assert order.order_id in text and "started" in text
    assert client.get(f"/en/admin/billing/cardpayment/{order.pk}/delete/").status_code == 403
