"""Template context shared by every page: district contacts for the footer, loaded only when shown."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from portal.selectors import footer_districts


def site_context(request):
    return {
        "footer_districts": SimpleLazyObject(footer_districts),
        "currency_code": settings.CURRENCY,
    }
