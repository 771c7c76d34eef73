"""ISO 20022 bank-to-customer statements: camt.053 (statement) and camt.054 (debit/credit notification).

Parsed with the standard library's ElementTree behind defusedxml (no entity expansion, no external
entities), addressing elements by the document's own namespace, so every version (camt.053.001.02 to .13)
reads the same. The one ISO 20022 parser on PyPI that reads camt.053 pulls a web framework and exact pins
into the portal for what is a few dozen lines here (docs/decisions.md).

Each `Ntry` (entry) is a booking; `CdtDbtInd` says CRDT (received) or DBIT (paid out); an entry whose `Sts`
is PDNG or INFO is not booked by the bank yet and is only counted. An entry may carry
several transactions (`NtryDtls/TxDtls`, batch booking): each is a line with its own amount, references,
debtor and remittance text (`RmtInf/Ustrd`). Lines are numbered by entry (and transaction) in file order.
"""

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from billing.payments.statements.lines import (
    NOT_XML,
    PENDING,
    UNKNOWN_FORMAT,
    LineChecker,
    Statement,
    StatementLine,
    kind_of,
    normalise_reference,
    own_keys,
)
from readings.imports.csvfile import LineError

CONTAINERS = {"camt.053": ("BkToCstmrStmt", "Stmt"), "camt.054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn")}


def read(raw: bytes, *, today, own_accounts: frozenset[str]) -> Statement:
    statement = Statement("xml", encoding="utf-8")
    try:
        root = fromstring(raw)
    except (ParseError, DefusedXmlException, ValueError) as error:
        statement.errors.append(LineError(1, "", NOT_XML, f"the file is not well-formed XML ({error})"))
        return statement
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    kind = next((name for name in CONTAINERS if f":{name}." in f":{namespace.rsplit(':', 1)[-1]}"), None)
    if kind is None:
        message = f"an XML document in {namespace or 'no namespace'!r} is not a camt.053 or camt.054 statement"
        statement.errors.append(LineError(1, "", UNKNOWN_FORMAT, message))
        return statement
    statement.format = kind
    ns = {"c": namespace}
    message, report = CONTAINERS[kind]
    number = 0
    for container in root.findall(f"c:{message}/c:{report}", ns):
        ours = own_accounts | own_keys([_text(container, "c:Acct/c:Id/c:IBAN", ns)])
        for entry in container.findall("c:Ntry", ns):
            details = entry.findall("c:NtryDtls/c:TxDtls", ns) or [None]
            for transaction in details:
                number += 1
                line = _line(number, entry, transaction, ns, today=today, own_accounts=ours, errors=statement.errors)
                if line is not None:
                    statement.lines.append(line)
    return statement


def _line(number, entry: Element, transaction: Element | None, ns, *, today, own_accounts, errors):
    check = LineChecker(number, errors, today)
    credit = _text(entry, "c:CdtDbtInd", ns) == "CRDT"
    status = _text(entry, "c:Sts/c:Cd", ns) or _text(entry, "c:Sts", ns)  # .001.08+ nests the code
    pending = status in ("PDNG", "INFO")
    booked = _text(entry, "c:BookgDt/c:Dt", ns) or _text(entry, "c:BookgDt/c:DtTm", ns)
    booked = booked or _text(entry, "c:ValDt/c:Dt", ns) or _text(entry, "c:ValDt/c:DtTm", ns)
    paid_on = check.day("Ntry/BookgDt", booked)
    amount_text = _text(entry, "c:Amt", ns)
    field_name = "Ntry/Amt"
    if transaction is not None and len(entry.findall("c:NtryDtls/c:TxDtls", ns)) > 1:
        amount_text = _text(transaction, "c:Amt", ns) or _text(transaction, "c:AmtDtls/c:TxAmt/c:Amt", ns)
        field_name = "TxDtls/Amt"
    amount = check.amount(field_name, amount_text)
    if not check.ok:
        return None
    scope = transaction if transaction is not None else entry
    party = "Dbtr" if credit else "Cdtr"
    name = _text(scope, f"c:RltdPties/c:{party}/c:Nm", ns) or _text(scope, f"c:RltdPties/c:{party}/c:Pty/c:Nm", ns)
    iban = _text(scope, f"c:RltdPties/c:{party}Acct/c:Id/c:IBAN", ns).replace(" ", "").upper()
    code = _text(scope, f"c:RltdPties/c:{party}/c:Id/c:OrgId/c:Othr/c:Id", ns) or _text(
        scope, f"c:RltdPties/c:{party}/c:Pty/c:Id/c:OrgId/c:Othr/c:Id", ns
    )
    purpose = " ".join(node.text.strip() for node in scope.findall("c:RmtInf/c:Ustrd", ns) if node.text)
    purpose = purpose or _text(entry, "c:AddtlNtryInf", ns)
    reference = ""
    if transaction is not None:
        reference = _text(transaction, "c:Refs/c:AcctSvcrRef", ns)
    reference = reference or _text(entry, "c:AcctSvcrRef", ns)
    if not reference and transaction is not None:
        end_to_end = _text(transaction, "c:Refs/c:EndToEndId", ns)
        reference = "" if end_to_end in ("", "NOTPROVIDED") else end_to_end
    kind = (
        PENDING
        if pending
        else kind_of(
            payer_iban=iban if credit else "",
            payee_iban="" if credit else iban,
            own_accounts=own_accounts,
            credit=credit,
        )
    )
    return StatementLine(
        line=number,
        kind=kind,
        paid_on=paid_on,
        amount=amount,
        reference=normalise_reference(reference),
        purpose=purpose,
        payer_name=name if credit else "",
        payer_iban=iban if credit else "",
        payer_code=code if credit else "",
        reference_field="AcctSvcrRef",
    )


def _text(element: Element, path: str, ns) -> str:
    found = element.find(path, ns)
    return (found.text or "").strip() if found is not None else ""
