"""The staff queue of statement lines that name no account, or two (DESIGN.md: "unmatched lines go to a
staff queue"). A queue row is not a payment: it becomes one when staff assign the account."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import PersonalAccount
from billing.models.invoices import Payment


class UnmatchedReason(models.TextChoices):
    UNMATCHED = "unmatched", _("no personal account found")
    AMBIGUOUS = "ambiguous", _("several personal accounts found")


class UnmatchedPayment(models.Model):
    source = models.CharField(_("source"), max_length=20)
    reference = models.CharField(_("reference"), max_length=80)
    paid_on = models.DateField(_("paid on"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    payer_name = models.CharField(_("payer"), max_length=200, blank=True)
    payer_iban = models.CharField(_("payer's IBAN"), max_length=34, blank=True)
    payer_code = models.CharField(_("payer's code"), max_length=20, blank=True)
    purpose = models.CharField(_("purpose of payment"), max_length=500, blank=True)
    reason = models.CharField(_("reason"), max_length=20, choices=UnmatchedReason.choices)
    candidates = models.CharField(_("accounts named in the purpose"), max_length=200, blank=True)
    statement_format = models.CharField(_("statement format"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("imported at"), default=timezone.now)
    account = models.ForeignKey(
        PersonalAccount,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("personal account"),
    )
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("payment")
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)

    class Meta:
        verbose_name = _("unmatched payment")
        verbose_name_plural = _("unmatched payments")
        ordering = ["payment", "-paid_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "reference"], name="unmatched_unique_reference_per_source"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="unmatched_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.paid_on} {self.amount} {self.payer_name}"
