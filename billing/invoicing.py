"""Issuing invoices: numbering, the three invoice modes, the customer's "Generate invoice", void and reissue.

`invoices_issue` is set-based: the billing passes call it for a whole chunk of accounts in the chunk's
transaction (a handful of queries whatever the chunk's size); the customer's button calls it for one.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from accounts.enqueue import enqueue_after_commit
from accounts.models import AccountLink, InvoiceMode, PersonalAccount
from accounts.windows import add_months
from billing.invoice_content import ChargeRow, PaymentRow, cancellation_content, invoice_content
from billing.models import (
    BillingRun,
    Charge,
    Invoice,
    InvoiceCounter,
    InvoiceItem,
    InvoiceKind,
    InvoiceStatus,
    Payment,
)
from billing.qr import Payee, payment_qr
from billing.suppliers import FIELDS as SUPPLIER_FIELDS
from billing.suppliers import Supplier, setting_name, supplier_of
from billing.writes import insert_invoices
from readings.models import ClosedMonth, Meter
from readings.zones import ALL_ZONES


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
    account_id: int
    number: str
    holder_name: str
    address: str
    district_id: int
    district_code: str
    district_name: str
    district_phone: str
    paper_copy: bool


def _account_facts(account_ids) -> list[AccountFacts]:
    rows = (
        PersonalAccount.objects.filter(pk__in=account_ids)
        .order_by("pk")
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
        )
    )
    return [AccountFacts(*row) for row in rows]


def _languages(account_ids) -> dict[int, str]:
    """The language of each account's invoice: its first linked user's, else Ukrainian."""
    languages: dict[int, str] = {}
    for account_id, language in (
        AccountLink.objects.filter(account_id__in=account_ids)
        .order_by("account_id", "created_at", "pk")
        .values_list("account_id", "user__preferred_language")
    ):
        languages.setdefault(account_id, language)
    return languages


def _pending_charges(account_ids) -> dict[int, list[ChargeRow]]:
    taken = InvoiceItem.objects.filter(charge_id=OuterRef("pk"), active=True)
    rows = (
        Charge.objects.filter(account_id__in=account_ids)
        .filter(~Exists(taken))
        .values(
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
            "estimate_number",
            "reverses__billing_month",
            "reading_id",
            *[f"reading__{zone}" for zone in ALL_ZONES],
        )
    )
    pending: dict[int, list[ChargeRow]] = defaultdict(list)
    for row in rows:
        pending[row["account_id"]].append(
            ChargeRow(
                charge_id=row["pk"],
                meter_id=row["meter_id"],
                serial=row["meter__serial_number"],
                zone=row["zone"],
                basis=row["basis"],
                volume=row["volume_kwh"],
                price=row["price"],
                amount=row["amount"],
                billing_month=row["billing_month"],
                span_start=row["span_start"],
                span_end=row["span_end"],
                reading_value=row[f"reading__{row['zone']}"],
                reading_id=row["reading_id"],
                estimate_number=row["estimate_number"],
                reversed_month=row["reverses__billing_month"],
            )
        )
    return pending


def _pending_payments(account_ids) -> dict[int, list[PaymentRow]]:
    taken = InvoiceItem.objects.filter(payment_id=OuterRef("pk"), active=True)
    pending: dict[int, list[PaymentRow]] = defaultdict(list)
    for pk, account_id, paid_on, amount, reference in (
        Payment.objects.filter(account_id__in=account_ids)
        .filter(~Exists(taken))
        .values_list("pk", "account_id", "paid_on", "amount", "reference")
    ):
        pending[account_id].append(PaymentRow(pk, paid_on, amount, reference))
    return pending


def _previous_values(pending: dict[int, list[ChargeRow]]) -> dict[tuple[int, str, date], int]:
    """The reading an actual charge started from (its L): the reading of the meter's previous actual charge,
    or the installation values when the span starts on the installation day."""
    starts = {(c.meter_id, c.span_start) for rows in pending.values() for c in rows if c.basis == "actual"}
    if not starts:
        return {}
    meter_ids = {meter_id for meter_id, _ in starts}
    values: dict[tuple[int, str, date], int] = {}
    for row in Meter.objects.filter(pk__in=meter_ids).values(
        "pk", "installed_on", *[f"install_{z}" for z in ALL_ZONES]
    ):
        for zone in ALL_ZONES:
            if row[f"install_{zone}"] is not None:
                values[(row["pk"], zone, row["installed_on"])] = row[f"install_{zone}"]
    for row in Charge.objects.filter(
        meter_id__in=meter_ids, basis="actual", span_end__in={start for _, start in starts}
    ).values("meter_id", "zone", "span_end", *[f"reading__{z}" for z in ALL_ZONES]):
        values[(row["meter_id"], row["zone"], row["span_end"])] = row[f"reading__{row['zone']}"]
    return values


def _labels(pending: dict[int, list[ChargeRow]]) -> dict[tuple[int, str], str]:
    meter_ids = {c.meter_id for rows in pending.values() for c in rows}
    labels = {}
    for pk, register_labels in Meter.objects.filter(pk__in=meter_ids).values_list("pk", "register_labels"):
        for zone, zone_labels in (register_labels or {}).items():
            labels[(pk, zone)] = " / ".join(zone_labels)
    return labels


def _opening_balances(account_ids) -> dict[int, Decimal]:
    """The amount due of each account's latest invoice that is not void (0 before the first)."""
    balances: dict[int, Decimal] = {}
    for account_id, amount_due in (
        Invoice.objects.filter(account_id__in=account_ids)
        .exclude(status=InvoiceStatus.VOID)
        .order_by("account_id", "-issued_at", "-pk")
        .values_list("account_id", "amount_due")
    ):
        balances.setdefault(account_id, amount_due)
    return balances


def _take_numbers(district_ids: dict[int, int], year: int) -> dict[int, int]:
    """Reserve `count` numbers per district in this transaction; returns the first of each block.

    Counters are locked in district order (no deadlock between two workers) and held to commit: a rolled
    back transaction gives its numbers back, so the series has no gaps.
    """
    InvoiceCounter.objects.bulk_create(
        [InvoiceCounter(district_id=district_id, year=year) for district_id in sorted(district_ids)],
        ignore_conflicts=True,
    )
    firsts = {}
    for counter in (
        InvoiceCounter.objects.select_for_update()
        .filter(district_id__in=district_ids, year=year)
        .order_by("district_id")
    ):
        firsts[counter.district_id] = counter.last_number + 1
        counter.last_number += district_ids[counter.district_id]
        counter.save(update_fields=["last_number"])
    return firsts


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

    Must run inside a transaction (the callers': a chunk, a customer's request). Callers make sure an
    account gets at most one invoice per call; the unique constraint on auto invoices backs them up.
    """
    facts = _account_facts(account_ids)
    if not facts:
        return []
    ids = [fact.account_id for fact in facts]
    charges, payments = _pending_charges(ids), _pending_payments(ids)
    previous_values, labels = _previous_values(charges), _labels(charges)
    openings, languages = _opening_balances(ids), _languages(ids)
    per_district: dict[int, int] = defaultdict(int)
    for fact in facts:
        per_district[fact.district_id] += 1
    next_number = _take_numbers(per_district, issued_on.year)
    due_on = issued_on + timedelta(days=settings.INVOICE_DUE_DAYS)
    payees = {code: supplier_payee(code) for code in {fact.district_code for fact in facts}}
    suppliers = {code: supplier_details(code) for code in payees}
    invoices = []
    for fact in facts:
        payee, supplier = payees[fact.district_code], suppliers[fact.district_code]
        content, charges_total, payments_total = invoice_content(
            charges=charges.get(fact.account_id, []),
            payments=payments.get(fact.account_id, []),
            previous_values=previous_values,
            labels=labels,
        )
        opening = openings.get(fact.account_id, Decimal("0.00"))
        amount_due = opening + charges_total - payments_total
        sequence = next_number[fact.district_id]
        next_number[fact.district_id] += 1
        invoices.append(
            Invoice(
                number=invoice_number(fact.district_code, issued_on.year, sequence),
                district_id=fact.district_id,
                year=issued_on.year,
                sequence=sequence,
                account_id=fact.account_id,
                kind=kind,
                status=InvoiceStatus.PAID if amount_due <= 0 else InvoiceStatus.ISSUED,
                paid_on=issued_on if amount_due <= 0 else None,
                billing_month=billing_month,
                issued_on=issued_on,
                due_on=due_on,
                issued_at=now,
                currency=settings.CURRENCY,
                opening_balance=opening,
                charges_total=charges_total,
                payments_total=payments_total,
                amount_due=amount_due,
                language=languages.get(fact.account_id, "uk"),
                account_number=fact.number,
                holder_name=fact.holder_name,
                address=fact.address,
                district_name=fact.district_name,
                district_phone=fact.district_phone,
                supplier=supplier,
                content=content,
                qr_data=_qr_data(payee, fact.number, amount_due, billing_month, now) if amount_due > 0 else "",
                # Paper is opt-in for cabinet users; an account nobody reads online gets paper by default.
                paper_copy=fact.paper_copy or fact.account_id not in languages,
                replaces=(replaces or {}).get(fact.account_id),
                run=run,
                created_by=created_by,
            )
        )
    items = []
    for invoice in invoices:
        items += [(invoice, c.charge_id, None) for c in charges.get(invoice.account_id, [])]
        items += [(invoice, None, p.payment_id) for p in payments.get(invoice.account_id, [])]
    insert_invoices(invoices, items)
    return invoices


def _qr_data(payee: Payee, account_number: str, amount: Decimal, month: date, now: datetime) -> str:
    from billing.invoice_texts import payment_purpose

    qr = payment_qr(
        currency=settings.CURRENCY,
        payee=payee,
        amount=amount,
        purpose=payment_purpose(account_number=account_number, month=month, currency=settings.CURRENCY),
        personal_account=account_number,
        period=month,
        nbu_format=settings.INVOICE_QR_FORMAT,
        reference=account_number,
        created=now,
    )
    return qr.data if qr else ""


# --- Which accounts the supplier invoices in a pass ---------------------------------------------------


def auto_invoice_candidates(*, first_account_id: int, last_account_id: int, run: BillingRun) -> list[int]:
    """Accounts of a chunk the supplier invoices in this pass (DESIGN.md "Invoices").

    Pass `actual`: accounts whose every meter is billed for the month (they had readings). Pass `final`:
    every other account. Never `self` accounts; `hybrid` ones only without an unexpired invoice; and
    never a second auto invoice for the month.
    """
    from billing.plan import PASS_ACTUAL

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
    return list(accounts.order_by("pk").values_list("pk", flat=True))


def auto_invoices_issue(
    *, first_account_id: int, last_account_id: int, run: BillingRun, now: datetime
) -> list[Invoice]:
    ids = auto_invoice_candidates(first_account_id=first_account_id, last_account_id=last_account_id, run=run)
    return invoices_issue(
        account_ids=ids, kind=InvoiceKind.AUTO, billing_month=run.month, issued_on=run.run_date, now=now, run=run
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
        issued = [cancellation.pk]
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


def _cancellation_issue(original: Invoice, *, staff, today: date, now: datetime) -> Invoice:
    """The cancellation document of `original`: the next number of its district's series for today's
    year; opening = the latest invoice's amount due, charges and payments = the original's negated."""
    opening = _opening_balances([original.account_id]).get(original.account_id, Decimal("0.00"))
    sequence = _take_numbers({original.district_id: 1}, today.year)[original.district_id]
    charges_total, payments_total = -original.charges_total, -original.payments_total
    amount_due = opening + charges_total - payments_total
    cancellation = Invoice(
        number=invoice_number(original.district.code, today.year, sequence),
        district_id=original.district_id,
        year=today.year,
        sequence=sequence,
        account_id=original.account_id,
        kind=InvoiceKind.CANCELLATION,
        # Nothing to pay on a credit note: it states what the account owes after it.
        status=InvoiceStatus.PAID if amount_due <= 0 else InvoiceStatus.ISSUED,
        paid_on=today if amount_due <= 0 else None,
        billing_month=original.billing_month,
        issued_on=today,
        due_on=today,
        issued_at=now,
        currency=original.currency,
        opening_balance=opening,
        charges_total=charges_total,
        payments_total=payments_total,
        amount_due=amount_due,
        language=original.language,
        account_number=original.account_number,
        holder_name=original.holder_name,
        address=original.address,
        district_name=original.district_name,
        district_phone=original.district_phone,
        supplier=original.supplier,
        content=cancellation_content(original.content, cancels=original.number),
        qr_data="",
        paper_copy=original.paper_copy,
        cancels=original,
        created_by=staff,
    )
    cancellation.save()
    return cancellation


def _after_issue(invoice_ids: list[int]) -> None:
    """Render the PDFs (and then mail them) once the invoices are committed."""
    from billing.tasks import invoices_render

    if invoice_ids:
        enqueue_after_commit(invoices_render, invoice_ids)


def after_issue(invoice_ids: list[int]) -> None:
    _after_issue(invoice_ids)
