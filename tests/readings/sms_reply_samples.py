"""Every SMS reply template rendered with the longest values it realistically carries (6-digit registers,
8-digit serials, 3-digit consumption), for the segment count test and the table in docs/api.md."""

import datetime

from django.utils import translation

from readings.channels import sms_replies as replies
from readings.models import Meter
from readings.validation import (
    LOWER_THAN_PREVIOUS,
    METER_INACTIVE,
    MONTH_CLOSED,
    PREVIOUSLY_REJECTED,
    TOO_MANY_DIGITS,
    WINDOW_CLOSED,
    Problem,
)
from readings.zones import ONE_ZONE, THREE_ZONE, TWO_ZONE

METERS = {
    1: Meter(serial_number="01002345", zone_set=ONE_ZONE),
    2: Meter(serial_number="02000007", zone_set=TWO_ZONE),
    3: Meter(serial_number="03000021", zone_set=THREE_ZONE),
}


def _values(zones: int) -> str:
    meter = METERS[zones]
    return replies.values_short(meter, dict.fromkeys(meter.zones, 123456))


def _used(zones: int) -> str:
    meter = METERS[zones]
    return replies.used_short(meter, dict.fromkeys(meter.zones, 999))


def reply_samples(language: str) -> dict[str, str]:
    on = datetime.date(2026, 10, 30)
    two = METERS[2]
    with translation.override(language):
        samples = {}
        for zones in (1, 2, 3):
            samples[f"accepted, {zones} zone(s)"] = replies.accepted(_values(zones), _used(zones))
            samples[f"accepted without decimals, {zones} zone(s)"] = replies.accepted_whole(
                _values(zones), _used(zones)
            )
        samples["pending review, 2 zones"] = replies.pending_review(_values(2))
        samples["duplicate, 2 zones"] = replies.duplicate(_values(2))
        samples["swap question"] = replies.swap_question()
        samples["needs photo"] = replies.needs_photo()
        samples["formats"] = replies.formats()
        samples["no question"] = replies.no_question()
        samples["not digits"] = replies.not_digits("12345678901234567890")
        samples["too many values"] = replies.too_many_values()
        samples["value too long"] = replies.value_too_long("12345678901234567890")
        samples["phone not registered"] = replies.phone_not_registered()
        samples["choose meter"] = replies.choose_meter()
        samples["rate limited"] = replies.rate_limited()
        samples["account not found"] = replies.account_not_found()
        samples["wrong value count, 3 zones"] = replies.wrong_value_count(
            "03000021", ", ".join(replies.zone_word(zone) for zone in METERS[3].zones)
        )
        problems = {
            "lower than previous": Problem(
                LOWER_THAN_PREVIOUS,
                "half_peak",
                {"value": 123456, "previous": 123457, "previous_date": on, "digits": 6},
            ),
            "too many digits": Problem(TOO_MANY_DIGITS, "half_peak", {"digits": 6}),
            "window closed": Problem(
                WINDOW_CLOSED, None, {"opens_on": datetime.date(2026, 11, 28), "closes_on": datetime.date(2026, 12, 3)}
            ),
            "meter inactive": Problem(METER_INACTIVE),
            "previously rejected": Problem(PREVIOUSLY_REJECTED),
            "month closed": Problem(MONTH_CLOSED),
        }
        for name, problem in problems.items():
            samples[name] = replies.problem(problem, two)
    return samples
