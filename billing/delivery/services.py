"""Telling customers, by email through the outbox: "your invoice is ready" once its PDF is stored, and after
pass `final` of a month which meters were estimated, by how much, and until when a reading still helps ("No
reading for November: estimated at 212 kWh by your average use; pass a reading by 3 January to avoid the
norm").

The estimate notices are queued from `run_finish` when the pass commits; the task fans out over the run's own
chunks of accounts, and each chunk is three set-based queries plus one INSERT of the emails. The dedup key
(account, month, user) makes a rerun send nothing twice.
"""

from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from accounts.languages import month_in_sentence
from accounts.notices import Notice
from accounts.services import EmailDraft, absolute_url, draft_enqueue, emails_enqueue, notice_draft
from accounts.windows import add_months
from billing.delivery.rules import MeterEstimate, issued_after_linking, norm_is_next
from billing.delivery.selectors import (
    estimate_notice_links,
    estimated_meters,
    invoice_ready_links,
    newer_invoice_exists,
    notice_accounts,
)
from billing.email_kinds import ESTIMATE_NOTICE, INVOICE_READY
from billing.models import Basis, BillingRun, Invoice, InvoiceStatus


def invoice_ready_notify(*, invoice: Invoice) -> int:
    """Email "your invoice is ready" with the PDF to every linked user who wants this account's email.

    Only once the PDF is stored: the email says it is attached. Each user gets one email per invoice
    (the outbox's dedup key), whatever retries and second renders do.
    """
    if invoice.status == InvoiceStatus.VOID or not invoice.pdf or newer_invoice_exists(invoice):
        return 0
    sent = 0
    for link in invoice_ready_links(invoice):
        user = link.user
        if not user.is_active or not user.notify_invoices:
            continue
        if not issued_after_linking(
            issued_on=invoice.issued_on, issued_at=invoice.issued_at, linked_on=timezone.localdate(link.created_at),
            linked_at=link.created_at,
        ):  # fmt: skip
            continue
        language = user.preferred_language or "uk"
        with translation.override(language):
            subject = gettext("Your invoice %(number)s is ready") % {"number": invoice.number}
        draft = notice_draft(
            notice=Notice.INVOICES,
            kind=INVOICE_READY.code,
            user_id=user.pk,
            email=user.email,
            language=language,
            subject=subject,
            template="billing/email/invoice_ready.txt",
            context={
                "invoice": invoice,
                "user": user,
                "url": absolute_url("invoice_detail", invoice.account_number, invoice.number, language=language),
            },
            dedup_key=f"invoice-ready:{invoice.pk}:{user.pk}",
        )
        draft_enqueue(draft, user=user, attachment_path=invoice.pdf.name, attachment_name=f"{invoice.number}.pdf")
        sent += 1
    return sent


def estimate_notices_send(*, run_id: int, first_account_id: int, last_account_id: int, queue_sends: bool = True) -> int:
    """Email the users of a range's accounts that the run estimated; returns the emails waiting to be sent."""
    run = BillingRun.objects.get(pk=run_id)
    month, cap = run.month, settings.ESTIMATE_AVERAGE_MAX_MONTHS
    by_account: dict[int, list[MeterEstimate]] = {}
    for row in estimated_meters(run=run, first_account_id=first_account_id, last_account_id=last_account_id):
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
    accounts, districts = notice_accounts(list(by_account))
    drafts = []
    for link in estimate_notice_links(list(by_account)):
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
        kind=ESTIMATE_NOTICE.code,
        user_id=user_id,
        email=email,
        language=language,
        subject=subject,
        template="emails/estimate_notice.txt",
        context=context,
        dedup_key=f"estimate:{month:%Y-%m}:{account_id}:{user_id}",
    )
