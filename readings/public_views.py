"""The form without registration (seeds 000, 002, 004): identify, confirm the address, pass readings.

A visitor proves nothing but two numbers, so the pages show no holder name, balance or history, only a
masked address to recognise. Failed lookups are limited per client address. The meter chosen is kept
in the session for PUBLIC_FORM_MINUTES.
"""

import time

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.forms import AccountLinkForm
from accounts.ratelimit import Limit, attempt_count, client_ip, limit_reached
from accounts.services import normalize_account_number
from readings.masking import mask_address
from readings.models import Channel, Meter, Reading
from readings.submission import reading_form_round
from readings.views import receipt_context

SESSION_KEY = "public_reading"
PUBLIC_FORM_MINUTES = 30


def _lookup_limit() -> Limit:
    return Limit(settings.PUBLIC_FORM_LOOKUPS_PER_IP, 3600)


def _session_meter(request, *, confirmed: bool) -> Meter | None:
    state = request.session.get(SESSION_KEY) or {}
    if not state or time.time() - state.get("at", 0) > PUBLIC_FORM_MINUTES * 60:
        return None
    if confirmed and not state.get("confirmed"):
        return None
    return (
        Meter.objects.select_related("account__district")
        .filter(pk=state.get("meter"), removed_on__isnull=True, account__is_active=True)
        .first()
    )


@require_http_methods(["GET", "POST"])
def public_identify(request):
    form = AccountLinkForm(request.POST or None)
    ip_key = f"ip:{client_ip(request)}"
    if request.method == "POST" and form.is_valid():
        if limit_reached("public_form", ip_key, _lookup_limit()):
            form.add_error(None, _("Too many attempts. For your security, please try again in an hour."))
        else:
            meter = (
                Meter.objects.filter(
                    account__number=normalize_account_number(form.cleaned_data["account_number"]),
                    account__is_active=True,
                    serial_number__iexact=form.cleaned_data["meter_serial"].strip(),
                    removed_on__isnull=True,
                )
                .only("pk")
                .first()
            )
            if meter is None:
                attempt_count("public_form", ip_key, _lookup_limit())
                form.add_error(
                    None,
                    _(
                        "We could not find an account with this number and meter serial number. "
                        "Check both numbers against your bill and the meter's nameplate."
                    ),
                )
            else:
                request.session[SESSION_KEY] = {"meter": meter.pk, "confirmed": False, "at": time.time()}
                return redirect("public_confirm")
    return render(request, "readings/public_identify.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def public_confirm(request):
    meter = _session_meter(request, confirmed=False)
    if meter is None:
        return redirect("public_identify")
    if request.method == "POST":
        if request.POST.get("answer") == "yes":
            request.session[SESSION_KEY] = {**request.session[SESSION_KEY], "confirmed": True}
            return redirect("public_enter")
        request.session.pop(SESSION_KEY, None)
        return redirect("public_identify")
    return render(request, "readings/public_confirm.html", {"masked_address": mask_address(meter.account.address)})


@require_http_methods(["GET", "POST"])
def public_enter(request):
    meter = _session_meter(request, confirmed=True)
    if meter is None:
        return redirect("public_identify")
    round_ = reading_form_round(request, meter=meter, channel=Channel.WEB_FORM, ask_date=False)
    if round_.stored:
        request.session[SESSION_KEY] = {"receipt": round_.outcome.reading.pk, "at": time.time()}
        return redirect("public_receipt")
    context = {
        "meter": meter,
        "round": round_,
        "form": round_.form,
        "masked_address": mask_address(meter.account.address),
        "window": meter.account.district.window.status(timezone.localdate()),
    }
    return render(request, "readings/public_enter.html", context, status=400 if round_.form.errors else 200)


@require_GET
def public_receipt(request):
    state = request.session.get(SESSION_KEY) or {}
    reading = Reading.objects.select_related("meter").filter(pk=state.get("receipt")).first()
    if reading is None:
        raise Http404("No reading passed in this session.")
    return render(
        request,
        "readings/public_receipt.html",
        {**receipt_context(reading), "masked_address": mask_address(reading.meter.account.address)},
    )
