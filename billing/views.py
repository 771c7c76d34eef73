"""Cabinet pages of billing: the charges of an account by month, explained; its invoices (list, generate,
view, PDF); its payments are in billing/payments/views.py. Thin: every account is resolved through
`account_for_user` (linked users and staff), reads come from `billing.selectors`, the one write from
`billing.invoices.services`."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import account_for_user
from accounts.windows import HISTORY_MONTHS, history_start
from billing.documents.render import invoice_page_html
from billing.documents.services import invoice_render
from billing.invoices.selectors import (
    account_has_invoices_before,
    account_invoice,
    account_invoices,
    invoice_generate_refusal,
    invoice_replacement,
    supplier_invoice_of_day,
)
from billing.invoices.services import InvoiceRefused, invoice_generate
from billing.selectors import account_charges_by_month, account_money


def refusal_message(code: str, invoice=None) -> str:
    """Why "Generate invoice" is not possible now, in the customer's words."""
    if code == "supplier_mode":
        return _(
            "Your supplier issues your invoices every month, on the 3rd-4th. "
            "To generate them yourself, change the invoice mode in the settings."
        )
    if code == "supplier_issued_today":
        if invoice is not None:
            return _(
                "The supplier issued your invoice today: %(number)s. You can generate a new one yourself from tomorrow."
            ) % {"number": invoice.number}
        return _("The supplier issued your invoice today. You can generate a new one yourself from tomorrow.")
    if code == "nothing_new" and invoice is not None:
        return _("Nothing new since invoice %(number)s: download it below.") % {"number": invoice.number}
    return _("An invoice cannot be generated now.")


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


@login_required
@require_GET
def invoice_list(request, number):
    account = account_for_user(request.user, number)
    today = timezone.localdate()
    # The last 24 months unless the customer asks for all: a constant number of queries at any age
    # (today's supplier invoice, which the refusal names, is always among them).
    show_all = request.GET.get("all") == "1"
    since = None if show_all else history_start(today)
    invoices = account_invoices(account, since=since)
    refusal = invoice_generate_refusal(account, today=today)
    context = {
        "account": account,
        "invoices": invoices,
        "show_all": show_all,
        "has_older": since is not None and account_has_invoices_before(account, since),
        "history_months": HISTORY_MONTHS,
        "money": account_money(account),
        "refusal": refusal,
        "refusal_text": refusal_message(refusal, supplier_invoice_of_day(invoices, today)) if refusal else "",
        "today": today,
    }
    return render(request, "billing/invoices.html", context)


@login_required
@require_POST
def invoice_create(request, number):
    account = account_for_user(request.user, number)
    today = timezone.localdate()
    try:
        invoice = invoice_generate(account=account, user=request.user, today=today, now=timezone.now())
    except InvoiceRefused as refused:
        invoice = refused.invoice
        if refused.code == "supplier_issued_today" and invoice is None:
            invoice = supplier_invoice_of_day(account_invoices(account, since=today), today)
        messages.error(request, refusal_message(refused.code, invoice))
        return redirect("account_invoices", number=account.number)
    messages.success(request, _("Your invoice %(number)s is ready.") % {"number": invoice.number})
    return redirect("invoice_detail", number=account.number, invoice_number=invoice.number)


@login_required
@require_GET
def invoice_detail(request, number, invoice_number):
    account = account_for_user(request.user, number)
    invoice = account_invoice(account, invoice_number)
    context = {
        "account": account,
        "invoice": invoice,
        "replacement": invoice_replacement(invoice),
        "invoice_html": invoice_page_html(invoice),
        "today": timezone.localdate(),
    }
    return render(request, "billing/invoice_detail.html", context)


@login_required
@require_GET
def invoice_pdf(request, number, invoice_number):
    account = account_for_user(request.user, number)
    invoice = account_invoice(account, invoice_number)
    if not invoice.pdf:
        # The worker is behind (or down): render it now rather than ever answer 404 to the customer.
        invoice_render(invoice_id=invoice.pk, now=timezone.now())
        invoice.refresh_from_db(fields=["pdf", "pdf_rendered_at"])
    response = FileResponse(invoice.pdf.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
