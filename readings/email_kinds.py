"""The outbox email kinds readings sends, each with the notice a customer turns off to stop it (declared to
accounts' registry in `ReadingsConfig.ready()`)."""

from django.utils.translation import gettext_lazy as _

from accounts.notices import EmailKind, Notice

READING_REMINDER = EmailKind("reading_reminder", _("reminder to pass a reading"), Notice.REMINDERS)
READING_DECISION = EmailKind("reading_decision", _("decision on a reading"), Notice.DECISIONS)
KINDS = (READING_REMINDER, READING_DECISION)
