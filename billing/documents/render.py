"""The invoice as a document: its printable view (HTML) and its PDF, always from the invoice's own copies.

WeasyPrint renders a Django template in the invoice's language, with the fonts shipped in
`static/fonts/` so that every machine produces the same PDF. The stylesheet and the font configuration
are built once per process: a warm render only lays out the page.

What costs in a render (WeasyPrint 70, profiled on the 2-core machine): every table cell is about 2,400
Python calls (cascade, boxes, Pango shaping, drawing), so the invoice prints readings and charges in one
table rather than two, with fixed column widths (an automatic layout measures every cell twice more); an
inline SVG QR code is about 25 ms of path parsing, so the PDF carries the code as a PNG image (the web
page keeps the SVG). A one-meter invoice renders in about 2/3 of the time of the first version, a
two-meter one with a reversal in about half. WeasyPrint's HTML5 user-agent stylesheet (about 250 rules
matched against every element) is replaced by the few of its rules the invoice's elements need
(templates/billing/invoice_user_agent.css): a tenth of a render, the same page. bench/invoice_pdf.py measures
a render and its steps; tests/billing/test_invoice_pdf.py holds the text of the first renderer's PDFs.
"""

import atexit
import base64
import functools
import logging
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.request import url2pathname

from babel.numbers import format_decimal
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation

from billing.invoices.content import CONTENT_SCHEMA
from billing.models import Invoice
from billing.models.charges import basis_title
from billing.qr.image import qr_png, qr_svg
from billing.qr.payloads import qr_payment_purpose
from portal.money_format import BABEL_LOCALES, CURRENCY_WORDS
from readings.models import ZONE_TITLES

logger = logging.getLogger(__name__)

BASIS_ORDER = {"actual": 0, "average": 1, "norm": 1, "reversal": 2}
# The order of the registers on a meter's display and in DESIGN.md: total; day, night; peak, half-peak, night.
ZONE_ORDER = {"total": 0, "day": 1, "peak": 2, "half_peak": 3, "night": 4}


@dataclass
class ChargeLine:
    """One printed row: a charge line, with the meter reading it was billed by (actual lines)."""

    serial: str
    zone: str
    label: str
    basis: str
    first_day: date  # the days the line charges, both included
    last_day: date
    volume: int
    price: Decimal
    amount: Decimal
    estimate_number: int | None
    reversed_month: date | None
    previous: int | None = None
    current: int | None = None
    # The reading's cells span every line of one reading (a volume split between tariff versions):
    # the first line carries them with this rowspan, the others 0 (no cells).
    reading_rows: int = 1

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


def _number(value: Decimal, pattern: str) -> str:
    language = (translation.get_language() or "uk")[:2]
    return format_decimal(value, format=pattern, locale=BABEL_LOCALES.get(language, BABEL_LOCALES["uk"]))


@dataclass
class MeterCharges:
    """The lines of one meter in one billing month."""

    month: date
    serial: str
    lines: list[ChargeLine] = field(default_factory=list)

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def amount_text(self) -> str:
        return _number(self.amount, "#,##0.00")


@dataclass(frozen=True)
class InvoiceView:
    """What the invoice templates read: the stored JSON with dates and amounts turned back into values."""

    invoice: Invoice
    groups: list[MeterCharges]
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
        from accounts.selectors import account_voice_code
        from accounts.voice_codes import grouped

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


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


READING_KEYS = ("month", "serial", "zone", "from", "to", "previous", "current")


def _actual_readings(rows: list[dict]) -> list[dict]:
    """The readings behind the actual lines, one per month, meter, zone and reading.

    A stored row may cover only the part of a reading's span priced at one tariff version (the row of
    the later part then names a wrong previous value): contiguous rows of the same month, meter, zone
    and current value are one reading, its previous value the first row's.
    """
    actual = sorted(
        (row for row in rows if row.get("basis") == "actual"),
        key=lambda row: (row["month"], row["serial"], ZONE_ORDER.get(row["zone"], 9), row["from"]),
    )
    merged: list[dict] = []
    for row in actual:
        last = merged[-1] if merged else None
        if (
            last is not None
            and _reading_key(last) == _reading_key(row)
            and last["current"] == row["current"]
            and last["to"] == row["from"]
        ):
            last["to"] = row["to"]
        else:
            merged.append({key: row.get(key) for key in READING_KEYS})
    return merged


def _reading_key(row: dict) -> tuple:
    return row["month"], row["serial"], row["zone"]


def _charge_groups(content: dict) -> list[MeterCharges]:
    """The charge lines by billing month and meter, each actual line with its reading."""
    readings = _actual_readings(content.get("readings", []))
    groups: dict[tuple[str, str], MeterCharges] = {}
    # The last keys only break ties, so that the same invoice prints its lines in the same order whatever
    # order the database returned its charges in (the two reversal lines of an estimate split at a price
    # change share their span, and printed in PostgreSQL's order on one machine and SQLite's on another).
    lines = sorted(
        content.get("lines", []),
        key=lambda line: (
            line["month"],
            line["serial"],
            BASIS_ORDER.get(line["basis"], 3),
            ZONE_ORDER.get(line["zone"], 9),
            line["from"],
            line["to"],
            Decimal(line["price"]),
            Decimal(line["amount"]),
        ),
    )
    head, head_reading = None, None  # the line that carries the current reading's cells, and that reading
    for row in lines:
        group = groups.get((row["month"], row["serial"]))
        if group is None:
            group = groups[(row["month"], row["serial"])] = MeterCharges(_day(row["month"]), row["serial"])
            head, head_reading = None, None
        line = ChargeLine(
            serial=row["serial"],
            zone=row["zone"],
            label=row.get("label", ""),
            basis=row["basis"],
            # Spans are stored half-open (the day of the previous reading excluded): print the days charged.
            first_day=_day(row["from"]) + timedelta(days=1),
            last_day=_day(row["to"]),
            volume=row["volume"],
            price=Decimal(row["price"]),
            amount=Decimal(row["amount"]),
            estimate_number=row.get("estimate_number"),
            reversed_month=_day(row.get("reversed_month")),
        )
        reading = None
        if line.basis == "actual":
            reading = next(
                (
                    reading
                    for reading in readings
                    if _reading_key(reading) == _reading_key(row)
                    and reading["from"] <= row["from"]
                    and row["to"] <= reading["to"]
                ),
                None,
            )
        if reading is not None and reading is head_reading:
            head.reading_rows += 1
            line.reading_rows = 0
        elif reading is not None:
            line.previous, line.current = reading["previous"], reading["current"]
            head, head_reading = line, reading
        else:
            head, head_reading = None, None
        group.lines.append(line)
    return list(groups.values())


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
        {**row, "paid_on": _day(row["paid_on"]), "amount": Decimal(row["amount"])}
        for row in content.get("payments", [])
    ]
    # A void invoice is not to be paid: it prints its stamp instead of the code.
    qr_data = invoice.qr_data if not invoice.is_void else ""
    qr = (_qr_image(qr_data) if for_print else qr_svg(qr_data)) if qr_data else ""
    return InvoiceView(
        invoice=invoice,
        groups=_charge_groups(content),
        payments=payments,
        qr=qr,
        qr_purpose=qr_payment_purpose(qr_data) if qr_data else "",
    )


def invoice_html(invoice: Invoice) -> str:
    """The standalone page WeasyPrint renders (also what staff see as "print view")."""
    return _document([invoice])


@functools.cache
def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


# WeasyPrint's FontConfiguration cleans up in __del__, which fails if it runs while the interpreter is
# tearing modules down ("TypeError: 'NoneType' object is not callable" at exit): release it earlier.
atexit.register(_font_config.cache_clear)


def static_files_only_fetcher():
    """WeasyPrint's URL fetcher limited to the portal's own static files and inline `data:` images.

    An invoice prints text that came from outside (names, addresses, imported values): should markup ever
    slip into it, the renderer must not read local files or reach the network on its behalf.
    """
    from weasyprint.urls import URLFetcher

    roots = [Path(root).resolve() for root in (*settings.STATICFILES_DIRS, settings.STATIC_ROOT)]

    class StaticFilesOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("file:"):
                path = Path(url2pathname(url.split("?", 1)[0].removeprefix("file:"))).resolve()
                if not any(path.is_relative_to(root) for root in roots):
                    raise ValueError(f"invoice documents read only the portal's static files, not {url[:200]}")
            return super().fetch(url, headers)

    return StaticFilesOnly(allowed_protocols=("file", "data"), timeout=2)


@functools.cache
def _url_fetcher():
    return static_files_only_fetcher()


@functools.cache
def _stylesheet():
    from weasyprint import CSS

    fonts = {
        key: Path(finders.find(f"fonts/{name}")).as_uri()
        for key, name in (("regular", "DejaVuSans.ttf"), ("bold", "DejaVuSans-Bold.ttf"))
    }
    css = render_to_string("billing/invoice_document.css", {"fonts": fonts})
    return CSS(string=css, font_config=_font_config(), url_fetcher=_url_fetcher())


@functools.cache
def _document_class():
    """WeasyPrint's HTML with the invoice's own user-agent stylesheet (templates/billing/invoice_user_agent.css)
    in place of the HTML5 one: the same values for the elements an invoice uses, a fraction of the rules.

    It also reads the document with the standard library's XML parser (expat, in C) rather than WeasyPrint's
    HTML5 parser (tinyhtml5, in Python): about 3 ms, a twentieth of a render. The invoice templates are written
    to be well-formed XML as well as HTML (void elements closed with `/>`, tables with their `<tbody>`, which
    an HTML parser would add), so both parsers build the same tree; anything that is not well-formed falls
    back to tinyhtml5, so a template slip costs time, never the PDF.
    """
    import xml.etree.ElementTree as ET

    import cssselect2
    from weasyprint import CSS, HTML

    user_agent = CSS(string=render_to_string("billing/invoice_user_agent.css"), font_config=_font_config())

    class InvoiceHTML(HTML):
        def __init__(self, *, string: str, base_url: str, url_fetcher):
            try:
                root = ET.fromstring(string.removeprefix("<!DOCTYPE html>"))
            except ET.ParseError:
                logger.warning("invoice document is not well-formed XML, parsed as HTML5 instead", exc_info=True)
                super().__init__(string=string, base_url=base_url, url_fetcher=url_fetcher)
                return
            # What HTML.__init__ sets (WeasyPrint 70), from the tree expat built.
            self.base_url = base_url
            self.url_fetcher = url_fetcher
            self.media_type = "print"
            self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
            self.etree_element = self.wrapper_element.etree_element

        def _ua_stylesheets(self, forms=False):
            return [user_agent]

    return InvoiceHTML


def pdf_from_html(html: str) -> bytes:
    """The PDF of an invoice document (invoice_html, or a print batch): the stylesheets and fonts of the process."""
    return _document_class()(string=html, base_url=str(settings.BASE_DIR), url_fetcher=_url_fetcher()).write_pdf(
        stylesheets=[_stylesheet()], font_config=_font_config()
    )


def invoice_pdf(invoice: Invoice) -> bytes:
    return pdf_from_html(invoice_html(invoice))


def invoices_pdf(invoices: list[Invoice]) -> bytes:
    """A print batch: every invoice on its own page(s), each in its own language, in one PDF."""
    return pdf_from_html(_document(invoices))


def invoice_page_html(invoice: Invoice, *, for_print: bool = False) -> str:
    """The invoice's page in its own language (the cabinet shows it inside the site's layout).

    On the web page the QR code is an SVG (sharp at any zoom); `for_print` draws it as a PNG instead,
    which WeasyPrint lays out in a fraction of the time it takes to parse the SVG's path."""
    with translation.override(invoice.language):
        return render_to_string("billing/_invoice_page.html", {"doc": invoice_view(invoice, for_print=for_print)})


def _document(invoices: list[Invoice]) -> str:
    pages = [invoice_page_html(invoice, for_print=True) for invoice in invoices]
    language = invoices[0].language if invoices else "uk"
    return render_to_string("billing/invoice_document.html", {"pages": pages, "language": language})


def pdf_name(prefix: str) -> str:
    """A storage name nobody can guess: the files are served only through views that check access."""
    return f"{prefix}-{secrets.token_urlsafe(24)}.pdf"
