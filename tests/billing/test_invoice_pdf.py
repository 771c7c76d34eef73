"""The invoice PDF as a customer and a bank app read it: invoices issued through the real services
(charge run, payments, "Generate invoice", void and reissue), rendered by WeasyPrint, then read back
with Debian's poppler tools (`pdftotext`, `pdfinfo`, `pdffonts`, `pdftoppm`) and `zbarimg`.

Prices: 4.32 UAH/kWh by day, 2.16 by night, 4.80 / 2.40 from 15 November 2026 (tests/billing/conftest.py).
Most assertions are on facts that do not depend on the translation catalogs (numbers, amounts as Babel
formats them, dates as Django formats them); the tests named `..._labels_...` check translated words.
"""

import base64
import datetime
import io
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zlib
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from billing.documents.pdf import _shared_styles_document, invoice_pdf
from billing.documents.render import invoice_html, invoice_page_html
from billing.invoices.services import invoice_generate, invoice_void
from billing.models import Invoice, Norm, Tariff
from billing.payments.services import PaymentLine, payments_book
from billing.run.services import run_in_process, run_start
from readings.zones import THREE_ZONE, TWO_ZONE
from tests.billing.test_qr import ZBAR_QR_ONLY
from tests.factories import AccountLinkFactory, MeterFactory, PersonalAccountFactory, ReadingFactory, UserFactory
from tests.readings.conftest import aware

PDFTOTEXT, PDFINFO, PDFFONTS, PDFTOPPM = (
    shutil.which(tool) for tool in ("pdftotext", "pdfinfo", "pdffonts", "pdftoppm")
)
ZBARIMG = shutil.which("zbarimg")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        None in (PDFTOTEXT, PDFINFO, PDFFONTS, PDFTOPPM), reason="poppler missing: apt-get install poppler-utils"
    ),
]
needs_zbarimg = pytest.mark.skipif(ZBARIMG is None, reason="zbarimg missing: apt-get install zbar-tools")

D = datetime.date
OCTOBER, NOVEMBER, DECEMBER = D(2026, 10, 1), D(2026, 11, 1), D(2026, 12, 1)
ISSUED = D(2027, 1, 2)  # the customer generates the invoice; pay by 16 January 2027 (14 days)
HOLDER = "Шевчук Тарас Григорович"
ADDRESS = "м. Київ, вул. Хрещатик, буд. 22, кв. 5"
NBU_PREFIX = "https://bank.gov.ua/qr/"


# --- Reading the PDF back --------------------------------------------------------------------------


def pdf_file(pdf: bytes, tmp_path, name="invoice.pdf"):
    path = tmp_path / name
    path.write_bytes(pdf)
    return path


def pdf_text(pdf: bytes, tmp_path) -> str:
    """`pdftotext -layout`, whitespace (no-break spaces included) collapsed to single spaces per line."""
    result = subprocess.run(
        [PDFTOTEXT, "-layout", "-enc", "UTF-8", str(pdf_file(pdf, tmp_path)), "-"],
        capture_output=True,
        check=True,
        text=True,
    )
    return "\n".join(" ".join(line.split()) for line in result.stdout.replace("\u00a0", " ").splitlines())


def pdf_pages(pdf: bytes, tmp_path) -> int:
    info = subprocess.run([PDFINFO, str(pdf_file(pdf, tmp_path))], capture_output=True, check=True, text=True)
    return int(re.search(r"^Pages:\s+(\d+)$", info.stdout, re.M).group(1))


def scan_qr(pdf: bytes, tmp_path) -> list[bytes]:
    """What a bank app sees: page 1 at 300 dpi through zbarimg; [] when there is no code."""
    subprocess.run(
        [PDFTOPPM, "-r", "300", "-png", "-singlefile", "-f", "1", "-l", "1", str(pdf_file(pdf, tmp_path)), "page"],
        cwd=tmp_path,
        check=True,
    )
    result = subprocess.run([ZBARIMG, *ZBAR_QR_ONLY, str(tmp_path / "page.png")], capture_output=True, timeout=60)
    assert result.returncode in (0, 4), result.stderr  # 4: no symbol found
    return [result.stdout] if result.returncode == 0 else []


def nbu_fields(url: bytes) -> list[str]:
    """Strip the prefix, re-pad the base64url, decode Windows-1251, split on LF (STACK.md)."""
    text = url.decode("ascii")
    assert text.startswith(NBU_PREFIX)
    encoded = text.removeprefix(NBU_PREFIX)
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("cp1251").split("\n")


def embedded_font_names(pdf: bytes) -> set[str]:
    """The full names in the name tables of the font programs embedded in the PDF (FontFile2 streams)."""
    from fontTools.ttLib import TTFont

    names = set()
    for match in re.finditer(rb"<<([^>]*?/Length1 \d+[^>]*?)>>\s*stream\r?\n", pdf):
        end = pdf.index(b"endstream", match.end())
        program = pdf[match.end() : end]
        if b"/FlateDecode" in match.group(1):
            program = zlib.decompress(program)
        names.add(TTFont(io.BytesIO(program))["name"].getDebugName(4))
    return names


# --- Invoices issued through the real services ----------------------------------------------------


def read(meter, on, **values):
    return ReadingFactory(
        meter=meter,
        zone_set=meter.zone_set,
        total=None,
        reading_date=on,
        billing_month=meter.account.district.window.billing_month(on),
        submitted_at=aware(on),
        **values,
    )


def bill(month, pass_name, run_date):
    return run_in_process(
        run=run_start(month=month, pass_name=pass_name, run_date=run_date, now=timezone.now(), chunk_size=10)
    )


@pytest.fixture
def customer(kyiv):
    account = PersonalAccountFactory(
        district=kyiv, number="1000100001", invoice_mode="self", holder_name=HOLDER, address=ADDRESS
    )
    return AccountLinkFactory(account=account, user__preferred_language="uk")


@pytest.fixture
def two_zone_meter(customer):
    return MeterFactory(
        account=customer.account,
        serial_number="02000007",
        zone_set=TWO_ZONE,
        installed_on=D(2026, 1, 15),
        install_day=27000,
        install_night=13500,
    )


@pytest.fixture
def invoice(prices, customer, two_zone_meter):
    """October billed by a reading, November estimated by the average (split at the price change of
    15 November), December by a reading that reverses the estimate; 1,000.00 paid on 10 December;
    then the customer generates an invoice on 2 January 2027.

    Charges 4,752.00 (October) + 450.72 (November) + 743.04 (December) = 5,945.76; due 4,945.76.
    """
    read(two_zone_meter, D(2026, 4, 30), day=27400, night=13700)  # history for the average
    read(two_zone_meter, D(2026, 10, 30), day=27893, night=13914)
    bill(OCTOBER, "actual", D(2026, 11, 3))
    bill(NOVEMBER, "final", D(2026, 12, 4))
    read(two_zone_meter, D(2026, 12, 30), day=28100, night=14010)
    payments_book(lines=[PaymentLine("1000100001", D(2026, 12, 10), Decimal("1000.00"), "PAY-1")], now=timezone.now())
    return invoice_generate(account=customer.account, user=customer.user, today=ISSUED, now=aware(ISSUED))


def test_the_invoice_totals_are_the_worked_numbers(invoice):
    assert invoice.number == "KYIV-2027-0000001"
    assert (invoice.charges_total, invoice.payments_total, invoice.amount_due) == (
        Decimal("5945.76"),
        Decimal("1000.00"),
        Decimal("4945.76"),
    )
    assert invoice.due_on == D(2027, 1, 16) == ISSUED + datetime.timedelta(days=settings.INVOICE_DUE_DAYS)
    assert invoice.language == "uk"  # the linked user's preferred language


@pytest.mark.parametrize(
    "language, issued, pay_by, month, estimated",
    [
        ("uk", "2 січня 2027", "16 січня 2027", "грудень 2026", "листопад 2026"),
        ("ru", "2 января 2027", "16 января 2027", "декабрь 2026", "ноябрь 2026"),
    ],
)
def test_the_pdf_prints_the_invoice_in_its_language(invoice, language, issued, pay_by, month, estimated, tmp_path):
    invoice.language = language
    text = pdf_text(invoice_pdf(invoice), tmp_path)

    for printed in (invoice.number, "1000100001", HOLDER, ADDRESS, issued, pay_by, month, "Київська філія"):
        assert printed in text
    # The totals box: charges, payments and the amount due as Babel formats them in both languages.
    for amount in ("5 945,76 грн", "1 000,00 грн", "4 945,76 грн"):
        assert amount in text
    assert "10.12.2026 — 1 000,00 грн (PAY-1)" in text  # the payment itself
    # Readings (previous, current), volumes, prices and amounts, row by row.
    rows = [
        "16.01–30.10.2026 27000 27893 893 4,32 3 857,76",  # October, day, since the installation
        "16.01–30.10.2026 13500 13914 414 2,16 894,24",  # October, night
        "01.11–14.11.2026 — — 38 4,32 164,16",  # November estimated: day, before the price change
        "15.11–30.11.2026 — — 43 4,80 206,40",  # ... and after it
        "31.10–14.11.2026 27893 28100 51 4,32 220,32",  # December's reading: one reading, two prices
        "15.11–30.12.2026 156 4,80 748,80",
        "31.10–14.11.2026 13914 14010 24 2,16 51,84",
        "15.11–30.12.2026 72 2,40 172,80",
        "— — -43 4,80 -206,40",  # the November estimate taken back, at its own prices
        "— — -38 4,32 -164,16",
    ]
    for row in rows:
        assert row in text
    assert "28100 28100" not in text  # a reading split between two prices is one reading, shown once
    assert f"{estimated} — — -19 2,40 -45,60" in text  # a reversal names the estimated month it takes back


def test_the_pdf_labels_are_translated_uk(invoice, tmp_path):
    """Needs the lead's uk catalog entries (see the report): the document's own words."""
    text = pdf_text(invoice_pdf(invoice), tmp_path)

    for label in (
        "Рахунок № KYIV-2027-0000001",
        "Особовий рахунок",
        "До сплати",
        "Сплатити до 16 січня 2027",
        "за показами",
        "перерахунок",
    ):
        assert label.lower() in text.lower()  # the account's label is printed in capitals


def test_the_pdf_labels_are_translated_ru(invoice, tmp_path):
    """Needs the lead's ru catalog entries (see the report)."""
    invoice.language = "ru"
    text = pdf_text(invoice_pdf(invoice), tmp_path)

    for label in (
        "Счёт № KYIV-2027-0000001",
        "Лицевой счёт",
        "К оплате",
        "Оплатить до 16 января 2027",
        "по показаниям",
        "перерасчёт",
    ):
        assert label.lower() in text.lower()


@needs_zbarimg
def test_the_qr_code_pays_the_amount_due_to_the_supplier(invoice, tmp_path):
    pdf = invoice_pdf(invoice)
    codes = scan_qr(pdf, tmp_path)

    assert len(codes) == 1
    fields = nbu_fields(codes[0])
    assert len(fields) == 13
    assert fields[:5] == ["BCD", "002", "2", "UCT", ""]
    assert fields[5] == settings.SUPPLIER_LEGAL_NAME
    assert fields[6] == settings.SUPPLIER_IBAN
    assert fields[7] == "UAH4945.76"  # the amount due, always two decimals
    assert fields[8] == settings.SUPPLIER_CODE
    purpose = fields[11]
    assert "1000100001" in purpose and "грудень 2026" in purpose
    # NBU rules No. 97, Appendix 1: the invoice prints what the code carries.
    assert purpose in pdf_text(pdf, tmp_path)


@needs_zbarimg
def test_nothing_to_pay_means_no_qr_code_and_no_pay_by_date(prices, customer, two_zone_meter, tmp_path):
    read(two_zone_meter, D(2026, 10, 30), day=27893, night=13914)  # 4,752.00 to pay
    payments_book(lines=[PaymentLine("1000100001", D(2026, 10, 20), Decimal("5000.00"), "PAY-9")], now=timezone.now())
    credit = invoice_generate(account=customer.account, user=customer.user, today=D(2026, 11, 2), now=aware(ISSUED))
    assert credit.amount_due == Decimal("-248.00") and credit.qr_data == ""

    pdf = invoice_pdf(credit)
    text = pdf_text(pdf, tmp_path)
    assert scan_qr(pdf, tmp_path) == []
    assert "на вашу користь 248,00 грн" in text  # "credit %(amount)s", the money_signed filter
    assert "16 листопада 2026" not in text  # no pay-by date


@needs_zbarimg
def test_a_void_invoice_shows_the_stamp_and_its_reissue_names_it(invoice, tmp_path):
    staff = UserFactory(is_staff=True)
    reissue = invoice_void(
        invoice=invoice, reason="Помилка в адресі", staff=staff, today=D(2027, 1, 5), now=aware(D(2027, 1, 5))
    )
    void = Invoice.objects.get(pk=invoice.pk)

    html = invoice_html(void)
    assert 'class="void-stamp"' in html and "Помилка в адресі" in html
    void_pdf = invoice_pdf(void)
    assert "Помилка в адресі" in pdf_text(void_pdf, tmp_path)
    assert scan_qr(void_pdf, tmp_path) == []  # a void invoice is not to be paid

    reissue_text = pdf_text(invoice_pdf(reissue), tmp_path)
    assert reissue.number == "KYIV-2027-0000003"  # 0000002 is the cancellation
    assert "KYIV-2027-0000003" in reissue_text and "KYIV-2027-0000001" in reissue_text
    cancellation_text = pdf_text(invoice_pdf(void.cancelled_by), tmp_path)
    assert "KYIV-2027-0000002" in cancellation_text and "KYIV-2027-0000001" in cancellation_text
    assert "4 945,76 грн" in reissue_text  # the same charges and payments, moved to the reissue
    assert 'class="replaces"' in invoice_html(reissue)


def test_the_void_stamp_and_the_replaced_number_labels_are_translated(invoice, tmp_path):
    """Needs the lead's uk and ru catalog entries (see the report)."""
    staff = UserFactory(is_staff=True)
    reissue = invoice_void(invoice=invoice, reason="Помилка в адресі", staff=staff, today=ISSUED, now=aware(ISSUED))
    void = Invoice.objects.get(pk=invoice.pk)

    assert "АНУЛЬОВАНО: Помилка в адресі" in pdf_text(invoice_pdf(void), tmp_path)
    assert "Замінює рахунок № KYIV-2027-0000001." in pdf_text(invoice_pdf(reissue), tmp_path)
    void.language = reissue.language = "ru"
    assert "АННУЛИРОВАН: Помилка в адресі" in pdf_text(invoice_pdf(void), tmp_path)
    assert "Заменяет счёт № KYIV-2027-0000001." in pdf_text(invoice_pdf(reissue), tmp_path)


def test_a_render_after_other_invoices_is_the_render_of_a_fresh_process(invoice):
    """The renderer shares the elements' computed styles across the renders of a process
    (billing/documents/pdf.py, `_shared_styles_document`): what other invoices' renders left in them (a void
    stamp, a cancellation's lines, other languages, the tables' margins WeasyPrint moves to their wrapper
    boxes) changes nothing in a later render."""
    _shared_styles_document.cache_clear()
    fresh = invoice_pdf(invoice)
    staff = UserFactory(is_staff=True)
    reissue = invoice_void(invoice=invoice, reason="Помилка в адресі", staff=staff, today=ISSUED, now=aware(ISSUED))
    void = Invoice.objects.get(pk=invoice.pk)
    for other, language in ((void, "uk"), (void.cancelled_by, "ru"), (reissue, "en")):
        other.language = language
        invoice_pdf(other)

    assert invoice_pdf(invoice) == fresh  # the invoice as it was before the void, in memory


def test_the_web_page_draws_the_qr_as_svg_and_the_pdf_as_an_image(invoice):
    page = invoice_page_html(invoice)
    printed = invoice_html(invoice)

    assert "<svg" in page and 'class="payment-qr"' in page
    assert "<svg" not in printed and '<img class="payment-qr" src="data:image/png;base64,' in printed


# --- A normal monthly invoice: 2 three-zone meters, a reading that reverses an estimate --------------


@pytest.fixture
def monthly_invoice(kyiv):
    """The supplier's December invoice of an account with two three-zone meters: December's readings
    reverse November's average estimates. One price version, so no line is split."""
    for zone, price in (("peak", "6.48"), ("half_peak", "4.32"), ("night", "2.16")):
        Tariff.objects.create(category="household", effective_from=D(2025, 1, 1), zone=zone, price=Decimal(price))
    Norm.objects.create(category="household", effective_from=D(2025, 1, 1), kwh_per_resident=Decimal("65"))
    account = PersonalAccountFactory(
        district=kyiv, number="1000100003", invoice_mode="supplier", holder_name=HOLDER, address=ADDRESS
    )
    AccountLinkFactory(account=account, user__preferred_language="uk")
    for serial, base in (("03000001", 0), ("03000002", 5000)):
        meter = MeterFactory(
            account=account,
            serial_number=serial,
            zone_set=THREE_ZONE,
            installed_on=D(2026, 1, 15),
            install_peak=1000 + base,
            install_half_peak=2000 + base,
            install_night=3000 + base,
        )
        read(meter, D(2026, 4, 30), peak=1060 + base, half_peak=2150 + base, night=3100 + base)
        read(meter, D(2026, 10, 30), peak=1150 + base, half_peak=2400 + base, night=3300 + base)
        read(meter, D(2026, 12, 30), peak=1190 + base, half_peak=2480 + base, night=3370 + base)
    bill(OCTOBER, "actual", D(2026, 11, 3))
    bill(NOVEMBER, "final", D(2026, 12, 4))
    payments_book(lines=[PaymentLine("1000100003", D(2026, 12, 12), Decimal("500.00"), "PAY-3")], now=timezone.now())
    bill(DECEMBER, "actual", D(2027, 1, 3))
    return Invoice.objects.get(account=account, billing_month=DECEMBER)


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
def test_a_monthly_invoice_is_one_a4_page_with_the_shipped_fonts_embedded(monthly_invoice, language, tmp_path):
    monthly_invoice.language = language
    lines = monthly_invoice.content["lines"]
    assert len(lines) == 12 and sum(line["basis"] == "reversal" for line in lines) == 6
    pdf = invoice_pdf(monthly_invoice)

    assert pdf_pages(pdf, tmp_path) == 1
    info = subprocess.run([PDFINFO, str(pdf_file(pdf, tmp_path))], capture_output=True, check=True, text=True)
    assert re.search(r"^Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info.stdout, re.M)
    fonts = subprocess.run([PDFFONTS, str(pdf_file(pdf, tmp_path))], capture_output=True, check=True, text=True)
    rows = fonts.stdout.splitlines()[2:]
    assert rows, fonts.stdout
    for row in rows:
        name, emb = row.split()[0], row.split()[-5]
        # Only the @font-face family of the stylesheet, i.e. the files in static/fonts: no system fallback.
        assert re.fullmatch(r"[A-Z]{6}\+Invoice-Sans(-Bold)?", name), row
        assert emb == "yes", row
    assert embedded_font_names(pdf) == {"DejaVu Sans", "DejaVu Sans Bold"}


# --- The same bill as the first renderer printed ---------------------------------------------------
# The lighter invoice PDF is still the same bill: what `pdftotext` reads from it, and what a bank app reads
# from its QR code, are what the first renderer printed for the same invoices.
#
# The golden files under tests/billing/golden/ are `pdftotext -layout` of the PDFs that the renderer before
# the speed work (the shared cabinet template, WeasyPrint's own user-agent stylesheet; commit 5f0e629) drew
# for these fixtures, each line's whitespace collapsed, so a column moved by a point or a changed gap
# between columns is no difference, but a word, a number, an amount or the order of the lines is. The voice
# code is a keyed function of the account's database id, which differs between runs: it is masked.
#
# To write them anew after a deliberate change to what the invoice prints (and review the diff!):
# `INVOICE_GOLDEN_WRITE=1 make test PYTEST_ARGS="tests/billing/test_invoice_pdf.py -k printed"`.

GOLDEN = Path(__file__).parent / "golden"


def printed_lines(pdf: bytes, tmp_path) -> list[str]:
    """`pdftotext -layout`, each line's whitespace (no-break spaces too) collapsed, empty lines dropped."""
    result = subprocess.run(
        [PDFTOTEXT, "-layout", "-enc", "UTF-8", str(pdf_file(pdf, tmp_path)), "-"],
        capture_output=True,
        check=True,
        text=True,
    )
    lines = (" ".join(line.replace("\u00a0", " ").split()) for line in result.stdout.splitlines())
    return [re.sub(r"\d{3} \d{3} \d{3}\b", "<voice code>", line) if "voice" in line.lower() or "голос" in line.lower()
            else line for line in lines if line]  # fmt: skip


def assert_same_bill(invoice: Invoice, name: str, tmp_path) -> bytes:
    # The document is well-formed XML, so the renderer parses it with expat, not the slower HTML5 parser.
    ET.fromstring(invoice_html(invoice).removeprefix("<!DOCTYPE html>"))
    pdf = invoice_pdf(invoice)
    lines = printed_lines(pdf, tmp_path)
    golden = GOLDEN / f"{name}.txt"
    if os.environ.get("INVOICE_GOLDEN_WRITE"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert lines == golden.read_text(encoding="utf-8").splitlines()
    return pdf


def assert_qr_carries(pdf: bytes, invoice: Invoice, tmp_path) -> None:
    """zbarimg reads, from the printed page at 300 dpi, exactly the payload stored on the invoice."""
    assert invoice.qr_data
    assert scan_qr(pdf, tmp_path) == [invoice.qr_data.encode("utf-8")]


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
def test_a_monthly_invoice_prints_what_it_printed(monthly_invoice, language, tmp_path):
    """Two three-zone meters, December's readings reversing November's estimates: 12 lines."""
    monthly_invoice.language = language
    pdf = assert_same_bill(monthly_invoice, f"monthly-{language}", tmp_path)
    assert_qr_carries(pdf, monthly_invoice, tmp_path)


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_a_customer_invoice_prints_what_it_printed(invoice, language, tmp_path):
    """A reading split by a price change, an estimate and its reversal, a payment, the QR's purpose."""
    invoice.language = language
    pdf = assert_same_bill(invoice, f"customer-{language}", tmp_path)
    assert_qr_carries(pdf, invoice, tmp_path)


def test_a_void_invoice_its_cancellation_and_reissue_print_what_they_printed(invoice, tmp_path):
    staff = UserFactory(is_staff=True)
    reissue = invoice_void(invoice=invoice, reason="Помилка в адресі", staff=staff, today=ISSUED, now=aware(ISSUED))
    void = Invoice.objects.get(pk=invoice.pk)

    void_pdf = assert_same_bill(void, "void-uk", tmp_path)
    assert scan_qr(void_pdf, tmp_path) == []  # a void invoice is not to be paid
    assert_same_bill(void.cancelled_by, "cancellation-uk", tmp_path)
    assert_qr_carries(assert_same_bill(reissue, "reissue-uk", tmp_path), reissue, tmp_path)


def test_a_credit_invoice_prints_what_it_printed(prices, customer, two_zone_meter, tmp_path):
    read(two_zone_meter, D(2026, 10, 30), day=27893, night=13914)  # 4,752.00 to pay
    payments_book(lines=[PaymentLine("1000100001", D(2026, 10, 20), Decimal("5000.00"), "PAY-9")], now=timezone.now())
    credit = invoice_generate(account=customer.account, user=customer.user, today=D(2026, 11, 2), now=aware(ISSUED))

    pdf = assert_same_bill(credit, "credit-uk", tmp_path)
    assert scan_qr(pdf, tmp_path) == []
