"""Bank statements as banks export them, read into one shape (pure: no Django, no database).

`read_statement(raw, ...)` detects the format from the bytes, so `import_payments FILE` needs no option:
- 1C `ClientBankExchange` (cp1251, cp866 or UTF-8): `onec.py`;
- ISO 20022 camt.053 / camt.054 XML: `camt.py`;
- the portal's own CSV `account_number,paid_on,amount,reference`: `portalcsv.py`;
- any other CSV: a bank's export, its encoding, delimiter, decimal separator and date format detected and its
  columns recognised from the header (`bankcsv.py`; `columns=` maps an unknown layout).
Matching a line to a personal account and booking it are the service's job (billing/payments/statement_import.py).
"""

from datetime import date

from billing.payments.statements import bankcsv, camt, onec, portalcsv
from billing.payments.statements.lines import (
    CREDIT,
    DEBIT,
    OWN_TRANSFER,
    UNKNOWN_FORMAT,
    Statement,
    StatementLine,
)
from readings.imports.csvfile import LineError

__all__ = ["CREDIT", "DEBIT", "OWN_TRANSFER", "Statement", "StatementLine", "read_statement"]

XML_START = (b"<?xml", b"<Document", b"<document")


def read_statement(
    raw: bytes, *, today: date, own_accounts: frozenset[str] = frozenset(), columns: dict[str, str] | None = None
) -> Statement:
    """The statement's lines and every problem found, whichever format `raw` is in."""
    head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:64]
    if head.startswith(b"1CClientBankExchange"):
        return onec.read(raw, today=today, own_accounts=own_accounts)
    if head.startswith(XML_START):
        return camt.read(raw, today=today, own_accounts=own_accounts)
    if portalcsv.looks_like(raw):
        return portalcsv.read(raw, today=today)
    if raw.strip() == b"":
        return Statement("empty", errors=[LineError(1, "", UNKNOWN_FORMAT, "the file is empty")])
    return bankcsv.read(raw, today=today, own_accounts=own_accounts, columns=columns)
