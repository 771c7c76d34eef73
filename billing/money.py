"""Money arithmetic: Decimal only, 2 places, ROUND_HALF_UP per line (no Django).

Totals are sums of rounded lines, never rounded sums (DESIGN.md "Money").
"""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

CENT = Decimal("0.01")
PRICE_PLACES = Decimal("0.00001")  # tariffs carry 5 decimal places


def round_money(amount: Decimal) -> Decimal:
    if isinstance(amount, float):
        raise TypeError("money must be Decimal, never float")
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def line_amount(volume_kwh: int, price: Decimal) -> Decimal:
    """One charge line: volume x price, rounded half-up to the kopeck."""
    if isinstance(price, float):
        raise TypeError("prices must be Decimal, never float")
    # round_money's rounding, inline: the product of an int and a Decimal is a Decimal (one per charge line)
    return (Decimal(volume_kwh) * price).quantize(CENT, rounding=ROUND_HALF_UP)


def round_half_up(value) -> int:
    """An exact value (Fraction, Decimal, int) to a whole number; halves go away from zero.

    Integer arithmetic on the exact ratio: the run calls this for every estimated zone, and Fraction's
    comparisons and subtractions were most of an estimate's time."""
    try:
        numerator, denominator = value.as_integer_ratio()
    except AttributeError:
        numerator, denominator = Fraction(value).as_integer_ratio()
    # floor(|n| / d + 1/2): the whole part, plus one when the remainder is at least a half.
    whole = (2 * abs(numerator) + denominator) // (2 * denominator)
    return -whole if numerator < 0 else whole
