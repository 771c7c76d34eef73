"""Staff screens for invoices (read-only, with void and reissue), payments (staff entry) and print batches."""

import secrets

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin_base import ReadOnlyAdmin
from accounts.models import District
from billing.documents.render import invoice_page_html
from billing.documents.services import (
    invoice_render,
    print_batch_mark_printed,
    print_batch_pdf_render,
    print_batches_build_now,
)
from billing.invoices.services import invoice_void
from billing.models import Invoice, InvoiceStatus, Payment, PrintBatch
from billing.payments.services import payment_enter


def _pdf_response(field, filename: str) -> FileResponse:
    if not field:
        raise Http404("no PDF yet")
    response = FileResponse(field.open("rb"), content_type="application/pdf", filename=filename)
    response["Cache-Control"] = "private, no-store"
    return response


class VoidForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    reissue = forms.BooleanField(label=gettext_lazy("Issue a corrected invoice at once"), required=False, initial=True)


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = [
        "number", "account_number", "kind", "billing_month", "issued_on", "due_on", "amount_due", "status", "overdue",
        "pdf_link",
    ]  # fmt: skip
    list_filter = ["status", "kind", "billing_month", "district", "paper_copy"]
    search_fields = ["=number", "=account_number", "holder_name"]
    date_hierarchy = "issued_on"
    change_form_template = "admin/billing/invoice/change_form.html"

    # The change page shows the invoice as the customer reads it instead of its stored copies as JSON.
    exclude_from_page = ("supplier", "content", "qr_data", "pdf", "print_batch", "run", "created_by")

    @admin.display(boolean=True, description=gettext_lazy("overdue"))
    def overdue(self, invoice):
        return invoice.is_overdue(timezone.localdate())

    def get_fields(self, request, obj=None):
        fields = [field.name for field in Invoice._meta.fields if field.name not in self.exclude_from_page]
        return [name for name in fields if name != "id"] + ["document"]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description=gettext_lazy("the invoice as the customer sees it"))
    def document(self, invoice):
        return mark_safe(invoice_page_html(invoice))  # rendered by our own template, escaped there

    @admin.display(description="PDF")
    def pdf_link(self, invoice):
        url = reverse("admin:billing_invoice_pdf", args=[invoice.pk])
        return format_html('<a href="{}">PDF</a>', url)

    def has_change_permission(self, request, obj=None):
        return request.method == "GET" and super(ReadOnlyAdmin, self).has_view_permission(request, obj)

    def get_urls(self):
        return [
            path("<int:pk>/pdf/", self.admin_site.admin_view(self.pdf_view), name="billing_invoice_pdf"),
            path("<int:pk>/void/", self.admin_site.admin_view(self.void_view), name="billing_invoice_void"),
            *super().get_urls(),
        ]

    def pdf_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        invoice = get_object_or_404(Invoice, pk=pk)
        if not invoice.pdf:
            invoice_render(invoice_id=invoice.pk, now=timezone.now())
            invoice.refresh_from_db()
        return _pdf_response(invoice.pdf, f"{invoice.number}.pdf")

    def void_view(self, request, pk):
        if not request.user.has_perm("billing.change_invoice"):
            raise PermissionDenied
        invoice = get_object_or_404(Invoice, pk=pk)
        form = VoidForm(request.POST or None)
        if invoice.status == InvoiceStatus.VOID:
            messages.error(request, _("Invoice %(number)s is already void.") % {"number": invoice.number})
            return redirect("admin:billing_invoice_change", invoice.pk)
        if request.method == "POST" and form.is_valid():
            new = invoice_void(
                invoice=invoice,
                reason=form.cleaned_data["reason"],
                staff=request.user,
                today=timezone.localdate(),
                now=timezone.now(),
                reissue=form.cleaned_data["reissue"],
            )
            cancellation = Invoice.objects.only("number").get(cancels=invoice)
            numbers = {"old": invoice.number, "cancellation": cancellation.number}
            if new:
                messages.success(
                    request,
                    _("Invoice %(old)s is cancelled by %(cancellation)s; %(new)s replaces it.")
                    % {**numbers, "new": new.number},
                )
                return redirect("admin:billing_invoice_change", new.pk)
            messages.success(request, _("Invoice %(old)s is cancelled by %(cancellation)s.") % numbers)
            return redirect("admin:billing_invoice_change", invoice.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Void invoice %(number)s") % {"number": invoice.number},
            "form": form,
            "invoice": invoice,
        }
        return TemplateResponse(request, "admin/billing/invoice/void.html", context)


class PaymentEntryForm(forms.ModelForm):
    reference = forms.CharField(
        label=gettext_lazy("Reference"),
        max_length=80,
        required=False,
        help_text=gettext_lazy("The receipt or bank reference; left empty, one is made up."),
    )

    class Meta:
        model = Payment
        fields = ["account", "amount", "paid_on", "reference", "note"]

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is None or amount <= 0:
            raise forms.ValidationError(_("The amount must be more than 0."), code="amount_positive")
        return amount

    def clean_paid_on(self):
        paid_on = self.cleaned_data["paid_on"]
        if paid_on and paid_on > timezone.localdate():
            raise forms.ValidationError(_("The payment date cannot be in the future."), code="future_date")
        return paid_on

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("reference"):
            cleaned["reference"] = f"staff-{timezone.localdate():%Y%m%d}-{secrets.token_hex(4)}"
        elif Payment.objects.filter(source="staff", reference=cleaned["reference"]).exists():
            self.add_error("reference", _("A payment with this reference is already booked."))
        return cleaned


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["paid_on", "account", "amount", "source", "reference", "entered_by"]
    list_filter = ["source", "paid_on"]
    search_fields = ["=account__number", "=reference"]
    autocomplete_fields = ["account"]
    list_select_related = ["account", "created_by"]
    form = PaymentEntryForm

    @admin.display(description=gettext_lazy("entered by"), ordering="created_by__email")
    def entered_by(self, payment):
        return payment.created_by.email if payment.created_by_id else "—"

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        payment = payment_enter(
            account=data["account"],
            amount=data["amount"],
            paid_on=data["paid_on"],
            reference=data["reference"],
            note=data.get("note", ""),
            staff=request.user,
            now=timezone.now(),
        )
        obj.pk = payment.pk
        obj._state.adding = False


class DistrictFilter(admin.SimpleListFilter):
    title = gettext_lazy("district")
    parameter_name = "district"

    def lookups(self, request, model_admin):
        return [(district.pk, str(district)) for district in District.objects.order_by("code")]

    def queryset(self, request, queryset):
        return queryset.filter(district_id=self.value()) if self.value() else queryset


@admin.register(PrintBatch)
class PrintBatchAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "district_display", "invoice_count", "printed_at", "printed_by_display", "download"]
    list_filter = [DistrictFilter, "printed_at"]
    fields = [
        "district_display", "run_display", "created_at", "invoice_count", "download",
        "printed_at", "printed_by_display",
    ]  # fmt: skip
    readonly_fields = fields

    @admin.display(description=gettext_lazy("district"), ordering="district__code")
    def district_display(self, batch):
        return str(batch.district)

    @admin.display(description=gettext_lazy("billing run"))
    def run_display(self, batch):
        return f"{batch.run.month:%Y-%m}, {batch.run.get_pass_name_display()}" if batch.run_id else "—"

    @admin.display(description=gettext_lazy("printed by"), ordering="printed_by__email")
    def printed_by_display(self, batch):
        return batch.printed_by.email if batch.printed_by_id else "—"

    actions = ["mark_printed"]
    change_list_template = "admin/billing/printbatch/change_list.html"

    @admin.display(description=gettext_lazy("PDF"))
    def download(self, batch):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:billing_printbatch_pdf", args=[batch.pk]), _("download")
        )

    def get_urls(self):
        return [
            path("<int:pk>/pdf/", self.admin_site.admin_view(self.pdf_view), name="billing_printbatch_pdf"),
            path("build/", self.admin_site.admin_view(self.build_view), name="billing_printbatch_build"),
            *super().get_urls(),
        ]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=gettext_lazy("Mark as printed"))
    def mark_printed(self, request, queryset):
        for batch in queryset:
            print_batch_mark_printed(batch=batch, staff=request.user, now=timezone.now())
        messages.success(request, _("Marked as printed: %(count)s.") % {"count": queryset.count()})

    def pdf_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(PrintBatch, pk=pk)
        if not batch.pdf:
            # A batch recorded without its document (the demo's "printed long ago", a file lost): lay it out
            # again from its invoices' copies, as printed.
            print_batch_pdf_render(batch=batch)
        return _pdf_response(batch.pdf, f"print-batch-{batch.pk}.pdf")

    def build_view(self, request):
        if request.method != "POST" or not request.user.has_perm("billing.add_printbatch"):
            raise PermissionDenied  # the billing team's role: seeing batches is not making them
        # A few batches at once, for staff waiting at the printer; the rest by a worker.
        batches, waiting = print_batches_build_now(now=timezone.now())
        messages.success(request, _("Print batches built: %(count)s.") % {"count": len(batches)})
        if waiting:
            messages.info(request, _("More invoices are waiting: a worker is building their batches."))
        return redirect("admin:billing_printbatch_changelist")
