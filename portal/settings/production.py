"""Production: PostgreSQL, Redis, gunicorn, Celery. Refuses to start without the required variables."""

import os

from django.core.exceptions import ImproperlyConfigured

from billing.suppliers import default_supplier_values, supplier_problems
from portal.settings.base import *  # noqa: F403
from portal.settings.environment import env_bool, env_int, env_str

# The supplier's details have demo defaults for local runs; an invoice must never carry those in production.
REQUIRED_VARIABLES = (
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "ALLOWED_HOSTS",
    "PORTAL_URL",
    "SUPPLIER_LEGAL_NAME",
    "SUPPLIER_CODE",
    "SUPPLIER_IBAN",
    "SUPPLIER_BANK",
    "SUPPLIER_ADDRESS",
    "SUPPLIER_PHONE",
    *(("SUPPLIER_BIC", "SUPPLIER_CORRESP_ACCOUNT", "SUPPLIER_KPP") if CURRENCY == "RUB" else ()),  # noqa: F405
)
_missing = [name for name in REQUIRED_VARIABLES if not env_str(name)]
if _missing:
    raise ImproperlyConfigured("Production settings need these environment variables: " + ", ".join(_missing))

# Checksums and lengths: a typo in an IBAN or a code must stop the start, not reach a printed QR.
_problems = supplier_problems(default_supplier_values(os.environ, demo=False), district="", currency=CURRENCY)  # noqa: F405
for _district, _values in DISTRICT_SUPPLIERS.items():  # noqa: F405
    _problems += supplier_problems(_values, district=_district, currency=CURRENCY)  # noqa: F405
if _problems:
    raise ImproperlyConfigured(
        "The supplier's payment details are wrong: " + "; ".join(f"{name} {text}" for name, text in _problems)
    )

DEBUG = env_bool("DEBUG", default=False)
if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
# /health/ is polled over plain HTTP by load balancers inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/(live|ready)?$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
}

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env_str("EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)

# The channel webhooks are off until their secrets are set (no local default in production).
SMS_WEBHOOK_SECRET = env_str("SMS_WEBHOOK_SECRET")
TELEGRAM_WEBHOOK_SECRET = env_str("TELEGRAM_WEBHOOK_SECRET")
VIBER_AUTH_TOKEN = env_str("VIBER_AUTH_TOKEN")
# Without its own key the voice code follows SECRET_KEY: set VOICE_CODE_KEY before rotating SECRET_KEY.
VOICE_CODE_KEY = env_str("VOICE_CODE_KEY") or SECRET_KEY  # noqa: F405
MESSENGER_APP_SECRET = env_str("MESSENGER_APP_SECRET")
MESSENGER_VERIFY_TOKEN = env_str("MESSENGER_VERIFY_TOKEN")
MESSENGER_PAGE_TOKEN = env_str("MESSENGER_PAGE_TOKEN")
# Mailgun inbound mail: without its key, a random one, so that no post is ever taken as signed (the base
# settings' local key is public).
ANYMAIL = {
    **ANYMAIL,  # noqa: F405
    "MAILGUN_WEBHOOK_SIGNING_KEY": env_str("MAILGUN_WEBHOOK_SIGNING_KEY") or os.urandom(32).hex(),
}
