"""Staff screens for billing: tariffs, norms, runs with progress (and a button to start a pass), charges."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin_base import CATEGORY_TITLES, AuditedAdmin, ReadOnlyAdmin, category_title, titled_filter
from billing.models import BillingRun, Charge, Norm, Pass, Tariff
from billing.models.charges import basis_title
from billing.run.services import RunRefused, run_queue, run_start
from billing.tariffs.selectors import norm_billed, tariff_billed
from portal.widgets import IsoDateInput
from readings.models import ZONE_TITLES


def zone_title(zone: str) -> str:
    return str(ZONE_TITLES.get(zone, zone))


ZONE_FILTER = titled_filter("zone", gettext_lazy("zone"), ZONE_TITLES)
CATEGORY_FILTER = titled_filter("category", gettext_lazy("customer category"), CATEGORY_TITLES)


class TitledCodesAdmin(admin.ModelAdmin):
    """Zones and categories in staff's words in lists and forms (the model stores codes such as half_peak)."""

    @admin.display(description=gettext_lazy("customer category"), ordering="category")
    def category_display(self, row):
        return category_title(row.category)

    @admin.display(description=gettext_lazy("zone"), ordering="zone")
    def zone_display(self, row):
        return zone_title(row.zone)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):  # a billed version: read only
            return [f"{name}_display" if name in ("category", "zone") else name for name in fields]
        return fields

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "category_display", "zone_display"]

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "zone":
            kwargs["choices"] = [("", "---------"), *((code, zone_title(code)) for code, _label in db_field.choices)]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


class BilledVersionAdmin(AuditedAdmin):
    """A tariff or norm version a charge used is shown read-only and cannot be deleted: billed prices never
    change (a new version from a later date is the way)."""

    def billed(self, obj) -> bool:
        raise NotImplementedError

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj is not None and self.billed(obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj is not None and self.billed(obj))

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # a bulk delete would not ask per version whether it is billed
        return actions

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and self.billed(obj):
            messages.warning(
                request,
                _(
                    "Charges have been calculated with this version, so it cannot be changed or deleted. "
                    "To change the price or norm, add a new version from a later date."
                ),
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Tariff)
class TariffAdmin(TitledCodesAdmin, BilledVersionAdmin):
    list_display = ["category_display", "effective_from", "zone_display", "price"]
    list_filter = [CATEGORY_FILTER, ZONE_FILTER]
    date_hierarchy = "effective_from"

    def billed(self, obj) -> bool:
        return tariff_billed(category=obj.category, effective_from=obj.effective_from, zone=obj.zone)


@admin.register(Norm)
class NormAdmin(TitledCodesAdmin, BilledVersionAdmin):
    list_display = ["category_display", "effective_from", "kwh_per_resident"]
    list_filter = [CATEGORY_FILTER]

    def billed(self, obj) -> bool:
        return norm_billed(category=obj.category, effective_from=obj.effective_from)


class StartPassForm(forms.Form):
    month = forms.DateField(label=gettext_lazy("Month (any day of it)"), widget=IsoDateInput())
    pass_name = forms.ChoiceField(label=gettext_lazy("Pass"), choices=Pass.choices)
    run_date = forms.DateField(label=gettext_lazy("Run date"), widget=IsoDateInput())


@admin.register(BillingRun)
class BillingRunAdmin(admin.ModelAdmin):
    list_display = [
        "month",
        "pass_name",
        "status",
        "progress",
        "accounts_total",
        "counts_display",
        "duration",
        "started_at",
    ]
    list_filter = ["status", "pass_name"]
    readonly_fields = ["counts_display" if field.name == "counts" else field.name for field in BillingRun._meta.fields]
    fields = readonly_fields
    change_list_template = "admin/billing/billingrun/change_list.html"

    @admin.display(description=gettext_lazy("progress"))
    def progress(self, run):
        return f"{run.chunks_done}/{run.chunks_total}"

    @admin.display(description=gettext_lazy("charges by basis"))
    def counts_display(self, run):
        return (
            "; ".join(
                _("%(basis)s: %(charges)s charges, %(kwh)s kWh")
                % {"basis": basis_title(basis), "charges": value["charges"], "kwh": value["kwh"]}
                for basis, value in sorted(run.counts.items())
            )
            or "—"
        )

    @admin.display(description=gettext_lazy("duration"))
    def duration(self, run):
        if not run.finished_at:
            return "—"
        return str(timedelta(seconds=round((run.finished_at - run.started_at).total_seconds())))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path("start/", self.admin_site.admin_view(self.start_pass), name="billing_start_pass"),
            *super().get_urls(),
        ]

    def start_pass(self, request):
        if not request.user.has_perm("billing.add_billingrun"):
            raise PermissionDenied  # starting a run is the billing team's role (portal/staff_roles.py)
        today = timezone.localdate()
        last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        form = StartPassForm(
            request.POST or None, initial={"month": last_month, "pass_name": Pass.ACTUAL, "run_date": today}
        )
        if request.method == "POST" and form.is_valid():
            try:
                run = run_start(
                    month=form.cleaned_data["month"],
                    pass_name=form.cleaned_data["pass_name"],
                    run_date=form.cleaned_data["run_date"],
                    now=timezone.now(),
                    started_by=request.user,
                )
            except RunRefused as refused:
                messages.error(request, _("Not started: %(reason)s.") % {"reason": refused})
            else:
                run_queue(run)
                messages.success(
                    request,
                    _("Run %(id)s started: %(chunks)s chunks queued for the workers.")
                    % {"id": run.pk, "chunks": run.chunks_total},
                )
                return redirect("admin:billing_billingrun_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Start a billing pass"),
            "form": form,
        }
        return TemplateResponse(request, "admin/billing/start_pass.html", context)


@admin.register(Charge)
class ChargeAdmin(TitledCodesAdmin, ReadOnlyAdmin):
    list_display = [
        "billing_month", "account_display", "meter_display", "zone_display", "basis", "volume_kwh", "price", "amount",
    ]  # fmt: skip
    list_filter = ["basis", "billing_month", ZONE_FILTER]
    search_fields = ["account__number", "meter__serial_number"]
    list_select_related = ["account", "meter"]
    # The model's own names for these relations are English field names; staff read these.
    fields = [
        "account_display", "meter_display", "zone_display", "basis", "volume_kwh", "price", "amount", "billing_month",
        "span_start", "span_end", "reading_display", "reverses", "run_display", "estimate_number", "created_at",
    ]  # fmt: skip

    @admin.display(description=gettext_lazy("personal account"), ordering="account__number")
    def account_display(self, charge):
        return charge.account.number

    @admin.display(description=gettext_lazy("meter"), ordering="meter__serial_number")
    def meter_display(self, charge):
        return charge.meter.serial_number if charge.meter_id else "—"

    @admin.display(description=gettext_lazy("reading"))
    def reading_display(self, charge):
        if not charge.reading_id:
            return "—"
        return _("%(date)s: %(values)s") % {
            "date": date_format(charge.reading.reading_date),
            "values": ", ".join(f"{zone_title(zone)} {value}" for zone, value in charge.reading.values.items()),
        }

    @admin.display(description=gettext_lazy("billing run"))
    def run_display(self, charge):
        if not charge.run_id:
            return "—"
        return _("%(month)s, %(pass)s") % {
            "month": charge.run.month.strftime("%Y-%m"),
            "pass": charge.run.get_pass_name_display(),
        }


# Registered by importing: invoices, payments and print batches; the unmatched payments queue and card payments.
from billing import admin_invoices  # noqa: E402, F401
from billing.payments import admin as payments_admin  # noqa: E402, F401
