"""The invoice's printable view: the HTML of its page (in the cabinet, and what WeasyPrint lays out for the
PDF), always from the invoice's own copies and in the invoice's language.

The rows come from `lines` (pure); this module adds their texts and the QR code. On the web page the QR is
an inline SVG (sharp at any zoom); for print it is a PNG (`for_print`): an inline SVG costs WeasyPrint
about 25 ms of path parsing. `pdf` turns this HTML into the PDF.
"""

import base64
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_decimal
from django.template.loader import render_to_string
from django.utils import translation

from accounts.selectors import account_voice_code
from accounts.voice_codes import grouped
from billing.documents.lines import ChargeLine, MeterCharges, charge_groups, day
from billing.invoices.content import CONTENT_SCHEMA
from billing.models import Invoice
from billing.models.charges import basis_title
from billing.qr.image import qr_png, qr_svg
from billing.qr.payloads import qr_payment_purpose
from portal.money_format import BABEL_LOCALES, CURRENCY_WORDS
from readings.models import ZONE_TITLES


def _number(value: Decimal, pattern: str) -> str:
    language = (translation.get_language() or "uk")[:2]
    return format_decimal(value, format=pattern, locale=BABEL_LOCALES.get(language, BABEL_LOCALES["uk"]))


class PrintedLine(ChargeLine):
    """A charge line with its texts in the active language."""

    @property
    def zone_title(self) -> str:
        return str(ZONE_TITLES.get(self.zone, self.zone))

    @property
    def basis_title(self) -> str:
        return basis_title(self.basis, self.estimate_number)

    @property
    def price_text(self) -> str:
        """4.32000 -> "4,32", 4.32170 -> "4,3217": at least 2 decimal places, at most the tariff's 5."""
        return _number(self.price, "#,##0.00###")

    @property
    def amount_text(self) -> str:
        """The amount without the currency, which the column's heading names."""
        return _number(self.amount, "#,##0.00")


class PrintedMeter(MeterCharges):
    @property
    def amount_text(self) -> str:
        return _number(self.amount, "#,##0.00")


@dataclass(frozen=True)
class InvoiceView:
    """What the invoice templates read: the stored JSON with dates and amounts turned back into values."""

    invoice: Invoice
    groups: list[PrintedMeter]
    payments: list[dict]
    qr: str  # inline SVG (web page) or an <img> of a PNG (PDF); "" when there is no QR to print
    qr_purpose: str  # the payment purpose the QR carries, printed beside it

    @property
    def supplier(self) -> dict:
        return self.invoice.supplier

    @property
    def voice_code(self) -> str:
        """The account's code for the voice menu (seed 002: "the code at the top of the bill"). Not copied
        into the invoice: it is a fixed function of the invoice's account (accounts/voice_codes.py), so it
        prints the same for as long as the invoice exists."""
        return grouped(account_voice_code(self.invoice.account_id))

    @property
    def has_estimates(self) -> bool:
        return any(line.basis != "actual" for group in self.groups for line in group.lines)

    @property
    def charges_total_text(self) -> str:
        return _number(self.invoice.charges_total, "#,##0.00")

    @property
    def currency_word(self) -> str:
        language = (translation.get_language() or "uk")[:2]
        return CURRENCY_WORDS.get(self.invoice.currency, {}).get(language, self.invoice.currency)


def _qr_image(data: str) -> str:
    png, side_mm = qr_png(data)
    source = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return f'<img class="payment-qr" src="{source}" style="width: {side_mm}mm; height: {side_mm}mm" alt="QR"/>'


def invoice_view(invoice: Invoice, *, for_print: bool = False) -> InvoiceView:
    content = invoice.content or {}
    # This view reads layout 1 (billing/invoices/content.py); a later layout needs its own reader here.
    if content.get("schema", 1) != CONTENT_SCHEMA:
        raise ValueError(f"invoice {invoice.number}: content schema {content.get('schema')} has no reader")
    payments = [
        {**row, "paid_on": day(row["paid_on"]), "amount": Decimal(row["amount"])} for row in content.get("payments", [])
    ]
    # A void invoice is not to be paid: it prints its stamp instead of the code.
    qr_data = invoice.qr_data if not invoice.is_void else ""
    qr = (_qr_image(qr_data) if for_print else qr_svg(qr_data)) if qr_data else ""
    return InvoiceView(
        invoice=invoice,
        groups=charge_groups(content, line_class=PrintedLine, group_class=PrintedMeter),
        payments=payments,
        qr=qr,
        qr_purpose=qr_payment_purpose(qr_data) if qr_data else "",
    )


def invoice_page_html(invoice: Invoice, *, for_print: bool = False) -> str:
    """The invoice's page in its own language (the cabinet shows it inside the site's layout).

    On the web page the QR code is an SVG (sharp at any zoom); `for_print` draws it as a PNG instead,
    which WeasyPrint lays out in a fraction of the time it takes to parse the SVG's path."""
    with translation.override(invoice.language):
        return render_to_string("billing/_invoice_page.html", {"doc": invoice_view(invoice, for_print=for_print)})


def document_html(invoices: list[Invoice]) -> str:
    """The standalone document WeasyPrint lays out: each invoice on its own page(s), each in its own language
    (one invoice: its PDF and what staff see as "print view"; many: a print batch)."""
    pages = [invoice_page_html(invoice, for_print=True) for invoice in invoices]
    language = invoices[0].language if invoices else "uk"
    return render_to_string("billing/invoice_document.html", {"pages": pages, "language": language})


def invoice_html(invoice: Invoice) -> str:
    """The standalone page WeasyPrint renders (also what staff see as "print view")."""
    return document_html([invoice])
