"""Meters and readings. Readings are append-only: corrections are new rows, never edits or deletes."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import PersonalAccount
from readings.zones import ALL_ZONES, ONE_ZONE, THREE_ZONE, TWO_ZONE, ZONE_SETS, labels_problem, zones_of


class ZoneSet(models.TextChoices):
    ONE = ONE_ZONE, _("one-zone")
    TWO = TWO_ZONE, _("two-zone (day and night)")
    THREE = THREE_ZONE, _("three-zone (peak, half-peak, night)")


def zone_values_match_set(prefix: str) -> models.Q:
    """Exactly the zones of the row's zone set carry a value: the database refuses any other mix."""
    condition = models.Q(pk__in=[])
    for zone_set, zones in ZONE_SETS.items():
        present = {f"{prefix}{zone}__isnull": False for zone in zones}
        absent = {f"{prefix}{zone}__isnull": True for zone in ALL_ZONES if zone not in zones}
        condition |= models.Q(zone_set=zone_set, **present, **absent)
    return condition


def all_null(prefix: str) -> models.Q:
    return models.Q(**{f"{prefix}{zone}__isnull": True for zone in ALL_ZONES})


class Meter(models.Model):
    account = models.ForeignKey(
        PersonalAccount, on_delete=models.PROTECT, related_name="meters", verbose_name=_("account")
    )
    serial_number = models.CharField(_("serial number"), max_length=32, unique=True)
    model_name = models.CharField(_("meter model"), max_length=80, blank=True)
    zone_set = models.CharField(_("zones"), max_length=24, choices=ZoneSet.choices)
    register_labels = models.JSONField(
        _("display labels per zone"),
        default=dict,
        blank=True,
        help_text=_('What the display shows for each zone, e.g. {"day": ["1.8.2", "T22"]}'),
    )
    register_digits = models.PositiveSmallIntegerField(
        _("register digits"), default=6, help_text=_("6 means the register rolls over after 999999")
    )
    multiplier = models.PositiveIntegerField(
        _("multiplier"), default=1, help_text=_("current transformer ratio; 1 for household meters")
    )
    installed_on = models.DateField(_("installed on"))
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    is_smart = models.BooleanField(_("smart meter (sends readings itself)"), default=False)
    # The installation reading: the first "last reading" for validation and billing.
    install_total = models.PositiveBigIntegerField(_("installation reading: total"), null=True, blank=True)
    install_day = models.PositiveBigIntegerField(_("installation reading: day"), null=True, blank=True)
    install_night = models.PositiveBigIntegerField(_("installation reading: night"), null=True, blank=True)
    install_peak = models.PositiveBigIntegerField(_("installation reading: peak"), null=True, blank=True)
    install_half_peak = models.PositiveBigIntegerField(_("installation reading: half-peak"), null=True, blank=True)

    class Meta:
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        ordering = ["serial_number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(serial_number__regex=r"^[A-Za-z0-9][A-Za-z0-9-]*$"),
                name="meter_serial_format",
            ),
            models.CheckConstraint(condition=models.Q(zone_set__in=ZONE_SETS), name="meter_zone_set_valid"),
            models.CheckConstraint(
                condition=models.Q(register_digits__gte=4, register_digits__lte=9),
                name="meter_register_digits_4_to_9",
            ),
            models.CheckConstraint(condition=models.Q(multiplier__gte=1), name="meter_multiplier_positive"),
            models.CheckConstraint(
                condition=models.Q(removed_on__isnull=True) | models.Q(removed_on__gte=models.F("installed_on")),
                name="meter_removed_after_installed",
            ),
            models.CheckConstraint(
                condition=zone_values_match_set("install_"), name="meter_install_reading_fits_zones"
            ),
        ]

    def __str__(self) -> str:
        return self.serial_number

    @property
    def zones(self) -> tuple[str, ...]:
        return zones_of(self.zone_set)

    @property
    def is_active(self) -> bool:
        return self.removed_on is None

    @property
    def installation_values(self) -> dict[str, int]:
        return {zone: getattr(self, f"install_{zone}") for zone in self.zones}

    def labels_for(self, zone: str) -> list[str]:
        return list(self.register_labels.get(zone, []))

    def clean(self) -> None:
        if self.zone_set in ZONE_SETS:
            problem = labels_problem(self.zone_set, self.register_labels)
            if problem:
                raise ValidationError({"register_labels": problem})
            limit = 10**self.register_digits
            for zone in self.zones:
                value = getattr(self, f"install_{zone}")
                if value is not None and value >= limit:
                    raise ValidationError({f"install_{zone}": _("The value has more digits than the register.")})


class Channel(models.TextChoices):
    WEB_FORM = "web_form", _("web form without registration")
    CABINET = "cabinet", _("personal cabinet")
    API = "api", _("mobile app / API")
    CHATBOT = "chatbot", _("chatbot")
    VIBER = "viber", _("Viber")
    MESSENGER = "messenger", _("Facebook Messenger")
    IVR = "ivr", _("voice menu")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("email")
    STAFF = "staff", _("staff")
    AMI = "ami", _("smart meter")


class ReadingStatus(models.TextChoices):
    ACCEPTED = "accepted", _("accepted")
    PENDING_REVIEW = "pending_review", _("waiting for review")
    REJECTED = "rejected", _("rejected")


class AppendOnlyError(Exception):
    """Raised when code tries to edit or delete what must only ever be appended."""


def reading_photo_path(reading, filename: str) -> str:
    """An unguessable name: the path never reveals the meter or the customer.

    The extension is one the portal encoded (readings/photos.py), never the one the sender chose.
    """
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return f"reading-photos/{uuid.uuid4().hex}.{extension if extension in ('jpg', 'png') else 'jpg'}"


class ReadingQuerySet(models.QuerySet):
    def delete(self):
        raise AppendOnlyError("Readings are never deleted; submit a correcting reading instead.")

    delete.queryset_only = True

    def current(self):
        """Readings that count: not superseded and not rejected."""
        return self.filter(superseded_at__isnull=True).exclude(status=ReadingStatus.REJECTED)


class Reading(models.Model):
    # Only the review outcome and supersession may change after a reading is stored.
    MUTABLE_FIELDS = frozenset({"status", "reason", "superseded_at"})

    meter = models.ForeignKey(Meter, on_delete=models.PROTECT, related_name="readings", verbose_name=_("meter"))
    reading_date = models.DateField(_("reading date"), help_text=_("the date the values were read (as of)"))
    # Copied from the meter so that the database can check the values fit the zones.
    zone_set = models.CharField(_("zones"), max_length=24, choices=ZoneSet.choices)
    total = models.PositiveBigIntegerField(_("total"), null=True, blank=True)
    day = models.PositiveBigIntegerField(_("day"), null=True, blank=True)
    night = models.PositiveBigIntegerField(_("night"), null=True, blank=True)
    peak = models.PositiveBigIntegerField(_("peak"), null=True, blank=True)
    half_peak = models.PositiveBigIntegerField(_("half-peak"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=16, choices=ReadingStatus.choices, default=ReadingStatus.ACCEPTED)
    reason = models.TextField(_("reason shown to the customer"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="submitted_readings",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    billing_month = models.DateField(_("billing month"), help_text=_("first day of the month it bills"))
    swap_corrected = models.BooleanField(_("day and night swapped by the customer, corrected"), default=False)
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("supersedes"),
    )
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)
    # A photo of the display, kept outside the web root and served only to the account's users and staff.
    photo = models.FileField(_("photo of the display"), upload_to=reading_photo_path, blank=True)

    objects = ReadingQuerySet.as_manager()

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        ordering = ["meter", "reading_date", "submitted_at"]
        indexes = [
            models.Index(fields=["meter", "-reading_date"], name="reading_meter_date_idx"),
            models.Index(fields=["billing_month", "status"], name="reading_month_status_idx"),
            models.Index(fields=["submitted_at"], name="reading_submitted_at_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=zone_values_match_set(""), name="reading_values_fit_zones"),
            models.CheckConstraint(condition=models.Q(channel__in=Channel.values), name="reading_channel_valid"),
            models.CheckConstraint(condition=models.Q(status__in=ReadingStatus.values), name="reading_status_valid"),
            models.CheckConstraint(condition=models.Q(billing_month__day=1), name="reading_billing_month_first_day"),
            # One reading counts per meter and date; a correction supersedes the previous one.
            models.UniqueConstraint(
                fields=["meter", "reading_date"],
                condition=models.Q(superseded_at__isnull=True) & ~models.Q(status="rejected"),
                name="reading_one_current_per_meter_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meter_id} {self.reading_date}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            update_fields = kwargs.get("update_fields")
            if update_fields is None or not set(update_fields) <= self.MUTABLE_FIELDS:
                raise AppendOnlyError(
                    "A stored reading's values never change; only "
                    + ", ".join(sorted(self.MUTABLE_FIELDS))
                    + " may be updated, with update_fields."
                )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Readings are never deleted; submit a correcting reading instead.")

    @property
    def values(self) -> dict[str, int]:
        return {zone: getattr(self, zone) for zone in zones_of(self.zone_set)}


# How the portal names each zone to customers.
ZONE_TITLES = {
    "total": _("Total"),
    "day": _("Day"),
    "night": _("Night"),
    "peak": _("Peak"),
    "half_peak": _("Half-peak"),
}


class ReviewDecision(models.TextChoices):
    ACCEPT = "accept", _("accepted")
    REJECT = "reject", _("rejected")


class ReadingDecision(models.Model):
    """A staff member's decision on a reading that waited for review; the reason is shown to the customer."""

    reading = models.ForeignKey(Reading, on_delete=models.PROTECT, related_name="decisions", verbose_name=_("reading"))
    decision = models.CharField(_("decision"), max_length=8, choices=ReviewDecision.choices)
    reason = models.TextField(_("reason shown to the customer"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

    class Meta:
        verbose_name = _("review decision")
        verbose_name_plural = _("review decisions")
        ordering = ["-decided_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decision__in=ReviewDecision.values), name="reading_decision_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(decision="reject") | ~models.Q(reason=""), name="reading_rejection_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.decision} {self.reading_id}"


class ClosedMonth(models.Model):
    """A billing month whose final pass has run: readings submitted later bill the next month.

    Written by the billing run (a higher app), read when a reading's billing month is fixed.
    """

    month = models.DateField(_("month"), unique=True)
    closed_at = models.DateTimeField(_("closed at"), default=timezone.now)

    class Meta:
        verbose_name = _("closed billing month")
        verbose_name_plural = _("closed billing months")
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(condition=models.Q(month__day=1), name="closed_month_first_day"),
        ]

    def __str__(self) -> str:
        return self.month.strftime("%Y-%m")


PHONE_FORMAT = r"^\+[1-9][0-9]{7,14}$"  # E.164, as SMS gateways send it


class SmsContract(models.Model):
    """A phone number registered to an account by staff (the "SMS contract" of seed 003): texts from it
    may pass readings in the short form `1 # 001952`."""

    phone = models.CharField(
        _("phone number"), max_length=16, unique=True, help_text=_("international format, e.g. +380501234567")
    )
    account = models.ForeignKey(
        "accounts.PersonalAccount", on_delete=models.CASCADE, related_name="sms_contracts", verbose_name=_("account")
    )
    meter = models.ForeignKey(
        Meter,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("meter"),
        help_text=_("which meter the short form reads; empty when the account has one meter"),
    )
    language = models.CharField(_("language of the replies"), max_length=2, default="uk")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("registered"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("SMS contract")
        verbose_name_plural = _("SMS contracts")
        ordering = ["phone"]
        constraints = [
            models.CheckConstraint(condition=models.Q(phone__regex=PHONE_FORMAT), name="sms_contract_phone_e164"),
            models.CheckConstraint(condition=models.Q(language__in=["uk", "ru", "en"]), name="sms_contract_language"),
        ]

    def __str__(self) -> str:
        return f"{self.phone} -> {self.account_id}"


class SmsSwapQuestion(models.Model):
    """An SMS reading that looked like swapped day and night: the reply asked "1 to swap, 2 to keep", and
    the sender's next short answer decides. One open question per phone; older than an hour it lapses."""

    phone = models.CharField(max_length=20, unique=True)
    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, related_name="+")
    values = models.JSONField()
    language = models.CharField(max_length=2, default="uk")
    asked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.phone} {self.values}"


class Conversation(models.Model):
    """Where a chatbot conversation stands, whatever the messenger (readings/channels/conversation.py): a
    chat verifies an account once; later readings start at the meter."""

    language = models.CharField(_("language"), max_length=2, default="uk")
    state = models.CharField(_("step"), max_length=20, default="start")
    account = models.ForeignKey(
        "accounts.PersonalAccount", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    entered_account = models.CharField(max_length=40, blank=True)
    values = models.JSONField(default=dict, blank=True)
    # The signed token of the photo the customer sent for this meter (readings/held_photos.py): the reading keeps
    # it when the customer confirms, as the cabinet and the public form do.
    held_photo = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


SEEN_UPDATES_KEPT = 200


class TelegramChat(Conversation):
    """A Telegram chat's conversation. `seen_update_ids` holds the latest update ids answered: Telegram
    retries a webhook (the same id, answered once) and delivers over parallel connections out of order
    (a lower id than one already seen is new, so a "last id" would drop it)."""

    chat_id = models.BigIntegerField(_("chat"), unique=True)
    last_update_id = models.BigIntegerField(default=0)
    seen_update_ids = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("Telegram chat")
        verbose_name_plural = _("Telegram chats")

    def __str__(self) -> str:
        return f"{self.chat_id} ({self.state})"


class ChatTransport(models.TextChoices):
    VIBER = "viber", "Viber"
    MESSENGER = "messenger", "Facebook Messenger"


class ChannelChat(Conversation):
    """A Viber or Messenger conversation, keyed by the messenger's user id (Viber's `sender.id`, a
    Messenger page-scoped id). `seen_message_ids` holds the latest message tokens answered, so a webhook
    the messenger delivers twice is answered once."""

    transport = models.CharField(_("messenger"), max_length=10, choices=ChatTransport.choices)
    user_id = models.CharField(_("user"), max_length=100)
    seen_message_ids = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("messenger chat")
        verbose_name_plural = _("messenger chats")
        constraints = [
            models.UniqueConstraint(fields=["transport", "user_id"], name="channel_chat_once_per_user"),
            models.CheckConstraint(
                condition=models.Q(transport__in=ChatTransport.values), name="channel_chat_transport"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.transport} {self.user_id} ({self.state})"


class EmailReadingStatus(models.TextChoices):
    QUEUED = "queued", _("waiting for staff")
    ACCEPTED = "accepted", _("reading stored")
    REJECTED = "rejected", _("refused by the reading rules")
    DISCARDED = "discarded", _("discarded by staff")


class EmailReading(models.Model):
    """An email with readings (readings/channels/email.py). What the portal could match went through the
    reading service; the rest waits here for staff, who pick the account and accept. `message_id` makes a
    webhook the mail service posts twice one row."""

    message_id = models.CharField(_("message id"), max_length=255, unique=True)
    sender = models.CharField(_("from"), max_length=254)
    subject = models.CharField(_("subject"), max_length=250, blank=True)
    body = models.TextField(_("text"))
    received_at = models.DateTimeField(_("received"))
    language = models.CharField(_("language"), max_length=2, default="uk")
    status = models.CharField(_("status"), max_length=9, choices=EmailReadingStatus.choices)
    reason = models.CharField(_("why it waits"), max_length=200, blank=True)
    meter = models.ForeignKey(Meter, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reading = models.ForeignKey(Reading, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reply = models.TextField(_("reply sent"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("emailed reading")
        verbose_name_plural = _("emailed readings")
        ordering = ["-received_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=EmailReadingStatus.values), name="email_reading_status_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sender} {self.received_at:%Y-%m-%d %H:%M}"


class ReminderKind(models.TextChoices):
    OPENS = "opens", _("the window opens")
    CLOSES = "closes", _("the window closes tomorrow")


class Reminder(models.Model):
    """A reminder to pass a meter's reading for a month: recorded once, so that it is never sent twice."""

    account = models.ForeignKey(
        "accounts.PersonalAccount", on_delete=models.CASCADE, related_name="+", verbose_name=_("account")
    )
    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("meter"))
    month = models.DateField(_("billing month"))
    kind = models.CharField(_("kind"), max_length=8, choices=ReminderKind.choices)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(fields=["meter", "month", "kind"], name="reminder_one_per_meter_month_kind"),
            models.CheckConstraint(condition=models.Q(kind__in=ReminderKind.values), name="reminder_kind_valid"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="reminder_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.month:%Y-%m} {self.meter_id}"
