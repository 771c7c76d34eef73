"""Payment QR codes on invoices, in two parts:

- `billing.qr.payloads`: the standards, pure (no Django, no image): the NBU format 002/003 URL (UAH) and the
  GOST R 56042-2014 text (RUB) built from the invoice's copied details; the string the invoice stores.
- `billing.qr.image`: that string as a QR symbol, an SVG for web pages and a PNG for PDFs.

The names below are imported from here by callers that predate the split.
"""

from billing.qr.image import QR_MODULE_MM, qr_code, qr_png, qr_svg
from billing.qr.payloads import (
    Payee,
    PaymentQr,
    gost_payload,
    nbu_payload_002,
    nbu_payload_003,
    nbu_url_002,
    nbu_url_003,
    payment_qr,
    qr_payment_purpose,
)

__all__ = [
    "QR_MODULE_MM",
    "Payee",
    "PaymentQr",
    "gost_payload",
    "nbu_payload_002",
    "nbu_payload_003",
    "nbu_url_002",
    "nbu_url_003",
    "payment_qr",
    "qr_code",
    "qr_payment_purpose",
    "qr_png",
    "qr_svg",
]
