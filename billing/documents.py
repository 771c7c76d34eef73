"""The invoice as a document: its printable view (HTML) and its PDF, always from the invoice's own copies.

WeasyPrint renders a Django template in the invoice's language, with the fonts shipped in
`static/fonts/` so that every machine produces the same PDF. The stylesheet and the font configuration
are built once per process: a warm render only lays out the page.
"""

import functools
import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation

from billing.models import Invoice
from billing.qr import qr_svg


@dataclass(frozen=True)
class InvoiceView:
    """What the invoice templates read: the stored JSON with dates and amounts turned back into values."""

    invoice: Invoice
    readings: list[dict]
    lines: list[dict]
    months: list[dict]
    payments: list[dict]
    qr: str  # inline SVG, or "" when nothing is due or the currency has no national QR format

    @property
    def supplier(self) -> dict:
        return self.invoice.supplier


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _typed(row: dict) -> dict:
    typed = dict(row)
    for key in ("month", "from", "to", "reversed_month", "paid_on"):
        if key in typed:
            typed[key] = _day(typed[key])
    for key in ("price", "amount"):
        if key in typed:
            typed[key] = Decimal(typed[key])
    return typed


def invoice_view(invoice: Invoice) -> InvoiceView:
    content = invoice.content or {}
    return InvoiceView(
        invoice=invoice,
        readings=[_typed(row) for row in content.get("readings", [])],
        lines=[_typed(row) for row in content.get("lines", [])],
        months=[_typed(row) for row in content.get("months", [])],
        payments=[_typed(row) for row in content.get("payments", [])],
        qr=qr_svg(invoice.qr_data) if invoice.qr_data else "",
    )


def invoice_html(invoice: Invoice) -> str:
    """The standalone page WeasyPrint renders (also what staff see as "print view")."""
    return _document([invoice])


@functools.cache
def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@functools.cache
def _stylesheet():
    from weasyprint import CSS

    fonts = {
        key: Path(finders.find(f"fonts/{name}")).as_uri()
        for key, name in (("regular", "DejaVuSans.ttf"), ("bold", "DejaVuSans-Bold.ttf"))
    }
    css = render_to_string("billing/invoice_document.css", {"fonts": fonts})
    return CSS(string=css, font_config=_font_config())


def _pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
        stylesheets=[_stylesheet()], font_config=_font_config()
    )


def invoice_pdf(invoice: Invoice) -> bytes:
    return _pdf(invoice_html(invoice))


def invoices_pdf(invoices: list[Invoice]) -> bytes:
    """A print batch: every invoice on its own page(s), each in its own language, in one PDF."""
    return _pdf(_document(invoices))


def invoice_page_html(invoice: Invoice) -> str:
    """The invoice's page in its own language (the cabinet shows it inside the site's layout)."""
    with translation.override(invoice.language):
        return render_to_string("billing/_invoice_page.html", {"doc": invoice_view(invoice)})


def _document(invoices: list[Invoice]) -> str:
    pages = [invoice_page_html(invoice) for invoice in invoices]
    language = invoices[0].language if invoices else "uk"
    return render_to_string("billing/invoice_document.html", {"pages": pages, "language": language})


def pdf_name(prefix: str) -> str:
    """A storage name nobody can guess: the files are served only through views that check access."""
    return f"{prefix}-{secrets.token_urlsafe(24)}.pdf"
