from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReadingsConfig(AppConfig):
    name = "readings"
    verbose_name = _("Meters and readings")

    def ready(self):
        # The one subscriber to inbound mail: it only hands the message to the email channel's service.
        from anymail.signals import inbound

        from readings.channels.email import anymail_inbound

        inbound.connect(anymail_inbound, dispatch_uid="readings_email_inbound")
