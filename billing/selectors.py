"""Reads for the cabinet: an account's charges by month, each line explained in the customer's words."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum

from accounts.models import PersonalAccount
from accounts.windows import add_months
from billing.models import Basis, Charge


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
        )
        .annotate(kwh=Sum("volume_kwh"), money=Sum("amount"))
        .order_by("-billing_month", "meter__serial_number", "basis", "zone")
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
        group.amount += row["money"]
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
