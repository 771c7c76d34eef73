"""Settings of `make drill` (bench/drill.py): the local settings, with real SMTP and short timings so the
faults and their recovery fit in minutes. The drill starts every server itself; see bench/drill.py."""

import os

from portal.settings.local import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ["DRILL_SMTP_PORT"])
EMAIL_TIMEOUT = 3
OUTBOX_RETRY_BASE_SECONDS = 5
OUTBOX_RETRY_MAX_SECONDS = 20
OUTBOX_MAX_ATTEMPTS = 30  # the SMTP outage must not exhaust the retries
BILLING_RUN_STALE_SECONDS = 30
BILLING_CHUNK_SIZE = 25
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
