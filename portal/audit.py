"""The portal's one audit log is django-auditlog's `LogEntry` (docs/decisions.md).

Changes to the models in `AUDITLOG_INCLUDE_TRACKING_MODELS` are logged by auditlog's signals, with the
signed-in user from `AuditlogMiddleware` (commands add their name and file as `additional_data["source"]`).
Other events (a staff member viewing a record, a staff action) go to the same table through
`LogEntry.objects.log_create(instance, action=LogEntry.Action.ACCESS, actor=..., force_log=True, ...)`.

The strings below are django-auditlog's own admin texts, which it ships without Ukrainian or Russian:
listing them here keeps them in our catalogs (`make messages` drops entries it finds in no source).
"""

from django.utils.translation import gettext_noop

AUDITLOG_ADMIN_TEXTS = (
    gettext_noop("Audit log"),
    gettext_noop("Audit log: %s"),
    gettext_noop("No log entries found."),
    gettext_noop("No field changes"),
    gettext_noop("system"),
    gettext_noop("View"),
    gettext_noop("Field"),
    gettext_noop("From"),
    gettext_noop("To"),
    gettext_noop("create"),
    gettext_noop("update"),
    gettext_noop("delete"),
    gettext_noop("access"),
    gettext_noop("log entry"),
    gettext_noop("log entries"),
)
