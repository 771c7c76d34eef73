"""Admin building blocks shared by the apps."""

from auditlog.mixins import AuditlogHistoryAdminMixin
from django.contrib import admin

from accounts.categories import CATEGORY_TITLES, category_title  # noqa: F401 (the admins import them from here)


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


def titled_filter(field_name: str, title, titles: dict):
    """A list filter that names stored codes the way staff say them (`half_peak` -> "Half-peak"), for fields
    whose codes are not model choices (or whose choices are the codes themselves). Unknown codes show as they
    are."""

    class TitledFilter(admin.SimpleListFilter):
        parameter_name = field_name

        def lookups(self, request, model_admin):
            codes = model_admin.get_queryset(request).order_by().values_list(field_name, flat=True).distinct()
            return [(code, titles.get(code, code)) for code in sorted(set(codes))]

        def queryset(self, request, queryset):
            return queryset.filter(**{field_name: self.value()}) if self.value() else queryset

    TitledFilter.title = title
    return TitledFilter
