"""Who hears of what (pure, no Django): whether an invoice is news to a person, and what an estimate
notice says of a meter's next month."""

from dataclasses import dataclass
from datetime import date, datetime

from billing.estimates import AVERAGE


@dataclass(frozen=True)
class MeterEstimate:
    serial: str
    basis: str  # average or norm
    kwh: int
    estimate_number: int | None
    norm_next: bool  # the next estimate of this meter would be by the norm


def norm_is_next(*, basis: str, estimate_number: int | None, cap: int) -> bool:
    """Whether the month after an average estimate would be estimated by the norm (the same countdown as
    `billing.selectors`: the norm applies from month `cap + 1` since the last actual reading)."""
    return basis == AVERAGE and bool(cap) and estimate_number is not None and estimate_number >= cap


def issued_after_linking(*, issued_on: date, issued_at: datetime, linked_on: date, linked_at: datetime) -> bool:
    """Whether an invoice is news to a person who linked its account at `linked_at`: one issued before (or
    dated before the day of linking, as the demo's history and late PDFs of old runs are) is not. They find
    it in the cabinet; an inbox that fills with a year of old bills at once looks like spam, or like a bill."""
    return issued_at >= linked_at and issued_on >= linked_on
