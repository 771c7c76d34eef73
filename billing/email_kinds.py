"""The outbox email kinds billing sends, each with the notice a customer turns off to stop it (declared to
accounts' registry in `BillingConfig.ready()`, so the outbox cancels and skips them without naming them)."""

from django.utils.translation import gettext_lazy as _

from accounts.notices import EmailKind, Notice

ESTIMATE_NOTICE = EmailKind("estimate_notice", _("estimated month"), Notice.ESTIMATES)
INVOICE_READY = EmailKind("invoice_ready", _("bill ready"), Notice.INVOICES)
KINDS = (ESTIMATE_NOTICE, INVOICE_READY)
