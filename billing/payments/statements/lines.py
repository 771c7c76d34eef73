"""The one shape every statement format is read into, and the small rules the readers share."""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from billing.payments.amounts import AmountError, parse_amount
from readings.imports.csvfile import LineError

CREDIT = "credit"  # money received: to be booked
DEBIT = "debit"  # money the supplier paid out: ignored, counted
OWN_TRANSFER = "own"  # between the supplier's own accounts: ignored, counted
PENDING = "pending"  # an entry the bank has not booked yet (camt `Sts` PDNG/INFO): ignored, counted

UNKNOWN_FORMAT = "unknown_format"
NOT_TEXT = "not_text"
INVALID_DATE = "invalid_date"
FUTURE_DATE = "future_date"
REQUIRED = "required"
NOT_XML = "not_xml"

# Day first, as Ukrainian banks write dates; a time after the date is dropped (the booking day counts).
DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%y", "%d-%m-%Y")


@dataclass(frozen=True)
class StatementLine:
    line: int  # the file's line (1C, CSV) or the entry's number (XML): what error messages name
    kind: str  # CREDIT, DEBIT or OWN_TRANSFER
    paid_on: date
    amount: Decimal
    reference: str  # the bank's reference, normalised; "" when the format has none (a hash is used)
    purpose: str = ""
    payer_name: str = ""
    payer_iban: str = ""
    payer_code: str = ""
    account_number: str = ""  # only the portal's own CSV names the account; banks write it in the purpose
    reference_field: str = "reference"  # the field named when the reference is repeated


@dataclass
class Statement:
    format: str  # e.g. "1c", "camt.053", "bank-csv:privatbank", "portal-csv"
    lines: list[StatementLine] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    encoding: str = ""


def normalise_reference(text: str) -> str:
    """The bank's reference as one key: `@2PL123456` (1C) and `2PL123456` (camt.053) are one transaction."""
    return re.sub(r"\s+", "", text).lstrip("@").upper()[:80]


def hashed_reference(*, paid_on: date, amount: Decimal, payer: str, purpose: str) -> str:
    """A stable reference for a line whose format carries none: date, amount, payer and purpose."""
    key = "|".join((paid_on.isoformat(), f"{amount:.2f}", payer.strip().upper(), " ".join(purpose.split()).upper()))
    return "H-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]


def parse_day(text: str) -> date | None:
    value = text.strip()
    # `10.11.2026 12:01`, `2026-11-10T12:01:00+02:00`: the date part is what counts.
    value = re.split(r"[ T]", value, maxsplit=1)[0] if value else value
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


class LineChecker:
    """Typed values of one statement line; every problem is noted with the line and field, the value is None."""

    def __init__(self, line: int, errors: list[LineError], today: date):
        self.line = line
        self.errors = errors
        self.today = today
        self.problems = 0

    def fail(self, field_name: str, code: str, message: str) -> None:
        self.problems += 1
        self.errors.append(LineError(self.line, field_name, code, message))

    @property
    def ok(self) -> bool:
        return self.problems == 0

    def day(self, field_name: str, text: str) -> date | None:
        if not text.strip():
            self.fail(field_name, REQUIRED, "the date is empty")
            return None
        value = parse_day(text)
        if value is None:
            self.fail(field_name, INVALID_DATE, f"{text.strip()[:40]!r} is not a date (e.g. 10.11.2026 or 2026-11-10)")
        elif value > self.today:
            self.fail(field_name, FUTURE_DATE, f"{value.isoformat()} is in the future")
            return None
        return value

    def amount(self, field_name: str, text: str, *, decimal_separator: str = ".") -> Decimal | None:
        try:
            return parse_amount(text, decimal_separator=decimal_separator)
        except AmountError as refused:
            self.fail(field_name, refused.code, refused.message)
            return None


def kind_of(*, payer_iban: str, payee_iban: str, own_accounts: frozenset[str], credit: bool) -> str:
    """Credit, debit or a transfer between the supplier's own accounts (both ends are ours)."""
    if credit:
        return OWN_TRANSFER if _iban_key(payer_iban) in own_accounts else CREDIT
    return OWN_TRANSFER if _iban_key(payee_iban) in own_accounts else DEBIT


def own_keys(accounts) -> frozenset[str]:
    return frozenset(_iban_key(account) for account in accounts if account and account.strip())


def _iban_key(text: str) -> str:
    return re.sub(r"\s+", "", text or "").upper()
