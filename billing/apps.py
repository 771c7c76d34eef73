from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts.notices import email_kinds_register
from billing.email_kinds import KINDS


class BillingConfig(AppConfig):
    """Tariffs, norms, charges, runs, invoices and payments (built in the charge-run issue)."""

    name = "billing"
    verbose_name = _("Billing")

    def ready(self):
        email_kinds_register(KINDS)
