"""Customer forms: linking an account, the account's settings, the profile."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import InvoiceMode

# Seed 003's "invoice management", in the customer's words.
INVOICE_MODE_EXPLANATIONS = {
    InvoiceMode.SELF: _("I make my bill myself on the site whenever I want. The supplier does not issue bills for me."),
    InvoiceMode.HYBRID: _(
        "I can make a bill on the site at any time. If I have no unpaid bill that is still current, "
        "the supplier issues one for me on the 3rd-4th of the month."
    ),
    InvoiceMode.SUPPLIER: _("The supplier issues my bill every month on the 3rd-4th. I do not make bills on the site."),
}


class AccountLinkForm(forms.Form):
    account_number = forms.CharField(
        label=_("Personal account number"),
        max_length=40,
        help_text=_("Printed at the top of your paper bill, after “Personal account”."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    meter_serial = forms.CharField(
        label=_("Meter serial number"),
        max_length=40,
        help_text=_("Printed on the meter's nameplate, usually under the bar code."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class AccountSettingsForm(forms.Form):
    invoice_mode = forms.ChoiceField(
        label=_("How you get your bills"), choices=InvoiceMode.choices, widget=forms.RadioSelect
    )
    paper_copy = forms.BooleanField(label=_("Also send me a paper bill by post"), required=False)
    premises_vacant = forms.BooleanField(
        label=_("Nobody lives at this address for now (I am away)"),
        required=False,
        help_text=_("We will not warn you about zero consumption. Keep passing the same reading each month."),
    )
    notify_by_email = forms.BooleanField(
        label=_("Email me about this account (reminders, bills, estimates)"), required=False
    )

    def __init__(self, *args, can_set_notifications: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_set_notifications:
            del self.fields["notify_by_email"]


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    preferred_language = forms.ChoiceField(
        label=_("Language of emails and bills"), choices=settings.LANGUAGES, widget=forms.RadioSelect
    )
    # Which notices come by email; each account's own switch ("Email me about this account") still applies.
    notify_reminders = forms.BooleanField(
        label=_("Reminders to pass my readings when the window opens and the day before it closes"), required=False
    )
    notify_decisions = forms.BooleanField(
        label=_("Whether a reading that was checked by staff is accepted"), required=False
    )
    notify_estimates = forms.BooleanField(
        label=_("When a month is estimated because no reading arrived"), required=False
    )
    notify_invoices = forms.BooleanField(label=_("When a new bill is ready"), required=False)

    NOTICE_FIELDS = ("notify_reminders", "notify_decisions", "notify_estimates", "notify_invoices")

    def notice_fields(self):
        return [self[name] for name in self.NOTICE_FIELDS]
