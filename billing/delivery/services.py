"""After pass `final` of a month: tell each account's users which meters were estimated, by how much, and
until when a reading still helps ("No reading for November: estimated at 212 kWh by your average use; pass
a reading by 3 January to avoid the norm").

Queued from `run_finish` when the pass commits; the task fans out over the run's own chunks of accounts,
and each chunk is three set-based queries plus one INSERT of the emails. The dedup key (account, month,
user) makes a rerun send nothing twice.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from accounts.languages import month_in_sentence
from accounts.models import AccountLink, District, Notice, PersonalAccount
from accounts.services import EmailDraft, absolute_url, emails_enqueue, notice_draft
from accounts.windows import add_months
from billing.models import ESTIMATE_BASES, Basis, BillingChunk, BillingRun, Charge
from billing.run.plan import PASS_FINAL

EMAIL_KIND = "estimate_notice"


@dataclass(frozen=True)
class MeterEstimate:
    serial: str
    basis: str  # average or norm
    kwh: int
    estimate_number: int | None
    norm_next: bool  # the next estimate of this meter would be by the norm


def norm_is_next(*, basis: str, estimate_number: int | None, cap: int) -> bool:
    """Whether the month after an average estimate would be estimated by the norm (the same countdown as
    `billing.selectors`: the norm applies from month `cap + 1` since the last actual reading)."""
    return basis == Basis.AVERAGE and bool(cap) and estimate_number is not None and estimate_number >= cap


def estimate_notice_ranges(*, run_id: int) -> list[tuple[int, int]]:
    """The account ranges of a final pass's chunks: the notices fan out over the same chunks."""
    run = BillingRun.objects.filter(pk=run_id, pass_name=PASS_FINAL).first()
    if run is None:
        return []
    return list(
        BillingChunk.objects.filter(run=run).order_by("index").values_list("first_account_id", "last_account_id")
    )


def estimate_notices_send(*, run_id: int, first_account_id: int, last_account_id: int, queue_sends: bool = True) -> int:
    """Email the users of a range's accounts that the run estimated; returns the emails waiting to be sent."""
    run = BillingRun.objects.get(pk=run_id)
    month, cap = run.month, settings.ESTIMATE_AVERAGE_MAX_MONTHS
    rows = (
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
    by_account: dict[int, list[MeterEstimate]] = {}
    for row in rows:
        by_account.setdefault(row["account_id"], []).append(
            MeterEstimate(
                serial=row["meter__serial_number"],
                basis=row["basis"],
                kwh=row["kwh"],
                estimate_number=row["estimate_number"],
                norm_next=norm_is_next(basis=row["basis"], estimate_number=row["estimate_number"], cap=cap),
            )
        )
    if not by_account:
        return 0
    accounts = {
        row["pk"]: row
        for row in PersonalAccount.objects.filter(pk__in=list(by_account)).values("pk", "number", "district_id")
    }
    district_ids = {account["district_id"] for account in accounts.values()}
    districts = {district.pk: district for district in District.objects.filter(pk__in=district_ids)}
    links = (
        AccountLink.objects.filter(
            account_id__in=list(by_account),
            notify_by_email=True,
            user__is_active=True,
            user__notify_estimates=True,
        )
        .order_by("account_id", "user_id")
        .values("account_id", "user_id", "user__email", "user__full_name", "user__preferred_language")
    )
    drafts = []
    for link in links:
        account = accounts[link["account_id"]]
        # A reading passed in the next month's window bills the next month and reverses this estimate.
        reading_by = districts[account["district_id"]].window.closes_on(add_months(month, 1))
        drafts.append(
            estimate_email(
                month=month,
                reading_by=reading_by,
                number=account["number"],
                account_id=account["pk"],
                estimates=by_account[account["pk"]],
                user_id=link["user_id"],
                email=link["user__email"],
                full_name=link["user__full_name"],
                language=link["user__preferred_language"] or settings.LANGUAGE_CODE,
            )
        )
    with transaction.atomic():
        return emails_enqueue(drafts, queue_sends=queue_sends)


def estimate_email(
    *,
    month: date,
    reading_by: date,
    number: str,
    account_id: int,
    estimates: list[MeterEstimate],
    user_id: int,
    email: str,
    full_name: str,
    language: str,
) -> EmailDraft:
    with translation.override(language):
        month_name, by = month_in_sentence(month), date_format(reading_by, "j E Y")
        next_month = month_in_sentence(add_months(month, 1))
        lines = []
        for estimate in estimates:
            values = {"serial": estimate.serial, "month": month_name, "kwh": estimate.kwh, "date": by}
            if estimate.basis == Basis.NORM:
                line = gettext(
                    "Meter %(serial)s: no reading for %(month)s, estimated at %(kwh)s kWh by the norm. "
                    "Pass a reading by %(date)s so that your bill follows your meter again."
                )
            elif estimate.norm_next:
                line = gettext(
                    "Meter %(serial)s: no reading for %(month)s, estimated at %(kwh)s kWh by your average use. "
                    "Pass a reading by %(date)s to avoid the norm: from %(next_month)s the norm applies "
                    "unless you pass a reading."
                )
                values["next_month"] = next_month
            else:
                line = gettext(
                    "Meter %(serial)s: no reading for %(month)s, estimated at %(kwh)s kWh by your average use. "
                    "Pass a reading by %(date)s and the estimate is recalculated by your meter."
                )
            lines.append(line % values)
        context = {
            "full_name": full_name,
            "number": number,
            "month": month_name,
            "lines": lines,
            "url": absolute_url("account_charges", number, language=language),
        }
        subject = gettext("No reading for %(month)s: your bill is estimated") % {"month": month_name}
    return notice_draft(
        notice=Notice.ESTIMATES,
        kind=EMAIL_KIND,
        user_id=user_id,
        email=email,
        language=language,
        subject=subject,
        template="emails/estimate_notice.txt",
        context=context,
        dedup_key=f"estimate:{month:%Y-%m}:{account_id}:{user_id}",
    )
