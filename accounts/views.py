"""Customer pages of the accounts app: link and unlink accounts, account settings, the profile."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.devices import api_tokens_revoke, signed_in_devices
from accounts.forms import INVOICE_MODE_EXPLANATIONS, AccountLinkForm, AccountSettingsForm, ProfileForm
from accounts.languages import path_in_language
from accounts.notices import Notice
from accounts.ratelimit import client_ip
from accounts.selectors import account_for_user, link_of
from accounts.services import (
    LinkError,
    account_link,
    account_settings_update,
    account_unlink,
    link_notifications_set,
    notice_unsubscribe,
    unsubscribe_token_read,
    user_language_set,
    user_notifications_set,
)

LINK_ERRORS = {
    # One message for a wrong number and a wrong serial: a stranger must not learn which half was right.
    "not_found": lambda: _(
        "We could not find an account with this number and meter serial number. "
        "Check both numbers against your bill and the meter's nameplate."
    ),
    "rate_limited": lambda: _("Too many attempts. For your security, please try again in an hour."),
    "already_linked": lambda: _("This account is already in your cabinet."),
}


@login_required
@require_http_methods(["GET", "POST"])
def link_create(request):
    form = AccountLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            link = account_link(
                user=request.user,
                account_number=form.cleaned_data["account_number"],
                meter_serial=form.cleaned_data["meter_serial"],
                client_ip=client_ip(request),
            )
        except LinkError as error:
            form.add_error(None, LINK_ERRORS[error.code]())
        else:
            messages.success(request, _("Account %(number)s is now in your cabinet.") % {"number": link.account.number})
            return redirect("cabinet")
    return render(request, "accounts/link.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def link_delete(request, number):
    account = account_for_user(request.user, number)
    link = link_of(request.user, account)
    if link is None:
        raise Http404("This account is not linked to you.")
    if request.method == "POST":
        account_unlink(link=link, actor=request.user, client_ip=client_ip(request))
        messages.success(request, _("Account %(number)s was removed from your cabinet.") % {"number": account.number})
        return redirect("cabinet")
    return render(request, "accounts/unlink.html", {"account": account})


@login_required
@require_POST
def account_settings(request, number):
    account = account_for_user(request.user, number)
    link = link_of(request.user, account)
    form = AccountSettingsForm(request.POST, can_set_notifications=link is not None)
    if form.is_valid():
        account_settings_update(
            account=account,
            invoice_mode=form.cleaned_data["invoice_mode"],
            paper_copy=form.cleaned_data["paper_copy"],
            premises_vacant=form.cleaned_data["premises_vacant"],
        )
        if link is not None:
            link_notifications_set(link=link, notify_by_email=form.cleaned_data["notify_by_email"])
        messages.success(request, _("Your settings are saved."))
    else:
        messages.error(request, _("The settings were not saved: choose how you get your bills."))
    return redirect("account_detail", number=account.number)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    user = request.user
    initial = {"full_name": user.full_name, "preferred_language": user.preferred_language}
    initial |= {f"notify_{notice}": user.wants(notice) for notice in Notice.values}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if user.full_name != form.cleaned_data["full_name"]:
            user.full_name = form.cleaned_data["full_name"]
            user.save(update_fields=["full_name"])
        language = form.cleaned_data["preferred_language"]
        user_language_set(user=user, language=language)
        user_notifications_set(
            user=user, notices={notice: form.cleaned_data[f"notify_{notice}"] for notice in Notice.values}
        )
        messages.success(request, _("Your profile is saved."))
        return redirect(path_in_language(request.path, language))
    return render(request, "accounts/profile.html", {"form": form, "devices": signed_in_devices(user)})


@login_required
@require_POST
def devices_sign_out(request):
    """The profile's "sign out all devices": every API token of the user stops working."""
    if api_tokens_revoke(user=request.user):
        messages.success(request, _("Your devices are signed out. Sign in again in the app to use it."))
    return redirect("profile")


def invoice_mode_choices(form):
    """Radio choices with their plain-words explanation, for the account page template."""
    field = form["invoice_mode"]
    return [(choice, INVOICE_MODE_EXPLANATIONS[choice.data["value"]]) for choice in field]


ONE_CLICK_BODY = "List-Unsubscribe=One-Click"


def _csrf_refusal(request):
    """The CSRF check the middleware would have made (the view is exempt only for one-click POSTs)."""
    check = CsrfViewMiddleware(lambda request: None)
    check.process_request(request)
    return check.process_view(request, None, (), {})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """The link in every notice email: no login needed (the token is signed).

    GET only shows what will stop, because mail scanners and previews fetch links; the button POSTs.
    A mail client's one-click POST (RFC 8058, body `List-Unsubscribe=One-Click`) carries no CSRF token and
    takes effect at once; any other POST is checked for CSRF as usual.
    """
    found = unsubscribe_token_read(token)
    if found is None:
        return render(request, "accounts/unsubscribe_invalid.html", status=400)
    user, notice = found
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        if not one_click and (refusal := _csrf_refusal(request)) is not None:
            return refusal
        notice_unsubscribe(user=user, notice=notice)
        context = {"done": True, "notice": Notice(notice), "email": user.email}
        return render(request, "accounts/unsubscribe.html", context)
    return render(
        request,
        "accounts/unsubscribe.html",
        {"done": False, "already_off": not user.wants(notice), "notice": Notice(notice), "email": user.email},
    )
