"""The invoice's PDF: WeasyPrint lays out the HTML of `render`, with the fonts shipped in `static/fonts/` so
that every machine produces the same PDF. The stylesheet and the font configuration are built once per
process: a warm render only lays out the page.

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
import functools
import logging
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.request import url2pathname

import cssselect2
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from billing.documents.render import document_html, invoice_html
from billing.models import Invoice

logger = logging.getLogger(__name__)


@functools.cache
def _weasyprint():
    """WeasyPrint, loaded by the first render. Its import is about 2 s of CPU (cffi loading Pango and
    HarfBuzz, profiled with `python -X importtime`), which every Django process would otherwise pay at
    start: the admin and the URLs import the services that render, though only the workers and the odd
    missing PDF draw one. The one import inside a function in billing's laid-out packages
    (tests/billing/test_layout.py names it)."""
    import weasyprint
    import weasyprint.text.fonts
    import weasyprint.urls

    return weasyprint


@functools.cache
def _font_config():
    return _weasyprint().text.fonts.FontConfiguration()


# WeasyPrint's FontConfiguration cleans up in __del__, which fails if it runs while the interpreter is
# tearing modules down ("TypeError: 'NoneType' object is not callable" at exit): release it earlier.
atexit.register(_font_config.cache_clear)


def static_files_only_fetcher():
    """WeasyPrint's URL fetcher limited to the portal's own static files and inline `data:` images.

    An invoice prints text that came from outside (names, addresses, imported values): should markup ever
    slip into it, the renderer must not read local files or reach the network on its behalf.
    """
    roots = [Path(root).resolve() for root in (*settings.STATICFILES_DIRS, settings.STATIC_ROOT)]

    class StaticFilesOnly(_weasyprint().urls.URLFetcher):
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
    fonts = {
        key: Path(finders.find(f"fonts/{name}")).as_uri()
        for key, name in (("regular", "DejaVuSans.ttf"), ("bold", "DejaVuSans-Bold.ttf"))
    }
    css = render_to_string("billing/invoice_document.css", {"fonts": fonts})
    return _weasyprint().CSS(string=css, font_config=_font_config(), url_fetcher=_url_fetcher())


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
    user_agent = _weasyprint().CSS(
        string=render_to_string("billing/invoice_user_agent.css"), font_config=_font_config()
    )

    class InvoiceHTML(_weasyprint().HTML):
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
    return pdf_from_html(document_html(invoices))
