"""Staff screens for users, districts, personal accounts and links."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import AccountLink, District, PersonalAccount, User


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
    list_display = ["code", "name", "contact_phone", "window_policy", "window_description"]
    list_filter = ["window_policy"]
    search_fields = ["code", "name"]

    @admin.display(description=_("submission window"))
    def window_description(self, district):
        return (
            f"({district.window_open_month_offset}, {district.window_open_day}) - "
            f"({district.window_close_month_offset}, {district.window_close_day})"
        )


class AccountLinkInline(admin.TabularInline):
    model = AccountLink
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at", "created_by_staff"]


@admin.register(PersonalAccount)
class PersonalAccountAdmin(admin.ModelAdmin):
    list_display = ["number", "holder_name", "address", "district", "category", "invoice_mode", "is_active"]
    list_filter = ["district", "invoice_mode", "paper_copy", "is_active", "category"]
    search_fields = ["number", "holder_name", "address", "meters__serial_number", "links__user__email"]
    list_select_related = ["district"]
    inlines = [AccountLinkInline]


@admin.register(AccountLink)
class AccountLinkAdmin(admin.ModelAdmin):
    list_display = ["account", "user", "created_at", "created_by_staff"]
    search_fields = ["account__number", "user__email"]
    list_select_related = ["account", "user", "created_by_staff"]
    autocomplete_fields = ["user", "account"]
    readonly_fields = ["created_by_staff"]
