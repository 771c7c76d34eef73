"""Staff screens for money from statements and cards. "Unmatched payments": statement lines whose purpose
names no account (or two); staff pick the account and the line is booked as a payment
(billing/payments/services.py `unmatched_payment_assign`). "Card payments": checkouts and their callbacks."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin_base import ReadOnlyAdmin
from billing.models import CardPayment, UnmatchedPayment
from billing.payments.services import unmatched_payment_assign


class BookedFilter(admin.SimpleListFilter):
    title = gettext_lazy("status")
    parameter_name = "booked"

    def lookups(self, request, model_admin):
        return [("no", gettext_lazy("waiting for an account")), ("yes", gettext_lazy("booked"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(payment__isnull=True)
        if self.value() == "yes":
            return queryset.filter(payment__isnull=False)
        return queryset


class AssignForm(forms.ModelForm):
    class Meta:
        model = UnmatchedPayment
        fields = ["account"]

    def clean_account(self):
        account = self.cleaned_data.get("account")
        if account is None:
            raise forms.ValidationError(_("Choose the personal account this payment is for."), code="required")
        return account


@admin.register(UnmatchedPayment)
class UnmatchedPaymentAdmin(admin.ModelAdmin):
    list_display = ["paid_on", "amount", "payer_name", "purpose", "reason", "candidates", "booked_to"]
    list_filter = [BookedFilter, "reason", "paid_on"]
    search_fields = ["payer_name", "purpose", "=payer_iban", "=reference"]
    list_select_related = ["account"]
    autocomplete_fields = ["account"]
    form = AssignForm
    readonly_fields = [
        "paid_on", "amount", "payer_name", "payer_iban", "payer_code", "purpose", "reason", "candidates",
        "source", "reference", "statement_format", "created_at", "payment", "assigned_by", "assigned_at",
    ]  # fmt: skip

    @admin.display(description=gettext_lazy("booked to"))
    def booked_to(self, row):
        return row.account.number if row.payment_id and row.account_id else "—"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.payment_id:
            return [*self.readonly_fields, "account"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if obj.payment_id:
            return
        payment = unmatched_payment_assign(
            row=obj, account=form.cleaned_data["account"], staff=request.user, now=timezone.now()
        )
        obj.refresh_from_db()
        messages.success(
            request,
            _("Booked %(amount)s to personal account %(number)s.")
            % {"amount": payment.amount, "number": payment.account.number},
        )


@admin.register(CardPayment)
class CardPaymentAdmin(ReadOnlyAdmin):
    """Card checkouts customers started and what the acquirer's callback said: staff answer "I paid by card,
    where is my money?" from here. Nothing is edited: money is booked from the verified callback only."""

    list_display = ["created_at", "order_id", "account", "invoice", "amount", "status", "payment", "callback_at"]
    list_filter = ["status", "provider", "created_at"]
    search_fields = ["=order_id", "=account__number", "=invoice__number"]
    list_select_related = ["account", "invoice", "payment"]
