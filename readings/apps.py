from anymail.signals import inbound
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts.notices import email_kinds_register
from readings.email_kinds import KINDS


class ReadingsConfig(AppConfig):
    name = "readings"
    verbose_name = _("Meters and readings")

    def ready(self):
        email_kinds_register(KINDS)
        # The one subscriber to inbound mail: it only hands the message to the email channel's service. It
        # is imported here, as Django documents for signal handlers: it imports the models, which cannot be
        # imported while the app registry is loading this module (AppRegistryNotReady).
        from readings.channels.email import anymail_inbound

        inbound.connect(anymail_inbound, dispatch_uid="readings_email_inbound")
