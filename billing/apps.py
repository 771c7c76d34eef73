from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    """Tariffs, norms, charges, runs, invoices and payments (built in the charge-run issue)."""

    name = "billing"
    verbose_name = _("Billing")
