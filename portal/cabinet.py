"""The customer's cabinet pages that show several apps at once: the dashboard and an account's page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.forms import AccountSettingsForm
from accounts.selectors import account_for_user, link_of, linked_accounts
from accounts.views import invoice_mode_choices
from accounts.windows import add_months
from portal.selectors import account_cards


def supplier_issue_day(today):
    """When the supplier next issues bills: the billing pass on the 3rd (README "Invoices and payments")."""
    if today.day <= 3:
        return today.replace(day=3)
    return add_months(today, 1).replace(day=3)


@login_required
@require_GET
def dashboard(request):
    today = timezone.localdate()  # the balance is computed now: the page says "as of" this day
    cards = account_cards(linked_accounts(request.user), today=today)
    context = {"cards": cards, "today": today, "supplier_issues_on": supplier_issue_day(today)}
    return render(request, "cabinet/dashboard.html", context)


@login_required
@require_GET
def account_detail(request, number):
    account = account_for_user(request.user, number)
    link = link_of(request.user, account)
    form = AccountSettingsForm(
        initial={
            "invoice_mode": account.invoice_mode,
            "paper_copy": account.paper_copy,
            "premises_vacant": account.premises_vacant,
            "notify_by_email": link.notify_by_email if link else False,
        },
        can_set_notifications=link is not None,
    )
    today = timezone.localdate()
    (card,) = account_cards([account], today=today)
    context = {"card": card, "account": account, "link": link, "form": form, "modes": invoice_mode_choices(form)}
    context["today"] = today
    context["supplier_issues_on"] = supplier_issue_day(today)
    return render(request, "cabinet/account.html", context)
