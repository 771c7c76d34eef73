"""Form widgets whose values browsers read: ISO dates in every language (see portal/machine.py)."""

from django import forms

ISO_DATE = "%Y-%m-%d"


class IsoDateInput(forms.DateInput):
    """`<input type="date">` needs `value="2026-12-02"`; the localized "02.12.2026" shows as empty."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=ISO_DATE)


class IsoDateHiddenInput(IsoDateInput):
    """A date carried between steps of a form, in the same ISO form the date input uses."""

    input_type = "hidden"
