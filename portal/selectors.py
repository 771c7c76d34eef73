"""Reads that the portal-wide pages need."""

from dataclasses import dataclass

from django.utils import timezone

from accounts.models import District
from accounts.windows import WindowStatus


@dataclass(frozen=True)
class DistrictWindow:
    district: District
    status: WindowStatus


def district_window_statuses(*, today=None) -> list[DistrictWindow]:
    """Every district with the state of its submission window today (Kyiv time by default)."""
    today = today or timezone.localdate()
    return [DistrictWindow(district, district.window.status(today)) for district in District.objects.all()]


def footer_districts() -> list[District]:
    return list(District.objects.only("code", "name", "contact_phone", "contact_email", "office_address"))
