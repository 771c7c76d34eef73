"""The portal's own statement CSV (DESIGN.md): `account_number,paid_on,amount,reference`, UTF-8."""

import codecs

from billing.payments.statements.lines import CREDIT, LineChecker, Statement, StatementLine
from readings.imports.csvfile import ACCOUNT_NUMBER, Cells, read_records

COLUMNS = ("account_number", "paid_on", "amount", "reference")


def looks_like(raw: bytes) -> bool:
    first = raw.removeprefix(codecs.BOM_UTF8).split(b"\n", 1)[0].strip().decode("utf-8", errors="replace")
    return {name.strip() for name in first.split(",")} == set(COLUMNS)


def read(raw: bytes, *, today) -> Statement:
    statement = Statement("portal-csv", encoding="utf-8")
    records, statement.errors = read_records(raw, COLUMNS)
    for record in records:
        cells = Cells(record, statement.errors)
        check = LineChecker(record.line, statement.errors, today)
        number = cells.text("account_number", max_length=20, pattern=ACCOUNT_NUMBER, rule="an account number (digits)")
        paid_on = cells.day("paid_on")
        if paid_on is not None and paid_on > today:
            check.fail("paid_on", "future_date", f"{paid_on.isoformat()} is in the future")
        amount = check.amount("amount", record.cells["amount"])
        reference = cells.text("reference", max_length=80)
        if cells.ok and check.ok:
            statement.lines.append(
                StatementLine(
                    line=record.line,
                    kind=CREDIT,
                    paid_on=paid_on,
                    amount=amount,
                    reference=reference,  # the operator's own references, kept as written
                    account_number=number,
                )
            )
    return statement
