"""Customer categories (tariff groups) are codes from the supplier's files (`household`); these are the ones
staff and customers know by name. An unknown code is shown as it is."""

from django.utils.translation import gettext_lazy as _

CATEGORY_TITLES = {"household": _("households")}


def category_title(code: str) -> str:
    return str(CATEGORY_TITLES.get(code, code))
