"""Language prefixes of page URLs: none for the default language (uk), `/ru/`, `/en/` for the others."""

from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import get_language


def path_in_language(path: str, language: str) -> str:
    """The same page in another language: swap, add or drop the prefix; keep the query string."""
    path, _, query = path.partition("?")
    codes = [code for code, _name in settings.LANGUAGES]
    segments = path.lstrip("/").split("/", 1)
    if segments[0] in codes:
        path = "/" + (segments[1] if len(segments) > 1 else "")
    if language != settings.LANGUAGE_CODE:
        path = f"/{language}{path}"
    return path + (f"?{query}" if query else "")


def month_in_sentence(month) -> str:
    """A month inside a sentence in the active language: 'листопад 2026', 'ноябрь 2026', 'November 2026'
    (Ukrainian and Russian do not capitalise month names mid-sentence; Django's "F" does)."""
    text = date_format(month, "F Y")
    return text if (get_language() or "uk").startswith("en") else text[:1].lower() + text[1:]
