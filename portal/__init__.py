"""The portal project: settings, URLs, the Celery app, and pages that compose several apps."""

from portal.celery import app as celery_app

__all__ = ("celery_app",)
