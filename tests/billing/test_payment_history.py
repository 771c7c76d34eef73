# ruff: noqa: F811 - the cabinet fixtures are imported by name and requested by name
"""Payment history a customer cannot misread: every payment with its date, its source (bank statement, card,
cash desk) and the invoice that counts it, in the cabinet and in the API."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from billing.payments.services import PaymentLine, payment_enter, payments_book
from tests.billing.test_cabinet_invoices import (  # noqa: F401 - shared fixtures
    NOVEMBER,
    OCTOBER,
    account,
    customer_client,
    issue,
    link,
    meter,
    url,
)
from tests.factories import ChargeFactory, UserFactory
from tests.html import page_text

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = "2026-11-20 12:00 +0200"
NOW = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def history(account, meter):
    """A bank payment and a cash-desk payment before the November invoice (it counts them), then a card
    payment after it (the next invoice will count it)."""
    ChargeFactory(meter=meter, billing_month=OCTOBER, volume_kwh=130)
    payments_book(lines=[PaymentLine(account.number, D(2026, 11, 2), Decimal("100.00"), "2PL1")], now=NOW)
    payment_enter(
        account=account, amount=Decimal("50.00"), paid_on=D(2026, 11, 3), reference="", note="", staff=UserFactory(),
        now=NOW,
    )  # fmt: skip
    invoice = issue(account, month=NOVEMBER, issued_on=D(2026, 11, 4))
    payments_book(
        lines=[PaymentLine(account.number, D(2026, 11, 10), Decimal("25.50"), "liqpay-1")], source="card", now=NOW
    )
    return invoice


@time_machine.travel(TODAY, tick=False)
def test_the_cabinet_lists_each_payment_with_its_source_and_counting_invoice(customer_client, account, history):
    text = page_text(customer_client.get(url("account_payments", account)).content.decode())
    assert "10 листопада 2026 25,50 грн liqpay-1 картка ваш наступний рахунок" in text
    assert f"2 листопада 2026 100,00 грн 2PL1 банківська виписка {history.number}" in text
    assert f"каса {history.number}" in text


@time_machine.travel(TODAY, tick=False)
def test_the_api_gives_the_source_and_counting_invoice(account, history, link):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=link.user).key}")
    rows = api.get(f"/api/v1/accounts/{account.number}/payments/").json()
    assert [(r["paid_on"], r["amount"], r["source"], r["source_label"], r["invoice_number"]) for r in rows] == [
        ("2026-11-10", "25.50", "card", "card", None),
        ("2026-11-03", "50.00", "staff", "cash desk", history.number),
        ("2026-11-02", "100.00", "bank", "bank statement", history.number),
    ]
