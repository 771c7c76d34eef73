"""Strict parsing of money amounts as bank statements write them (pure: no Django).

`Decimal(text)` accepts far more than a statement should: `1e3` (1,000.00), Arabic-Indic `١٠٠` (100.00),
`NaN`, `Infinity`, `1_000`, and numbers too large for the database (10^10 ended in a traceback). An amount
here is ASCII digits, at most one decimal separator (the one the format uses), at most two decimals and at
most `MAXIMUM`. Everything else is refused with the rule it broke, so the importer can name line, field
and rule.
"""

import re
from decimal import Decimal

# The largest amount one statement line may carry: far above any household payment, far below the
# 12-digit column (Payment.amount max_digits=12), so a typo of a few extra digits is refused, not booked.
MAXIMUM = Decimal("1000000.00")

# Stable codes (the import reports them in brackets, tests match them).
AMOUNT_REQUIRED = "amount_required"
AMOUNT_NOT_A_NUMBER = "amount_not_a_number"
AMOUNT_TOO_MANY_DECIMALS = "amount_too_many_decimals"
AMOUNT_NOT_POSITIVE = "amount_not_positive"
AMOUNT_TOO_LARGE = "amount_too_large"

# [0-9] and not \d: \d matches every Unicode digit (Arabic-Indic, Devanagari, full-width ...).
_SHAPES = {separator: re.compile(r"^([0-9]+)(?:" + re.escape(separator) + r"([0-9]+))?$") for separator in ".,"}


class AmountError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def parse_amount(text: str, *, decimal_separator: str = ".", maximum: Decimal = MAXIMUM) -> Decimal:
    """A positive amount with at most two decimals, e.g. `751.68` (or `751,68` with `decimal_separator=","`).

    Surrounding spaces are tolerated (spreadsheets pad cells); spaces inside, signs, exponents, thousands
    separators and any digit that is not ASCII 0-9 are not.
    """
    if decimal_separator not in _SHAPES:
        raise ValueError(f"unsupported decimal separator {decimal_separator!r}")
    value = text.strip(" \t")
    if value == "":
        raise AmountError(AMOUNT_REQUIRED, "the amount is empty")
    match = _SHAPES[decimal_separator].match(value)
    if match is None:
        raise AmountError(
            AMOUNT_NOT_A_NUMBER,
            f"{_shown(value)} is not an amount: ASCII digits 0-9 with at most one decimal "
            f"separator {decimal_separator!r} (e.g. 751{decimal_separator}68)",
        )
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > 2:
        raise AmountError(AMOUNT_TOO_MANY_DECIMALS, f"{_shown(value)} has more than 2 decimal places")
    # Compare the length first: a 100,000-digit cell would overflow Decimal's context in quantize().
    if len(whole.lstrip("0")) > len(str(int(maximum))):
        raise AmountError(AMOUNT_TOO_LARGE, f"{_shown(value)} is above the maximum of {maximum}")
    amount = Decimal(f"{whole}.{fraction.ljust(2, '0')}")
    if amount <= 0:
        raise AmountError(AMOUNT_NOT_POSITIVE, f"{_shown(value)} is not above 0")
    if amount > maximum:
        raise AmountError(AMOUNT_TOO_LARGE, f"{_shown(value)} is above the maximum of {maximum}")
    return amount


def _shown(value: str) -> str:
    """The value quoted for a message, cut so that a megabyte cell does not flood the report."""
    return repr(value if len(value) <= 40 else value[:40] + "...")
