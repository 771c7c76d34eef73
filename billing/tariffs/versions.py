"""Tariff versions and splitting a volume between them by days (pure, no Django).

A version with `effective_from` d prices the days on or after d. A span is half-open: the days after
its start up to and including its end. Splits of an integer volume use the largest-remainder method,
ties going to the earlier part (DESIGN.md "Precise points").
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction


@dataclass(frozen=True)
class TariffVersion:
    effective_from: date
    prices: dict[str, Decimal]  # per zone, 5 decimal places


@dataclass(frozen=True)
class PricedPart:
    version: TariffVersion
    days: int
    volume: int
    start_exclusive: date
    end_inclusive: date

    def price(self, zone: str) -> Decimal:
        return self.version.prices[zone]


def largest_remainder(total: int, weights: Sequence) -> list[int]:
    """Split an integer into parts proportional to `weights`, summing exactly to `total`.

    Each part gets the floor of its share; the units left go to the largest remainders, the earlier
    part first on a tie. A negative total is split as its absolute value, then negated.
    """
    if total < 0:
        return [-part for part in largest_remainder(-total, weights)]
    weight_sum = sum(Fraction(weight) for weight in weights)
    if weight_sum == 0:
        raise ValueError("cannot split by weights that sum to zero")
    shares = [Fraction(weight) * total / weight_sum for weight in weights]
    parts = [share.numerator // share.denominator for share in shares]
    left = total - sum(parts)
    by_remainder = sorted(range(len(shares)), key=lambda index: (-(shares[index] - parts[index]), index))
    for index in by_remainder[:left]:
        parts[index] += 1
    return parts


def versions_in_force(versions: Sequence[TariffVersion], start_exclusive: date, end_inclusive: date):
    """(version, first day, last day) for each version pricing some day of the span, in date order."""
    ordered = sorted(versions, key=lambda version: version.effective_from)
    first_day = start_exclusive + timedelta(days=1)
    if not ordered or ordered[0].effective_from > first_day:
        raise LookupError(f"no tariff in force on {first_day.isoformat()}")
    pieces = []
    for index, version in enumerate(ordered):
        begins = max(version.effective_from, first_day)
        ends = end_inclusive
        if index + 1 < len(ordered):
            ends = min(ends, ordered[index + 1].effective_from - timedelta(days=1))
        if begins <= ends:
            pieces.append((version, begins, ends))
    return pieces


def price_span(volume: int, versions: Sequence[TariffVersion], start_exclusive: date, end_inclusive: date):
    """Split `volume` between the tariff versions in force over the span, in proportion to their days."""
    if end_inclusive <= start_exclusive:
        # A reading on the same day as the last one: nothing to spread, the version of that day prices it.
        start_exclusive = end_inclusive - timedelta(days=1)
    pieces = versions_in_force(versions, start_exclusive, end_inclusive)
    if len(pieces) == 1:  # the usual case: one version prices the whole span, nothing to split
        version, first, last = pieces[0]
        return [PricedPart(version, (last - first).days + 1, volume, first - timedelta(days=1), last)]
    volumes = largest_remainder(volume, [(last - first).days + 1 for _, first, last in pieces])
    return [
        PricedPart(version, (last - first).days + 1, part, first - timedelta(days=1), last)
        for (version, first, last), part in zip(pieces, volumes, strict=True)
    ]


def version_on(versions: Sequence[TariffVersion], day: date) -> TariffVersion:
    """The version in force on `day` (norms and estimates use the one in force on the 1st of the month)."""
    candidates = [version for version in versions if version.effective_from <= day]
    if not candidates:
        raise LookupError(f"no version in force on {day.isoformat()}")
    return max(candidates, key=lambda version: version.effective_from)
