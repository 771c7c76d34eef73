"""Reads for the cabinet and the customer API: an account's charges by month (each line explained in the
customer's words) and its balance (its invoices: billing/invoices/selectors.py; its payments:
billing/payments/selectors.py)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import DecimalField, Exists, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import PersonalAccount
from accounts.windows import add_months
from billing.models import Basis, Charge, Invoice, InvoiceStatus, Payment
from billing.money import round_money


@dataclass
class ChargeGroup:
    """The charges of one meter, one basis, one month: what the customer reads as one line."""

    serial: str
    basis: str
    kwh_by_zone: dict[str, int] = field(default_factory=dict)
    amount: Decimal = Decimal("0.00")
    reading_date: date | None = None
    estimate_number: int | None = None
    norm_from: date | None = None  # for an average: the first month the norm would apply
    reversed_months: list[date] = field(default_factory=list)
    # The price per kWh of each zone; two when the month spans a tariff change (in date order).
    prices_by_zone: dict[str, list[Decimal]] = field(default_factory=dict)


@dataclass
class MonthCharges:
    month: date
    groups: list[ChargeGroup]

    @property
    def total(self) -> Decimal:
        return sum((group.amount for group in self.groups), Decimal("0.00"))


def account_charges_by_month(account: PersonalAccount, *, months: int = 12) -> list[MonthCharges]:
    """The last `months` billed months, newest first, in two queries."""
    newest = (
        Charge.objects.filter(account=account)
        .order_by("-billing_month")
        .values_list("billing_month", flat=True)
        .first()
    )
    if newest is None:
        return []
    since = add_months(newest, -(months - 1))
    rows = (
        Charge.objects.filter(account=account, billing_month__gte=since)
        .values(
            "billing_month",
            "meter__serial_number",
            "basis",
            "zone",
            "reading__reading_date",
            "estimate_number",
            "span_end",
            "price",
        )
        .annotate(kwh=Sum("volume_kwh"), money=Sum("amount"))
        .order_by("-billing_month", "meter__serial_number", "basis", "zone", "span_start")
    )
    reversed_months = defaultdict(set)
    for month, serial, estimate_month in Charge.objects.filter(
        account=account, billing_month__gte=since, basis=Basis.REVERSAL
    ).values_list("billing_month", "meter__serial_number", "reverses__billing_month"):
        reversed_months[(month, serial)].add(estimate_month)

    cap = settings.ESTIMATE_AVERAGE_MAX_MONTHS
    by_month: dict[date, dict[tuple[str, str], ChargeGroup]] = defaultdict(dict)
    for row in rows:
        key = (row["meter__serial_number"], row["basis"])
        group = by_month[row["billing_month"]].setdefault(key, ChargeGroup(*key))
        group.kwh_by_zone[row["zone"]] = group.kwh_by_zone.get(row["zone"], 0) + row["kwh"]
        group.amount += round_money(row["money"])  # SQLite sums decimals as floats: back to the kopeck
        zone_prices = group.prices_by_zone.setdefault(row["zone"], [])
        if row["price"] not in zone_prices:
            zone_prices.append(row["price"])
        if row["basis"] == Basis.ACTUAL:
            group.reading_date = row["reading__reading_date"]
        elif row["basis"] == Basis.REVERSAL:
            group.reading_date = row["span_end"]
            group.reversed_months = sorted(reversed_months[(row["billing_month"], row["meter__serial_number"])])
        else:
            group.estimate_number = row["estimate_number"]
            if row["basis"] == Basis.AVERAGE and cap and group.estimate_number:
                group.norm_from = add_months(row["billing_month"], cap - group.estimate_number + 1)
    return [MonthCharges(month, list(groups.values())) for month, groups in sorted(by_month.items(), reverse=True)]


# --- Balance, invoices and payments ------------------------------------------------------------------


@dataclass(frozen=True)
class AccountMoney:
    """What an account owes now (all its charges minus all its payments; below zero is a credit)."""

    balance: Decimal
    has_invoices: bool
    to_pay: str = ""  # the newest unpaid invoice (its amount due includes what was left unpaid before it)


NO_MONEY = AccountMoney(Decimal("0.00"), False)


def _sum_of(model, field: str) -> Coalesce:
    """The correlated sum of `field` over the outer account's rows of `model` (0 without rows)."""
    total = (
        model.objects.filter(account_id=OuterRef("pk"))
        .order_by()
        .values("account_id")
        .annotate(total=Sum(field))
        .values("total")
    )
    money = DecimalField(max_digits=14, decimal_places=2)
    return Coalesce(Subquery(total, output_field=money), Value(Decimal("0.00")), output_field=money)


def accounts_money(account_ids) -> dict[int, AccountMoney]:
    """Balance and "has invoices" of every given account, in one query however many accounts."""
    account_ids = list(account_ids)
    if not account_ids:
        return {}
    rows = (
        PersonalAccount.objects.filter(pk__in=account_ids)
        .order_by()
        .annotate(
            charged=_sum_of(Charge, "amount"),
            paid=_sum_of(Payment, "amount"),
            has_invoices=Exists(Invoice.objects.filter(account_id=OuterRef("pk"))),
            to_pay=Subquery(
                Invoice.objects.filter(account_id=OuterRef("pk"), status=InvoiceStatus.ISSUED, amount_due__gt=0)
                .order_by("-issued_at", "-pk")
                .values("number")[:1]
            ),
        )
        .values_list("pk", "charged", "paid", "has_invoices", "to_pay")
    )
    # round_money: SQLite (`make run`) sums decimals as floats, and a charge and its reversal left 5.7E-14 to
    # pay; PostgreSQL's sums are exact and come back unchanged.
    return {
        pk: AccountMoney(round_money(charged) - round_money(paid), has_invoices, to_pay or "")
        for pk, charged, paid, has_invoices, to_pay in rows
    }


def account_money(account: PersonalAccount) -> AccountMoney:
    return accounts_money([account.pk]).get(account.pk, NO_MONEY)
