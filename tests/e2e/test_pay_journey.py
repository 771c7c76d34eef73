"""Paying an invoice on a phone, in Ukrainian: the "Pay" button opens the invoice's own NBU link and bank
details; a card payment confirmed by LiqPay's signed callback shows in the balance at once."""

import urllib.parse
import urllib.request

from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import PersonalAccount
from billing.invoices.services import invoice_generate
from billing.models import CardPayment, Invoice, Payment
from tests.billing.test_card_payments import PRIVATE, PUBLIC, liqpay_callback, liqpay_signed
from tests.e2e.conftest import PHONE
from tests.e2e.test_invoice_journey import ACCOUNT, demo_customer  # noqa: F401 - the demo data fixture


def test_pay_on_a_phone_in_ukrainian_then_by_card(page, live_server, demo_customer, settings, shoot, assert_accessible):  # noqa: F811
    settings.LIQPAY_PUBLIC_KEY, settings.LIQPAY_PRIVATE_KEY, settings.LIQPAY_SANDBOX = PUBLIC, PRIVATE, False
    settings.PORTAL_URL = live_server.url
    account = PersonalAccount.objects.get(number=ACCOUNT)
    invoice = invoice_generate(account=account, user=demo_customer, today=timezone.localdate(), now=timezone.now())
    assert (
        invoice.status == "issued" and invoice.amount_due > 0 and invoice.qr_data.startswith("https://bank.gov.ua/qr/")
    )

    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/accounts/login/")
    page.locator("input[name=login]").fill("demo@example.com")
    page.locator("input[name=password]").fill("demo-portal-2026")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/cabinet/")
    page.goto(f"{live_server.url}/cabinet/accounts/{ACCOUNT}/invoices/")
    balance_before = page.locator(".balance-now strong").inner_text()

    page.get_by_role("link", name=f"Сплатити рахунок {invoice.number}").click()
    page.wait_for_url(f"**/invoices/{invoice.number}/pay/")
    link = page.get_by_role("link", name="Відкрити в застосунку мого банку")
    expect(link).to_be_visible()
    assert link.get_attribute("href") == invoice.qr_data
    expect(page.locator("#pay-iban")).to_have_text(invoice.supplier["iban"])
    expect(page.locator(".pay-qr")).to_be_hidden()  # the phone opens the bank app; the QR is for desktops
    expect(page.get_by_role("button", name="Копіювати").first).to_be_visible()
    assert_accessible()
    shoot("pay-uk")

    # LiqPay's checkout, mocked at the HTTP boundary: it receives the signed form the page sends itself.
    posted = []

    def liqpay_checkout(route):
        posted.append(urllib.parse.parse_qs(route.request.post_data))
        route.fulfill(status=200, content_type="text/html", body="<html lang=uk><title>LiqPay</title>LiqPay</html>")

    page.route("https://www.liqpay.ua/**", liqpay_checkout)
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="Сплатити").filter(has_text="карткою").click()
    page.wait_for_url("https://www.liqpay.ua/api/3/checkout")
    assert set(posted[0]) == {"data", "signature"}
    order = CardPayment.objects.get(invoice=invoice)
    body = urllib.parse.urlencode(liqpay_signed(liqpay_callback(order.order_id, order.amount))).encode()
    with urllib.request.urlopen(live_server.url + "/payments/liqpay/callback/", data=body, timeout=10) as answer:
        assert answer.status == 200

    page.goto(f"{live_server.url}/cabinet/accounts/{ACCOUNT}/invoices/")
    balance_after = page.locator(".balance-now strong").inner_text()
    assert balance_after != balance_before
    payment = Payment.objects.get(source="card")
    assert payment.amount == invoice.amount_due
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    expect(page.get_by_role("link", name=f"Сплатити рахунок {invoice.number}")).to_have_count(0)
