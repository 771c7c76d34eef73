"""Writes for customers and their accounts: links, settings, language, and the outgoing-email outbox."""

import logging
import re
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction

from accounts.models import (
    AccountLink,
    AccountLinkEvent,
    EmailStatus,
    InvoiceMode,
    LinkAction,
    OutgoingEmail,
    PersonalAccount,
    User,
)
from accounts.ratelimit import Limit, attempt_count, limit_reached

logger = logging.getLogger(__name__)


class LinkError(Exception):
    """Linking refused. `code` is stable: not_found, rate_limited, already_linked."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def normalize_account_number(raw: str) -> str:
    """Customers copy numbers with spaces or dashes from paper bills: keep the digits only."""
    return re.sub(r"[\s-]", "", raw or "")


def _link_limits() -> tuple[Limit, Limit]:
    window = settings.ACCOUNT_LINK_WINDOW_SECONDS
    return (
        Limit(settings.ACCOUNT_LINK_FAILURES_PER_USER, window),
        Limit(settings.ACCOUNT_LINK_FAILURES_PER_IP, window),
    )


def account_link(*, user: User, account_number: str, meter_serial: str, client_ip: str) -> AccountLink:
    """Link an account to a user who proves possession by its number plus a serial of one of its meters.

    A wrong pair raises LinkError("not_found") whichever half was wrong, and counts against the user and
    the client address; past the limit every attempt raises LinkError("rate_limited") unchecked.
    """
    per_user, per_ip = _link_limits()
    user_key, ip_key = f"user:{user.pk}", f"ip:{client_ip}"
    if limit_reached("account_link", user_key, per_user) or limit_reached("account_link", ip_key, per_ip):
        raise LinkError("rate_limited")
    number = normalize_account_number(account_number)
    serial = (meter_serial or "").strip()
    account = (
        PersonalAccount.objects.filter(
            number=number,
            is_active=True,
            meters__serial_number__iexact=serial,
            meters__removed_on__isnull=True,
        ).first()
        if number and serial
        else None
    )
    if account is None:
        attempt_count("account_link", user_key, per_user)
        attempt_count("account_link", ip_key, per_ip)
        _link_event(LinkAction.FAILED, user=user, account=None, entered=number, actor=user, client_ip=client_ip)
        raise LinkError("not_found")
    with transaction.atomic():
        link, created = AccountLink.objects.get_or_create(user=user, account=account)
        if not created:
            raise LinkError("already_linked")
        _link_event(LinkAction.LINK, user=user, account=account, entered=number, actor=user, client_ip=client_ip)
    return link


def account_link_by_staff(*, staff: User, user: User, account: PersonalAccount) -> AccountLink:
    """The contact centre links an account on the customer's request (identity checked by phone)."""
    with transaction.atomic():
        link, created = AccountLink.objects.get_or_create(
            user=user, account=account, defaults={"created_by_staff": staff}
        )
        if created:
            _link_event(LinkAction.LINK, user=user, account=account, entered=account.number, actor=staff)
    return link


def account_unlink(*, link: AccountLink, actor: User, client_ip: str | None = None) -> None:
    with transaction.atomic():
        _link_event(
            LinkAction.UNLINK,
            user=link.user,
            account=link.account,
            entered=link.account.number,
            actor=actor,
            client_ip=client_ip,
        )
        link.delete()


def _link_event(action, *, user, account, entered, actor, client_ip=None) -> None:
    AccountLinkEvent.objects.create(
        action=action,
        user=user,
        user_email=user.email,
        account=account,
        account_number=entered[:40],
        actor=actor,
        by_staff=actor is not None and actor.pk != user.pk and actor.is_staff,
        client_ip=client_ip if client_ip and client_ip != "unknown" else None,
    )


def account_settings_update(
    *, account: PersonalAccount, invoice_mode: str, paper_copy: bool, premises_vacant: bool
) -> PersonalAccount:
    if invoice_mode not in InvoiceMode.values:
        raise ValueError(f"unknown invoice mode {invoice_mode!r}")
    account.invoice_mode = invoice_mode
    account.paper_copy = paper_copy
    account.premises_vacant = premises_vacant
    account.save(update_fields=["invoice_mode", "paper_copy", "premises_vacant", "updated_at"])
    return account


def link_notifications_set(*, link: AccountLink, notify_by_email: bool) -> None:
    if link.notify_by_email != notify_by_email:
        link.notify_by_email = notify_by_email
        link.save(update_fields=["notify_by_email"])


def user_language_set(*, user: User, language: str) -> None:
    """Remember the language a user reads in; their emails and documents use it."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"unknown language {language!r}")
    if user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])


# --- The outbox ------------------------------------------------------------------------------------


def email_enqueue(
    *,
    to_email: str,
    subject: str,
    body_text: str,
    language: str,
    kind: str,
    body_html: str = "",
    dedup_key: str | None = None,
    attachment_path: str = "",
    attachment_name: str = "",
) -> OutgoingEmail:
    """Record an email and have a worker send it after this transaction commits.

    With a `dedup_key` the same email is never recorded twice: the first one is returned instead.
    """
    try:
        with transaction.atomic():
            email = OutgoingEmail.objects.create(
                to_email=to_email,
                subject=subject[:250],
                body_text=body_text,
                body_html=body_html,
                language=language,
                kind=kind[:60],
                dedup_key=dedup_key,
                attachment_path=attachment_path,
                attachment_name=attachment_name,
            )
    except IntegrityError:
        if dedup_key is None:
            raise
        return OutgoingEmail.objects.get(dedup_key=dedup_key)
    _send_after_commit(email.pk)
    return email


def _send_after_commit(email_id: int) -> None:
    from accounts.tasks import email_send

    transaction.on_commit(lambda: email_send.delay(email_id))


@dataclass(frozen=True)
class Delivery:
    status: str  # sent, retry, failed, skipped
    retry_in: int = 0


def retry_delay(attempts: int) -> int:
    """Exponential backoff: base, 2x base, 4x base ... capped."""
    return min(settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), settings.OUTBOX_RETRY_MAX_SECONDS)


def email_deliver(*, email_id: int, now: datetime) -> Delivery:
    """Send one queued email once. The row lock makes a second worker skip it; a sent row is never resent."""
    with transaction.atomic():
        email = (
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, status=EmailStatus.QUEUED)
            .first()
        )
        if email is None:
            return Delivery("skipped")
        message = EmailMultiAlternatives(email.subject, email.body_text, settings.DEFAULT_FROM_EMAIL, [email.to_email])
        if email.body_html:
            message.attach_alternative(email.body_html, "text/html")
        if email.attachment_path:
            with default_storage.open(email.attachment_path, "rb") as attachment:
                message.attach(email.attachment_name or "attachment.pdf", attachment.read(), "application/pdf")
        email.attempts += 1
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as error:
            email.last_error = f"{type(error).__name__}: {error}"[:2000]
            if email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                email.status = EmailStatus.FAILED
                outcome = Delivery("failed")
                logger.error("email %s to %s failed for good: %s", email.pk, email.to_email, email.last_error)
            else:
                outcome = Delivery("retry", retry_delay(email.attempts))
                email.next_attempt_at = now + timedelta(seconds=outcome.retry_in)
                logger.warning("email %s: %s; retry in %s s", email.pk, email.last_error, outcome.retry_in)
            email.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            return outcome
        email.status = EmailStatus.SENT
        email.sent_at = now
        email.save(update_fields=["attempts", "status", "sent_at"])
    return Delivery("sent")


def email_requeue_due(*, now: datetime, grace: timedelta = timedelta(minutes=2)) -> int:
    """Safety net for lost tasks: queue again every email whose next attempt is overdue."""
    due = list(
        OutgoingEmail.objects.filter(status=EmailStatus.QUEUED, next_attempt_at__lte=now - grace).values_list(
            "pk", flat=True
        )[:5000]
    )
    for email_id in due:
        _send_after_commit(email_id)
    return len(due)


def email_retry_now(*, email_ids: list[int], now: datetime) -> int:
    """Staff: send failed or waiting emails again now."""
    count = (
        OutgoingEmail.objects.filter(pk__in=email_ids)
        .exclude(status=EmailStatus.SENT)
        .update(status=EmailStatus.QUEUED, next_attempt_at=now, attempts=0)
    )
    for email_id in email_ids:
        _send_after_commit(email_id)
    return count
