"""The notices a customer can turn off, and the registry of outbox email kinds: what each kind is called in
staff's words and which notice, if any, allows it.

The outbox is generic: the apps built on accounts (readings, billing) declare their own kinds in their
`AppConfig.ready()`, so accounts never names them. The outbox asks the registry when a customer turns a notice
off (queued emails of its kinds are cancelled at once) and again just before sending (one turned off
meanwhile is not sent). No models here: an app's config may import this module before the models load.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Notice(models.TextChoices):
    """The kinds of notices a customer can turn off, each a `notify_<value>` field of User."""

    REMINDERS = "reminders", _("reminders to pass readings")
    DECISIONS = "decisions", _("decisions on readings that were checked")
    ESTIMATES = "estimates", _("estimated months")
    INVOICES = "invoices", _("bills ready")


@dataclass(frozen=True)
class EmailKind:
    code: str  # OutgoingEmail.kind
    title: str | Promise  # in staff's words (the outbox admin)
    notice: str | None = None  # the Notice that allows it; None: always sent (an address confirmation)


# Every known kind's title, by code: filled as the apps declare their kinds (the admin's filter reads it live).
EMAIL_KIND_TITLES: dict[str, str | Promise] = {}
_NOTICE_OF_KIND: dict[str, str] = {}


def email_kinds_register(kinds) -> None:
    """Declare kinds of outbox email. Declaring one again the same way is harmless (a second `ready()`);
    declaring a code with another notice is a mistake two apps would make without knowing of each other."""
    for kind in kinds:
        if kind.notice is not None and kind.notice not in Notice.values:
            raise ValueError(f"email kind {kind.code!r}: unknown notice {kind.notice!r}")
        if _NOTICE_OF_KIND.get(kind.code) != kind.notice and kind.code in EMAIL_KIND_TITLES:
            raise ValueError(f"email kind {kind.code!r} declared twice with different notices")
        EMAIL_KIND_TITLES[kind.code] = kind.title
        if kind.notice is not None:
            _NOTICE_OF_KIND[kind.code] = kind.notice


def notice_of_kind(code: str) -> str | None:
    """The notice that must be on for an email of this kind to be sent; None when no notice covers it."""
    return _NOTICE_OF_KIND.get(code)


def kinds_of_notices(notices) -> list[str]:
    """The kinds of email the given notices cover."""
    return sorted(code for code, notice in _NOTICE_OF_KIND.items() if notice in notices)


# The outbox kinds of accounts itself: allauth's messages (its template names), never turned off.
ACCOUNT_EMAIL_KINDS = (
    EmailKind("email_confirmation_signup", _("confirm the address (registration)")),
    EmailKind("email_confirmation", _("confirm the address")),
    EmailKind("password_reset_key", _("new password link")),
    EmailKind("unknown_account", _("new password asked for an unknown address")),
    EmailKind("account_already_exists", _("registration with an address already registered")),
    EmailKind("password_changed", _("password changed")),
    EmailKind("password_set", _("password set")),
    EmailKind("email_changed", _("email address changed")),
    EmailKind("email_deleted", _("email address removed")),
)
email_kinds_register(ACCOUNT_EMAIL_KINDS)
