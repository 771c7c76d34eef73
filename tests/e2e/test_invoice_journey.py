"""The demo customer generates an invoice, reads it on the site, opens its PDF in their own language and
asks for a paper copy. Screenshots (pages, and the PDF's first page as PNG) go to var/screenshots/invoice-*."""

import datetime
import subprocess
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from accounts.models import PersonalAccount, User
from accounts.services import account_settings_update, user_language_set
from billing.models import Invoice
from billing.payments.services import PaymentLine, payments_book
from readings.services import reading_submit

PREFIX = {"uk": "", "ru": "/ru", "en": "/en"}
ACCOUNT = "1000100001"


@pytest.fixture
def demo_customer(transactional_db):
    """The demo data with its billing history; the demo account generates its own invoices, has a new
    reading (billed by "Generate invoice") and a payment since the supplier's last invoice."""
    today = timezone.localdate()
    call_command("seed_demo", "--today", today.isoformat())
    account = PersonalAccount.objects.get(number=ACCOUNT)
    account_settings_update(account=account, invoice_mode="self", paper_copy=False, premises_vacant=False)
    meter = account.meters.get()
    last = meter.readings.filter(status="accepted").order_by("-reading_date").first()
    reading_submit(
        meter=meter,
        values={zone: value + (140 if zone == "day" else 60) for zone, value in last.values.items()},
        reading_date=today,
        channel="cabinet",
        submitted_by=None,
        now=timezone.now(),
        today=today,
    )
    payments_book(
        lines=[PaymentLine(ACCOUNT, today - datetime.timedelta(days=2), Decimal("300.00"), "DEMO-BANK-0001")],
        now=timezone.now(),
    )
    return User.objects.get(email="demo@example.com")


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
def test_generate_read_download_and_ask_for_paper(
    page, live_server, demo_customer, shoot, screenshot_dir, assert_accessible, language
):
    user_language_set(user=demo_customer, language=language)  # the invoice is written in this language
    base = live_server.url + PREFIX[language]
    page.goto(base + "/accounts/login/")
    page.locator("input[name=login]").fill("demo@example.com")
    page.locator("input[name=password]").fill("demo-portal-2026")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**{PREFIX[language]}/cabinet/")
    expect(page.locator(".balance").first).to_be_visible()
    shoot(f"invoice-1-dashboard-{language}")

    # The card's "Invoices" link: the list with the balance, the settings and the button.
    page.locator(f'main a[href$="/cabinet/accounts/{ACCOUNT}/invoices/"]').first.click()
    page.wait_for_url(f"**/cabinet/accounts/{ACCOUNT}/invoices/")
    before = Invoice.objects.filter(account__number=ACCOUNT).count()
    generate = page.locator('main form[action$="/invoices/generate/"] button[type=submit]')
    expect(generate).to_be_visible()
    assert_accessible()
    shoot(f"invoice-2-list-{language}")

    generate.click()
    page.wait_for_url("**/invoices/KYIV-*/")
    invoice = Invoice.objects.filter(account__number=ACCOUNT).order_by("-pk").first()
    assert Invoice.objects.filter(account__number=ACCOUNT).count() == before + 1
    assert (invoice.kind, invoice.language) == ("self", language)
    assert invoice.payments_total == Decimal("300.00") and invoice.charges_total > 0
    expect(page.locator(".message-success")).to_contain_text(invoice.number)
    expect(page.locator(".invoice-screen")).to_contain_text(invoice.number)
    expect(page.locator(".invoice-screen")).to_contain_text("Коваленко Олена")
    assert_accessible()
    shoot(f"invoice-3-detail-{language}")
    # On a phone every line of the bill is a card: nothing hides past the right edge.
    page.set_viewport_size({"width": 390, "height": 844})
    overflow = page.evaluate(
        "(() => { const s = document.querySelector('.invoice-screen'); return s.scrollWidth - s.clientWidth; })()"
    )
    assert overflow <= 0, overflow

    # The PDF: no worker runs here, so the link renders it on the spot.
    pdf_link = page.locator('main a[href$="/pdf/"]').first
    response = page.request.get(live_server.url + pdf_link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'inline; filename="{invoice.number}.pdf"'
    assert response.headers["cache-control"] == "private, no-store"
    body = response.body()
    assert body.startswith(b"%PDF")
    pdf_path = screenshot_dir / f"invoice-pdf-{language}.pdf"
    pdf_path.write_bytes(body)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", str(pdf_path), str(screenshot_dir / f"invoice-pdf-{language}")], check=True
    )
    print(f"PDF pages as PNG: {screenshot_dir}/invoice-pdf-{language}-*.png")

    # Ask for a paper copy in the settings; the invoices page says so.
    page.goto(base + f"/cabinet/accounts/{ACCOUNT}/invoices/")
    page.locator('main a[href$="#settings-title"]').click()
    page.locator("form.settings-form input[name=paper_copy]").check()
    page.locator("form.settings-form button[type=submit]").click()
    expect(page.locator(".message-success")).to_be_visible()
    page.locator(f'main a[href$="/cabinet/accounts/{ACCOUNT}/invoices/"]').first.click()
    with translation.override(language):
        yes = gettext("yes")
    expect(page.locator("dd.paper-copy")).to_have_text(yes)
    assert PersonalAccount.objects.get(number=ACCOUNT).paper_copy
    # A second press: nothing new since the invoice just made, so nothing is issued twice.
    page.locator('main form[action$="/invoices/generate/"] button[type=submit]').click()
    page.wait_for_url(f"**/cabinet/accounts/{ACCOUNT}/invoices/")
    expect(page.locator(".message-error")).to_contain_text(invoice.number)
    assert Invoice.objects.filter(account__number=ACCOUNT).count() == before + 1
    assert_accessible()
    shoot(f"invoice-4-list-paper-{language}")

    page.locator(f'main a[href$="/cabinet/accounts/{ACCOUNT}/payments/"]').first.click()
    expect(page.locator("main table")).to_contain_text("DEMO-BANK-0001")
    assert_accessible()
    shoot(f"invoice-5-payments-{language}")
