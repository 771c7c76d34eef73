"""`check --deploy` warnings for values that work but must not reach customers: the demo supplier's
payment details, the local webhook secrets, a portal address customers cannot open.

Production refuses to start with missing or malformed supplier details (`portal/settings/production.py`);
these checks catch valid-looking values copied from the demo (`.env.example`, the local defaults), each
named by its setting so the operator knows what to change.
"""

from urllib.parse import urlparse

from django.conf import settings
from django.core import checks

from billing.suppliers import FIELDS, demo_values_in, setting_name, supplier_problems

LOCAL_WEBHOOK_SECRETS = {
    "SMS_WEBHOOK_SECRET": "local-sms-secret",
    "TELEGRAM_WEBHOOK_SECRET": "local-telegram-secret",
}


@checks.register(checks.Tags.security, deploy=True)
def supplier_details_check(app_configs=None, **kwargs):
    default = {field: getattr(settings, setting_name("", field), "") for field in FIELDS}
    suppliers = {"": default, **settings.DISTRICT_SUPPLIERS}
    messages = []
    for district, values in suppliers.items():
        for name in demo_values_in(values, district=district):
            messages.append(
                checks.Warning(
                    f"{name} is the demo supplier's value: invoices and their payment QR would name the demo supplier.",
                    hint=f"Set {name} to the supplier's real detail.",
                    id="portal.W001",
                )
            )
        for name, text in supplier_problems(values, district=district, currency=settings.CURRENCY):
            messages.append(checks.Error(f"{name} {text}.", id="portal.E001"))
    return messages


@checks.register(checks.Tags.security, deploy=True)
def public_address_check(app_configs=None, **kwargs):
    messages = []
    address = urlparse(settings.PORTAL_URL)
    if address.scheme != "https" or address.hostname in (None, "localhost", "127.0.0.1", "::1"):
        messages.append(
            checks.Warning(
                f"PORTAL_URL is {settings.PORTAL_URL!r}: links in emails must open the public https address.",
                hint="Set PORTAL_URL to the address customers use, e.g. https://portal.example.com.",
                id="portal.W002",
            )
        )
    for name, local_value in LOCAL_WEBHOOK_SECRETS.items():
        if getattr(settings, name, "") == local_value:
            messages.append(
                checks.Warning(
                    f"{name} is the local development secret: anybody could post to the webhook.",
                    hint=f"Set {name} to a long random value, or leave it unset to keep the channel off.",
                    id="portal.W003",
                )
            )
    return messages
