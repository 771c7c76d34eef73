"""Issuing invoices: numbering, the three invoice modes, the customer's "Generate invoice", void and reissue.

Issuing is set-based: a billing pass issues a whole chunk's invoices in the chunk's transaction with a
handful of statements filtered by the chunk's account-id range (`auto_invoices_issue`), the rows built as
plain values and written by COPY; the customer's button and staff corrections go the same way for one
account (`invoices_issue`). One builder (`invoice_row`) makes every invoice row, cancellations included.
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from celery import signature
from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from accounts.enqueue import enqueue_after_commit
from accounts.models import PersonalAccount
from billing.invoices.content import cancellation_content, invoice_content
from billing.invoices.selectors import (
    RUN_INVOICED_MODES,
    AccountFacts,
    account_facts,
    account_has_open_items,
    auto_invoice_candidates,
    invoice_generate_refusal,
    open_billing_month,
    pending_items,
    supplier_details,
    supplier_payee,
)
from billing.invoices.texts import payment_purpose
from billing.invoices.writes import insert_invoices
from billing.models import BillingRun, Invoice, InvoiceKind, InvoiceStatus
from billing.payments.services import invoice_statuses_refresh
from billing.qr.payloads import Payee, payment_qr, payment_qr_maker
from billing.run.interim import interim_bill

logger = logging.getLogger(__name__)


class InvoiceRefused(Exception):
    """The customer may not generate an invoice now; `code` says why (the cabinet words it)."""

    def __init__(self, code: str, invoice: Invoice | None = None):
        super().__init__(code)
        self.code = code
        self.invoice = invoice


def invoice_number(district_code: str, year: int, sequence: int) -> str:
    return f"{district_code}-{year}-{sequence:07d}"


def _take_numbers(counts: dict[int, int], year: int) -> dict[int, int]:
    """Reserve `counts[district]` numbers of each district's series in this transaction; returns the first
    of each block.

    One upsert per district creates the counter or moves it on, and keeps its row locked to commit (a
    second worker in the district waits there; a rolled back transaction gives its numbers back, so the
    series has no gaps). Districts are taken in order: no deadlock between two workers.
    """
    firsts = {}
    with connection.cursor() as cursor:
        for district_id in sorted(counts):
            cursor.execute(
                "INSERT INTO billing_invoicecounter (district_id, year, last_number) VALUES (%s, %s, %s) "
                "ON CONFLICT (district_id, year) DO UPDATE "
                "SET last_number = billing_invoicecounter.last_number + EXCLUDED.last_number "
                "RETURNING last_number",
                [district_id, year, counts[district_id]],
            )
            firsts[district_id] = cursor.fetchone()[0] - counts[district_id] + 1
    return firsts


def invoice_row(
    facts: AccountFacts,
    *,
    kind: str,
    billing_month: date,
    issued_on: date,
    due_on: date,
    now: datetime,
    currency: str,
    supplier: dict,
    content: dict,
    charges_total: Decimal,
    payments_total: Decimal,
    qr: Callable[..., str] | None = None,
    replaces_id: int | None = None,
    cancels_id: int | None = None,
    run_id: int | None = None,
    created_by_id: int | None = None,
) -> tuple[dict, str]:
    """The one builder of an invoice's row (every column but the id and the number, which the series
    gives last), for issues and cancellations alike, and why it has no payment QR when it should have one.

    The QR is built from the invoice's own copied details (`qr` is `payment_qr_maker` of the supplier as
    copied now, for this currency, month and moment): with `qr` None, or nothing to pay, there is none. A QR
    the standard refuses for this invoice (an amount over the NBU maximum, say) leaves the invoice without
    one rather than stopping its chunk.
    """
    amount_due = facts.opening + charges_total - payments_total
    qr_data, qr_problem = "", ""
    if qr is not None and amount_due > 0:
        try:
            purpose = payment_purpose(account_number=facts.number, month=billing_month, currency=currency)
            qr_data = qr(amount_due, purpose, facts.number, facts.number)
        except ValueError as error:
            qr_problem = str(error)
    paid = amount_due <= 0  # nothing to pay: a credit, or a cancellation stating what is owed after it
    row = {
        "number": "",
        "district_id": facts.district_id,
        "year": issued_on.year,
        "sequence": None,
        "account_id": facts.account_id,
        "kind": kind,
        "status": InvoiceStatus.PAID.value if paid else InvoiceStatus.ISSUED.value,
        "billing_month": billing_month,
        "issued_on": issued_on,
        "due_on": due_on,
        "issued_at": now,
        "currency": currency,
        "opening_balance": facts.opening,
        "charges_total": charges_total,
        "payments_total": payments_total,
        "amount_due": amount_due,
        "paid_on": issued_on if paid else None,
        "language": facts.language or "uk",
        "account_number": facts.number,
        "holder_name": facts.holder_name,
        "address": facts.address,
        "district_name": facts.district_name,
        "district_phone": facts.district_phone,
        "supplier": supplier,
        "content": content,
        "qr_data": qr_data,
        # Paper is opt-in for cabinet users; an account nobody reads online gets paper by default.
        "paper_copy": facts.paper_copy or facts.language is None,
        "replaces_id": replaces_id,
        "cancels_id": cancels_id,
        "voided_at": None,
        "void_reason": "",
        "pdf": "",
        "pdf_rendered_at": None,
        "print_batch_id": None,
        "run_id": run_id,
        "created_by_id": created_by_id,
    }
    return row, qr_problem


def _number_rows(rows: list[dict], facts_codes: list[str], year: int) -> None:
    """Give the rows their numbers, in order, from each district's series (locked to commit).

    The series' row stays locked until the transaction commits, and a second worker of the district waits
    for it. So the foreign keys of what the transaction wrote so far (a chunk's charges and billing states)
    are checked now rather than at commit, and the rows written from here on are checked as they go in:
    the commit then holds the lock only to write, not for tens of thousands of key checks.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    counts: dict[int, int] = defaultdict(int)
    for row in rows:
        counts[row["district_id"]] += 1
    next_number = _take_numbers(counts, year)
    for row, code in zip(rows, facts_codes, strict=True):
        sequence = next_number[row["district_id"]]
        next_number[row["district_id"]] += 1
        row["sequence"], row["number"] = sequence, invoice_number(code, year, sequence)


@dataclass
class Issued:
    """What an issue wrote: the new invoices' ids (in account order), and for staff, the invoices that
    went out without a payment QR and why."""

    ids: list[int]
    problems: list[str]


def _issue(
    accounts,
    *,
    first_account_id: int,
    last_account_id: int,
    kind: str,
    billing_month: date,
    issued_on: date,
    now: datetime,
    run_id: int | None = None,
    created_by_id: int | None = None,
    replaces: dict[int, int] | None = None,
    modes: Sequence[str] | None = None,
) -> Issued:
    """Issue one invoice per account of `accounts` (a queryset within the id range), set-based: a handful of
    statements whatever the number of accounts, the rows built as plain values and written by COPY. `modes`:
    the invoice modes `accounts` is limited to, so the other accounts' open items are not read."""
    facts = account_facts(accounts)
    if not facts:
        return Issued([], [])
    pending = pending_items(first_account_id, last_account_id, {fact.account_id for fact in facts}, modes)
    due_on = issued_on + timedelta(days=settings.INVOICE_DUE_DAYS)
    currency = settings.CURRENCY
    qr_makers, suppliers = {}, {}
    for code in {fact.district_code for fact in facts}:
        qr_makers[code] = payment_qr_maker(
            currency=currency,
            payee=_checked_payee(code, currency, now),
            nbu_format=settings.INVOICE_QR_FORMAT,
            created=now,
            period=billing_month,
        )
        suppliers[code] = supplier_details(code)
    rows, items, problems = [], [], []
    for index, fact in enumerate(facts):
        charges, payments = pending.charges.get(fact.account_id, []), pending.payments.get(fact.account_id, [])
        content, charges_total, payments_total = invoice_content(
            charges=charges, payments=payments, previous_values=pending.previous, labels=pending.labels
        )
        row, qr_problem = invoice_row(
            fact,
            kind=kind,
            billing_month=billing_month,
            issued_on=issued_on,
            due_on=due_on,
            now=now,
            currency=currency,
            supplier=suppliers[fact.district_code],
            content=content,
            charges_total=charges_total,
            payments_total=payments_total,
            qr=qr_makers[fact.district_code],
            replaces_id=(replaces or {}).get(fact.account_id),
            run_id=run_id,
            created_by_id=created_by_id,
        )
        rows.append(row)
        if qr_problem:
            problems.append((index, qr_problem))
        items += [(index, charge.charge_id, None) for charge in charges]
        items += [(index, None, payment.payment_id) for payment in payments]
    # The series is taken last, so its lock is held only while the rows are written and committed.
    _number_rows(rows, [fact.district_code for fact in facts], issued_on.year)
    ids = insert_invoices(rows, items)
    messages = []
    for index, reason in problems:
        message = _("invoice %(number)s (account %(account)s) was issued without a payment QR code: %(reason)s") % {
            "number": rows[index]["number"],
            "account": rows[index]["account_number"],
            "reason": reason,
        }
        logger.warning(message)
        messages.append(message)
    return Issued(ids, messages)


def invoices_issue(
    *,
    account_ids,
    kind: str,
    billing_month: date,
    issued_on: date,
    now: datetime,
    run: BillingRun | None = None,
    created_by=None,
    replaces: dict[int, Invoice] | None = None,
) -> list[Invoice]:
    """Issue one invoice per account, gathering every charge and payment no invoice has taken yet.

    Must run inside a transaction (the callers': a customer's request, a correction). Callers make sure an
    account gets at most one invoice per call; the unique constraint on auto invoices backs them up. The
    monthly run issues through `auto_invoices_issue`, which never loads the invoices back.
    """
    ids = sorted(set(account_ids))
    if not ids:
        return []
    issued = _issue(
        PersonalAccount.objects.filter(pk__in=ids),
        first_account_id=ids[0],
        last_account_id=ids[-1],
        kind=kind,
        billing_month=billing_month,
        issued_on=issued_on,
        now=now,
        run_id=run.pk if run else None,
        created_by_id=created_by.pk if created_by else None,
        replaces={account_id: invoice.pk for account_id, invoice in (replaces or {}).items()},
    )
    return list(Invoice.objects.filter(pk__in=issued.ids).order_by("account_id", "pk"))


def _qr_data(payee: Payee, account_number: str, amount: Decimal, month: date, now: datetime, currency: str) -> str:
    qr = payment_qr(
        currency=currency,
        payee=payee,
        amount=amount,
        purpose=payment_purpose(account_number=account_number, month=month, currency=currency),
        personal_account=account_number,
        period=month,
        nbu_format=settings.INVOICE_QR_FORMAT,
        reference=account_number,
        created=now,
    )
    return qr.data if qr else ""


def _checked_payee(district_code: str, currency: str, now: datetime) -> Payee:
    """The district's payee, its details checked once by a QR of 1.00: a wrong IBAN or code in the settings
    stops the chunk (every invoice would lack its QR), while one invoice's own refusal does not."""
    payee = supplier_payee(district_code)
    _qr_data(payee, "0", Decimal("1.00"), now.date().replace(day=1), now, currency)
    return payee


def auto_invoices_issue(*, first_account_id: int, last_account_id: int, run: BillingRun, now: datetime) -> Issued:
    """The supplier's invoices of one chunk of a pass, in the chunk's transaction."""
    return _issue(
        auto_invoice_candidates(first_account_id=first_account_id, last_account_id=last_account_id, run=run),
        first_account_id=first_account_id,
        last_account_id=last_account_id,
        kind=InvoiceKind.AUTO,
        billing_month=run.month,
        issued_on=run.run_date,
        now=now,
        run_id=run.pk,
        modes=RUN_INVOICED_MODES,
    )


def invoice_generate(*, account: PersonalAccount, user, today: date, now: datetime) -> Invoice:
    """The customer's button: bill newer readings as interim charges, then issue a `self` invoice."""
    with transaction.atomic():
        # One request at a time per account: a double click must not issue two invoices.
        account = PersonalAccount.objects.select_for_update().get(pk=account.pk)
        refusal = invoice_generate_refusal(account, today=today)
        if refusal:
            raise InvoiceRefused(refusal)
        interim_bill(account=account, today=today, now=now)
        if not account_has_open_items(account):
            latest = account.invoices.exclude(status=InvoiceStatus.VOID).order_by("-issued_at", "-pk").first()
            if latest is not None:
                raise InvoiceRefused("nothing_new", latest)
        (invoice,) = invoices_issue(
            account_ids=[account.pk],
            kind=InvoiceKind.SELF,
            billing_month=open_billing_month(today),
            issued_on=today,
            now=now,
            created_by=user,
        )
        _after_issue([invoice.pk])
    return invoice


def invoice_void(
    *, invoice: Invoice, reason: str, staff, today: date, now: datetime, reissue: bool = True
) -> Invoice | None:
    """Cancel an invoice by a document, as invoicing standards ask: a numbered cancellation in the same
    series negates its lines and enters the balance chain; the original keeps its content and PDF and is
    marked cancelled; its charges and payments go back to be invoiced, by default at once in a reissue."""
    if not reason.strip():
        raise ValueError("a reason is required to cancel an invoice")
    with transaction.atomic():
        PersonalAccount.objects.select_for_update().filter(pk=invoice.account_id).first()
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status == InvoiceStatus.VOID:
            raise ValueError(f"invoice {invoice.number} is already cancelled")
        if invoice.kind == InvoiceKind.CANCELLATION:
            raise ValueError(f"{invoice.number} is a cancellation: it is not cancelled in turn")
        # Its opening is the amount due of the latest invoice, the original included: issue it first.
        cancellation = _cancellation_issue(invoice, staff=staff, today=today, now=now)
        invoice.status, invoice.voided_at, invoice.void_reason = InvoiceStatus.VOID, now, reason.strip()
        invoice.save(update_fields=["status", "voided_at", "void_reason"])
        invoice.items.update(active=False)
        issued = [cancellation]
        new = None
        if reissue:
            (new,) = invoices_issue(
                account_ids=[invoice.account_id],
                kind=invoice.kind,
                billing_month=invoice.billing_month,
                issued_on=today,
                now=now,
                created_by=staff,
                replaces={invoice.account_id: invoice},
            )
            issued.append(new.pk)
        _after_issue(issued)
        invoice_statuses_refresh(account_ids=[invoice.account_id])
    return new


def _cancellation_issue(original: Invoice, *, staff, today: date, now: datetime) -> int:
    """The cancellation document of `original`: the next number of its district's series for today's
    year; opening = the latest invoice's amount due, charges and payments = the original's negated; the
    copies (holder, address, supplier, language) are the original's. Returns its id."""
    (current,) = account_facts(PersonalAccount.objects.filter(pk=original.account_id))
    facts = AccountFacts(
        account_id=original.account_id,
        number=original.account_number,
        holder_name=original.holder_name,
        address=original.address,
        district_id=original.district_id,
        district_code=original.district.code,
        district_name=original.district_name,
        district_phone=original.district_phone,
        paper_copy=original.paper_copy,
        language=original.language,
        opening=current.opening,
    )
    # Nothing to pay on a credit note (no QR): it states what the account owes after it.
    row, _problem = invoice_row(
        facts,
        kind=InvoiceKind.CANCELLATION,
        billing_month=original.billing_month,
        issued_on=today,
        due_on=today,
        now=now,
        currency=original.currency,
        supplier=original.supplier,
        content=cancellation_content(original.content, cancels=original.number),
        charges_total=-original.charges_total,
        payments_total=-original.payments_total,
        cancels_id=original.pk,
        created_by_id=staff.pk if staff else None,
    )
    _number_rows([row], [facts.district_code], today.year)
    (pk,) = insert_invoices([row], [])
    return pk


def _after_issue(invoice_ids: list[int]) -> None:
    """Render the PDFs (and then mail them) once the invoices are committed."""
    if invoice_ids:
        enqueue_after_commit(signature("billing.tasks.invoices_render"), invoice_ids)


def after_issue(invoice_ids: list[int]) -> None:
    _after_issue(invoice_ids)
