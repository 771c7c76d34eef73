"""Money as customers read it: `1 234,56 грн`, `1,234.56 UAH`. Decimal only, no Django imports."""

from decimal import Decimal

from babel.numbers import format_decimal

BABEL_LOCALES = {"uk": "uk_UA", "ru": "ru_RU", "en": "en_GB"}

# The short word customers see after the amount, per currency and language.
CURRENCY_WORDS = {
    "UAH": {"uk": "грн", "ru": "грн", "en": "UAH"},
    "RUB": {"uk": "руб.", "ru": "руб.", "en": "RUB"},
}


def format_money(amount: Decimal, *, currency: str, language: str) -> str:
    if isinstance(amount, float) or not isinstance(amount, (Decimal, int)):
        raise TypeError(f"money must be Decimal, not {type(amount).__name__}")
    locale = BABEL_LOCALES.get(language, BABEL_LOCALES["uk"])
    number = format_decimal(Decimal(amount), format="#,##0.00", locale=locale)
    word = CURRENCY_WORDS.get(currency, {}).get(language, currency)
    return f"{number}\N{NO-BREAK SPACE}{word}"


def format_price(price: Decimal, *, currency: str, language: str) -> str:
    """A tariff price as customers read it: `4,32 грн`, `2,64123 грн` (2 to 5 decimals, as stored)."""
    if isinstance(price, float) or not isinstance(price, (Decimal, int)):
        raise TypeError(f"a price must be Decimal, not {type(price).__name__}")
    locale = BABEL_LOCALES.get(language, BABEL_LOCALES["uk"])
    number = format_decimal(Decimal(price), format="#,##0.00###", locale=locale)
    word = CURRENCY_WORDS.get(currency, {}).get(language, currency)
    return f"{number}\N{NO-BREAK SPACE}{word}"
