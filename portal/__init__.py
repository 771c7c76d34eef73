"""The portal project: settings, URLs, the Celery app, and pages that compose several apps."""

import os

# What the caller chose, before the Celery app below fills in the local default: the launcher passes this
# on to the commands it starts, so that `make test` runs pytest with the test settings, not local ones.
CALLER_SETTINGS_MODULE = os.environ.get("DJANGO_SETTINGS_MODULE")

from portal.celery import app as celery_app  # noqa: E402

__all__ = ("celery_app", "CALLER_SETTINGS_MODULE")
