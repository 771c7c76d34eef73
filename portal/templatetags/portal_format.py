"""Template filters for localized money."""

from django import template
from django.conf import settings
from django.utils.translation import get_language

from portal.money_format import format_money

register = template.Library()


@register.filter
def money(amount):
    """`{{ invoice.amount_due|money }}` in the active language and the portal's currency."""
    if amount is None or amount == "":
        return ""
    return format_money(amount, currency=settings.CURRENCY, language=(get_language() or "uk")[:2])
