"""1C `ClientBankExchange` (the exchange file of 1C:Enterprise and of most Ukrainian client-banks).

Plain `Key=Value` lines: a header (`ВерсияФормата=1.03`, `Кодировка=Windows`, the statement's own accounts
as `РасчСчет=`), optional `СекцияРасчСчет ... КонецРасчСчет` balances, then one `СекцияДокумент=<kind>` ...
`КонецДокумента` block per payment, and `КонецФайла`. `Кодировка=Windows` is cp1251, `DOS` cp866; banks
that export UTF-8 are recognised by the bytes decoding as UTF-8.

A document is money received when it has `ДатаПоступило` (received on) and a payment out when it has
`ДатаСписано` (written off); when it has both or neither, it is received unless its payer account
(`ПлательщикСчет`) is one of ours. Its reference is the bank's `Идентификатор`/`Референс`, or a `Номер` that is a
bank reference (`@2PL123456`); a bare document number such as `123` is the payer's own and is not unique.
"""

import re

from billing.payments.statements.lines import (
    CREDIT,
    DEBIT,
    NOT_TEXT,
    REQUIRED,
    LineChecker,
    Statement,
    StatementLine,
    kind_of,
    normalise_reference,
    own_keys,
)
from readings.imports.csvfile import LineError

DOCUMENT_START = "СекцияДокумент"
DOCUMENT_END = "КонецДокумента"
BANK_REFERENCE = re.compile(r"^@|[A-Za-zА-Яа-я]")  # `@2PL123456`, `2PL123456`: not a payer's `123`


def decode(raw: bytes) -> tuple[str, str]:
    """The text and the encoding it was in."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), "utf-8"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if "Кодировка=DOS".encode("cp866") in raw:
        return raw.decode("cp866"), "cp866"
    return raw.decode("cp1251", errors="strict"), "cp1251"


def read(raw: bytes, *, today, own_accounts: frozenset[str]) -> Statement:
    statement = Statement("1c")
    try:
        text, statement.encoding = decode(raw)
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        statement.errors.append(LineError(line, "", NOT_TEXT, "the file is neither UTF-8 nor Windows-1251 text"))
        return statement

    ours = set(own_accounts)
    documents: list[tuple[int, dict[str, tuple[int, str]]]] = []
    current: dict[str, tuple[int, str]] | None = None
    start = 0
    # Only CR LF or LF end a line: str.splitlines() would also split on \x0b, \x1c or U+2028 inside a value.
    for number, row in enumerate(text.split("\n"), start=1):
        key, _, value = row.strip(" \t\r").partition("=")
        if current is None:
            if key == DOCUMENT_START:
                current, start = {}, number
            elif key == "РасчСчет" and value.strip(" \t"):
                ours |= own_keys([value])
            continue
        if key == DOCUMENT_END:
            documents.append((start, current))
            current = None
        elif key and key not in current:
            current[key] = (number, value.strip(" \t"))
    if current is not None:
        statement.errors.append(LineError(start, DOCUMENT_START, REQUIRED, f"the document has no {DOCUMENT_END}"))

    for start, document in documents:
        line = _line(start, document, today=today, own_accounts=frozenset(ours), errors=statement.errors)
        if line is not None:
            statement.lines.append(line)
    return statement


def _line(start, document, *, today, own_accounts, errors) -> StatementLine | None:
    def value(key: str) -> str:
        return document.get(key, (start, ""))[1]

    check = LineChecker(start, errors, today)
    payer_iban, payee_iban = value("ПлательщикСчет"), value("ПолучательСчет")
    received, written_off = bool(value("ДатаПоступило")), bool(value("ДатаСписано"))
    if received != written_off:  # the bank says which way the money went
        credit = received
    elif own_accounts and (payer_iban or payee_iban):
        credit = payer_iban.replace(" ", "").upper() not in own_accounts
    else:
        credit = True
    kind = kind_of(payer_iban=payer_iban, payee_iban=payee_iban, own_accounts=own_accounts, credit=credit)
    date_key = "ДатаПоступило" if kind == CREDIT and value("ДатаПоступило") else "Дата"
    if kind == DEBIT and value("ДатаСписано"):
        date_key = "ДатаСписано"
    check.line = document.get(date_key, (start, ""))[0]
    paid_on = check.day(date_key, value(date_key))
    check.line = document.get("Сумма", (start, ""))[0]
    amount = check.amount("Сумма", value("Сумма"))
    if not check.ok:
        return None
    reference = value("Идентификатор") or value("Референс")
    if not reference and BANK_REFERENCE.search(value("Номер")):
        reference = value("Номер")
    return StatementLine(
        line=start,
        kind=kind,
        paid_on=paid_on,
        amount=amount,
        reference=normalise_reference(reference),
        purpose=value("НазначениеПлатежа"),
        payer_name=value("Плательщик1") or value("Плательщик"),
        payer_iban=payer_iban.replace(" ", "").upper(),
        payer_code=value("ПлательщикИНН") or value("ПлательщикОКПО"),
        reference_field="Номер",
    )
