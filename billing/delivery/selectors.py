"""Reads of delivery: who is told of an invoice, and the estimates a final pass made, by account."""

from django.db.models import Q, QuerySet, Sum

from accounts.models import AccountLink, District, PersonalAccount
from billing.models import ESTIMATE_BASES, BillingChunk, BillingRun, Charge, Invoice, InvoiceStatus
from billing.run.plan import PASS_FINAL


def invoice_ready_links(invoice: Invoice) -> QuerySet:
    """The links of the invoice's account whose users asked for this account's email, with the users."""
    return AccountLink.objects.filter(account_id=invoice.account_id, notify_by_email=True).select_related("user")


def newer_invoice_exists(invoice: Invoice) -> bool:
    """An invoice the account already has a later one for is old news: its PDF may be rendered late (a
    backlog, the demo loader), but only the latest one is announced."""
    later = Q(issued_on__gt=invoice.issued_on) | Q(issued_on=invoice.issued_on, pk__gt=invoice.pk)
    return (
        Invoice.objects.filter(account_id=invoice.account_id).exclude(status=InvoiceStatus.VOID).filter(later).exists()
    )


def estimate_notice_ranges(*, run_id: int) -> list[tuple[int, int]]:
    """The account ranges of a final pass's chunks: the notices fan out over the same chunks."""
    run = BillingRun.objects.filter(pk=run_id, pass_name=PASS_FINAL).first()
    if run is None:
        return []
    return list(
        BillingChunk.objects.filter(run=run).order_by("index").values_list("first_account_id", "last_account_id")
    )


def estimated_meters(*, run: BillingRun, first_account_id: int, last_account_id: int) -> QuerySet:
    """The run's estimated kWh per account and meter in an account range, in account and meter order."""
    return (
        Charge.objects.filter(
            run=run,
            basis__in=ESTIMATE_BASES,
            account_id__gte=first_account_id,
            account_id__lte=last_account_id,
        )
        .values("account_id", "meter__serial_number", "basis", "estimate_number")
        .annotate(kwh=Sum("volume_kwh"))
        .order_by("account_id", "meter__serial_number")
    )


def notice_accounts(account_ids: list[int]) -> tuple[dict[int, dict], dict[int, District]]:
    """The accounts (pk, number, district) by id, and their districts by id."""
    accounts = {
        row["pk"]: row
        for row in PersonalAccount.objects.filter(pk__in=account_ids).values("pk", "number", "district_id")
    }
    district_ids = {account["district_id"] for account in accounts.values()}
    return accounts, {district.pk: district for district in District.objects.filter(pk__in=district_ids)}


def estimate_notice_links(account_ids: list[int]) -> QuerySet:
    """The links whose active users want estimate notices by email, in account and user order."""
    return (
        AccountLink.objects.filter(
            account_id__in=account_ids,
            notify_by_email=True,
            user__is_active=True,
            user__notify_estimates=True,
        )
        .order_by("account_id", "user_id")
        .values("account_id", "user_id", "user__email", "user__full_name", "user__preferred_language")
    )
