"""Staff screens for users, districts, personal accounts and links."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.admin_base import (
    CATEGORY_TITLES,
    AuditedAdmin,
    ReadOnlyAdmin,
    category_title,
    titled_filter,
)
from accounts.models import AccountLink, AccountLinkEvent, District, OutgoingEmail, PersonalAccount, User
from accounts.notices import EMAIL_KIND_TITLES
from accounts.services import account_link_by_staff, account_unlink, email_retry_now


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "preferred_language", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_active", "preferred_language"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["full_name", "preferred_language"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "country", "contact_phone", "window_policy", "window_description"]
    list_filter = ["window_policy"]
    search_fields = ["code", "name"]

    @admin.display(description=_("submission window"))
    def window_description(self, district):
        return _("opens: %(opens)s; closes: %(closes)s") % {
            "opens": _window_day(district.window_open_month_offset, district.window_open_day),
            "closes": _window_day(district.window_close_month_offset, district.window_close_day),
        }


def _window_day(month_offset: int, day: int) -> str:
    """One end of a window in words: "25th, billing month", "last day but one, next month"."""
    if month_offset == 0:
        month = _("billing month")
    elif month_offset == 1:
        month = _("next month")
    else:
        month = _("%(count)s months after the billing month") % {"count": month_offset}
    if day == -1:
        day_words = _("last day")
    elif day == -2:
        day_words = _("last day but one")
    elif day < 0:
        day_words = _("%(count)s days before the end") % {"count": -day - 1}
    else:
        day_words = _("day %(day)s") % {"day": day}
    return _("%(day)s, %(month)s") % {"day": day_words, "month": month}


class AccountLinkInline(admin.TabularInline):
    """Who has this account in their cabinet. Add or remove links under "Account links" (recorded)."""

    model = AccountLink
    extra = 0
    fields = ["user", "created_at", "created_by_staff", "notify_by_email"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PersonalAccount)
class PersonalAccountAdmin(AuditedAdmin):
    list_display = ["number", "holder_name", "address", "district", "category_display", "invoice_mode", "is_active"]
    list_filter = [
        "district", "invoice_mode", "paper_copy", "is_active",
        titled_filter("category", _("customer category"), CATEGORY_TITLES),
    ]  # fmt: skip
    search_fields = ["number", "holder_name", "address", "meters__serial_number", "links__user__email"]
    list_select_related = ["district"]
    inlines = [AccountLinkInline]

    @admin.display(description=_("customer category"), ordering="category")
    def category_display(self, account):
        return category_title(account.category)


@admin.register(AccountLink)
class AccountLinkAdmin(admin.ModelAdmin):
    """The contact centre links or unlinks an account on the customer's request; every change is recorded."""

    list_display = ["account", "user", "created_at", "created_by_staff", "notify_by_email"]
    search_fields = ["account__number", "user__email", "account__address"]
    list_select_related = ["account", "user", "created_by_staff"]
    autocomplete_fields = ["user", "account"]
    fields = ["user", "account"]
    actions = ["unlink_selected"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        link = account_link_by_staff(staff=request.user, user=obj.user, account=obj.account)
        obj.pk = link.pk

    def delete_model(self, request, obj):
        account_unlink(link=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for link in queryset.select_related("user", "account"):
            account_unlink(link=link, actor=request.user)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Unlink the selected accounts from these users (recorded)"), permissions=["delete"])
    def unlink_selected(self, request, queryset):
        count = queryset.count()
        self.delete_queryset(request, queryset)
        self.message_user(request, _("%(count)d links removed.") % {"count": count}, messages.SUCCESS)


@admin.register(AccountLinkEvent)
class AccountLinkEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "account_number", "user_email", "by_staff", "actor", "client_ip"]
    list_filter = ["action", "by_staff"]
    search_fields = ["account_number", "user_email", "client_ip"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "to_email",
        "subject",
        "kind_display",
        "language",
        "status",
        "attempts",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", titled_filter("kind", _("kind"), EMAIL_KIND_TITLES), "language"]
    search_fields = ["to_email", "subject"]
    date_hierarchy = "created_at"
    actions = ["send_again_now"]
    readonly_fields = ["kind_display" if field.name == "kind" else field.name for field in OutgoingEmail._meta.fields]
    fields = readonly_fields

    @admin.display(description=_("kind"), ordering="kind")
    def kind_display(self, email):
        return EMAIL_KIND_TITLES.get(email.kind, email.kind)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send the selected emails again now"))
    def send_again_now(self, request, queryset):
        count = email_retry_now(email_ids=list(queryset.values_list("pk", flat=True)), now=timezone.now())
        self.message_user(request, _("%(count)d emails queued to be sent again.") % {"count": count}, messages.SUCCESS)


# The audit log's list and page with what a staff entry is about: the page seen or the action posted
# (accounts/staff_audit.py keeps it in `additional_data`, which auditlog's own admin does not show).
from auditlog import admin as auditlog_admin  # noqa: E402  (registers auditlog's admin first)
from auditlog.models import LogEntry  # noqa: E402


class AuditLogEntryAdmin(auditlog_admin.LogEntryAdmin):
    list_display = [
        *auditlog_admin.LogEntryAdmin.list_display[:4],
        "staff_page",
        *auditlog_admin.LogEntryAdmin.list_display[4:],
    ]
    readonly_fields = [*auditlog_admin.LogEntryAdmin.readonly_fields, "staff_page"]
    fieldsets = [
        (None, {"fields": ["created", "user_url", "resource_url", "staff_page", "cid"]}),
        *auditlog_admin.LogEntryAdmin.fieldsets[1:],
    ]
    search_fields = [*auditlog_admin.LogEntryAdmin.search_fields, "additional_data"]

    @admin.display(description=_("page or action"))
    def staff_page(self, entry):
        data = entry.additional_data or {}
        if not data.get("page"):
            return "—"
        return f"{data['page']} → {data.get('status', '')}"


admin.site.unregister(LogEntry)
admin.site.register(LogEntry, AuditLogEntryAdmin)
