"""The customer's invoices in the cabinet: the list with the balance and "Generate invoice", the invoice page,
its PDF, and the payments history.

Worked numbers used below (4.32 UAH/kWh): October 130 kWh = 561.60, November 150 kWh = 648.00.
"""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from billing.invoices.services import invoice_void, invoices_issue
from billing.models import Charge, Invoice, InvoiceKind, Payment
from billing.payments.services import PaymentLine, payments_book
from tests.factories import AccountLinkFactory, ChargeFactory, MeterFactory, ReadingFactory, UserFactory
from tests.factories.accounts import CONTACT_CENTRE, staff_in_role
from tests.html import page_text

pytestmark = pytest.mark.django_db

D = datetime.date
OCTOBER, NOVEMBER = D(2026, 10, 1), D(2026, 11, 1)
TODAY = "2026-11-20 12:00 +0200"


def issue(account, *, month, issued_on, kind=InvoiceKind.AUTO) -> Invoice:
    """The supplier's invoice of `month`, as the billing pass issues it (the real service)."""
    with transaction.atomic():
        (invoice,) = invoices_issue(
            account_ids=[account.pk],
            kind=kind,
            billing_month=month,
            issued_on=issued_on,
            now=timezone.make_aware(datetime.datetime.combine(issued_on, datetime.time(2))),
        )
    return invoice


def pay(account, amount, paid_on, reference):
    payments_book(
        lines=[PaymentLine(account.number, paid_on, Decimal(amount), reference)],
        now=timezone.make_aware(datetime.datetime.combine(paid_on, datetime.time(12))),
    )


def url(name, account, *rest):
    """The page's path in Ukrainian (no prefix): "/en" + it is the English page."""
    with translation.override("uk"):
        return reverse(name, args=[account.number, *rest])


@pytest.fixture
def link(kyiv):
    return AccountLinkFactory(
        account__district=kyiv,
        account__number="1000100001",
        account__invoice_mode="hybrid",
        user__preferred_language="uk",
    )


@pytest.fixture
def account(link):
    return link.account


@pytest.fixture
def meter(account):
    return MeterFactory(account=account, serial_number="02000007")


@pytest.fixture
def customer_client(client, link):
    client.force_login(link.user)
    return client


@pytest.fixture
def two_invoices(account, meter):
    """October (561.60) invoiced on 3 November and paid; November (648.00) invoiced on 3 December."""
    ChargeFactory(meter=meter, billing_month=OCTOBER, volume_kwh=130)
    first = issue(account, month=OCTOBER, issued_on=D(2026, 11, 3))
    pay(account, "561.60", D(2026, 11, 10), "BANK-1")
    ChargeFactory(meter=meter, billing_month=NOVEMBER, volume_kwh=150)
    second = issue(account, month=NOVEMBER, issued_on=D(2026, 12, 3))
    return first, second


# --- The list ----------------------------------------------------------------------------------------


@time_machine.travel(TODAY, tick=False)
def test_the_list_shows_each_invoice_newest_first_with_the_balance_and_settings(customer_client, account, two_invoices):
    first, second = two_invoices
    assert (first.amount_due, second.amount_due) == (Decimal("561.60"), Decimal("648.00"))
    response = customer_client.get("/en" + url("account_invoices", account))
    text = page_text(response)
    assert text.index(second.number) < text.index(first.number)  # newest first
    assert (
        f"{second.number} November 2026 3 December 2026 by the supplier to pay 648.00 UAH pay by 17 December 2026"
        in text
    )
    assert f"{first.number} October 2026 3 November 2026 by the supplier paid 10 November 2026 561.60 UAH PDF" in text
    # Charges 561.60 + 648.00 = 1,209.60, payments 561.60: the account owes 648.00.
    assert "Balance now To pay 648.00 UAH · as of 20 November 2026" in text
    assert "How you get your bills I generate bills, or the supplier does on the 3rd-4th" in text
    assert "Paper copy by post no" in text
    html = response.content.decode()
    assert url("invoice_detail", account, second.number) in html
    assert url("invoice_pdf", account, first.number) in html
    assert url("account_payments", account) in html
    assert f'action="/en{url("invoice_generate", account)}"' in html and "csrfmiddlewaretoken" in html


def test_an_unpaid_invoice_past_its_pay_by_date_is_marked_overdue_in_the_cabinet_and_the_admin(
    customer_client, account, two_invoices, admin_client
):
    """November's invoice (648.00, issued 3 December) is due 17 December: overdue from the 18th, not on the 17th;
    October's, paid, never is."""
    first, second = two_invoices
    customer = account.links.get().user
    with time_machine.travel("2026-12-17 12:00 +0200", tick=False):
        customer_client.force_login(customer)
        text = page_text(customer_client.get(url("account_invoices", account)))
        assert second.number in text and "прострочено" not in text
    with time_machine.travel("2026-12-18 12:00 +0200", tick=False):
        customer_client.force_login(customer)
        text = page_text(customer_client.get(url("account_invoices", account)))
        assert re.search(rf"{second.number} листопад 2026 .{{0,80}}прострочено 648,00 грн", text), text
        assert text.count("прострочено") == 1  # October's is paid
        detail = page_text(customer_client.get(url("invoice_detail", account, second.number)))
        assert "Прострочено: термін оплати минув." in detail
        ru = page_text(customer_client.get("/ru" + url("account_invoices", account)))
        assert "просрочен" in ru
        admin_client.force_login(UserFactory(email="boss@example.com", is_staff=True, is_superuser=True))
        changelist = admin_client.get("/en/admin/billing/invoice/").content.decode()
        row = next(line for line in changelist.split("<tr") if second.number in line)
        assert 'alt="True"' in row.split("field-overdue")[1][:200]
        row = next(line for line in changelist.split("<tr") if first.number in line)
        assert 'alt="False"' in row.split("field-overdue")[1][:200]


@time_machine.travel(TODAY, tick=False)
def test_a_credit_reads_as_a_credit_in_words(customer_client, account, two_invoices):
    pay(account, "700.00", D(2026, 12, 10), "BANK-2")  # 1,209.60 charged, 1,261.60 paid
    text = page_text(customer_client.get("/en" + url("account_invoices", account)))
    assert "Balance now Overpaid 52.00 UAH · as of 20 November 2026" in text


@time_machine.travel(TODAY, tick=False)
def test_no_invoices_yet(customer_client, account):
    text = page_text(customer_client.get("/en" + url("account_invoices", account)))
    assert "No invoices yet." in text and "Balance now Nothing to pay · as of 20 November 2026" in text
    assert "Generate invoice" in text


@time_machine.travel(TODAY, tick=False)
def test_the_list_page_queries_do_not_grow_with_invoices(customer_client, account, meter, django_assert_num_queries):
    page = "/en" + url("account_invoices", account)
    ChargeFactory(meter=meter, billing_month=D(2026, 1, 1))
    issue(account, month=D(2026, 1, 1), issued_on=D(2026, 2, 3))
    with CaptureQueriesContext(connection) as one:
        assert customer_client.get(page).status_code == 200
    for month in range(2, 6):
        ChargeFactory(meter=meter, billing_month=D(2026, month, 1))
        issue(account, month=D(2026, month, 1), issued_on=D(2026, month + 1, 3))
    # A cancelled invoice, its cancellation and its reissue: "replaced by", "cancelled by" and "cancels" are
    # read with the list, not per row.
    invoice_void(
        invoice=Invoice.objects.order_by("pk").first(),
        reason="wrong address",
        staff=None,
        today=D(2026, 7, 1),
        now=timezone.now(),
    )
    assert Invoice.objects.filter(account=account).count() == 7
    # session, user, account, invoices, "any older than 24 months?", "issued by the supplier today?", balance,
    # footer districts
    with django_assert_num_queries(len(one)):
        response = customer_client.get(page)
    assert len(one) == 8, [query["sql"] for query in one]
    assert "replaced by" in page_text(response)


# --- "Generate invoice": who may, and what the button does --------------------------------------------


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("mode", ["self", "hybrid"])
def test_the_button_is_offered_in_self_and_hybrid_mode(customer_client, account, mode):
    account.invoice_mode = mode
    account.save(update_fields=["invoice_mode"])
    text = page_text(customer_client.get("/en" + url("account_invoices", account)))
    assert "Generate invoice" in text
    assert "Your supplier issues your invoices" not in text


@time_machine.travel(TODAY, tick=False)
def test_supplier_mode_explains_why_there_is_no_button(customer_client, account):
    account.invoice_mode = "supplier"
    account.save(update_fields=["invoice_mode"])
    response = customer_client.get("/en" + url("account_invoices", account))
    text = page_text(response)
    assert "Generate invoice" not in text
    assert (
        "Your supplier issues your invoices every month, on the 3rd-4th. "
        "To generate them yourself, change the invoice mode in the settings." in text
    )
    assert url("invoice_generate", account) not in response.content.decode()
    assert f"{url('account_detail', account)}#settings-title" in response.content.decode()


@time_machine.travel(TODAY, tick=False)
def test_hybrid_mode_waits_a_day_after_the_supplier_issued_an_invoice(customer_client, account, meter):
    ChargeFactory(meter=meter, billing_month=OCTOBER)
    today_invoice = issue(account, month=OCTOBER, issued_on=timezone.localdate())
    text = page_text(customer_client.get("/en" + url("account_invoices", account)))
    assert "Generate invoice" not in text
    assert f"The supplier issued your invoice today: {today_invoice.number}." in text
    # The button's URL refuses too, with the same words, and issues nothing.
    response = customer_client.post("/en" + url("invoice_generate", account), follow=True)
    assert f"The supplier issued your invoice today: {today_invoice.number}." in page_text(response)
    assert Invoice.objects.filter(account=account).count() == 1


@time_machine.travel(TODAY, tick=False)
def test_generate_bills_the_new_reading_issues_one_invoice_and_opens_it(customer_client, account, prices):
    meter = MeterFactory(account=account, serial_number="02000007", installed_on=D(2026, 1, 15), install_total=1000)
    ReadingFactory(meter=meter, reading_date=D(2026, 11, 18), billing_month=NOVEMBER, total=1250)
    response = customer_client.post("/en" + url("invoice_generate", account))
    invoice = Invoice.objects.get(account=account)
    assert response.status_code == 302
    assert response["Location"] == "/en" + url("invoice_detail", account, invoice.number)
    # 250 kWh over 15 January - 18 November at 4.32, then 4.80 from 15 November (by days).
    charges = Charge.objects.filter(account=account)
    assert sum(charge.volume_kwh for charge in charges) == 250
    assert invoice.kind == "self" and invoice.charges_total == sum(charge.amount for charge in charges)
    page = customer_client.get(response["Location"])
    assert f"Your invoice {invoice.number} is ready." in page_text(page)


@time_machine.travel(TODAY, tick=False)
def test_a_double_post_issues_one_invoice_and_points_at_it(customer_client, account, meter):
    ChargeFactory(meter=meter, billing_month=OCTOBER)
    generate = "/en" + url("invoice_generate", account)
    first = customer_client.post(generate)
    second = customer_client.post(generate, follow=True)
    (invoice,) = Invoice.objects.filter(account=account)
    assert first["Location"].endswith(url("invoice_detail", account, invoice.number))
    assert second.redirect_chain == [("/en" + url("account_invoices", account), 302)]
    assert f"Nothing new since invoice {invoice.number}: download it below." in page_text(second)


@time_machine.travel(TODAY, tick=False)
def test_supplier_mode_post_creates_nothing_and_says_why(customer_client, account, meter):
    ChargeFactory(meter=meter, billing_month=OCTOBER)
    account.invoice_mode = "supplier"
    account.save(update_fields=["invoice_mode"])
    response = customer_client.post("/en" + url("invoice_generate", account), follow=True)
    assert response.redirect_chain[-1][0] == "/en" + url("account_invoices", account)
    assert "Your supplier issues your invoices every month, on the 3rd-4th." in page_text(response)
    assert not Invoice.objects.exists()


def test_generate_is_post_only(customer_client, account):
    assert customer_client.get(url("invoice_generate", account)).status_code == 405


# --- One invoice and its PDF -------------------------------------------------------------------------


def test_the_invoice_page_shows_the_document_in_its_own_language_with_the_pdf_link(
    customer_client, account, two_invoices
):
    _, second = two_invoices
    response = customer_client.get("/en" + url("invoice_detail", account, second.number))
    text = page_text(response)
    assert "To pay: 648.00 UAH by 17 December 2026." in text
    assert "Download PDF" in text
    assert f"Рахунок № {second.number}" in text or f"Invoice № {second.number}" in text
    # The page is English; the invoice inside it is in the customer's language, Ukrainian, and says so.
    assert re.search(r'<div class="invoice[^"]*" lang="uk">', response.content.decode())
    assert '<html lang="en">' in response.content.decode()
    assert url("invoice_pdf", account, second.number) in response.content.decode()


def test_a_paid_invoice_says_when_payments_covered_it(customer_client, account, two_invoices):
    first, _ = two_invoices
    text = page_text(customer_client.get("/en" + url("invoice_detail", account, first.number)))
    assert "Paid. Covered by your payments on 10 November 2026." in text


def test_a_void_invoice_links_to_its_reissue(customer_client, account, two_invoices):
    _, second = two_invoices
    staff = UserFactory(is_staff=True)
    new = invoice_void(invoice=second, reason="wrong meter", staff=staff, today=D(2026, 12, 5), now=timezone.now())
    response = customer_client.get("/en" + url("invoice_detail", account, second.number))
    text = page_text(response)
    assert "This invoice is void. Reason: wrong meter." in text
    assert f"Open invoice {new.number} that replaces it" in text
    assert url("invoice_detail", account, new.number) in response.content.decode()
    # The customer sees the chain: the cancellation between the two, with its own page and PDF.
    cancellation = Invoice.objects.get(cancels=second)
    assert f"Cancelled by cancellation {cancellation.number}" in text
    text = page_text(customer_client.get("/en" + url("invoice_detail", account, cancellation.number)))
    assert f"This cancellation reverses invoice {second.number}: there is nothing to pay by it." in text
    listing = page_text(customer_client.get("/en" + url("account_invoices", account)))
    assert f"cancels {second.number}" in listing and f"cancelled by {cancellation.number}" in listing
    for number in (second.number, cancellation.number, new.number):
        pdf = customer_client.get("/en" + url("invoice_pdf", account, number))
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_the_pdf_is_rendered_on_demand_once_and_served_privately(customer_client, account, two_invoices):
    _, second = two_invoices
    assert not second.pdf  # no worker ran in this test
    response = customer_client.get(url("invoice_pdf", account, second.number))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{second.number}.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    second.refresh_from_db()
    stored, rendered_at = second.pdf.name, second.pdf_rendered_at
    assert stored and rendered_at
    again = customer_client.get(url("invoice_pdf", account, second.number))
    assert b"".join(again.streaming_content).startswith(b"%PDF")
    second.refresh_from_db()
    assert (second.pdf.name, second.pdf_rendered_at) == (stored, rendered_at)  # kept, never rendered twice


def test_contact_centre_may_fetch_the_pdf_of_any_account(client, account, two_invoices):
    _, second = two_invoices
    client.force_login(staff_in_role(CONTACT_CENTRE))
    response = client.get(url("invoice_pdf", account, second.number))
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")


# --- Payments ----------------------------------------------------------------------------------------


def test_payments_newest_first_fifty_a_page(customer_client, account):
    payments_book(
        lines=[
            PaymentLine(account.number, D(2026, 1, 1) + datetime.timedelta(days=day), Decimal("10.00"), f"P-{day:03d}")
            for day in range(51)
        ],
        now=timezone.now(),
    )
    first_page = page_text(customer_client.get("/en" + url("account_payments", account)))
    assert "20 February 2026 10.00 UAH P-050 bank statement" in first_page
    assert "Date Amount Payment reference Source" in first_page
    assert "P-001" in first_page and "P-000" not in first_page
    assert "Page 1 of 2" in first_page
    assert "Balance now: Overpaid 510.00 UAH" in first_page
    second_page = page_text(customer_client.get("/en" + url("account_payments", account) + "?page=2"))
    assert "1 January 2026 10.00 UAH P-000 bank statement" in second_page and "P-001" not in second_page
    assert Payment.objects.filter(account=account).count() == 51


def test_no_payments_yet(customer_client, account):
    assert "No payments yet." in page_text(customer_client.get("/en" + url("account_payments", account)))


# --- Who sees what -----------------------------------------------------------------------------------

PAGES = ["account_invoices", "invoice_detail", "invoice_pdf", "account_payments"]


def page_url(name, account, invoice):
    return url(name, account, invoice.number) if name in ("invoice_detail", "invoice_pdf") else url(name, account)


@pytest.fixture
def stranger_invoice(kyiv):
    other = AccountLinkFactory(account__district=kyiv, account__number="2000200002").account
    ChargeFactory(meter=MeterFactory(account=other), billing_month=OCTOBER)
    return issue(other, month=OCTOBER, issued_on=D(2026, 11, 3))


@pytest.mark.parametrize("name", PAGES)
def test_the_linked_user_reaches_every_page(customer_client, account, two_invoices, name):
    assert customer_client.get(page_url(name, account, two_invoices[1])).status_code == 200


@pytest.mark.parametrize("name", [*PAGES, "invoice_generate"])
def test_another_users_account_is_404(customer_client, stranger_invoice, name):
    method = customer_client.post if name == "invoice_generate" else customer_client.get
    assert method(page_url(name, stranger_invoice.account, stranger_invoice)).status_code == 404
    assert Invoice.objects.filter(account=stranger_invoice.account).count() == 1


@pytest.mark.parametrize("name", ["invoice_detail", "invoice_pdf"])
def test_another_accounts_invoice_under_my_account_is_404(
    customer_client, account, two_invoices, stranger_invoice, name
):
    response = customer_client.get(url(name, account, stranger_invoice.number))
    assert response.status_code == 404
    assert stranger_invoice.address not in response.content.decode()
    stranger_invoice.refresh_from_db()
    assert not stranger_invoice.pdf  # nothing was rendered for a stranger's invoice


@pytest.mark.parametrize("name", [*PAGES, "invoice_generate"])
def test_anonymous_visitors_are_sent_to_log_in(client, account, two_invoices, name):
    method = client.post if name == "invoice_generate" else client.get
    response = method(page_url(name, account, two_invoices[1]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Invoice.objects.count() == 2


# --- The dashboard's balance -------------------------------------------------------------------------


def test_the_dashboard_balance_is_charges_minus_payments(customer_client, account, meter, kyiv):
    ChargeFactory(meter=meter, billing_month=OCTOBER, volume_kwh=130)  # 561.60
    ChargeFactory(meter=meter, billing_month=NOVEMBER, volume_kwh=150)  # 648.00, not invoiced yet
    issue(account, month=OCTOBER, issued_on=D(2026, 11, 3))
    pay(account, "500.00", D(2026, 11, 10), "BANK-1")
    # A second account of the same customer, in credit: 561.60 charged, 600.00 paid.
    other = AccountLinkFactory(user=account.links.get().user, account__district=kyiv, account__number="1000100002")
    ChargeFactory(meter=MeterFactory(account=other.account), billing_month=OCTOBER)
    pay(other.account, "600.00", D(2026, 10, 30), "BANK-2")
    text = page_text(customer_client.get("/en/cabinet/"))
    today = f"{timezone.localdate():%-d %B %Y}"  # the balance is computed as the page loads
    # 561.60 + 648.00 - 500.00 = 709.60
    assert "Account 1000100001" in text and f"To pay 709.60 UAH · as of {today}" in text
    assert f"Overpaid 38.40 UAH · as of {today} · no bills yet" in text  # 561.60 - 600.00, never invoiced
    assert text.count("no bills yet") == 1
    account_page = page_text(customer_client.get("/en" + url("account_detail", account)))
    assert f"Balance To pay 709.60 UAH · as of {today}" in account_page
    html = customer_client.get("/en/cabinet/").content.decode()
    assert url("account_invoices", account) in html and url("account_payments", account) in html


# --- Ten years of invoices (issue 19): the last 24 months, "show all", the same queries ---------------------


def invoice_months(account, meter, first, count):
    """The supplier's invoice of each month from `first`, issued on the 3rd of the next, by the real service."""
    from accounts.windows import add_months

    for index in range(count):
        month = add_months(first, index)
        ChargeFactory(meter=meter, billing_month=month, volume_kwh=100)  # 100 kWh x 4.32000 = 432.00 UAH
        issue(account, month=month, issued_on=add_months(month, 1).replace(day=3))


@time_machine.travel(TODAY, tick=False)
def test_ten_years_of_invoices_take_the_queries_of_one_and_show_the_last_24_months(
    customer_client, account, meter, django_assert_num_queries
):
    page = "/en" + url("account_invoices", account)
    invoice_months(account, meter, D(2025, 11, 1), 12)  # November 2025 ... October 2026
    with CaptureQueriesContext(connection) as one_year:
        assert customer_client.get(page).status_code == 200
    invoice_months(account, meter, D(2016, 11, 1), 108)  # and the nine years before
    assert Invoice.objects.filter(account=account).count() == 120
    with django_assert_num_queries(len(one_year)):
        response = customer_client.get(page)
    text = page_text(response)
    html = response.content.decode()
    # Issued 3 December 2024 ... 3 November 2026: 24 invoices, the older ones behind "Show all invoices".
    assert html.count("PDF of invoice") == 24
    assert "Invoices of the last 24 months. Show all invoices" in text
    assert "3 December 2024" in text and "3 November 2024" not in text
    with django_assert_num_queries(len(one_year) - 1):  # no "anything older?" question
        everything = customer_client.get(page + "?all=1")
    assert everything.content.decode().count("PDF of invoice") == 120
    assert "3 December 2016" in page_text(everything) and "Show the last 24 months" in page_text(everything)


@time_machine.travel(TODAY, tick=False)
def test_a_young_account_is_offered_no_show_all(customer_client, account, two_invoices):
    text = page_text(customer_client.get("/en" + url("account_invoices", account)))
    assert "Show all invoices" not in text and "Show the last" not in text
