"""Issuing invoices: numbering, the three invoice modes, the customer's "Generate invoice", void and reissue.

Issuing is set-based: a billing pass issues a whole chunk's invoices in the chunk's transaction with a
handful of statements filtered by the chunk's account-id range (`auto_invoices_issue`), the rows built as
plain values and written by COPY; the customer's button and staff corrections go the same way for one
account (`invoices_issue`). One builder (`invoice_row`) makes every invoice row, cancellations included.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from accounts.enqueue import enqueue_after_commit
from accounts.models import AccountLink, InvoiceMode, PersonalAccount
from accounts.windows import add_months
from billing.invoice_content import ChargeRow, PaymentRow, cancellation_content, invoice_content
from billing.invoice_texts import payment_purpose
from billing.models import (
    BillingRun,
    Charge,
    Invoice,
    InvoiceItem,
    InvoiceKind,
    InvoiceStatus,
    Payment,
)
from billing.plan import PASS_ACTUAL
from billing.qr import Payee, payment_qr
from billing.suppliers import FIELDS as SUPPLIER_FIELDS
from billing.suppliers import Supplier, setting_name, supplier_of
from billing.writes import insert_invoices
from readings.models import ClosedMonth, Meter
from readings.zones import ALL_ZONES

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
ZONE_INDEX = {zone: index for index, zone in enumerate(ALL_ZONES)}


class InvoiceRefused(Exception):
    """The customer may not generate an invoice now; `code` says why (the cabinet words it)."""

    def __init__(self, code: str, invoice: Invoice | None = None):
        super().__init__(code)
        self.code = code
        self.invoice = invoice


def district_supplier(district_code: str = "") -> Supplier:
    """The district's own supplier (SUPPLIER_DISTRICTS) or the portal's default one (SUPPLIER_*)."""
    own = settings.DISTRICT_SUPPLIERS.get(district_code)
    if own:
        return supplier_of(own)
    return supplier_of({field: getattr(settings, setting_name("", field)) for field in SUPPLIER_FIELDS})


def supplier_payee(district_code: str = "") -> Payee:
    supplier = district_supplier(district_code)
    return Payee(
        name=supplier.legal_name,
        code=supplier.code,
        iban=supplier.iban,
        bank=supplier.bank,
        bic=supplier.bic,
        corresp_account=supplier.corresp_account,
        kpp=supplier.kpp,
    )


def supplier_details(district_code: str = "") -> dict:
    supplier = district_supplier(district_code)
    return {
        "name": supplier.legal_name,
        "code": supplier.code,
        "iban": supplier.iban,
        "bank": supplier.bank,
        "address": supplier.address,
        "phone": supplier.phone,
    }


def invoice_number(district_code: str, year: int, sequence: int) -> str:
    return f"{district_code}-{year}-{sequence:07d}"


def open_billing_month(today: date) -> date:
    """The month a self-generated invoice belongs to: the earliest month not yet closed, at most today's."""
    this_month = today.replace(day=1)
    last_closed = ClosedMonth.objects.order_by("-month").values_list("month", flat=True).first()
    if last_closed is None:
        return this_month
    return min(this_month, add_months(last_closed, 1))


@dataclass(frozen=True)
class AccountFacts:
    """What an invoice copies from its account, and the account's opening balance (the amount due of its
    latest invoice that is not cancelled; 0 before the first)."""

    account_id: int
    number: str
    holder_name: str
    address: str
    district_id: int
    district_code: str
    district_name: str
    district_phone: str
    paper_copy: bool
    language: str | None  # the first linked user's; None when nobody reads the account online
    opening: Decimal


def _account_facts(accounts) -> list[AccountFacts]:
    """Facts of the accounts of a queryset in one statement: the language and the opening balance are
    correlated subqueries, so no list of account ids is ever sent."""
    first_link = (
        AccountLink.objects.filter(account_id=OuterRef("pk"))
        .order_by("created_at", "pk")
        .values("user__preferred_language")[:1]
    )
    latest = (
        Invoice.objects.filter(account_id=OuterRef("pk"))
        .exclude(status=InvoiceStatus.VOID)
        .order_by("-issued_at", "-pk")
        .values("amount_due")[:1]
    )
    rows = (
        accounts.order_by("pk")
        .annotate(first_language=Subquery(first_link), opening=Subquery(latest))
        .values_list(
            "pk",
            "number",
            "holder_name",
            "address",
            "district_id",
            "district__code",
            "district__name",
            "district__contact_phone",
            "paper_copy",
            "first_language",
            "opening",
        )
    )
    return [AccountFacts(*row[:-1], row[-1] if row[-1] is not None else ZERO) for row in rows]


@dataclass
class PendingItems:
    """Every charge and payment no invoice has taken yet, of the accounts being invoiced, with what their
    lines print: the reading an actual charge started from (`previous`) and the meters' register labels."""

    charges: dict[int, list[ChargeRow]]
    payments: dict[int, list[PaymentRow]]
    previous: dict[tuple[int, str, date], int]
    labels: dict[tuple[int, str], str]


def _pending_items(first_account_id: int, last_account_id: int, wanted: set[int]) -> PendingItems:
    """Three statements filtered by the account-id range (an index range scan), whatever the number of
    accounts; rows of accounts in the range that are not being invoiced are dropped here."""
    install_fields = [f"meter__install_{zone}" for zone in ALL_ZONES]
    reading_fields = [f"reading__{zone}" for zone in ALL_ZONES]
    charge_taken = InvoiceItem.objects.filter(charge_id=OuterRef("pk"), active=True)
    charges: dict[int, list[ChargeRow]] = defaultdict(list)
    previous: dict[tuple[int, str, date], int] = {}
    labels: dict[tuple[int, str], str] = {}
    starts: set[date] = set()
    for row in (
        Charge.objects.filter(account_id__gte=first_account_id, account_id__lte=last_account_id)
        .filter(~Exists(charge_taken))
        .values_list(
            "pk",
            "account_id",
            "meter_id",
            "meter__serial_number",
            "zone",
            "basis",
            "volume_kwh",
            "price",
            "amount",
            "billing_month",
            "span_start",
            "span_end",
            "reading_id",
            "estimate_number",
            "reverses__billing_month",
            "meter__register_labels",
            "meter__installed_on",
            *install_fields,
            *reading_fields,
        )
    ):
        account_id = row[1]
        if account_id not in wanted:
            continue
        meter_id, zone, basis, span_start = row[2], row[4], row[5], row[10]
        installs, readings = row[17 : 17 + len(ALL_ZONES)], row[17 + len(ALL_ZONES) :]
        charges[account_id].append(
            ChargeRow(
                row[0],
                meter_id,
                row[3],
                zone,
                basis,
                row[6],
                row[7],
                row[8],
                row[9],
                span_start,
                row[11],
                readings[ZONE_INDEX[zone]],
                row[12],
                row[13],
                row[14],
            )
        )
        for label_zone, zone_labels in (row[15] or {}).items():
            labels[(meter_id, label_zone)] = " / ".join(zone_labels)
        if basis == "actual":
            starts.add(span_start)
            # The installation counts as the previous reading of a span that starts on the installation day.
            for index, install_zone in enumerate(ALL_ZONES):
                if installs[index] is not None:
                    previous[(meter_id, install_zone, row[16])] = installs[index]
    if starts:
        # The reading an actual charge started from: the reading of the meter's actual charge ending there.
        for meter_id, zone, span_end, *readings in Charge.objects.filter(
            meter__account_id__gte=first_account_id,
            meter__account_id__lte=last_account_id,
            basis="actual",
            span_end__in=sorted(starts),
        ).values_list("meter_id", "zone", "span_end", *reading_fields):
            previous[(meter_id, zone, span_end)] = readings[ZONE_INDEX[zone]]
    payment_taken = InvoiceItem.objects.filter(payment_id=OuterRef("pk"), active=True)
    payments: dict[int, list[PaymentRow]] = defaultdict(list)
    for pk, account_id, paid_on, amount, reference in (
        Payment.objects.filter(account_id__gte=first_account_id, account_id__lte=last_account_id)
        .filter(~Exists(payment_taken))
        .values_list("pk", "account_id", "paid_on", "amount", "reference")
    ):
        if account_id in wanted:
            payments[account_id].append(PaymentRow(pk, paid_on, amount, reference))
    return PendingItems(charges, payments, previous, labels)


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
    payee: Payee | None = None,
    replaces_id: int | None = None,
    cancels_id: int | None = None,
    run_id: int | None = None,
    created_by_id: int | None = None,
) -> tuple[dict, str]:
    """The one builder of an invoice's row (every column but the id and the number, which the series
    gives last), for issues and cancellations alike, and why it has no payment QR when it should have one.

    The QR is built from the invoice's own copied details (`payee` is the supplier as copied now): with
    `payee` None, or nothing to pay, there is none. A QR the standard refuses for this invoice (an amount
    over the NBU maximum, say) leaves the invoice without one rather than stopping its chunk.
    """
    amount_due = facts.opening + charges_total - payments_total
    qr_data, qr_problem = "", ""
    if payee is not None and amount_due > 0:
        try:
            qr_data = _qr_data(payee, facts.number, amount_due, billing_month, now, currency)
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
) -> Issued:
    """Issue one invoice per account of `accounts` (a queryset within the id range), set-based: a handful of
    statements whatever the number of accounts, the rows built as plain values and written by COPY."""
    facts = _account_facts(accounts)
    if not facts:
        return Issued([], [])
    pending = _pending_items(first_account_id, last_account_id, {fact.account_id for fact in facts})
    due_on = issued_on + timedelta(days=settings.INVOICE_DUE_DAYS)
    currency = settings.CURRENCY
    payees, suppliers = {}, {}
    for code in {fact.district_code for fact in facts}:
        payees[code], suppliers[code] = _checked_payee(code, currency, now), supplier_details(code)
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
            payee=payees[fact.district_code],
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


# --- Which accounts the supplier invoices in a pass ---------------------------------------------------


def auto_invoice_candidates(*, first_account_id: int, last_account_id: int, run: BillingRun):
    """Accounts of a chunk the supplier invoices in this pass (DESIGN.md "Invoices").

    Pass `actual`: accounts whose every meter is billed for the month (they had readings). Pass `final`:
    every other account. Never `self` accounts; `hybrid` ones only without an unexpired invoice; and
    never a second auto invoice for the month. A queryset: the issue reads it as a subquery.
    """
    month = run.month
    accounts = PersonalAccount.objects.filter(
        pk__gte=first_account_id,
        pk__lte=last_account_id,
        is_active=True,
        invoice_mode__in=[InvoiceMode.SUPPLIER, InvoiceMode.HYBRID],
    )
    invoiced = Invoice.objects.filter(account_id=OuterRef("pk"), kind=InvoiceKind.AUTO, billing_month=month).exclude(
        status=InvoiceStatus.VOID
    )
    # A cancelled invoice, and the cancellation itself, are nothing the customer has to pay.
    unexpired = (
        Invoice.objects.filter(account_id=OuterRef("pk"), due_on__gte=run.run_date)
        .exclude(status=InvoiceStatus.VOID)
        .exclude(kind=InvoiceKind.CANCELLATION)
    )
    accounts = accounts.exclude(Exists(invoiced)).exclude(Q(invoice_mode=InvoiceMode.HYBRID) & Exists(unexpired))
    if run.pass_name == PASS_ACTUAL:
        unbilled = Meter.objects.filter(account_id=OuterRef("pk"), removed_on__isnull=True).exclude(
            billing_state__last_billed_month=month
        )
        billed_now = Charge.objects.filter(account_id=OuterRef("pk"), run=run)
        accounts = accounts.filter(Exists(billed_now)).exclude(Exists(unbilled))
    return accounts


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
    )


# --- The customer's "Generate invoice" and staff corrections -------------------------------------------


def invoice_generate_refusal(account: PersonalAccount, *, today: date) -> str | None:
    """Why the customer may not generate an invoice today, or None when they may."""
    if account.invoice_mode == InvoiceMode.SUPPLIER:
        return "supplier_mode"
    if account.invoice_mode == InvoiceMode.HYBRID and (
        Invoice.objects.filter(account=account, kind=InvoiceKind.AUTO, issued_on=today)
        .exclude(status=InvoiceStatus.VOID)
        .exists()
    ):
        return "supplier_issued_today"
    return None


def invoice_generate(*, account: PersonalAccount, user, today: date, now: datetime) -> Invoice:
    """The customer's button: bill newer readings as interim charges, then issue a `self` invoice."""
    from billing.services import interim_bill

    with transaction.atomic():
        # One request at a time per account: a double click must not issue two invoices.
        account = PersonalAccount.objects.select_for_update().get(pk=account.pk)
        refusal = invoice_generate_refusal(account, today=today)
        if refusal:
            raise InvoiceRefused(refusal)
        interim_bill(account=account, today=today, now=now)
        pending_charges = Charge.objects.filter(account=account).exclude(
            Exists(InvoiceItem.objects.filter(charge_id=OuterRef("pk"), active=True))
        )
        pending_payments = Payment.objects.filter(account=account).exclude(
            Exists(InvoiceItem.objects.filter(payment_id=OuterRef("pk"), active=True))
        )
        if not pending_charges.exists() and not pending_payments.exists():
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
    from billing.payments import invoice_statuses_refresh

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
    (current,) = _account_facts(PersonalAccount.objects.filter(pk=original.account_id))
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
    from billing.tasks import invoices_render

    if invoice_ids:
        enqueue_after_commit(invoices_render, invoice_ids)


def after_issue(invoice_ids: list[int]) -> None:
    _after_issue(invoice_ids)
