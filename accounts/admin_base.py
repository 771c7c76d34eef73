"""Admin building blocks shared by the apps."""

from auditlog.mixins import AuditlogHistoryAdminMixin
from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that are only ever appended by the services (events, decisions, charges): staff look,
    nobody edits or deletes."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedAdmin(AuditlogHistoryAdminMixin, admin.ModelAdmin):
    """For records whose every change is kept in the portal's audit log (prices, norms, meters, accounts):
    the change page's "History" button and the list's "Audit log" column show who changed what, and when."""

    show_auditlog_history_link = True

    def history_view(self, request, object_id, extra_context=None):
        # One history per record: the audit log (which also has imports and services), not the admin's own.
        return self.auditlog_history_view(request, object_id, extra_context)
