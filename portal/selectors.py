"""Reads that the portal-wide pages need."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from accounts.models import District
from accounts.windows import WindowStatus
from billing.selectors import NO_MONEY, accounts_money
from readings.models import Meter
from readings.selectors import meters_with_last_reading


@dataclass(frozen=True)
class DistrictWindow:
    district: District
    status: WindowStatus


def district_window_statuses(*, today=None) -> list[DistrictWindow]:
    """Every district with the state of its submission window today (Kyiv time by default)."""
    today = today or timezone.localdate()
    return [DistrictWindow(district, district.window.status(today)) for district in District.objects.all()]


def footer_districts() -> list[District]:
    return list(District.objects.only("code", "name", "contact_phone", "contact_email", "office_address"))


@dataclass(frozen=True)
class AccountCard:
    """One account as the cabinet shows it: where it is, its meters, its window, its money."""

    account: object
    meters: list
    window: WindowStatus
    balance: Decimal  # what the account owes now: all charges minus all payments; below zero, a credit
    has_invoices: bool
    to_pay: str = ""  # the invoice the "Pay" button opens: the newest unpaid one


def account_cards(accounts, *, today) -> list[AccountCard]:
    """Cards for the given accounts in a fixed number of queries, however many accounts and meters."""
    accounts = list(accounts)
    meters = list(
        Meter.objects.filter(account__in=accounts, removed_on__isnull=True).order_by("account_id", "serial_number")
    )
    summaries = meters_with_last_reading(meters)
    by_account: dict[int, list] = {account.pk: [] for account in accounts}
    for summary in summaries:
        by_account[summary.meter.account_id].append(summary)
    money = accounts_money([account.pk for account in accounts])  # one query for every card's balance
    cards = []
    for account in accounts:
        account_money = money.get(account.pk, NO_MONEY)
        window = account.district.window.status(today)
        cards.append(
            AccountCard(
                account,
                by_account[account.pk],
                window,
                account_money.balance,
                account_money.has_invoices,
                account_money.to_pay,
            )
        )
    return cards
