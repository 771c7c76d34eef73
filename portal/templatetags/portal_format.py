"""Template filters: localized money and months for people, `machine` for values programs read."""

from django import template
from django.conf import settings
from django.utils.translation import get_language

from portal.machine import machine_value
from portal.money_format import format_money, format_price

register = template.Library()


@register.filter
def money(amount):
    """`{{ invoice.amount_due|money }}` in the active language and the portal's currency."""
    if amount is None or amount == "":
        return ""
    return format_money(amount, currency=settings.CURRENCY, language=(get_language() or "uk")[:2])


@register.filter(is_safe=True)
def machine(value):
    """`{{ rect.x|machine }}`: a value for a program (attribute, SVG coordinate), never localized."""
    return machine_value(value)


@register.filter
def month_year(month):
    """A billing month as it reads inside a sentence: "листопад 2026", "ноябрь 2026", "November 2026"."""
    if not month:
        return ""
    from django.utils.dateformat import format as date_format

    text = date_format(month, "F Y")
    # Ukrainian and Russian write month names in lower case inside a sentence.
    return text if (get_language() or "uk")[:2] == "en" else text[:1].lower() + text[1:]


@register.filter
def get_item(mapping, key):
    """`{{ row.consumption|get_item:zone }}`: a dict value by a variable key."""
    return mapping.get(key) if mapping else None


@register.filter
def zone_title(zone):
    """`{{ zone|zone_title }}`: "day" -> "день" in the active language (lower case, as inside a line)."""
    from readings.models import ZONE_TITLES

    return str(ZONE_TITLES[zone]).lower() if zone in ZONE_TITLES else zone


@register.filter
def zone_volumes(kwh_by_zone):
    """{"day": 182, "night": 61} -> "182 kWh day, 61 kWh night" in the active language."""
    from django.utils.translation import gettext

    from readings.models import ZONE_TITLES

    if list(kwh_by_zone) == ["total"]:
        return gettext("%(kwh)s kWh") % {"kwh": kwh_by_zone["total"]}
    return ", ".join(
        gettext("%(kwh)s kWh %(zone)s") % {"kwh": kwh, "zone": str(ZONE_TITLES[zone]).lower()}
        for zone, kwh in kwh_by_zone.items()
    )


@register.filter
def zone_prices(prices_by_zone):
    """{"day": [4.32, 4.80], "night": [2.16]} -> "day 4.32 / 4.80 UAH per kWh, night 2.16 UAH per kWh"."""
    from django.utils.translation import gettext

    from readings.models import ZONE_TITLES

    language = (get_language() or "uk")[:2]

    def per_kwh(prices):
        shown = " / ".join(format_price(price, currency=settings.CURRENCY, language=language) for price in prices)
        return gettext("%(price)s per kWh") % {"price": shown}

    if list(prices_by_zone) == ["total"]:
        return per_kwh(prices_by_zone["total"])
    return ", ".join(
        gettext("%(zone)s %(price)s") % {"zone": str(ZONE_TITLES[zone]).lower(), "price": per_kwh(prices)}
        for zone, prices in prices_by_zone.items()
    )


@register.filter
def money_signed(amount):
    """Negative amounts as a credit in words ("credit 120.00 UAH"), never a bare minus sign."""
    from django.utils.translation import gettext

    if amount is None or amount == "":
        return ""
    if amount < 0:
        return gettext("credit %(amount)s") % {"amount": money(-amount)}
    return money(amount)


@register.filter
def money_abs(amount):
    """The amount without its sign, for sentences that already say which way it goes ("Overpaid 120.00 UAH")."""
    if amount is None or amount == "":
        return ""
    return money(abs(amount))


@register.filter
def overdue(invoice, today):
    """`{% if invoice|overdue:today %}`: unpaid after its pay-by date."""
    return invoice.is_overdue(today)
