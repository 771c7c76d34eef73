"""Staff screens for meters and readings. Readings are read-only here: append-only by design."""

from django.contrib import admin
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext_lazy as _

from readings.models import Meter, Reading


@admin.register(Meter)
class MeterAdmin(admin.ModelAdmin):
    list_display = [
        "serial_number",
        "account",
        "zone_set",
        "register_digits",
        "multiplier",
        "installed_on",
        "removed_on",
    ]
    list_filter = ["zone_set", "is_smart", "account__district"]
    search_fields = ["serial_number", "account__number", "account__address"]
    list_select_related = ["account"]
    autocomplete_fields = ["account"]


@admin.register(Reading)
class ReadingAdmin(admin.ModelAdmin):
    list_display = ["meter", "reading_date", "values_display", "channel", "status", "month_display", "submitted_at"]
    list_filter = ["status", "channel", "billing_month"]
    search_fields = ["meter__serial_number", "meter__account__number"]
    list_select_related = ["meter"]
    date_hierarchy = "reading_date"

    @admin.display(description=_("values"))
    def values_display(self, reading):
        return ", ".join(
            f"{Reading._meta.get_field(zone).verbose_name}: {value}" for zone, value in reading.values.items()
        )

    @admin.display(description=_("billing month"), ordering="billing_month")
    def month_display(self, reading):
        return date_format(reading.billing_month, "F Y")

    def has_add_permission(self, request):
        return False  # staff entry goes through the readings service (readings issue), not a raw form

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
