"""A card checkout the customer started: the order the acquirer's callback refers to. Money is booked
(a `Payment` with source `card`) only from the acquirer's verified callback, once."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import PersonalAccount
from billing.models.invoices import Invoice, Payment


class CardPaymentStatus(models.TextChoices):
    STARTED = "started", _("started")
    PAID = "paid", _("paid")
    FAILED = "failed", _("failed")


class CardPayment(models.Model):
    order_id = models.CharField(_("order"), max_length=64, unique=True)
    provider = models.CharField(_("provider"), max_length=20)
    account = models.ForeignKey(
        PersonalAccount, on_delete=models.PROTECT, related_name="+", verbose_name=_("personal account")
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("invoice")
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=10, choices=CardPaymentStatus.choices, default=CardPaymentStatus.STARTED
    )
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="card_order", verbose_name=_("payment")
    )
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("started at"), default=timezone.now)
    callback_at = models.DateTimeField(_("last callback at"), null=True, blank=True)

    class Meta:
        verbose_name = _("card payment")
        verbose_name_plural = _("card payments")
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="card_amount_positive")]

    def __str__(self) -> str:
        return self.order_id
