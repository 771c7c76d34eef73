"""Writes for customers and their accounts: links, settings, language, and the outgoing-email outbox."""

import json
import logging
import re
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery import signature
from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, connection, models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.encoding import force_bytes

from accounts.enqueue import enqueue_after_commit, enqueue_many_after_commit
from accounts.languages import path_in_language
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
from accounts.notices import Notice, kinds_of_notices, notice_of_kind
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
    headers: dict[str, str] | None = None,
    user: User | None = None,
) -> OutgoingEmail:
    """Record an email and have a worker send it after this transaction commits.

    With a `dedup_key` the same email is never recorded twice: the first one is returned instead.
    `user` names the recipient of a notice, so that unsubscribing stops it even while it is queued.
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
                headers=headers or {},
                user=user,
            )
    except IntegrityError:
        if dedup_key is None:
            raise
        return OutgoingEmail.objects.get(dedup_key=dedup_key)
    _send_after_commit(email.pk)
    return email


@dataclass(frozen=True)
class EmailDraft:
    """One email of a batch for `emails_enqueue`: the same fields as `email_enqueue`, a dedup key required."""

    to_email: str
    subject: str
    body_text: str
    language: str
    kind: str
    dedup_key: str
    user_id: int | None = None
    headers: dict = field(default_factory=dict)


def emails_enqueue(drafts: list[EmailDraft], *, queue_sends: bool = True) -> int:
    """`email_enqueue` for a batch (reminders and notices of a chunk): one INSERT that skips drafts whose
    dedup key is already in the outbox, one SELECT of what is waiting, sends queued after commit.

    Returns how many of the drafts are now waiting to be sent (new or not yet sent earlier). Without
    `queue_sends` (the demo loader, which runs before any broker) the outbox's periodic resend sends them.
    """
    if not drafts:
        return 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            waiting = _outbox_copy(drafts)
        else:
            OutgoingEmail.objects.bulk_create(
                [
                    OutgoingEmail(
                        to_email=draft.to_email,
                        subject=draft.subject[:250],
                        body_text=draft.body_text,
                        language=draft.language,
                        kind=draft.kind[:60],
                        dedup_key=draft.dedup_key,
                        user_id=draft.user_id,
                        headers=draft.headers,
                    )
                    for draft in drafts
                ],
                ignore_conflicts=True,
                batch_size=1000,
            )
            waiting = list(
                OutgoingEmail.objects.filter(
                    dedup_key__in=[draft.dedup_key for draft in drafts], status=EmailStatus.QUEUED
                ).values_list("pk", flat=True)
            )
    if queue_sends:
        _send_many_after_commit(waiting)
    return len(waiting)


def _outbox_copy(drafts: list[EmailDraft]) -> list[int]:
    """PostgreSQL: the drafts by COPY into a temporary table, then one INSERT ... SELECT that skips known
    dedup keys, and for those only, a SELECT of the ones still queued (the same outcome as bulk_create and
    `dedup_key IN (...)`). A chunk's 2,000 emails as model instances and a statement with 20,000
    placeholders cost more than rendering them (bench/RESULTS.md, reminders profile)."""
    table = connection.ops.quote_name(OutgoingEmail._meta.db_table)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE outbox_drafts (to_email text, subject text, body_text text, language text, "
            "kind text, dedup_key text, user_id bigint, headers jsonb) ON COMMIT DROP"
        )
        with cursor.cursor.copy(
            "COPY outbox_drafts (to_email, subject, body_text, language, kind, dedup_key, user_id, headers) FROM STDIN"
        ) as copy:
            for draft in drafts:
                copy.write_row(
                    (
                        draft.to_email,
                        draft.subject[:250],
                        draft.body_text,
                        draft.language,
                        draft.kind[:60],
                        draft.dedup_key,
                        draft.user_id,
                        json.dumps(draft.headers),
                    )
                )
        cursor.execute(
            f"INSERT INTO {table} (to_email, subject, body_text, body_html, language, kind, dedup_key, "
            "attachment_path, attachment_name, status, user_id, headers, attempts, last_error, next_attempt_at, "
            "created_at) "
            "SELECT to_email, subject, body_text, '', language, kind, dedup_key, '', '', %s, user_id, headers, 0, "
            "'', %s, %s FROM outbox_drafts ON CONFLICT (dedup_key) DO NOTHING RETURNING id, dedup_key",
            [EmailStatus.QUEUED, now, now],
        )
        inserted = cursor.fetchall()
        cursor.execute("DROP TABLE outbox_drafts")  # a second batch in the same transaction makes its own
        waiting = [email_id for email_id, _ in inserted]
        new_keys = {key for _, key in inserted}
        known = [draft.dedup_key for draft in drafts if draft.dedup_key not in new_keys]
        if known:  # drafted before (a rerun): still waiting if not sent yet. Usually none, so no scan at all.
            cursor.execute(
                f"SELECT id FROM {table} WHERE status = %s AND dedup_key = ANY(%s)", [EmailStatus.QUEUED, known]
            )
            waiting += [row[0] for row in cursor.fetchall()]
    return waiting


# The send tasks are queued by their registered name: accounts.tasks calls this module, so it is never imported here.
EMAIL_SEND = "accounts.tasks.email_send"
EMAILS_SEND = "accounts.tasks.emails_send"


def _send_after_commit(email_id: int) -> None:
    enqueue_after_commit(signature(EMAIL_SEND), email_id)


# Emails of a batch per send task: publishing a task cost about 0.5 ms of CPU, five times drafting a reminder.
OUTBOX_SEND_BATCH = 25


def _send_many_after_commit(email_ids: list[int]) -> None:
    batches = [email_ids[start : start + OUTBOX_SEND_BATCH] for start in range(0, len(email_ids), OUTBOX_SEND_BATCH)]
    enqueue_many_after_commit(signature(EMAILS_SEND), [(batch,) for batch in batches])


@dataclass(frozen=True)
class Delivery:
    status: str  # sent, retry, failed, skipped
    retry_in: int = 0


def retry_delay(attempts: int) -> int:
    """Exponential backoff: base, 2x base, 4x base ... capped."""
    return min(settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), settings.OUTBOX_RETRY_MAX_SECONDS)


# A worker on another machine may read the clock a little ahead of the one that set next_attempt_at.
CLAIM_CLOCK_SLACK = timedelta(seconds=5)


def email_deliver(*, email_id: int, now: datetime) -> Delivery:
    """Send one queued email once, with no row lock held while SMTP talks (it may take EMAIL_TIMEOUT).

    1. Claim (a short transaction): count the attempt and move `next_attempt_at` past the backoff, so a
       duplicate delivery finds the email not due and skips it, and a worker killed mid-send leaves it for
       `email_requeue_due` after the backoff. A first attempt is always due; a later one only once its
       `next_attempt_at` has come.
    2. Send, outside any transaction.
    3. Record the outcome: sent; or a temporary failure (4xx, timeout, refused connection) to retry after
       the backoff, failed after OUTBOX_MAX_ATTEMPTS; or a permanent rejection (5xx) failed at once.
       The last error stays on the row for staff (the outbox in the admin).
    """
    with transaction.atomic():
        email = (
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, status=EmailStatus.QUEUED)
            .filter(models.Q(attempts=0) | models.Q(next_attempt_at__lte=now + CLAIM_CLOCK_SLACK))
            .first()
        )
        if email is None:
            return Delivery("skipped")
        if _unsubscribed_meanwhile(email):
            # Honoured at once: a notice queued before its recipient unsubscribed is not sent.
            email.status = EmailStatus.CANCELLED
            email.save(update_fields=["status"])
            return Delivery("cancelled")
        email.attempts += 1
        email.next_attempt_at = now + timedelta(seconds=retry_delay(email.attempts))
        email.save(update_fields=["attempts", "next_attempt_at"])
    try:
        _smtp_send(email)
    except (smtplib.SMTPException, OSError) as error:
        return _delivery_failed(email, error, now=now)
    OutgoingEmail.objects.filter(pk=email.pk).update(status=EmailStatus.SENT, sent_at=now, last_error="")
    return Delivery("sent")


def _smtp_send(email: OutgoingEmail) -> None:
    message = EmailMultiAlternatives(
        email.subject,
        email.body_text,
        settings.DEFAULT_FROM_EMAIL,
        [email.to_email],
        headers=email.headers or None,
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    if email.attachment_path:
        with default_storage.open(email.attachment_path, "rb") as attachment:
            message.attach(email.attachment_name or "attachment.pdf", attachment.read(), "application/pdf")
    message.send()


def smtp_rejection_is_permanent(error: Exception) -> bool:
    """A 5xx reply (unknown mailbox, refused sender, message refused) will not change on a retry."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def _delivery_failed(email: OutgoingEmail, error: Exception, *, now: datetime) -> Delivery:
    last_error = f"{type(error).__name__}: {error}"[:2000]
    permanent = smtp_rejection_is_permanent(error)
    if permanent or email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        OutgoingEmail.objects.filter(pk=email.pk).update(status=EmailStatus.FAILED, last_error=last_error)
        why = "rejected for good" if permanent else f"failed after {email.attempts} attempts"
        logger.error("email %s to %s %s: %s", email.pk, email.to_email, why, last_error)
        return Delivery("failed")
    retry_in = retry_delay(email.attempts)
    OutgoingEmail.objects.filter(pk=email.pk).update(
        last_error=last_error, next_attempt_at=now + timedelta(seconds=retry_in)
    )
    logger.warning("email %s: %s; retry in %s s", email.pk, last_error, retry_in)
    return Delivery("retry", retry_in)


def _unsubscribed_meanwhile(email: OutgoingEmail) -> bool:
    notice = notice_of_kind(email.kind)
    if notice is None:
        return False
    # Emails recorded without their user (the invoice emails) are matched by address.
    match = {"pk": email.user_id} if email.user_id else {"email__iexact": email.to_email}
    users = User.objects.filter(**match)
    user = users.only("pk", *(f"notify_{value}" for value in Notice.values)).first()
    return user is not None and not user.wants(notice)


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


# --- Notice preferences and unsubscribing -----------------------------------------------------------

UNSUBSCRIBE_SALT = "accounts.unsubscribe"


def unsubscribe_token(*, user_id: int, notice: str) -> str:
    """A signed token naming the user and the notice: the link works without logging in and never expires
    (an old email's link must still work); it can only turn that one notice off."""
    return signing.dumps([user_id, str(notice)], salt=UNSUBSCRIBE_SALT, compress=False)


class UnsubscribeTokens:
    """`unsubscribe_token` for many users at once (a chunk's reminders): the same tokens, from one signer
    whose HMAC key is derived once instead of per token (in a chunk's profile, signing was a third of an
    email's cost, most of it setting up the signer and deriving its key)."""

    def __init__(self, notice: str):
        self.notice = str(notice)
        self.signer = _OnceKeyedSigner(salt=UNSUBSCRIBE_SALT)

    def __call__(self, user_id: int) -> str:
        return self.signer.sign_object([user_id, self.notice], compress=False)


class _OnceKeyedSigner(signing.TimestampSigner):
    """Django's TimestampSigner (same tokens, `signing.loads` reads them) keeping its keyed HMAC."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # salted_hmac derives the key as Signer.signature does; an HMAC of nothing yet, copied per token.
        self._keyed = salted_hmac(self.salt + "signer", b"", self.key, algorithm=self.algorithm)

    def signature(self, value, key=None):
        if key is not None and key != self.key:
            return super().signature(value, key)
        mac = self._keyed.copy()
        mac.update(force_bytes(value))
        return signing.b64_encode(mac.digest()).decode()


def unsubscribe_token_read(token: str) -> tuple[User, str] | None:
    """The user and the notice a token names, or None for a bad or tampered token (or a deleted user)."""
    try:
        user_id, notice = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if notice not in Notice.values or not isinstance(user_id, int):
        return None
    user = User.objects.filter(pk=user_id).first()
    return (user, notice) if user is not None else None


def absolute_url(view_name: str, *args, language: str) -> str:
    """A page's address for an email sent by a background job: absolute (PORTAL_URL), in the reader's
    language."""
    with translation.override(language):
        path = reverse(view_name, args=args)
    return settings.PORTAL_URL + path_in_language(path, language)


def unsubscribe_url(*, user_id: int, notice: str, language: str) -> str:
    """The absolute, language-prefixed address of the unsubscribe page for one notice of one user."""
    return absolute_url("unsubscribe", unsubscribe_token(user_id=user_id, notice=notice), language=language)


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 2369 + RFC 8058: mail clients show an "Unsubscribe" button that POSTs to the url at once."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def profile_url(language: str) -> str:
    return absolute_url("profile", language=language)


def draft_enqueue(draft: EmailDraft, *, user=None, attachment_path: str = "", attachment_name: str = ""):
    """`email_enqueue` for one draft (a notice sent on its own rather than in a batch)."""
    return email_enqueue(
        to_email=draft.to_email,
        subject=draft.subject,
        body_text=draft.body_text,
        language=draft.language,
        kind=draft.kind,
        dedup_key=draft.dedup_key,
        attachment_path=attachment_path,
        attachment_name=attachment_name,
        headers=draft.headers,
        user=user,
    )


def notice_draft(
    *,
    notice: str,
    kind: str,
    user_id: int,
    email: str,
    language: str,
    subject: str,
    template: str,
    context: dict,
    dedup_key: str,
) -> EmailDraft:
    """A notice email in the reader's language with what every notice carries: the link that stops this
    notice (in the text, and as RFC 8058 headers for the mail client's button) and the profile link."""
    stop = unsubscribe_url(user_id=user_id, notice=notice, language=language)
    with translation.override(language):
        body = render_to_string(template, {**context, "unsubscribe_url": stop, "profile_url": profile_url(language)})
    return EmailDraft(
        to_email=email,
        subject=subject,
        body_text=body,
        language=language,
        kind=kind,
        dedup_key=dedup_key,
        user_id=user_id,
        headers=unsubscribe_headers(stop),
    )


def user_notifications_set(*, user: User, notices: dict[str, bool]) -> list[str]:
    """Turn notices on or off; a notice turned off stops at once, including emails of it still queued.

    Returns the notices that were turned off now.
    """
    unknown = set(notices) - set(Notice.values)
    if unknown:
        raise ValueError(f"unknown notices {sorted(unknown)!r}")
    changed = [notice for notice, wanted in notices.items() if user.wants(notice) != wanted]
    if not changed:
        return []
    turned_off = [notice for notice in changed if not notices[notice]]
    with transaction.atomic():
        for notice in changed:
            setattr(user, f"notify_{notice}", notices[notice])
        user.save(update_fields=[f"notify_{notice}" for notice in changed])
        if turned_off:
            kinds = kinds_of_notices(turned_off)
            OutgoingEmail.objects.filter(status=EmailStatus.QUEUED, kind__in=kinds).filter(
                models.Q(user=user) | models.Q(user__isnull=True, to_email__iexact=user.email)
            ).update(status=EmailStatus.CANCELLED)
    return turned_off


def notice_unsubscribe(*, user: User, notice: str) -> bool:
    """The unsubscribe link's confirmation (or a mail client's one-click POST). True when it changed anything."""
    return bool(user_notifications_set(user=user, notices={notice: False}))
