"""Cabinet pages of billing: the charges of an account by month, explained."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.selectors import account_for_user
from billing.selectors import account_charges_by_month


@login_required
@require_GET
def account_charges(request, number):
    account = account_for_user(request.user, number)
    context = {
        "account": account,
        "months": account_charges_by_month(account),
        "cap": settings.ESTIMATE_AVERAGE_MAX_MONTHS,
    }
    return render(request, "billing/charges.html", context)
