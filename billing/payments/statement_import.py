"""Importing a bank statement (any format billing/payments/statements reads): match each credit to an account, book
the matched ones, queue the rest for staff, and never book a transaction twice.

- Matching: the account numbers the purpose names (billing/payments/matching.py) that are real accounts; exactly one
  matches. None: the payer's IBAN, if earlier payments from it went to exactly one account. Otherwise
  (nothing, or two accounts) the line goes to the staff queue (`UnmatchedPayment`), not into the balance.
- Nothing twice: each line has a key unique per source, the bank's reference normalised (`@2PL123456` in 1C
  and `2PL123456` in camt.053 are one transaction) or, when the format has none, a hash of date, amount,
  payer and purpose. A key already booked, or already in the queue, is skipped.
- Debit lines and transfers between the supplier's own accounts are not payments: ignored and counted.
- A file with any bad line books nothing (as every import); `good_lines=True` books the good lines and
  lists the bad ones.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from billing.models import UnmatchedPayment, UnmatchedReason
from billing.payments.matching import account_numbers_in
from billing.payments.selectors import accounts_by_payer_iban, existing_account_numbers, references_taken
from billing.payments.services import PaymentLine, payments_book
from billing.payments.statements import CREDIT, DEBIT, OWN_TRANSFER, StatementLine, read_statement
from billing.payments.statements.lines import PENDING, hashed_reference, own_keys
from readings.imports.csvfile import DUPLICATE_IN_FILE, LineError

UNKNOWN_ACCOUNT = "unknown_account"


@dataclass
class StatementImportResult:
    format: str = ""
    encoding: str = ""
    booked: int = 0
    already_booked: int = 0  # booked (or queued) by an earlier import of the same statement: skipped
    unmatched: int = 0  # to the staff queue: no account found
    ambiguous: int = 0  # to the staff queue: several accounts found
    debits: int = 0
    own_transfers: int = 0
    pending: int = 0  # entries the bank has not booked yet (camt PDNG/INFO)
    errors: list[LineError] = field(default_factory=list)
    skipped: int = 0  # bad lines left out with good_lines=True

    @property
    def refused(self) -> bool:
        return bool(self.errors) and not self.skipped


@dataclass(frozen=True)
class _Keyed:
    line: StatementLine
    reference: str


def statement_import(
    *,
    raw: bytes,
    source_name: str,
    today,
    now,
    created_by=None,
    good_lines: bool = False,
    columns: dict[str, str] | None = None,
) -> StatementImportResult:
    statement = read_statement(raw, today=today, own_accounts=own_keys(_own_accounts()), columns=columns or None)
    result = StatementImportResult(format=statement.format, encoding=statement.encoding)
    errors = list(statement.errors)
    kinds = Counter(line.kind for line in statement.lines)
    result.debits, result.own_transfers, result.pending = kinds[DEBIT], kinds[OWN_TRANSFER], kinds[PENDING]
    credits = _keyed([line for line in statement.lines if line.kind == CREDIT], errors)

    # The portal's own CSV names the account: an unknown one is the operator's mistake, not a queue row.
    named = {item.line.account_number for item in credits if item.line.account_number}
    known = existing_account_numbers(named)
    for item in credits:
        if item.line.account_number and item.line.account_number not in known:
            message = f"no personal account {item.line.account_number}"
            errors.append(LineError(item.line.line, "account_number", UNKNOWN_ACCOUNT, message))

    bad_lines = {error.line for error in errors}
    result.errors = sorted(errors)
    if errors and not good_lines:
        return result
    result.skipped = len(bad_lines)
    credits = [item for item in credits if item.line.line not in bad_lines]

    with transaction.atomic():
        seen = references_taken(source=source_name, references=[item.reference for item in credits])
        fresh = [item for item in credits if item.reference not in seen]
        result.already_booked = len(credits) - len(fresh)
        matches = _match([item.line for item in fresh])
        to_book, to_queue = [], []
        for item in fresh:
            account_number, reason, candidates = matches[item.line.line]
            if account_number:
                to_book.append(
                    PaymentLine(
                        account_number,
                        item.line.paid_on,
                        item.line.amount,
                        item.reference,
                        payer_name=item.line.payer_name,
                        payer_iban=item.line.payer_iban,
                        purpose=item.line.purpose,
                    )
                )
            else:
                to_queue.append(_queue_row(item, reason, candidates, source_name, statement.format, now))
        booked = payments_book(lines=to_book, source=source_name, created_by=created_by, now=now)
        result.booked = len(booked.booked)
        result.already_booked += len(booked.already_booked)
        UnmatchedPayment.objects.bulk_create(to_queue, ignore_conflicts=True)
        result.unmatched = sum(row.reason == UnmatchedReason.UNMATCHED for row in to_queue)
        result.ambiguous = sum(row.reason == UnmatchedReason.AMBIGUOUS for row in to_queue)
    return result


def _own_accounts() -> list[str]:
    """The supplier's accounts: a credit from one of them is an own transfer, not a customer's payment."""
    extra = getattr(settings, "SUPPLIER_OWN_IBANS", [])
    districts = [supplier["iban"] for supplier in settings.DISTRICT_SUPPLIERS.values()]  # SUPPLIER_DISTRICTS
    return [settings.SUPPLIER_IBAN, *districts, *extra]


def _keyed(lines: list[StatementLine], errors: list[LineError]) -> list[_Keyed]:
    """Each credit with its unique key; a bank reference twice in one file is an error. Identical lines
    without a reference (same day, amount, payer and purpose) are told apart by their order in the file,
    so a re-import gives every one the same key again."""
    keyed, first_line, repeats = [], {}, Counter()
    for line in lines:
        if line.reference:
            if line.reference in first_line:
                message = f"this reference is already on line {first_line[line.reference]}"
                errors.append(LineError(line.line, line.reference_field, DUPLICATE_IN_FILE, message))
                continue
            first_line[line.reference] = line.line
            keyed.append(_Keyed(line, line.reference))
            continue
        key = hashed_reference(
            paid_on=line.paid_on, amount=line.amount, payer=line.payer_iban or line.payer_name, purpose=line.purpose
        )
        repeats[key] += 1
        keyed.append(_Keyed(line, key if repeats[key] == 1 else f"{key}-{repeats[key]}"))
    return keyed


def _match(lines: list[StatementLine]) -> dict[int, tuple[str, str, str]]:
    """line -> (account number or "", queue reason, candidates), with two queries for the whole file."""
    named = {line.line: line.account_number for line in lines if line.account_number}
    written = {line.line: account_numbers_in(line.purpose) for line in lines if not line.account_number}
    all_numbers = {number for numbers in written.values() for number in numbers}
    real = existing_account_numbers(all_numbers)
    by_iban = accounts_by_payer_iban({line.payer_iban for line in lines if line.payer_iban and not line.account_number})
    matches = {}
    for line in lines:
        if line.line in named:
            matches[line.line] = (named[line.line], "", "")
            continue
        candidates = [number for number in written[line.line] if number in real]
        shown = ", ".join(written[line.line])[:200]
        if len(candidates) == 1:
            matches[line.line] = (candidates[0], "", shown)
        elif len(candidates) > 1:
            matches[line.line] = ("", UnmatchedReason.AMBIGUOUS, shown)
        else:
            from_iban = sorted(by_iban.get(line.payer_iban, ()))
            if len(from_iban) == 1:
                matches[line.line] = (from_iban[0], "", shown)
            elif len(from_iban) > 1:
                matches[line.line] = ("", UnmatchedReason.AMBIGUOUS, ", ".join(from_iban)[:200])
            else:
                matches[line.line] = ("", UnmatchedReason.UNMATCHED, shown)
    return matches


def _queue_row(item: _Keyed, reason, candidates, source_name, statement_format, now) -> UnmatchedPayment:
    line = item.line
    return UnmatchedPayment(
        source=source_name,
        reference=item.reference,
        paid_on=line.paid_on,
        amount=line.amount,
        payer_name=line.payer_name[:200],
        payer_iban=line.payer_iban[:34],
        payer_code=line.payer_code[:20],
        purpose=line.purpose[:500],
        reason=reason,
        candidates=candidates,
        statement_format=statement_format,
        created_at=now,
    )
