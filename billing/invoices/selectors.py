"""Reads for issuing invoices: each account's copied facts and opening balance, the charges and payments no
invoice has taken yet, which accounts the supplier invoices in a pass, the supplier's details. Every read
of a chunk is one statement filtered by the chunk's account-id range, whatever the number of accounts.
And the cabinet's and customer API's reads of one account's invoices (at the end)."""

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, Q, Subquery
from django.http import Http404

from accounts.models import AccountLink, InvoiceMode, PersonalAccount
from accounts.windows import add_months
from billing.invoices.content import ChargeRow, PaymentRow
from billing.models import (
    Basis,
    BillingRun,
    Charge,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    MeterBillingState,
    OpenCharge,
    OpenPayment,
    Payment,
)
from billing.qr.payloads import Payee
from billing.run.plan import PASS_ACTUAL
from billing.run.selectors import value_rows
from billing.suppliers import FIELDS as SUPPLIER_FIELDS
from billing.suppliers import Supplier, setting_name, supplier_of
from readings.models import ClosedMonth, Meter, Reading
from readings.zones import ALL_ZONES

ZERO = Decimal("0.00")
ZONE_INDEX = {zone: index for index, zone in enumerate(ALL_ZONES)}


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


def open_billing_month(today: date) -> date:
    """The month a self-generated invoice belongs to: the earliest month not yet closed, at most today's."""
    this_month = today.replace(day=1)
    last_closed = ClosedMonth.objects.order_by("-month").values_list("month", flat=True).first()
    if last_closed is None:
        return this_month
    return min(this_month, add_months(last_closed, 1))


class AccountFacts(NamedTuple):
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


def account_facts(accounts) -> list[AccountFacts]:
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
    return [AccountFacts(*row[:-1], row[-1] if row[-1] is not None else ZERO) for row in value_rows(rows)]


@dataclass
class PendingItems:
    """Every charge and payment no invoice has taken yet, of the accounts being invoiced, with what their
    lines print: the reading an actual charge started from (`previous`) and the meters' register labels."""

    charges: dict[int, list[ChargeRow]]
    payments: dict[int, list[PaymentRow]]
    previous: dict[tuple[int, str, date], int]
    labels: dict[tuple[int, str], str]


def account_has_open_items(account: PersonalAccount) -> bool:
    """Whether any charge or payment of the account waits for an invoice."""
    return OpenCharge.objects.filter(account=account).exists() or OpenPayment.objects.filter(account=account).exists()


def pending_items(
    first_account_id: int, last_account_id: int, wanted: set[int], modes: Sequence[str] | None = None
) -> PendingItems:
    """Three statements filtered by the account-id range (an index range scan), whatever the number of
    accounts; rows of accounts in the range that are not being invoiced are dropped here. The charges and
    payments are read through the open items (billing/models/open_items.py): what is pending now, not every
    charge of the accounts' history. `modes`, when given, reads only accounts of these invoice modes: the
    run's (RUN_INVOICED_MODES), so the open charges of a `self` account whose customer never asks for an
    invoice, which grow every month, are not read by every run."""
    open_in_range = {
        "open_item__account_id__gte": first_account_id,
        "open_item__account_id__lte": last_account_id,
        **({"account__invoice_mode__in": modes} if modes is not None else {}),
    }
    install_fields = [f"meter__install_{zone}" for zone in ALL_ZONES]
    reading_fields = [f"reading__{zone}" for zone in ALL_ZONES]
    charges: dict[int, list[ChargeRow]] = defaultdict(list)
    previous: dict[tuple[int, str, date], int] = {}
    labels: dict[tuple[int, str], str] = {}
    starts: set[tuple[int, date]] = set()  # (meter, span start) of each pending actual charge
    parsed_labels: dict[str, dict] = {}  # a meter's register labels, as stored: few distinct values per run
    for row in value_rows(
        Charge.objects.filter(**open_in_range).values_list(
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
        meter_labels = row[15]
        if isinstance(meter_labels, str):  # JSON as text (value_rows on PostgreSQL)
            if meter_labels not in parsed_labels:
                parsed_labels[meter_labels] = json.loads(meter_labels)
            meter_labels = parsed_labels[meter_labels]
        for label_zone, zone_labels in (meter_labels or {}).items():
            labels[(meter_id, label_zone)] = " / ".join(zone_labels)
        if basis == "actual":
            starts.add((meter_id, span_start))
            # The installation counts as the previous reading of a span that starts on the installation day.
            for index, install_zone in enumerate(ALL_ZONES):
                if installs[index] is not None:
                    previous[(meter_id, install_zone, row[16])] = installs[index]
    if starts:
        for meter_id, zone, span_end, *readings in _previous_readings(first_account_id, last_account_id, starts):
            previous[(meter_id, zone, span_end)] = readings[ZONE_INDEX[zone]]
    payments: dict[int, list[PaymentRow]] = defaultdict(list)
    for pk, account_id, paid_on, amount, reference in value_rows(
        Payment.objects.filter(**open_in_range).values_list("pk", "account_id", "paid_on", "amount", "reference")
    ):
        if account_id in wanted:
            payments[account_id].append(PaymentRow(pk, paid_on, amount, reference))
    return PendingItems(charges, payments, previous, labels)


def _previous_sql() -> str:
    """The actual charges ending where given (meter, day) pairs start, with their accounts and readings' values.

    The pairs come as two arrays, so the statement's text is the same whatever their number. Each pair is its
    own subquery (LATERAL, which its ORDER BY keeps from being merged into a join), so the charges and readings
    are reached only by index probes per pair: as a plain join the planner hashed a scan of every actual charge
    (and with an account-range condition, of the range's), cheaper by its costs while the tables are small,
    and a cost that grows with the history."""
    charge, reading = Charge._meta.db_table, Reading._meta.db_table
    return f"""
        SELECT c.*
          FROM unnest(%(meters)s::bigint[], %(ends)s::date[]) AS p (meter_id, span_end)
         CROSS JOIN LATERAL (
               SELECT c.meter_id, c.zone, c.span_end, {", ".join(f"r.{zone}" for zone in ALL_ZONES)},
                      c.account_id, c.billing_month, c.span_start
                 FROM {charge} c
                 LEFT JOIN {reading} r ON r.id = c.reading_id
                WHERE c.meter_id = p.meter_id AND c.basis = %(actual)s AND c.span_end = p.span_end
                ORDER BY c.billing_month, c.span_start, c.zone
               ) c
         ORDER BY c.billing_month, c.meter_id, c.span_start, c.zone
    """


def _previous_readings(first_account_id: int, last_account_id: int, starts: set[tuple[int, date]]) -> list[tuple]:
    """(meter, zone, span end, values of ALL_ZONES) of the actual charges of each meter ending on a day a
    pending actual charge of that meter starts: the reading the pending one started from. In the charges'
    order, so a later row wins as in a read of the charges.

    Looked up by exactly these pairs (charge_meter_basis_end_idx: meter, basis, span end), so the read is the
    chunk's pending actual charges whatever the years of history; reading every actual charge of the range and
    keeping those ending on the days read all of them. Only charges of the range's own accounts count, as
    before: that drops no row the pairs ask for (a meter's actual charges are all its account's: the admin
    locks a meter's account once it has readings), and keeps the answer the range's whatever a meter's past.
    SQLite (no arrays; development and tests only) reads the range's actual charges ending on those days and
    keeps the pairs."""
    if connection.vendor == "postgresql":
        pairs = list(starts)
        params = {
            "meters": [pair[0] for pair in pairs],
            "ends": [pair[1] for pair in pairs],
            "actual": Basis.ACTUAL.value,
        }
        with connection.cursor() as cursor:
            cursor.execute(_previous_sql(), params)
            account_at = 3 + len(ALL_ZONES)
            return [
                row[:account_at] for row in cursor.fetchall() if first_account_id <= row[account_at] <= last_account_id
            ]
    rows = Charge.objects.filter(
        account_id__gte=first_account_id,
        account_id__lte=last_account_id,
        basis=Basis.ACTUAL,
        span_end__in=sorted({end for _, end in starts}),
    ).values_list("meter_id", "zone", "span_end", *[f"reading__{zone}" for zone in ALL_ZONES])
    return [row for row in rows if (row[0], row[2]) in starts]


# The accounts the supplier's run invoices; the others' customers ask for their invoices themselves.
RUN_INVOICED_MODES = (InvoiceMode.SUPPLIER, InvoiceMode.HYBRID)


def auto_invoice_candidates(*, first_account_id: int, last_account_id: int, run: BillingRun):
    """Accounts of a chunk the supplier invoices in this pass (DESIGN.md "Invoices").

    Pass `actual`: accounts whose every meter is billed for the month (they had readings). Pass `final`:
    every other account. Never `self` accounts; `hybrid` ones only without an unexpired invoice; and
    never a second auto invoice for the month. A queryset: the issue reads it as a subquery.
    """
    month = run.month
    # Every subquery repeats the chunk's account range: PostgreSQL may read a subquery once for the whole
    # statement (hashed), and the range keeps that read to the chunk's rows, not every invoice or charge of
    # the utility for every chunk.
    in_range = {"account_id__gte": first_account_id, "account_id__lte": last_account_id}
    accounts = PersonalAccount.objects.filter(
        pk__gte=first_account_id,
        pk__lte=last_account_id,
        is_active=True,
        invoice_mode__in=RUN_INVOICED_MODES,
    )
    invoiced = Invoice.objects.filter(
        account_id=OuterRef("pk"), **in_range, kind=InvoiceKind.AUTO, billing_month=month
    ).exclude(status=InvoiceStatus.VOID)
    # A cancelled invoice, and the cancellation itself, are nothing the customer has to pay.
    unexpired = (
        Invoice.objects.filter(account_id=OuterRef("pk"), **in_range, due_on__gte=run.run_date)
        .exclude(status=InvoiceStatus.VOID)
        .exclude(kind=InvoiceKind.CANCELLATION)
    )
    accounts = accounts.exclude(Exists(invoiced)).exclude(Q(invoice_mode=InvoiceMode.HYBRID) & Exists(unexpired))
    if run.pass_name == PASS_ACTUAL:
        # Each meter's state probed by its key. Excluding by the reverse relation is a join on the states the
        # planner may hash (it did in a pass of 20,000 accounts with history: every state billed for the month
        # read for each chunk, a read growing with the utility, not the chunk).
        billed_for_month = MeterBillingState.objects.filter(meter_id=OuterRef("pk"), last_billed_month=month)
        unbilled = Meter.objects.filter(account_id=OuterRef("pk"), **in_range, removed_on__isnull=True).exclude(
            Exists(billed_for_month)
        )
        # The run writes its charges in its month: the month bounds the probe to (account, month) of the index.
        billed_now = Charge.objects.filter(account_id=OuterRef("pk"), **in_range, billing_month=month, run=run)
        accounts = accounts.filter(Exists(billed_now)).exclude(Exists(unbilled))
    return accounts


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


# The cabinet's and the customer API's reads of an account's invoices.


def account_invoices(account: PersonalAccount, *, since: date | None = None) -> list[Invoice]:
    """The account's invoices (with `since`: those issued on or after it), newest first, with what replaced
    a void one: one query."""
    invoices = Invoice.objects.filter(account=account)
    if since is not None:
        invoices = invoices.filter(issued_on__gte=since)
    return list(
        invoices.select_related("replaced_by", "cancelled_by", "cancels")
        .defer(
            *[
                f"{prefix}{field}"
                for prefix in ("", "replaced_by__", "cancelled_by__", "cancels__")
                for field in ("content", "supplier", "qr_data")
            ]
        )
        .order_by("-issued_at", "-pk")
    )


def account_has_invoices_before(account: PersonalAccount, day: date) -> bool:
    return Invoice.objects.filter(account=account, issued_on__lt=day).exists()


def account_invoice(account: PersonalAccount, number: str) -> Invoice:
    """The account's invoice with this number; 404 for another account's invoice, as for a made-up one."""
    invoice = (
        Invoice.objects.filter(account=account, number=number)
        .select_related("replaces", "replaced_by", "cancels", "cancelled_by")
        .first()
    )
    if invoice is None:
        raise Http404("No such invoice.")
    return invoice


def invoice_replacement(invoice: Invoice) -> Invoice | None:
    """The invoice that reissued a void one (already loaded by `account_invoice`/`account_invoices`)."""
    try:
        return invoice.replaced_by
    except Invoice.DoesNotExist:
        return None


def supplier_invoice_of_day(invoices: list[Invoice], day: date) -> Invoice | None:
    """The supplier's invoice issued on `day` among already loaded invoices (why the customer must wait)."""
    return next(
        (
            invoice
            for invoice in invoices
            if invoice.kind == InvoiceKind.AUTO and invoice.issued_on == day and invoice.status != InvoiceStatus.VOID
        ),
        None,
    )
