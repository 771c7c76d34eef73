"""Reads about tariff and norm versions: whether a charge used one (a billed version never changes, so the
import refuses a new value for it and the admin shows it read-only)."""

from datetime import date, timedelta

from billing.models import Basis, Charge, Norm, Tariff


def tariff_billed(*, category: str, effective_from: date, zone: str) -> bool:
    """Whether a charge was priced by this tariff version's price of `zone`: a charge of the category and
    zone whose days (after span_start, up to span_end) meet the version's days (from effective_from to the
    day before the next version)."""
    later = (
        Tariff.objects.filter(category=category, zone=zone, effective_from__gt=effective_from)
        .order_by("effective_from")
        .values_list("effective_from", flat=True)
        .first()
    )
    charges = Charge.objects.filter(account__category=category, zone=zone, span_end__gte=effective_from)
    if later is not None:
        charges = charges.filter(span_start__lt=later - timedelta(days=1))
    return charges.exists()


def norm_billed(*, category: str, effective_from: date) -> bool:
    """Whether a norm charge used this norm version: one of a month from the version on, before the next
    (the norm in force on the first day of a month applies to it)."""
    later = (
        Norm.objects.filter(category=category, effective_from__gt=effective_from)
        .order_by("effective_from")
        .values_list("effective_from", flat=True)
        .first()
    )
    charges = Charge.objects.filter(account__category=category, basis=Basis.NORM, billing_month__gte=effective_from)
    if later is not None:
        charges = charges.filter(billing_month__lt=later)
    return charges.exists()
