"""Staff screens for meters and readings. Readings are read-only here (append-only by design); staff
enter readings, review flagged ones and see the channel report through the screens added below."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin_base import AuditedAdmin, ReadOnlyAdmin
from accounts.phones import phone_e164
from portal.widgets import IsoDateInput
from readings.models import (
    ZONE_TITLES,
    Channel,
    ChannelChat,
    ClosedMonth,
    EmailReading,
    Meter,
    Reading,
    ReadingDecision,
    ReadingStatus,
    ReviewDecision,
    SmsContract,
    TelegramChat,
)
from readings.report import in_thousands, readings_by_channel_and_day
from readings.selectors import meter_history
from readings.services import reading_review
from readings.submission import reading_form_round
from readings.zones import ALL_ZONES


@admin.register(Meter)
class MeterAdmin(AuditedAdmin):
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
    # What consumption and charges were computed from: fixed once a reading exists (a different register
    # is a meter exchange: remove this meter, install a new one). The removal date stays editable.
    LOCKED_AFTER_READINGS = (
        "account",
        "zone_set",
        "register_digits",
        "multiplier",
        "installed_on",
        *(f"install_{zone}" for zone in ALL_ZONES),
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.readings.exists():
            return self.LOCKED_AFTER_READINGS
        return ()


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"), choices=ReviewDecision.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason the customer will read"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Required when you reject: say what the photo or the history shows."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == ReviewDecision.REJECT and not cleaned.get("reason", "").strip():
            self.add_error("reason", _("Say why, in words the customer understands."))
        return cleaned


class ReportForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), widget=IsoDateInput())
    end = forms.DateField(label=gettext_lazy("To"), widget=IsoDateInput())


@admin.register(Reading)
class ReadingAdmin(admin.ModelAdmin):
    list_display = ["meter", "reading_date", "values_display", "channel", "status", "month_display", "submitted_at"]
    list_filter = ["status", "channel", "billing_month"]
    search_fields = ["meter__serial_number", "meter__account__number"]
    list_select_related = ["meter"]
    date_hierarchy = "reading_date"
    change_list_template = "admin/readings/reading/change_list.html"

    @admin.display(description=gettext_lazy("values"))
    def values_display(self, reading):
        return ", ".join(
            f"{Reading._meta.get_field(zone).verbose_name}: {value}" for zone, value in reading.values.items()
        )

    @admin.display(description=gettext_lazy("billing month"), ordering="billing_month")
    def month_display(self, reading):
        return date_format(reading.billing_month, "F Y")

    def has_add_permission(self, request):
        return False  # staff enter readings through "Enter a reading", which runs every rule

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("review/", wrap(self.review_queue), name="readings_review_queue"),
            path("review/<int:pk>/", wrap(self.review_one), name="readings_review"),
            path("enter/", wrap(self.enter_reading), name="readings_enter"),
            path("report/", wrap(self.channel_report), name="readings_report"),
            *super().get_urls(),
        ]

    def _context(self, request, title, **extra):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title, **extra}

    def review_queue(self, request):
        pending = (
            Reading.objects.filter(status=ReadingStatus.PENDING_REVIEW, superseded_at__isnull=True)
            .select_related("meter__account")
            .order_by("submitted_at")
        )
        return TemplateResponse(
            request,
            "admin/readings/review_queue.html",
            self._context(request, _("Readings waiting for review"), pending=pending),
        )

    def review_one(self, request, pk):
        if request.method == "POST" and not request.user.has_perm("readings.change_reading"):
            raise PermissionDenied  # deciding is the reviewers' role (portal/staff_roles.py), not every staff's
        reading = get_object_or_404(Reading.objects.select_related("meter__account"), pk=pk)
        form = ReviewForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                reading_review(
                    reading=reading,
                    decision=form.cleaned_data["decision"],
                    reason=form.cleaned_data["reason"],
                    staff=request.user,
                    now=timezone.now(),
                )
            except ValueError as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request, _("Decision saved for meter %(serial)s.") % {"serial": reading.meter.serial_number}
                )
                return redirect("admin:readings_review_queue")
        context = self._context(
            request,
            _("Review a reading"),
            reading=reading,
            form=form,
            history=meter_history(reading.meter)[:14],
            decisions=ReadingDecision.objects.filter(reading=reading).select_related("decided_by"),
        )
        return TemplateResponse(request, "admin/readings/review_one.html", context)

    def enter_reading(self, request):
        if request.method == "POST" and not request.user.has_perm("readings.add_reading"):
            raise PermissionDenied
        serial = (request.GET.get("serial") or request.POST.get("serial") or "").strip()
        meter = Meter.objects.select_related("account").filter(serial_number__iexact=serial).first() if serial else None
        round_ = None
        if meter is not None:
            round_ = reading_form_round(request, meter=meter, channel=Channel.STAFF, ask_date=True)
            if round_.stored:
                messages.success(
                    request,
                    _("Reading saved for meter %(serial)s; it goes to the %(month)s bill.")
                    % {"serial": meter.serial_number, "month": date_format(round_.outcome.billing_month, "F Y")},
                )
                return redirect(reverse("admin:readings_enter") + f"?serial={meter.serial_number}")
        context = self._context(
            request,
            _("Enter a reading"),
            serial=serial,
            meter=meter,
            round=round_,
            form=round_.form if round_ else None,
        )
        return TemplateResponse(request, "admin/readings/enter.html", context)

    def channel_report(self, request):
        today = timezone.localdate()
        form = ReportForm(request.GET or None, initial={"start": today - timedelta(days=6), "end": today})
        start, end = today - timedelta(days=6), today
        if form.is_valid():
            start, end = sorted((form.cleaned_data["start"], form.cleaned_data["end"]))
            end = min(end, start + timedelta(days=92))  # a window, not a year: keeps the table readable
        report = readings_by_channel_and_day(start=start, end=end)
        rows = [
            (day, [report.counts.get((day, channel), 0) for channel in report.channels], report.by_day[day])
            for day in report.days
        ]
        labels = dict(Channel.choices)
        context = self._context(
            request,
            _("Readings by channel and day"),
            form=form,
            report=report,
            rows=rows,
            start=start,
            end=end,
            channel_names=[labels[channel] for channel in report.channels],
            totals=[report.by_channel[channel] for channel in report.channels],
            published=[(in_thousands(count), label) for label, count in report.published],
        )
        return TemplateResponse(request, "admin/readings/report.html", context)


@admin.register(ReadingDecision)
class ReadingDecisionAdmin(ReadOnlyAdmin):
    list_display = ["decided_at", "reading", "decision", "reason", "decided_by"]
    list_filter = ["decision"]
    list_select_related = ["reading", "decided_by"]


@admin.register(ClosedMonth)
class ClosedMonthAdmin(ReadOnlyAdmin):
    """Months are closed by the billing run's final pass, never by hand."""

    list_display = ["month", "closed_at"]


class SmsContractForm(forms.ModelForm):
    """The phone as staff write it down (`050 123-45-67`, `+380501234567`), stored in E.164 read with the
    account's district country, the one form the SMS channel matches."""

    phone = forms.CharField(label=gettext_lazy("phone number"), max_length=40)

    class Meta:
        model = SmsContract
        fields = ["phone", "account", "meter", "language", "is_active"]

    def clean(self):
        cleaned = super().clean()
        account, raw = cleaned.get("account"), cleaned.get("phone")
        if account and raw:
            normal = phone_e164(raw, account.district.country)
            if normal is None:
                self.add_error(
                    "phone",
                    _("“%(phone)s” is not a valid phone number: write it with the country code, e.g. +380501234567.")
                    % {"phone": raw},
                )
            else:
                cleaned["phone"] = normal
        return cleaned


@admin.register(SmsContract)
class SmsContractAdmin(admin.ModelAdmin):
    """Staff register a customer's phone to an account (at a service centre or by phone, seed 003)."""

    form = SmsContractForm

    list_display = ["phone", "account", "meter", "language", "is_active", "created_at"]
    list_filter = ["is_active", "language"]
    search_fields = ["=phone", "=account__number"]
    autocomplete_fields = ["account"]
    raw_id_fields = ["meter"]
    readonly_fields = ["created_at", "created_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(TelegramChat)
class TelegramChatAdmin(ReadOnlyAdmin):
    list_display = ["chat_id", "account", "meter", "state", "language", "updated_at"]
    search_fields = ["=chat_id", "=account__number"]


@admin.register(ChannelChat)
class ChannelChatAdmin(ReadOnlyAdmin):
    list_display = ["transport", "user_id", "account", "meter", "state", "language", "updated_at"]
    list_filter = ["transport"]
    search_fields = ["=user_id", "=account__number"]


class EmailAcceptForm(forms.Form):
    meter_serial = forms.CharField(label=gettext_lazy("Meter serial number"), max_length=32)
    reading_date = forms.DateField(label=gettext_lazy("Reading date"), widget=IsoDateInput())
    total = forms.IntegerField(label=ZONE_TITLES["total"], min_value=0, required=False)
    day = forms.IntegerField(label=ZONE_TITLES["day"], min_value=0, required=False)
    night = forms.IntegerField(label=ZONE_TITLES["night"], min_value=0, required=False)
    peak = forms.IntegerField(label=ZONE_TITLES["peak"], min_value=0, required=False)
    half_peak = forms.IntegerField(label=ZONE_TITLES["half_peak"], min_value=0, required=False)

    def clean(self):
        cleaned = super().clean()
        serial = cleaned.get("meter_serial", "")
        meter = Meter.objects.select_related("account__district").filter(serial_number__iexact=serial).first()
        if serial and meter is None:
            self.add_error("meter_serial", _("No meter with this serial number."))
        elif meter is not None:
            for zone in meter.zones:
                if cleaned.get(zone) is None:
                    self.add_error(zone, _("Meter %(serial)s needs this zone.") % {"serial": meter.serial_number})
            cleaned["meter"] = meter
        return cleaned


@admin.register(EmailReading)
class EmailReadingAdmin(ReadOnlyAdmin):
    """The staff queue of emailed readings the portal could not match: open one, read the email, pick the
    meter and accept (the reading goes through every rule, channel email) or discard it."""

    list_display = ["received_at", "sender", "subject", "status", "reason", "meter"]
    list_filter = ["status"]
    search_fields = ["sender", "subject", "=meter__serial_number"]
    readonly_fields = ["sender", "subject", "body", "received_at", "status", "reason", "meter", "reply"]
    fields = readonly_fields
    change_form_template = "admin/readings/emailreading/change_form.html"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/accept/", wrap(self.accept_view), name="readings_emailreading_accept"),
            *super().get_urls(),
        ]

    def accept_view(self, request, pk):
        from readings.channels.email import email_reading_accept, email_reading_discard
        from readings.channels.email_format import parse_email_reading

        if request.method == "POST" and not request.user.has_perm("readings.add_reading"):
            raise PermissionDenied  # entering a reading from an email is the reviewers' role, not every staff's
        row = get_object_or_404(EmailReading, pk=pk)
        facts = parse_email_reading(f"{row.subject}\n{row.body}")
        initial = {"meter_serial": facts.meter_serial or "", "reading_date": facts.reading_date, **facts.values}
        form = EmailAcceptForm(request.POST or None, initial=initial)
        if request.method == "POST" and "discard" in request.POST:
            email_reading_discard(email_reading_id=row.pk, staff=request.user, now=timezone.now())
            messages.success(request, _("The email was discarded."))
            return redirect("admin:readings_emailreading_changelist")
        if request.method == "POST" and form.is_valid():
            meter = form.cleaned_data["meter"]
            try:
                reply = email_reading_accept(
                    email_reading_id=row.pk,
                    meter=meter,
                    values={zone: form.cleaned_data[zone] for zone in meter.zones},
                    reading_date=form.cleaned_data["reading_date"],
                    staff=request.user,
                    now=timezone.now(),
                    today=timezone.localdate(),
                )
            except ValueError as error:
                messages.error(request, str(error))
            else:
                if reply.status in ("accepted", "pending_review", "duplicate"):
                    messages.success(
                        request, _("Reading stored; the sender is told: %(reply)s") % {"reply": reply.text}
                    )
                    return redirect("admin:readings_emailreading_changelist")
                form.add_error(None, reply.text)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Accept an emailed reading"),
            "row": row,
            "form": form,
        }
        return TemplateResponse(request, "admin/readings/emailreading/accept.html", context)
