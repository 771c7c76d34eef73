"""Readings by email: a mail service's inbound webhook (django-anymail: Mailgun, SES, Postmark, SendGrid and
the others by configuration) hands each message here. What the text names clearly (the account and the
meter serial, or the account alone from a verified email of a user linked to it, plus a value for each of
the meter's zones) goes through the reading service, and the sender gets the SMS channel's short echo by
email. Everything else waits in the staff queue ("Emailed readings" in the admin) with the email shown;
staff pick the meter and accept, and the sender gets the same echo.
"""

import hashlib
import logging

from django.db import transaction
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from accounts.models import AccountLink
from accounts.services import email_enqueue
from readings import services as reading_services
from readings.channels.conversation import printable
from readings.channels.email_format import EmailFacts, parse_email_reading, text_language
from readings.channels.sms import SmsReply, outcome_reply
from readings.models import Channel, EmailReading, EmailReadingStatus, Meter
from readings.selectors import meter_by_numbers

logger = logging.getLogger(__name__)

MAX_BODY = 20_000
NO_ACCOUNT = "no account number found"
NO_MATCH = "the account number and the meter serial do not match"
NO_SERIAL = "no meter serial, and the sender is not a verified user of the account"
SEVERAL_METERS = "the account has several meters and the email names none"
NO_VALUES = "no value for each of the meter's zones"


def _meter_for(facts: EmailFacts, sender: str) -> tuple[Meter | None, str]:
    if not facts.account_number:
        return None, NO_ACCOUNT
    if facts.meter_serial:
        meter = meter_by_numbers(facts.account_number, facts.meter_serial)
        return (meter, "") if meter else (None, NO_MATCH)
    # The account number alone is no proof of access; a verified address of a linked user is.
    link = (
        AccountLink.objects.filter(
            account__number=facts.account_number,
            account__is_active=True,
            user__emailaddress__email__iexact=sender,
            user__emailaddress__verified=True,
        )
        .select_related("account")
        .first()
    )
    if link is None:
        return None, NO_SERIAL
    meters = list(link.account.meters.filter(removed_on__isnull=True).select_related("account__district")[:2])
    return (meters[0], "") if len(meters) == 1 else (None, SEVERAL_METERS)


def email_values(facts: EmailFacts, meter: Meter) -> dict[str, int] | None:
    if all(zone in facts.values for zone in meter.zones):
        return {zone: facts.values[zone] for zone in meter.zones}
    if meter.zones == ("total",) and len(facts.values) == 1:
        return {"total": next(iter(facts.values.values()))}
    return None


def _submit(row: EmailReading, *, meter, values, reading_date, staff, decimals, now, today) -> SmsReply:
    outcome = reading_services.reading_submit(
        meter=meter,
        values=values,
        reading_date=reading_date,
        channel=Channel.EMAIL,
        submitted_by=staff,
        now=now,
        today=today,
        swap_confirmed=False,  # an email is not a conversation: the values count as written
    )
    with translation.override(row.language):
        reply = outcome_reply(outcome, meter, values, (str(decimals),) if decimals else ())
        subject = _("Your meter reading")
    row.meter, row.reading, row.reply = meter, outcome.reading, reply.text
    row.status = EmailReadingStatus.ACCEPTED if outcome.saved else EmailReadingStatus.REJECTED
    if staff is not None:
        row.decided_by, row.decided_at = staff, now
    row.save()
    if outcome.saved or staff is None:
        email_enqueue(
            to_email=row.sender,
            subject=subject,
            body_text=reply.text,
            language=row.language,
            kind="email_reading_reply",
            dedup_key=f"email-reading-reply:{row.pk}",
        )
    return reply


def email_reading_receive(*, message_id: str, sender: str, subject: str, text: str, now, today) -> EmailReading:
    """Record one inbound email and pass its reading when it is clear; a repeated message id is a no-op."""
    sender, subject, body = printable(sender)[:254], printable(subject)[:250], printable(text)[:MAX_BODY]
    with transaction.atomic():
        row, created = EmailReading.objects.get_or_create(
            message_id=printable(message_id)[:255],
            defaults={
                "sender": sender,
                "subject": subject,
                "body": body,
                "received_at": now,
                "language": text_language(f"{subject}\n{body}"),
                "status": EmailReadingStatus.QUEUED,
            },
        )
        if not created:
            return row
        facts = parse_email_reading(f"{subject}\n{body}")
        meter, reason = _meter_for(facts, sender)
        values = email_values(facts, meter) if meter else None
        if meter is None or values is None:
            row.meter, row.reason = meter, reason or NO_VALUES
            row.save(update_fields=["meter", "reason"])
            return row
        reading_date = facts.reading_date if facts.reading_date and facts.reading_date <= today else today
        _submit(
            row,
            meter=meter,
            values=values,
            reading_date=reading_date,
            staff=None,
            decimals=facts.decimals,
            now=now,
            today=today,
        )
    return row


def email_reading_accept(
    *, email_reading_id: int, meter: Meter, values: dict, reading_date, staff, now, today
) -> SmsReply:
    """Staff pass the reading of a queued email for the meter they picked; the sender gets the echo."""
    with transaction.atomic():
        row = EmailReading.objects.select_for_update().get(pk=email_reading_id)
        if row.status not in (EmailReadingStatus.QUEUED, EmailReadingStatus.REJECTED):
            raise ValueError(_("This email was already handled."))
        return _submit(
            row,
            meter=meter,
            values=values,
            reading_date=reading_date,
            staff=staff,
            decimals=False,
            now=now,
            today=today,
        )


def email_reading_discard(*, email_reading_id: int, staff, now) -> None:
    EmailReading.objects.filter(pk=email_reading_id, status=EmailReadingStatus.QUEUED).update(
        status=EmailReadingStatus.DISCARDED, decided_by=staff, decided_at=now
    )


def anymail_inbound(sender, event, esp_name, **kwargs):
    """django-anymail's `inbound` signal: one received message, whatever the mail service."""
    message = event.message
    text = message.stripped_text or message.text or strip_tags(message.html or "")
    from_address = message.from_email.addr_spec if message.from_email else ""
    message_id = message.get("Message-ID") or event.event_id
    if not message_id:
        message_id = hashlib.sha256(f"{from_address}\n{message.subject}\n{text}".encode()).hexdigest()
    email_reading_receive(
        message_id=str(message_id),
        sender=from_address,
        subject=message.subject or "",
        text=text or "",
        now=timezone.now(),
        today=timezone.localdate(),
    )
