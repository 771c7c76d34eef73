"""A bank's CSV export: encoding, delimiter, decimal separator and date format detected, columns by header.

Known layouts are recognised from their header (every column the layout names must be present, in any
order, case and surrounding spaces ignored); a layout the portal does not know is mapped by the operator
with `import_payments --column field=Header` (fields: `LAYOUT_FIELDS`). A layout has either one signed
`amount` column (negative = paid out) or separate `credit` and `debit` columns.
"""

import csv
import io

from billing.payments.statements.lines import (
    CREDIT,
    DEBIT,
    NOT_TEXT,
    UNKNOWN_FORMAT,
    LineChecker,
    Statement,
    StatementLine,
    kind_of,
    normalise_reference,
)
from readings.imports.csvfile import WRONG_CELL_COUNT, LineError

LAYOUT_FIELDS = ("date", "amount", "credit", "debit", "purpose", "payer_name", "payer_iban", "payer_code", "reference")

# The header of each bank's "statement to CSV" export, as its business client-bank writes it.
KNOWN_LAYOUTS: dict[str, dict[str, str]] = {
    "privatbank": {
        "date": "Дата операції",
        "debit": "Дебет",
        "credit": "Кредит",
        "purpose": "Призначення платежу",
        "payer_name": "Кореспондент",
        "payer_iban": "Рахунок кореспондента",
        "payer_code": "ЄДРПОУ кореспондента",
        "reference": "Референс",
    },
    "oschadbank": {
        "date": "Дата проведення",
        "amount": "Сума",
        "purpose": "Призначення",
        "payer_name": "Найменування контрагента",
        "payer_iban": "IBAN контрагента",
        "payer_code": "Код контрагента",  # no bank reference in this export: the line's hash is used
    },
    "monobank": {
        "date": "Дата і час операції",
        "amount": "Сума операції",
        "purpose": "Призначення платежу",
        "payer_name": "Контрагент",
        "payer_iban": "IBAN контрагента",
        "payer_code": "ЄДРПОУ контрагента",
        "reference": "ID операції",
    },
}
CANDIDATE_DELIMITERS = ";,\t|"


def decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1251"), "cp1251"


def read(raw: bytes, *, today, own_accounts: frozenset[str], columns: dict[str, str] | None = None) -> Statement:
    statement = Statement("bank-csv")
    try:
        text, statement.encoding = decode(raw)
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        statement.errors.append(LineError(line, "", NOT_TEXT, "the file is neither UTF-8 nor Windows-1251 text"))
        return statement
    header_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = max(CANDIDATE_DELIMITERS, key=header_line.count)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header_at = next((index for index, row in enumerate(rows) if any(cell.strip() for cell in row)), None)
    if header_at is None:
        statement.errors.append(LineError(1, "", UNKNOWN_FORMAT, "the file has no header row"))
        return statement
    header = [cell.strip() for cell in rows[header_at]]
    name, layout = _layout(header, columns)
    if layout is None:
        known = "; ".join(f"{bank}: {', '.join(fields.values())}" for bank, fields in KNOWN_LAYOUTS.items())
        message = (
            "the columns of this CSV are not a known statement layout; map them with "
            f"--column date=... --column amount=... --column purpose=... (known layouts: {known})"
        )
        statement.errors.append(LineError(header_at + 1, "", UNKNOWN_FORMAT, message))
        return statement
    statement.format = f"bank-csv:{name}"
    position = {field: header.index(title) for field, title in layout.items()}
    money_fields = [field for field in ("amount", "credit", "debit") if field in position]
    separator = _decimal_separator(rows[header_at + 1 :], [position[field] for field in money_fields])

    for index, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            message = f"expected {len(header)} cells as in the header, found {len(row)}"
            statement.errors.append(LineError(index, "", WRONG_CELL_COUNT, message))
            continue
        line = _line(
            index, row, layout, position, separator, today=today, own_accounts=own_accounts, errors=statement.errors
        )
        if line is not None:
            statement.lines.append(line)
    return statement


def _layout(header: list[str], columns: dict[str, str] | None) -> tuple[str, dict[str, str] | None]:
    folded = {title.casefold(): title for title in header}
    if columns:
        layout = {field: folded.get(title.strip().casefold(), "") for field, title in columns.items()}
        complete = all(layout.values()) and "date" in layout and ("amount" in layout or "credit" in layout)
        return "custom", layout if complete else None
    for name, layout in KNOWN_LAYOUTS.items():
        if all(title.casefold() in folded for title in layout.values()):
            return name, {field: folded[title.casefold()] for field, title in layout.items()}
    return "", None


def _decimal_separator(rows, indexes) -> str:
    """`,` when any amount is written with a decimal comma (`751,68`), else `.`."""
    for row in rows:
        for index in indexes:
            if index < len(row) and "," in row[index]:
                return ","
    return "."


def _line(number, row, layout, position, separator, *, today, own_accounts, errors) -> StatementLine | None:
    def cell(field: str) -> str:
        return row[position[field]].strip() if field in position else ""

    check = LineChecker(number, errors, today)
    paid_on = check.day(layout["date"], cell("date"))
    if "amount" in position:
        written = cell("amount").replace("\u00a0", "")
        credit = not written.startswith("-")
        amount = check.amount(layout["amount"], written.lstrip("+-"), decimal_separator=separator)
    else:
        credit = bool(cell("credit")) and not _zero(cell("credit"))
        field = "credit" if credit else "debit"
        amount = check.amount(layout[field], cell(field), decimal_separator=separator)
    if not check.ok:
        return None
    payer_iban = cell("payer_iban").replace(" ", "").upper()
    return StatementLine(
        line=number,
        kind=kind_of(
            payer_iban=payer_iban if credit else "",
            payee_iban="" if credit else payer_iban,
            own_accounts=own_accounts,
            credit=credit,
        ),
        paid_on=paid_on,
        amount=amount,
        reference=normalise_reference(cell("reference")),
        purpose=cell("purpose"),
        payer_name=cell("payer_name") if credit else "",
        payer_iban=payer_iban if credit else "",
        payer_code=cell("payer_code") if credit else "",
        reference_field=layout.get("reference", "reference"),
    )


def _zero(text: str) -> bool:
    return text.strip().replace(",", "").replace(".", "").strip("0") == ""


__all__ = ["CREDIT", "DEBIT", "KNOWN_LAYOUTS", "LAYOUT_FIELDS", "read"]
