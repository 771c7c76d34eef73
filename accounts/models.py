"""Users (email is the login), districts with their submission windows, personal accounts and links."""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.windows import POLICY_OPEN, POLICY_STRICT, SubmissionWindow


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class Language(models.TextChoices):
    UK = "uk", _("Ukrainian")
    RU = "ru", _("Russian")
    EN = "en", _("English")


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=2, choices=Language.choices, default=Language.UK
    )
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Which notices come by email (each also needs the account link's own switch, `notify_by_email`).
    notify_reminders = models.BooleanField(_("email reminders to pass readings"), default=True)
    notify_decisions = models.BooleanField(_("email decisions on readings that were checked"), default=True)
    notify_estimates = models.BooleanField(_("email when a month is estimated"), default=True)
    notify_invoices = models.BooleanField(_("email when a bill is ready"), default=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # Two spellings of one mailbox must not become two users.
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    def wants(self, notice: str) -> bool:
        """Whether this user wants the given notice (an `accounts.notices.Notice` value) by email."""
        return bool(getattr(self, f"notify_{notice}"))


class WindowPolicy(models.TextChoices):
    OPEN = POLICY_OPEN, _("open: readings accepted any day")
    STRICT = POLICY_STRICT, _("strict: customer readings only inside the window")


class District(models.Model):
    """A serving branch: its contacts and the window in which customers pass readings."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=120)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    country = models.CharField(
        _("country"),
        max_length=2,
        default="UA",
        help_text=_("two-letter ISO code; phone numbers written without a country code are read as this country's"),
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    office_address = models.CharField(_("office address"), max_length=200, blank=True)
    window_open_month_offset = models.SmallIntegerField(_("window opens: month offset"), default=0)
    window_open_day = models.SmallIntegerField(
        _("window opens: day"), default=-2, help_text=_("1..31, or -1 for the last day, -2 ...")
    )
    window_close_month_offset = models.SmallIntegerField(_("window closes: month offset"), default=1)
    window_close_day = models.SmallIntegerField(_("window closes: day"), default=3)
    window_policy = models.CharField(
        _("window policy"), max_length=8, choices=WindowPolicy.choices, default=WindowPolicy.OPEN
    )

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[A-Z0-9][A-Z0-9_-]*$"), name="district_code_format"
            ),
            models.CheckConstraint(condition=models.Q(country__regex=r"^[A-Z]{2}$"), name="district_country_iso"),
            models.CheckConstraint(
                condition=models.Q(window_open_month_offset__in=(0, 1))
                & models.Q(window_close_month_offset__in=(0, 1)),
                name="district_window_offsets_valid",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(window_open_day__gte=-28, window_open_day__lte=31)
                    & ~models.Q(window_open_day=0)
                    & models.Q(window_close_day__gte=-28, window_close_day__lte=31)
                    & ~models.Q(window_close_day=0)
                ),
                name="district_window_days_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(window_policy__in=WindowPolicy.values), name="district_policy_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def window(self) -> SubmissionWindow:
        return SubmissionWindow.from_numbers(
            self.window_open_month_offset,
            self.window_open_day,
            self.window_close_month_offset,
            self.window_close_day,
        )

    def clean(self) -> None:
        try:
            self.window  # noqa: B018 - building it validates the four numbers together
        except ValueError as error:
            raise ValidationError(str(error)) from error


class InvoiceMode(models.TextChoices):
    SELF = "self", _("I generate my bills on the site")
    HYBRID = "hybrid", _("I generate bills, or the supplier does on the 3rd-4th")
    SUPPLIER = "supplier", _("The supplier issues my bill every month")


class PersonalAccount(models.Model):
    """The billing unit: one premises, one customer, one number."""

    number = models.CharField(_("personal account number"), max_length=20, unique=True)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="accounts", verbose_name=_("district")
    )
    address = models.CharField(_("premises address"), max_length=250)
    holder_name = models.CharField(_("account holder"), max_length=150)
    category = models.CharField(_("customer category"), max_length=40, default="household", help_text=_("tariff group"))
    residents = models.PositiveSmallIntegerField(_("residents"), default=1)
    invoice_mode = models.CharField(
        _("invoice mode"), max_length=8, choices=InvoiceMode.choices, default=InvoiceMode.HYBRID
    )
    paper_copy = models.BooleanField(_("paper copy of the bill"), default=False)
    premises_vacant = models.BooleanField(_("premises vacant (away)"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("personal account")
        verbose_name_plural = _("personal accounts")
        ordering = ["number"]
        # Opening a customer's cabinet pages is a role (the contact centre), not something every staff
        # member can do; each look is recorded (accounts/staff_audit.py).
        permissions = [("view_customer_cabinet", _("Can open a customer's cabinet pages"))]
        constraints = [
            models.CheckConstraint(condition=models.Q(number__regex=r"^[0-9]{4,20}$"), name="account_number_digits"),
            models.CheckConstraint(condition=models.Q(residents__gte=1), name="account_residents_min_1"),
            models.CheckConstraint(
                condition=models.Q(invoice_mode__in=InvoiceMode.values), name="account_invoice_mode_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(category__regex=r"^[a-z0-9][a-z0-9_-]*$"), name="account_category_format"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class AccountLink(models.Model):
    """A user's proven access to an account (by account number plus a meter's serial)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="account_links", verbose_name=_("user"))
    account = models.ForeignKey(
        PersonalAccount, on_delete=models.CASCADE, related_name="links", verbose_name=_("account")
    )
    created_at = models.DateTimeField(_("linked at"), default=timezone.now)
    created_by_staff = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("linked by staff member"),
    )
    # Each family member decides for themselves whether this account's notices reach their mailbox.
    notify_by_email = models.BooleanField(_("email notifications"), default=True)

    class Meta:
        verbose_name = _("account link")
        verbose_name_plural = _("account links")
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="account_link_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} -> {self.account}"


class LinkAction(models.TextChoices):
    LINK = "link", _("linked")
    UNLINK = "unlink", _("unlinked")
    FAILED = "failed", _("failed attempt")


class AccountLinkEvent(models.Model):
    """What happened to links, for staff: who linked or unlinked which account, when, and how."""

    action = models.CharField(_("action"), max_length=8, choices=LinkAction.choices)
    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="link_events", verbose_name=_("user")
    )
    user_email = models.EmailField(_("user email at the time"))
    account = models.ForeignKey(
        PersonalAccount,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="link_events",
        verbose_name=_("account"),
    )
    account_number = models.CharField(_("account number entered"), max_length=40)
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("done by")
    )
    by_staff = models.BooleanField(_("done by staff"), default=False)
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("link event")
        verbose_name_plural = _("link events")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(action__in=LinkAction.values), name="link_event_action_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.account_number} {self.user_email}"


class EmailStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("not sent: unsubscribed")


class OutgoingEmail(models.Model):
    """Every email the portal sends, recorded before sending so that none is lost when SMTP is down."""

    to_email = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=250)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.UK)
    kind = models.CharField(_("kind"), max_length=60, help_text=_("what the email is, e.g. email_confirmation"))
    # Callers that must never send the same thing twice (reminders, invoices) pass a key.
    dedup_key = models.CharField(_("deduplication key"), max_length=120, null=True, blank=True, unique=True)
    # A file in the default (private) storage sent along, e.g. an invoice PDF; read when the email is sent.
    attachment_path = models.CharField(_("attachment"), max_length=250, blank=True)
    attachment_name = models.CharField(_("attachment file name"), max_length=120, blank=True)
    status = models.CharField(_("status"), max_length=9, choices=EmailStatus.choices, default=EmailStatus.QUEUED)
    # Notices name their user, so that unsubscribing stops what is still queued; None for other emails.
    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("user")
    )
    # Extra message headers, e.g. List-Unsubscribe (RFC 2369) and List-Unsubscribe-Post (RFC 8058).
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="email_due_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=EmailStatus.values), name="email_status_valid"),
            models.CheckConstraint(
                condition=~models.Q(status=EmailStatus.SENT) | models.Q(sent_at__isnull=False),
                name="email_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.to_email}: {self.subject}"
