"""The invoice's PDF: WeasyPrint lays out the HTML of `render`, with the fonts shipped in `static/fonts/` so
that every machine produces the same PDF. The stylesheet and the font configuration are built once per
process: a warm render only lays out the page, with the elements' computed styles of the renders before it
(`_shared_styles_document`).

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

        def render(self, font_config=None, counter_style=None, color_profiles=None, **options):
            # HTML.render (WeasyPrint 70) with the document class that shares computed styles across renders.
            return _shared_styles_document()._render(
                self, font_config, counter_style, color_profiles, {**_weasyprint().DEFAULT_OPTIONS, **options}
            )

    return InvoiceHTML


# A bound on the shared styles: an invoice has about 60 distinct ones (the QR image's size adds one per QR
# version), so this is only a guard should some value make every render's key new.
_SHARED_STYLES_MAX = 4000


@functools.cache
def _shared_styles_document():
    """WeasyPrint's Document with the elements' computed styles shared across the renders of the process.

    A computed style is filled lazily, property by property, as layout and drawing read it (WeasyPrint 70,
    css/__init__.py `ComputedStyle.__missing__`): about 5,000 look-ups a render, a seventh of its CPU, to
    compute again the same values for the same elements of every invoice. WeasyPrint already shares one
    style between the elements of a document that have the same parent style and the same matched rules;
    this carries that sharing over to the next render, so a warm render finds its styles computed.
    """
    shared: dict = {}

    class SharedStylesDocument(_weasyprint().Document):
        @classmethod
        def _build_layout_context(cls, html, *args, **kwargs):
            context = super()._build_layout_context(html, *args, **kwargs)
            _share_styles(context.style_for._computed_styles, html.etree_element, shared)
            return context

    return SharedStylesDocument


def _frozen(value):
    """A cascaded value as part of a dict key: by value where it can be hashed (lists made tuples)."""
    try:
        hash(value)
    except TypeError:
        if isinstance(value, list | tuple):
            return tuple(_frozen(item) for item in value)
        raise
    return value


def _share_styles(computed: dict, root, shared: dict) -> None:
    """Replace this render's element styles (`StyleFor._computed_styles`, in tree order, parents first) by the
    shared ones, computed by an earlier render for the same cascaded values under the same parent style.

    A computed value is a function of the cascaded values, the parent's computed style, the root's and the
    base URL (and the font configuration and page size, the same for every invoice), so the key is the
    cascaded values (by value: the style and lang attributes are parsed again in every render) and the shared
    parent; the root's key is the base URL. A key holds the id of a shared style that the stored child keeps
    alive through `parent_style`, so an id in a key is never reused. A value that cannot be hashed leaves its
    element (and its children) unshared.

    WeasyPrint copies a style before it changes it for one box (a table's, which hands its margins to the
    table's wrapper box; a first line's), but it writes the viewport's `overflow` into the root's or the
    body's own style (build.py `set_viewport_overflow`): the root and its children get a copy of the shared
    style, so no render sees another's write. (Footnotes, which the invoice does not use, are written into
    too.) The other writes into a shared style are the same in every render (a table cell's margins set to
    zero by `StyleFor.__call__`), and threads that render at the same time fill one with the same values.
    """
    mapped = {}  # id(a style of this render) -> the shared style that stands for it
    copied = {id(root)} | {id(child) for child in root}
    root_shared = None
    for key, style in list(computed.items()):
        element, pseudo_type = key
        if pseudo_type is not None:
            continue
        if (persistent := mapped.get(id(style))) is None:
            parent = style.parent_style
            parent_shared = mapped[id(parent)] if parent is not None else None
            try:
                cascaded = tuple(
                    sorted((name, _frozen(value), weight) for name, (value, weight) in style.cascaded.items())
                )
            except TypeError:
                persistent = style  # this render's own
            else:
                cache_key = (id(parent_shared) if parent_shared is not None else style.base_url, cascaded)
                if (persistent := shared.get(cache_key)) is None:
                    if len(shared) >= _SHARED_STYLES_MAX:
                        shared.clear()
                    persistent = shared[cache_key] = style
                    if parent_shared is not None:
                        style.parent_style, style.root_style = parent_shared, root_shared
            mapped[id(style)] = persistent
        if element is root:
            root_shared = persistent
        computed[key] = persistent.copy() if id(element) in copied else persistent


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
