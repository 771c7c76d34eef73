"""What the channel API keeps: integration clients (hashed keys, scopes) and idempotency records.

They live in `portal`, the layer that composes the apps, because the API spans accounts, readings and
billing and no lower app should know about its callers.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    ACCOUNTS_VERIFY = "accounts:verify", _("verify an account by number and meter serial")
    READINGS_WRITE = "readings:write", _("submit readings")
    READINGS_READ = "readings:read", _("read an account's readings")


class ClientChannel(models.TextChoices):
    CHATBOT = "chatbot", _("chatbot")
    IVR = "ivr", _("voice menu")
    SMS = "sms", _("SMS gateway")
    AMI = "ami", _("smart-meter head-end")
    API = "api", _("other integration")


KEY_PREFIX_LENGTH = 8


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiClient(models.Model):
    """An integration (chatbot vendor, IVR platform, SMS gateway, AMI head-end). Its key is shown once;
    only the SHA-256 of it is stored, with a short prefix to find the row."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    channel = models.CharField(_("channel of its readings"), max_length=10, choices=ClientChannel.choices)
    scopes = models.JSONField(_("scopes"), default=list)
    key_prefix = models.CharField(_("key prefix"), max_length=KEY_PREFIX_LENGTH, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=ClientChannel.values), name="api_client_channel_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def new_key(self) -> str:
        """Set a fresh key (returned once, never stored in clear)."""
        key = secrets.token_urlsafe(32)
        self.key_prefix, self.key_hash = key[:KEY_PREFIX_LENGTH], key_hash(key)
        return key

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])


class IdempotencyRecord(models.Model):
    """The first response to a write with an `Idempotency-Key`, replayed to every retry of the same body."""

    owner = models.CharField(max_length=40)  # "client:<id>" or "user:<id>"
    key = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_once_per_owner")]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"


class WorkerHeartbeat(models.Model):
    """Each Celery worker writes its row every WORKER_HEARTBEAT_SECONDS (portal/celery.py); /health/ reads
    the newest, so no request waits for a broadcast ping to learn whether a worker is alive."""

    hostname = models.CharField(_("worker"), max_length=200, unique=True)
    seen_at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self):
        return self.hostname
