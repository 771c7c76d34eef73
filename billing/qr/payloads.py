"""Payment QR payloads: NBU formats 002 and 003 (UAH) and the GOST R 56042-2014 text (RUB), and reading
the purpose back from a stored one. Pure: no Django, no image; the invoice service passes in the supplier's
details, the amount and the texts it has already copied onto the invoice, so the QR carries exactly what
the invoice prints (NBU rules No. 97 of 19.08.2025, Appendix 1: the printed text must match the QR data).
The result is the string the invoice stores (`qr_data`); billing/qr/image.py draws it.

Sources: NBU rules No. 97 of 19.08.2025 (in force since 01.11.2025; format 002 as in rules No. 68
of 2020 amended by No. 11 of 2021, format 003 in Appendix 4); GOST R 56042-2014. Where this module
relies on a secondary reading of a text rather than the text itself, the comment says so.
"""

from __future__ import annotations

import base64
import functools
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

CENT = Decimal("0.01")

# --- NBU (UAH) ---
NBU_002_PREFIX = "https://bank.gov.ua/qr/"
NBU_003_PREFIX = "https://qr.bank.gov.ua/"
# Field 3, "encoding": 1 = UTF-8, 2 = Windows-1251. We always send 2: Cyrillic takes one byte instead
# of two, so the code stays small (Appendix 1 asks for the encoding that gives the smallest size).
NBU_ENCODING_WINDOWS_1251 = "2"
NBU_CODECS = {"1": "utf-8", "2": "cp1251"}
# Field 4, "function": UCT = Ukrainian credit transfer, the ordinary payment to a supplier's account.
NBU_FUNCTION = "UCT"
# Limits of format 002 as published in 2021 (name 70, purpose 140 characters). The 2025 rules are
# said to allow 140 and 420, which we have not verified in the official text; the 2021 limits are
# the ones every bank app accepts, so we keep them.
NBU_002_NAME_MAX = 70
NBU_002_PURPOSE_MAX = 140
# Format 003 limits (Appendix 4, table 2): name 140 characters, reference 35 ASCII bytes, purpose 420
# characters, display 140 characters; the base64url part of the URL at most 475 bytes (table 1).
NBU_003_NAME_MAX = 140
NBU_003_REFERENCE_MAX = 35
NBU_003_PURPOSE_MAX = 420
NBU_003_DISPLAY_MAX = 140
NBU_003_ENCODED_MAX = 475
# Field 10 of format 003, category/purpose as ISO 20022 codes "CCCC/PPPP". The NBU does not publish
# which codes to use for which payments. SUPP/SUPP (category "supplier payment", purpose "supplier
# payment") is what the rules' own example 1, a utility payment, carries - as decoded by the
# open-source skules777/nbu-qr-code-kotlin; we have not read it in the PDF ourselves. SUPP/ELEC
# ("electricity bill") would be more specific but appears in no NBU example. The field must not be
# empty: Privat24 rejects a code without it (same source).
NBU_003_CATEGORY_PURPOSE = "SUPP/SUPP"
# Field 14 of format 003, which fields the payer may change. FEFF is the rules' own example for
# "only the amount may be changed" (a customer may pay more or less than is due, but cannot garble
# the purpose, which carries the personal account). Doubt: the text says bit N-1 stands for field N,
# which would make FEFF unlock field 9; the example and the bank apps (Privat24, monobank, per the
# same source) read FEFF as "amount".
NBU_003_LOCK_ONLY_AMOUNT_EDITABLE = "FEFF"
NBU_AMOUNT_MAX = Decimal("999999999.99")
KYIV = ZoneInfo("Europe/Kyiv")  # format 003 dates carry no zone; Kyiv time is the only sane reading

UA_IBAN = re.compile(r"UA\d{27}")
EDRPOU_OR_RNOKPP = re.compile(r"\d{8}|\d{10}")
CATEGORY_PURPOSE = re.compile(r"[A-Z0-9]{4}/[A-Z0-9]{4}")
LOCK_MASK = re.compile(r"[0-9A-F]{4}")
# Appendix 1: text fields take characters 32-255 of Windows-1251 except 127 and 160 (NBSP); LF
# separates the fields, so a stray newline would shift every field after it.
NBU_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\xa0]")
# The Ukrainian apostrophe U+02BC is not in Windows-1251; U+2019 is, and reads the same.
NBU_LOOKALIKES = str.maketrans({"\u02bc": "\u2019"})

# --- GOST R 56042-2014 (RUB) ---
# "ST" + format version "0001" + encoding "2" (UTF-8), then the field separator "|" (section 5).
GOST_HEADER = "ST00012"
GOST_SEPARATOR = "|"
GOST_NAME_MAX = 160
GOST_BANK_NAME_MAX = 45
GOST_PURPOSE_MAX = 210
GOST_TECH_CODE_UTILITIES = "02"  # TechCode 02: housing and utility services
GOST_FORBIDDEN = re.compile(r"[|\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Payee:
    """The supplier's legal details as the invoice prints them.

    `code` is the EDRPOU/RNOKPP (UAH) or the INN (RUB); `iban` holds the IBAN (UAH) or the 20-digit
    settlement account, PersonalAcc (RUB); `bic`, `corresp_account` and `kpp` are used for RUB only.
    """

    name: str
    code: str
    iban: str
    bank: str
    bic: str = ""
    corresp_account: str = ""
    kpp: str = ""


class PaymentQr(NamedTuple):
    """What an invoice stores and prints for a payment QR.

    `data` is the exact string encoded in the symbol (the NBU URL, or the GOST text); `payload` is the
    readable structure behind it (the LF-joined NBU fields; for GOST the same text as `data`), kept
    so that a support person can see what the customer's bank app will show.
    """

    data: str
    payload: str


# --- NBU formats 002 and 003 ---


def nbu_payload_002(*, payee: Payee, amount: Decimal, purpose: str) -> str:
    """The 13 LF-joined fields of NBU format 002 (Windows-1251), ready for `nbu_url_002`.

    Text is cleaned rather than refused (unrepresentable characters become "?", long text is cut),
    so that an odd character in a customer's purpose never stops an invoice from being issued; the
    account details are validated instead, because a wrong IBAN would send money nowhere.
    """
    fields = [
        "BCD",  # 1: service tag
        "002",  # 2: format version
        NBU_ENCODING_WINDOWS_1251,  # 3: encoding
        NBU_FUNCTION,  # 4: function
        "",  # 5: BIC, not used in Ukraine
        _nbu_text(payee.name, NBU_002_NAME_MAX),  # 6: receiver
        _nbu_iban(payee.iban),  # 7: IBAN
        _nbu_amount(amount),  # 8: amount
        _nbu_payee_code(payee.code),  # 9: EDRPOU / RNOKPP
        "",  # 10: purpose code, not used
        "",  # 11: reference, not used
        _nbu_text(purpose, NBU_002_PURPOSE_MAX),  # 12: purpose of payment
        "",  # 13: display text, not used
    ]
    return "\n".join(fields)


def nbu_url_002(payload: str) -> str:
    """The URL encoded in a format 002 QR: the prefix plus the base64url of the payload."""
    return NBU_002_PREFIX + _nbu_base64url(payload)


def nbu_payload_003(
    *,
    payee: Payee,
    amount: Decimal,
    purpose: str,
    reference: str,
    created: datetime,
    valid_until: datetime | None = None,
    category_purpose: str = NBU_003_CATEGORY_PURPOSE,
    display: str = "",
    lock_mask: str = NBU_003_LOCK_ONLY_AMOUNT_EDITABLE,
    function: str = NBU_FUNCTION,
) -> str:
    """The 17 LF-joined fields of NBU format 003 (rules No. 97 of 19.08.2025, Appendix 4, table 2).

    `reference` is the invoice number (at most 35 ASCII characters, empty allowed); `created` and
    `valid_until` are timezone-aware and written in Kyiv time. Some bank apps (monobank, Sense Bank)
    refuse a code after `valid_until`, so pass it only if the invoice really expires.
    """
    fields = [
        "BCD",  # 1: service tag
        "003",  # 2: format version
        NBU_ENCODING_WINDOWS_1251,  # 3: encoding
        _nbu_function(function),  # 4: function (UCT / ICT / XCT)
        "",  # 5: unique receiver id, reserved
        _nbu_text(payee.name, NBU_003_NAME_MAX),  # 6: receiver
        _nbu_iban(payee.iban),  # 7: IBAN
        _nbu_amount(amount),  # 8: amount
        _nbu_payee_code(payee.code),  # 9: EDRPOU / RNOKPP
        _nbu_category_purpose(category_purpose),  # 10: ISO 20022 category/purpose, mandatory
        _nbu_reference(reference),  # 11: reference
        _nbu_text(purpose, NBU_003_PURPOSE_MAX),  # 12: purpose of payment
        _nbu_text(display, NBU_003_DISPLAY_MAX),  # 13: display text
        _nbu_lock_mask(lock_mask),  # 14: fields the payer may not change
        _nbu_datetime(valid_until) if valid_until is not None else "",  # 15: valid until
        _nbu_datetime(created),  # 16: created
        # 17: electronic signature, optional. The rules' examples show "RFU" (reserved for future use)
        # there, per the Kotlin source above; that is a placeholder, not a value, and we sign nothing.
        "",
    ]
    return "\n".join(fields)


def nbu_url_003(payload: str) -> str:
    """The URL encoded in a format 003 QR; refuses data beyond the 475 bytes of Appendix 4, table 1."""
    encoded = _nbu_base64url(payload)
    if len(encoded) > NBU_003_ENCODED_MAX:
        raise ValueError(
            f"NBU format 003 data is {len(encoded)} bytes after base64url, the limit is {NBU_003_ENCODED_MAX}: "
            "shorten the purpose or the display text"
        )
    return NBU_003_PREFIX + encoded


def _nbu_base64url(payload: str) -> str:
    """Base64url without padding (RFC 4648 section 5) of the payload in the codec its field 3 names."""
    encoding_field = payload.split("\n")[2] if payload.count("\n") >= 2 else ""
    if encoding_field not in NBU_CODECS:
        raise ValueError(f"NBU payload field 3 (encoding) must be 1 or 2, got {encoding_field!r}")
    raw = payload.encode(NBU_CODECS[encoding_field])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@functools.lru_cache(maxsize=256)
def _nbu_text(value: str, limit: int) -> str:
    """A text field that Windows-1251 can carry: no control characters, "?" for the rest, cut to `limit`."""
    if "\u02bc" in value:  # str.translate looks every character up in a dict: about 10 us for a purpose
        value = value.translate(NBU_LOOKALIKES)
    value = NBU_CONTROL_CHARACTERS.sub(" ", value).strip()
    value = value.encode("cp1251", errors="replace").decode("cp1251")
    return value[:limit].rstrip()


@functools.lru_cache(maxsize=64)  # the supplier's details repeat on every invoice of a run
def _nbu_iban(iban: str) -> str:
    """A Ukrainian IBAN: UA + 27 digits (ISO 13616) with a valid ISO 7064 MOD 97-10 check."""
    normalized = re.sub(r"\s", "", iban).upper()
    if not UA_IBAN.fullmatch(normalized):
        raise ValueError(f"IBAN {iban!r} is not a Ukrainian IBAN: expected UA followed by 27 digits (29 characters)")
    rearranged = normalized[4:] + normalized[:4]
    as_number = "".join(str(int(character, 36)) for character in rearranged)
    if int(as_number) % 97 != 1:
        raise ValueError(f"IBAN {iban!r} has a wrong check number (ISO 7064 MOD 97-10): check for a typo")
    return normalized


def _nbu_payee_code(code: str) -> str:
    """The receiver's code: an EDRPOU (8 digits) or an RNOKPP (10 digits)."""
    if not EDRPOU_OR_RNOKPP.fullmatch(code):
        raise ValueError(f"receiver code {code!r} must be an EDRPOU (8 digits) or an RNOKPP (10 digits)")
    return code


def _nbu_amount(amount: Decimal) -> str:
    """`UAH1234.56`: always two decimals. The rules allow no fraction or exactly two digits, never one.

    Two decimals always, so that the QR shows the amount the way the invoice prints it.
    """
    return "UAH" + format(_checked_amount(amount, maximum=NBU_AMOUNT_MAX), "f")


def _nbu_function(function: str) -> str:
    if function not in ("UCT", "ICT", "XCT"):
        raise ValueError(f"NBU function must be UCT, ICT or XCT, got {function!r}")
    return function


def _nbu_category_purpose(category_purpose: str) -> str:
    if not CATEGORY_PURPOSE.fullmatch(category_purpose):
        raise ValueError(f"category/purpose {category_purpose!r} must be two ISO 20022 codes like SUPP/SUPP")
    return category_purpose


def _nbu_reference(reference: str) -> str:
    """The reference identifies the invoice, so it is refused rather than cut: a cut one would mislead."""
    if len(reference) > NBU_003_REFERENCE_MAX or not all(" " <= character <= "~" for character in reference):
        raise ValueError(f"reference {reference!r} must be at most {NBU_003_REFERENCE_MAX} printable ASCII characters")
    return reference


def _nbu_lock_mask(lock_mask: str) -> str:
    if lock_mask and not LOCK_MASK.fullmatch(lock_mask):
        raise ValueError(f"lock mask {lock_mask!r} must be 4 upper-case hex digits or empty")
    return lock_mask


def _nbu_datetime(moment: datetime) -> str:
    """YYMMDDhhmmss in Kyiv time (Appendix 4, fields 15 and 16 carry no zone)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("NBU QR dates must be timezone-aware")
    return moment.astimezone(KYIV).strftime("%y%m%d%H%M%S")


# --- GOST R 56042-2014 ---


def gost_payload(
    *,
    payee: Payee,
    amount: Decimal,
    purpose: str,
    personal_account: str,
    period: date,
    payer_address: str = "",
) -> str:
    """The GOST R 56042-2014 text for a utility payment (UTF-8, `|`-separated `Key=Value` fields).

    The five mandatory details (section 5.2) are validated; free text is cleaned and cut. The order of
    the additional fields is free in the standard; we keep the one bank apps are usually shown.
    """
    fields = [
        ("Name", _gost_text(payee.name, GOST_NAME_MAX)),
        ("PersonalAcc", _gost_digits(payee.iban, "PersonalAcc (the 20-digit settlement account)", 20)),
        ("BankName", _gost_text(payee.bank, GOST_BANK_NAME_MAX)),
        ("BIC", _gost_digits(payee.bic, "BIC", 9)),
        ("CorrespAcc", _gost_digits(payee.corresp_account, "CorrespAcc", 20)),
        ("PayeeINN", _gost_digits(payee.code, "PayeeINN", 10, 12)),
        ("KPP", _gost_kpp(payee.kpp)),
        ("Sum", _gost_kopecks(amount)),
        ("Purpose", _gost_text(purpose, GOST_PURPOSE_MAX)),
        ("PersAcc", _gost_text(personal_account)),
        ("PayerAddress", _gost_text(payer_address)),
        ("PaymPeriod", period.strftime("%m%Y")),  # MMYYYY: the usual form; the standard does not fix it
        ("TechCode", GOST_TECH_CODE_UTILITIES),
    ]
    return GOST_SEPARATOR.join([GOST_HEADER, *(f"{key}={value}" for key, value in fields if value)])


def _gost_text(value: str, limit: int | None = None) -> str:
    """A value without the separator `|` or control characters (they would split the field), cut to `limit`."""
    value = " ".join(GOST_FORBIDDEN.sub(" ", value).split())
    return value[:limit].rstrip() if limit else value


def _gost_digits(value: str, label: str, *lengths: int) -> str:
    if not (value.isascii() and value.isdigit() and len(value) in lengths):
        expected = " or ".join(str(length) for length in lengths)
        raise ValueError(f"{label} {value!r} must be {expected} digits (GOST R 56042-2014)")
    return value


def _gost_kpp(kpp: str) -> str:
    """KPP is 9 characters (digits, letters allowed in places 5-6); empty for sole traders, then omitted."""
    if kpp and not re.fullmatch(r"\d{4}[0-9A-Z]{2}\d{3}", kpp):
        raise ValueError(f"KPP {kpp!r} must be 9 characters: 4 digits, 2 digits or letters, 3 digits")
    return kpp


def _gost_kopecks(amount: Decimal) -> str:
    """`Sum` is in kopecks, a whole number (GOST R 56042-2014, table B.1)."""
    return str(int(_checked_amount(amount) * 100))


# --- Shared ---


def _checked_amount(amount: Decimal, *, maximum: Decimal | None = None) -> Decimal:
    """A positive amount with at most two decimals, as a Decimal with exactly two.

    Refused rather than rounded: an amount with more places was not rounded by billing, and a QR
    that asks for a different sum than the printed one is worse than no QR.
    """
    if isinstance(amount, float) or not isinstance(amount, Decimal | int):
        raise TypeError("QR amounts must be Decimal, never float")
    amount = Decimal(amount)
    exact = amount.quantize(CENT)
    if exact != amount:
        raise ValueError(f"QR amount {amount} has more than two decimal places")
    if exact <= 0 or (maximum is not None and exact > maximum):
        raise ValueError(f"QR amount {amount} must be positive" + (f" and at most {maximum}" if maximum else ""))
    return exact


def payment_qr(
    *,
    currency: str,
    payee: Payee,
    amount: Decimal,
    purpose: str,
    personal_account: str,
    period: date,
    payer_address: str = "",
    nbu_format: str = "002",
    reference: str = "",
    created: datetime | None = None,
    valid_until: datetime | None = None,
) -> PaymentQr | None:
    """The payment QR for an invoice, or None when there is none to print.

    UAH gets the NBU URL (`nbu_format` is the INVOICE_QR_FORMAT setting, "002" or "003"; 003 needs
    `created`); RUB gets the GOST text. Other currencies have no QR standard here, and an invoice with
    nothing to pay (amount <= 0) gets no QR rather than a code for a zero or negative transfer.
    For UAH, `purpose` must already name the personal account and the period, since format 002 has
    no separate fields for them.
    """
    if currency not in ("UAH", "RUB") or amount <= 0:
        return None
    if currency == "RUB":
        text = gost_payload(
            payee=payee,
            amount=amount,
            purpose=purpose,
            personal_account=personal_account,
            period=period,
            payer_address=payer_address,
        )
        return PaymentQr(data=text, payload=text)
    if nbu_format == "002":
        payload = nbu_payload_002(payee=payee, amount=amount, purpose=purpose)
        return PaymentQr(data=nbu_url_002(payload), payload=payload)
    if nbu_format == "003":
        if created is None:
            raise ValueError("NBU format 003 needs the invoice's creation time (created)")
        payload = nbu_payload_003(
            payee=payee, amount=amount, purpose=purpose, reference=reference, created=created, valid_until=valid_until
        )
        return PaymentQr(data=nbu_url_003(payload), payload=payload)
    raise ValueError(f"unknown NBU QR format {nbu_format!r}: expected 002 or 003")


def payment_qr_maker(
    *,
    currency: str,
    payee: Payee,
    nbu_format: str = "002",
    created: datetime | None = None,
    period: date | None = None,
):
    """`payment_qr`'s data for many invoices of one supplier, currency, format and moment (a run's
    chunk): a function of (amount, purpose, personal account, reference) returning the same string
    `payment_qr(...).data` gives ("" when it gives None), and refusing what it refuses.

    The supplier's fields are checked and joined once; each invoice adds its amount, purpose and
    reference only. RUB (and the rare case this does not cover) calls `payment_qr` itself.
    """
    if currency not in ("UAH", "RUB"):
        return lambda amount, purpose, personal_account, reference="": ""

    def full(amount: Decimal, purpose: str, personal_account: str, reference: str = "") -> str:
        qr = payment_qr(
            currency=currency,
            payee=payee,
            amount=amount,
            purpose=purpose,
            personal_account=personal_account,
            period=period,
            nbu_format=nbu_format,
            reference=reference,
            created=created,
        )
        return qr.data if qr else ""

    if currency == "RUB" or nbu_format not in ("002", "003") or (nbu_format == "003" and created is None):
        return full
    slow_text = _nbu_text.__wrapped__  # each purpose is new: the cache would only be churned

    def text(value: str, limit: int) -> str:
        # Most purposes need no cleaning: printable (no control character, no NBSP), no U+02BC, no outer
        # spaces, short enough. Windows-1251 is checked by the strict encode of the whole payload below.
        if len(value) <= limit and value.isprintable() and "\u02bc" not in value and value.strip() == value:
            return value
        return slow_text(value, limit)

    if nbu_format == "002":
        head = "\n".join(
            ["BCD", "002", NBU_ENCODING_WINDOWS_1251, NBU_FUNCTION, "", _nbu_text(payee.name, NBU_002_NAME_MAX)]
        )
        head += "\n" + _nbu_iban(payee.iban) + "\nUAH"
        middle = "\n" + _nbu_payee_code(payee.code) + "\n\n\n"

        def make_002(amount: Decimal, purpose: str, personal_account: str, reference: str = "") -> str:
            if amount <= 0:
                return ""
            amount_text = format(_checked_amount(amount, maximum=NBU_AMOUNT_MAX), "f")
            try:
                raw = (head + amount_text + middle + text(purpose, NBU_002_PURPOSE_MAX) + "\n").encode("cp1251")
            except UnicodeEncodeError:  # a character Windows-1251 lacks: the purpose cleaned in full
                raw = (head + amount_text + middle + slow_text(purpose, NBU_002_PURPOSE_MAX) + "\n").encode("cp1251")
            return NBU_002_PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

        return make_002
    head = "\n".join(
        ["BCD", "003", NBU_ENCODING_WINDOWS_1251, NBU_FUNCTION, "", _nbu_text(payee.name, NBU_003_NAME_MAX)]
    )
    head += "\n" + _nbu_iban(payee.iban) + "\nUAH"
    middle = "\n" + _nbu_payee_code(payee.code) + "\n" + NBU_003_CATEGORY_PURPOSE + "\n"
    tail = "\n\n" + NBU_003_LOCK_ONLY_AMOUNT_EDITABLE + "\n\n" + _nbu_datetime(created) + "\n"

    def make_003(amount: Decimal, purpose: str, personal_account: str, reference: str = "") -> str:
        if amount <= 0:
            return ""
        amount_text = format(_checked_amount(amount, maximum=NBU_AMOUNT_MAX), "f")
        start = head + amount_text + middle + _nbu_reference(reference) + "\n"
        payload = start + text(purpose, NBU_003_PURPOSE_MAX) + tail
        try:
            payload.encode("cp1251")
        except UnicodeEncodeError:  # a character Windows-1251 lacks: the purpose cleaned in full
            payload = start + slow_text(purpose, NBU_003_PURPOSE_MAX) + tail
        return nbu_url_003(payload)

    return make_003


def qr_payment_purpose(data: str) -> str:
    """The purpose of payment carried by a stored QR string, to print beside the code: NBU rules No. 97
    (Appendix 1) want the invoice's text to match the QR data, and reading it back guarantees it."""
    if data.startswith(GOST_HEADER[:6]):
        for field in data.split(GOST_SEPARATOR)[1:]:
            key, _, value = field.partition("=")
            if key == "Purpose":
                return value
        return ""
    for prefix in (NBU_002_PREFIX, NBU_003_PREFIX):
        if data.startswith(prefix):
            encoded = data.removeprefix(prefix)
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            fields = raw.split(b"\n")
            codec = NBU_CODECS.get(fields[2].decode("ascii", "replace") if len(fields) > 2 else "", "cp1251")
            return fields[11].decode(codec) if len(fields) > 11 else ""
    return ""
