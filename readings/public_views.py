"""The form without registration (seeds 000, 002, 004): identify, confirm the address, pass readings.

A visitor proves nothing but two numbers, so the pages show no holder name, balance, history or
consumption, only a masked address to recognise and the zones as the display labels them; a message
about a too-low number says "lower than the last accepted reading" without the value. The reading date
is the server's today, whatever the form posts. The meter chosen is kept in the session for
PUBLIC_FORM_MINUTES.

Failed lookups: counted per (client address, account number) pair, so one abuser behind a carrier's NAT
locks out only their own tries on that account, not everybody behind the NAT; and per account number
from any address, where they do not block but slow every next attempt on that account (a growing
delay), so many addresses cannot guess one account's meter quickly and the owner still gets in. The
correct pair is never refused by the pair limit.
"""

import math
import time

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.forms import AccountLinkForm
from accounts.ratelimit import (
    GrowingDelay,
    Limit,
    attempt_count,
    client_ip,
    delay_failure_count,
    delay_remaining,
    limit_reached,
)
from accounts.services import normalize_account_number
from readings.masking import mask_address
from readings.models import Channel, Meter, Reading
from readings.submission import reading_form_round
from readings.views import receipt_context

SESSION_KEY = "public_reading"
PUBLIC_FORM_MINUTES = 30


def _pair_limit() -> Limit:
    return Limit(settings.PUBLIC_FORM_FAILURES_PER_PAIR, 3600)


def _account_delay() -> GrowingDelay:
    return GrowingDelay(
        free=settings.PUBLIC_FORM_FREE_FAILURES_PER_ACCOUNT,
        window_seconds=3600,
        max_seconds=settings.PUBLIC_FORM_MAX_DELAY_SECONDS,
    )


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


def confirmed_session_meter_id(request) -> int | None:
    """The meter this visitor identified and confirmed, while the session's time lasts (no query)."""
    state = request.session.get(SESSION_KEY) or {}
    if not state.get("confirmed") or time.time() - state.get("at", 0) > PUBLIC_FORM_MINUTES * 60:
        return None
    return state.get("meter")


@require_http_methods(["GET", "POST"])
def public_identify(request):
    form = AccountLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        number = normalize_account_number(form.cleaned_data["account_number"])
        pair = f"{client_ip(request)}|{number}"
        now = time.time()
        wait = delay_remaining("public_form_account", number, _account_delay(), now=now)
        if wait > 0:
            form.add_error(
                None,
                _(
                    "There were several wrong attempts with this account number. For its owner's security, "
                    "please wait %(seconds)s seconds and try again."
                )
                % {"seconds": math.ceil(wait)},
            )
            return render(request, "readings/public_identify.html", {"form": form}, status=429)
        meter = (
            Meter.objects.filter(
                account__number=number,
                account__is_active=True,
                serial_number__iexact=form.cleaned_data["meter_serial"].strip(),
                removed_on__isnull=True,
            )
            .only("pk")
            .first()
        )
        if meter is not None:  # never refused by the pair limit: the owner who mistyped ten times gets in
            request.session[SESSION_KEY] = {"meter": meter.pk, "confirmed": False, "at": now}
            return redirect("public_confirm")
        delay_failure_count("public_form_account", number, _account_delay(), now=now)
        if limit_reached("public_form_pair", pair, _pair_limit()):
            form.add_error(None, _("Too many attempts. For your security, please try again in an hour."))
        else:
            attempt_count("public_form_pair", pair, _pair_limit())
            form.add_error(
                None,
                _(
                    "We could not find an account with this number and meter serial number. "
                    "Check both numbers against your bill and the meter's nameplate."
                ),
            )
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
    # A stranger with two numbers sees no consumption data: no last reading, no values in messages.
    round_ = reading_form_round(request, meter=meter, channel=Channel.WEB_FORM, ask_date=False, reveal_history=False)
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
        {**receipt_context(reading, consumption=False), "masked_address": mask_address(reading.meter.account.address)},
    )
