"""Tariffs, norms, charges and billing runs. Charges are immutable: a correction is a reversal row."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.categories import category_title
from accounts.models import PersonalAccount
from readings.models import ZONE_TITLES, AppendOnlyError, Meter, Reading
from readings.zones import ALL_ZONES

# A zone's words are readings' ZONE_TITLES, the one set of them: the model fields show the same (admin forms).
ZONE_CHOICES = [(zone, ZONE_TITLES[zone]) for zone in ALL_ZONES]
CATEGORY_FORMAT = r"^[a-z0-9][a-z0-9_-]*$"


class Tariff(models.Model):
    """The price of one zone for one customer category from `effective_from` on (until the next version)."""

    category = models.CharField(_("customer category"), max_length=40)
    effective_from = models.DateField(_("in force from"))
    zone = models.CharField(_("zone"), max_length=10, choices=ZONE_CHOICES)
    price = models.DecimalField(_("price per kWh"), max_digits=10, decimal_places=5)

    class Meta:
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        ordering = ["category", "-effective_from", "zone"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "effective_from", "zone"], name="tariff_one_price_per_version_zone"
            ),
            models.CheckConstraint(condition=models.Q(price__gt=0), name="tariff_price_positive"),
            models.CheckConstraint(condition=models.Q(zone__in=ALL_ZONES), name="tariff_zone_valid"),
            models.CheckConstraint(condition=models.Q(category__regex=CATEGORY_FORMAT), name="tariff_category_format"),
        ]

    def __str__(self) -> str:
        # Staff read this (the admin's breadcrumbs, the audit log): the category and zone by name, not codes.
        zone = ZONE_TITLES.get(self.zone, self.zone)
        return f"{category_title(self.category)}, {self.effective_from:%Y-%m-%d}, {zone}: {self.price}"


class Norm(models.Model):
    """kWh per resident per month for a category, used when a month cannot be estimated by the average."""

    category = models.CharField(_("customer category"), max_length=40)
    effective_from = models.DateField(_("in force from"))
    kwh_per_resident = models.DecimalField(_("kWh per resident per month"), max_digits=8, decimal_places=2)

    class Meta:
        verbose_name = _("norm")
        verbose_name_plural = _("norms")
        ordering = ["category", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["category", "effective_from"], name="norm_one_per_version"),
            models.CheckConstraint(condition=models.Q(kwh_per_resident__gte=0), name="norm_not_negative"),
            models.CheckConstraint(condition=models.Q(category__regex=CATEGORY_FORMAT), name="norm_category_format"),
        ]

    def __str__(self) -> str:
        return f"{category_title(self.category)}, {self.effective_from:%Y-%m-%d}: {self.kwh_per_resident}"


class Pass(models.TextChoices):
    ACTUAL = "actual", _("actual (the 3rd): meters with a reading")
    FINAL = "final", _("final (the 4th): everyone else, estimated; closes the month")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class BillingRun(models.Model):
    """One pass of one month. At most one run of a pass is running at a time (a partial unique index)."""

    month = models.DateField(_("billing month"))
    pass_name = models.CharField(_("pass"), max_length=8, choices=Pass.choices)
    run_date = models.DateField(_("run date"), help_text=_("readings submitted after this day are not billed"))
    status = models.CharField(_("status"), max_length=8, choices=RunStatus.choices, default=RunStatus.RUNNING)
    chunk_size = models.PositiveIntegerField(_("accounts per chunk"))
    chunks_total = models.PositiveIntegerField(_("chunks"), default=0)
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)
    accounts_total = models.PositiveIntegerField(_("accounts"), default=0)
    counts = models.JSONField(_("charges by basis"), default=dict, blank=True)
    errors = models.TextField(_("errors"), blank=True)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Moved on by every chunk; a "running" run whose heartbeat stopped long ago crashed and may be resumed.
    heartbeat_at = models.DateTimeField(_("last progress"), default=timezone.now)
    # Set once a final pass's estimate notices are fanned out: the sweeper queues them for a run without it.
    notices_queued_at = models.DateTimeField(_("notices queued"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )

    class Meta:
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "pass_name"],
                condition=models.Q(status="running"),
                name="billing_run_one_running_per_pass",
            ),
            models.CheckConstraint(condition=models.Q(month__day=1), name="billing_run_month_first_day"),
            models.CheckConstraint(condition=models.Q(pass_name__in=Pass.values), name="billing_run_pass_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.pass_name}"


class BillingChunk(models.Model):
    """A slice of the accounts of a run, billed by one task in one transaction; done chunks are skipped."""

    run = models.ForeignKey(BillingRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    first_account_id = models.BigIntegerField()
    last_account_id = models.BigIntegerField()
    done = models.BooleanField(default=False)
    charges_created = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="billing_chunk_unique_index")]

    def __str__(self) -> str:
        return f"{self.run} #{self.index}"


class Basis(models.TextChoices):
    """A charge line's basis. The labels are how invoices, staff pages and admin forms name it: the one set of
    these words (readings' ZONE_TITLES is the zones')."""

    ACTUAL = "actual", _("by reading")
    AVERAGE = "average", _("estimate by average")
    NORM = "norm", _("estimate by the norm")
    REVERSAL = "reversal", _("recalculation of the estimate")


ESTIMATE_BASES = (Basis.AVERAGE, Basis.NORM)


def basis_title(basis: str, estimate_number: int | None = None) -> str:
    """A line's basis in the active language; an average estimate with its number ("..., month 2")."""
    if basis == Basis.AVERAGE and estimate_number:
        return gettext("estimate by average, month %(number)s") % {"number": estimate_number}
    return str(Basis(basis).label if basis in Basis.values else Basis.REVERSAL.label)


class ChargeQuerySet(models.QuerySet):
    def delete(self):
        raise AppendOnlyError("Charges are never deleted; a correction is a reversal.")

    delete.queryset_only = True


class Charge(models.Model):
    """Money owed for a volume of one zone of one meter over a span. Never edited or deleted."""

    # Both led by an index below (charge_account_month_idx, charge_meter_basis_end_idx): their own would only cost
    # inserts.
    # The keys the run sets on every charge, billing state, invoice and item are checked once per statement on
    # PostgreSQL, not by a foreign key (db_constraint=False; migration 0014, docs/decisions.md "Keys checked once
    # per statement"): the run writes a million of each. Keys it leaves empty (`reverses`) keep theirs.
    account = models.ForeignKey(
        PersonalAccount, on_delete=models.PROTECT, related_name="charges", db_index=False, db_constraint=False
    )
    meter = models.ForeignKey(
        Meter, on_delete=models.PROTECT, related_name="charges", db_index=False, db_constraint=False
    )
    zone = models.CharField(_("zone"), max_length=10, choices=ZONE_CHOICES)
    basis = models.CharField(_("basis"), max_length=8, choices=Basis.choices)
    volume_kwh = models.IntegerField(_("volume, kWh"))
    price = models.DecimalField(_("price per kWh"), max_digits=10, decimal_places=5)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    billing_month = models.DateField(_("billing month"))
    span_start = models.DateField(_("from (exclusive)"))
    span_end = models.DateField(_("to (inclusive)"))
    # Estimates have none: indexed only where set (charge_reading_idx).
    reading = models.ForeignKey(
        Reading,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="charges",
        db_index=False,
        db_constraint=False,
    )
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by", verbose_name=_("reverses")
    )
    # Which run wrote the charge: a record for staff, written only by the run inside its own transaction with
    # its own id. No database constraint (docs/decisions.md "The run pointers"): the check cost 6-8 us a row,
    # about 8 % of the run's PostgreSQL time; Django still nulls it if a run is ever deleted.
    run = models.ForeignKey(
        BillingRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="charges", db_constraint=False
    )
    # For estimates: which consecutive estimated month since the last actual reading this is (1, 2, 3...).
    estimate_number = models.PositiveSmallIntegerField(_("estimated month number"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = ChargeQuerySet.as_manager()

    class Meta:
        verbose_name = _("charge")
        verbose_name_plural = _("charges")
        ordering = ["billing_month", "meter_id", "span_start", "zone"]
        indexes = [
            models.Index(fields=["account", "billing_month"], name="charge_account_month_idx"),
            # With the span's end: an invoice finds the reading an actual charge started from by (meter, end) pairs
            # (billing.invoices.selectors._previous_readings), not by every actual charge of the account.
            models.Index(fields=["meter", "basis", "span_end"], name="charge_meter_basis_end_idx"),
            models.Index(fields=["reading"], name="charge_reading_idx", condition=models.Q(reading__isnull=False)),
        ]
        constraints = [
            # What makes a double charge impossible, whatever reruns or duplicate tasks do:
            models.UniqueConstraint(
                fields=["meter", "billing_month", "zone", "span_start"],
                condition=models.Q(basis__in=["average", "norm"]),
                name="charge_one_estimate_per_meter_month",
            ),
            models.UniqueConstraint(
                fields=["reading", "zone", "span_start"],
                condition=models.Q(basis="actual"),
                name="charge_one_actual_per_reading_zone",
            ),
            models.CheckConstraint(condition=models.Q(basis__in=Basis.values), name="charge_basis_valid"),
            models.CheckConstraint(condition=models.Q(billing_month__day=1), name="charge_month_first_day"),
            models.CheckConstraint(
                condition=~models.Q(basis="actual") | models.Q(reading__isnull=False), name="charge_actual_has_reading"
            ),
            models.CheckConstraint(
                condition=(models.Q(basis="reversal") & models.Q(reverses__isnull=False))
                | (~models.Q(basis="reversal") & models.Q(reverses__isnull=True)),
                name="charge_reversal_points_at_estimate",
            ),
            models.CheckConstraint(
                condition=models.Q(span_end__gte=models.F("span_start")), name="charge_span_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meter_id} {self.billing_month:%Y-%m} {self.zone} {self.basis} {self.volume_kwh}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Charges are never edited; a correction is a reversal.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Charges are never deleted; a correction is a reversal.")


class MeterBillingState(models.Model):
    """Where a meter's billing stands: its last billed actual reading (L) and the estimates since.

    Read and written set-based by the run (one row per meter), in the same transaction as the charges,
    so a chunk's state and its charges can never disagree.
    """

    # Both keys checked once per statement, as a charge's (migration 0014).
    meter = models.OneToOneField(
        Meter, on_delete=models.CASCADE, primary_key=True, related_name="billing_state", db_constraint=False
    )
    last_reading = models.ForeignKey(
        Reading, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_constraint=False
    )
    last_date = models.DateField()
    estimated_months = models.PositiveSmallIntegerField(default=0)
    last_billed_month = models.DateField(null=True, blank=True)
    closed = models.BooleanField(default=False, help_text="the meter was removed and billed to its removal")

    def __str__(self) -> str:
        return f"{self.meter_id}: L {self.last_date}, {self.estimated_months} estimated"
