"""What an SMS reply says, short enough for one segment where the content allows (70 characters in
Cyrillic, whose UCS-2 encoding halves an SMS): every reply text of the SMS channel is here, so a test can
render each one in uk, ru and en and count its segments (docs/api.md shows the table)."""

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from readings.messages import problem_message
from readings.models import ZONE_TITLES, Meter
from readings.validation import (
    LOWER_THAN_PREVIOUS,
    METER_INACTIVE,
    MONTH_CLOSED,
    PREVIOUSLY_REJECTED,
    TOO_MANY_DIGITS,
    WINDOW_CLOSED,
    Problem,
)


def zone_word(zone: str) -> str:
    return str(ZONE_TITLES.get(zone, zone)).lower()


def values_short(meter: Meter, values: dict) -> str:
    """'1952' for a one-zone meter, 'day 28100, night 14010' for more zones (in the meter's order)."""
    if len(meter.zones) == 1:
        return str(values.get(meter.zones[0], ""))
    return ", ".join(f"{zone_word(zone)} {values[zone]}" for zone in meter.zones if zone in values)


def used_short(meter: Meter, consumption_kwh: dict) -> str:
    return "+".join(str(consumption_kwh[zone]) for zone in meter.zones if zone in consumption_kwh) or "0"


def _day(value) -> str:
    return date_format(value, "d.m")


def accepted(values: str, used: str) -> str:
    return _("Accepted: %(values)s. Used %(used)s kWh.") % {"values": values, "used": used}


def accepted_whole(values: str, used: str) -> str:
    return _("We took %(values)s, without the decimals. Used %(used)s kWh.") % {"values": values, "used": used}


def pending_review(values: str) -> str:
    return _("Received: %(values)s. Higher than usual: we will check it.") % {"values": values}


def duplicate(values: str) -> str:
    return _("Already received: %(values)s.") % {"values": values}


def swap_question() -> str:
    return _("Day and night swapped? Reply 1 to swap them, 2 to keep them as sent.")


def needs_photo() -> str:
    return _("Much higher than usual: pass it with a photo in the cabinet.")


def formats() -> str:
    return _("Format: 1#012345, or account, meter and reading with spaces.")


def no_question() -> str:
    return _("No question to answer. Send a reading: 1#012345.")


def not_digits(word: str) -> str:
    return _("“%(word)s” is not a number: digits only.") % {"word": word}


def too_many_values() -> str:
    return _("Too many numbers: a meter has at most 3 zones.")


def value_too_long(word: str) -> str:
    return _("“%(word)s” is too long for a reading.") % {"word": word}


def phone_not_registered() -> str:
    return _("Phone not registered: send account, meter and reading.")


def choose_meter() -> str:
    return _("Several meters: send account, meter and reading.")


def rate_limited() -> str:
    return _("Too many attempts. Try again in an hour.")


def account_not_found() -> str:
    return _("Account and meter not found: check both on the bill.")


def wrong_value_count(serial: str, zones: str) -> str:
    return _("Meter %(serial)s: send %(zones)s, in this order.") % {"serial": serial, "zones": zones}


def problem(problem: Problem, meter: Meter) -> str:
    params = problem.params
    zone = str(ZONE_TITLES.get(problem.zone, problem.zone or ""))
    if problem.code == LOWER_THAN_PREVIOUS:
        return _("%(zone)s %(value)s is below the last %(previous)s of %(date)s.") % {
            "zone": zone,
            "value": params["value"],
            "previous": params["previous"],
            "date": _day(params["previous_date"]),
        }
    if problem.code == TOO_MANY_DIGITS:
        return _("%(zone)s: at most %(digits)s digits.") % {"zone": zone, "digits": params["digits"]}
    if problem.code == WINDOW_CLOSED:
        return _("Readings are taken %(opens)s-%(closes)s: send yours then.") % {
            "opens": _day(params["opens_on"]),
            "closes": _day(params["closes_on"]),
        }
    if problem.code == METER_INACTIVE:
        return _("This meter takes no readings: call the service centre.")
    if problem.code == PREVIOUSLY_REJECTED:
        return _("Our staff already refused these numbers.")
    if problem.code == MONTH_CLOSED:
        return _("That month's bill is issued: the reading cannot change.")
    return problem_message(problem, meter)
