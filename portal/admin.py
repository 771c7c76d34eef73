"""Staff screens for the channel API: integration clients (the key is shown once, on creation)."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.models import ApiClient, Scope


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiClient
        fields = ["name", "channel", "scopes", "is_active"]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = ["name", "channel", "scopes_text", "is_active", "created_at", "last_used_at"]
    list_filter = ["channel", "is_active"]
    search_fields = ["name"]
    readonly_fields = ["key_prefix", "created_at", "created_by", "last_used_at"]
    actions = ["rotate_key"]

    @admin.display(description=gettext_lazy("scopes"))
    def scopes_text(self, client):
        return ", ".join(client.scopes)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: readings and idempotency records keep pointing at it

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            key = obj.new_key()
            super().save_model(request, obj, form, change)
            self._show_key(request, obj, key)
        else:
            super().save_model(request, obj, form, change)

    @admin.action(description=gettext_lazy("Give a new key (the old one stops working)"))
    def rotate_key(self, request, queryset):
        for client in queryset:
            key = client.new_key()
            client.save(update_fields=["key_prefix", "key_hash"])
            self._show_key(request, client, key)

    def _show_key(self, request, client, key):
        messages.warning(
            request,
            _("The key of %(name)s, shown only now: %(key)s") % {"name": client.name, "key": key},
        )


def _audit_log_column_in_staff_language():
    """django-auditlog names its correlation column with a plain string (not translatable); give the staff's
    admin the translated name (see portal/admin_texts.py)."""
    from auditlog.mixins import LogEntryAdminMixin

    LogEntryAdminMixin.cid_url.short_description = gettext_lazy("Correlation ID")
    LogEntryAdminMixin.msg_short = _changes_in_words


def _changes_in_words(self, entry):
    """The audit log's list column: "2 зміни: ціна, діє з", not auditlog's "2 changes: price, effective_from"."""
    from auditlog.models import LogEntry
    from django.core.exceptions import FieldDoesNotExist
    from django.utils.text import capfirst
    from django.utils.translation import ngettext

    if entry.action in (LogEntry.Action.DELETE, LogEntry.Action.ACCESS):
        return ""
    model = entry.content_type.model_class() if entry.content_type_id else None
    names = []
    for field_name in entry.changes_dict:
        try:
            field = model._meta.get_field(field_name) if model else None
        except FieldDoesNotExist:
            field = None
        if field is None:
            names.append(field_name)
        elif getattr(field, "verbose_name", None):
            names.append(str(field.verbose_name))
        else:  # a reverse relation (an account's charges): the related records' name
            names.append(str(field.related_model._meta.verbose_name_plural))
    fields = capfirst(", ".join(names)) if names else ""
    return ngettext("%(count)d change: %(fields)s", "%(count)d changes: %(fields)s", len(names)) % {
        "count": len(names),
        "fields": fields,
    }


_changes_in_words.short_description = gettext_lazy("Changes")


_audit_log_column_in_staff_language()
