"""The email a customer gets when staff decide on a reading that waited for review (accepted, or rejected
with the reason they wrote)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from accounts.languages import month_in_sentence
from accounts.models import AccountLink, OutgoingEmail
from accounts.notices import Notice
from accounts.services import absolute_url, draft_enqueue, notice_draft
from readings.email_kinds import READING_DECISION
from readings.models import ReadingDecision, ReviewDecision
from readings.reminders import meter_zone_names

EMAIL_KIND = READING_DECISION.code


def reading_decision_notify(*, decision_id: int) -> int:
    """Email the decision to every linked user who wants it; each user once per decision (the dedup key)."""
    decision = ReadingDecision.objects.select_related("reading__meter__account").filter(pk=decision_id).first()
    if decision is None:
        return 0
    reading = decision.reading
    meter, account = reading.meter, reading.meter.account
    links = AccountLink.objects.filter(
        account=account, notify_by_email=True, user__is_active=True, user__notify_decisions=True
    ).select_related("user")
    sent = 0
    for link in links.order_by("user_id"):
        user = link.user
        language = user.preferred_language or settings.LANGUAGE_CODE
        with translation.override(language):
            names = meter_zone_names(meter.zone_set, meter.register_labels)
            context = {
                "accepted": decision.decision == ReviewDecision.ACCEPT,
                "full_name": user.full_name,
                "number": account.number,
                "serial": meter.serial_number,
                "reading_date": date_format(reading.reading_date, "j E Y"),
                "values": [f"{name}: {value}" for name, value in zip(names, reading.values.values(), strict=True)],
                "month": month_in_sentence(reading.billing_month),
                "reason": decision.reason,
                "url": absolute_url("reading_new", account.number, meter.serial_number, language=language),
                "history_url": absolute_url("meter_history", account.number, meter.serial_number, language=language),
            }
            if context["accepted"]:
                subject = gettext("Your reading of %(date)s is accepted") % {"date": context["reading_date"]}
            else:
                subject = gettext("Your reading of %(date)s was not accepted") % {"date": context["reading_date"]}
        draft = notice_draft(
            notice=Notice.DECISIONS,
            kind=EMAIL_KIND,
            user_id=user.pk,
            email=user.email,
            language=language,
            subject=subject,
            template="emails/reading_decision.txt",
            context=context,
            dedup_key=f"reading-decision:{decision.pk}:{user.pk}",
        )
        draft_enqueue(draft, user=user)
        sent += 1
    return sent


def reading_decision_notices_missing(*, now: datetime) -> int:
    """Notify again the decisions of the last day that have no email in the outbox yet (their task was
    lost). A decision nobody wants to hear of is looked at again each sweep: a few queries, staff-paced."""
    decisions = list(
        ReadingDecision.objects.filter(
            decided_at__gte=now - timedelta(days=1), decided_at__lt=now - timedelta(minutes=2)
        ).values_list("pk", flat=True)
    )
    if not decisions:
        return 0
    keys = OutgoingEmail.objects.filter(
        kind=EMAIL_KIND, created_at__gte=now - timedelta(days=2), dedup_key__startswith="reading-decision:"
    ).values_list("dedup_key", flat=True)
    notified = {int(key.split(":")[1]) for key in keys}
    return sum(reading_decision_notify(decision_id=pk) for pk in decisions if pk not in notified)
