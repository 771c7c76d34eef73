"""Rejection codes in the customer's words: each message names the zone the way the display does."""

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from readings.models import ZONE_TITLES, Meter
from readings.selectors import labels_text
from readings.validation import (
    DATE_BEFORE_INSTALLATION,
    DATE_BEFORE_PREVIOUS,
    DATE_IN_FUTURE,
    LOWER_THAN_PREVIOUS,
    METER_INACTIVE,
    MONTH_CLOSED,
    NOT_A_NUMBER,
    PREVIOUSLY_REJECTED,
    READING_BILLED,
    TOO_MANY_DIGITS,
    WINDOW_CLOSED,
    ZONE_MISSING,
    ZONE_UNKNOWN,
    Problem,
)


def zone_name(meter: Meter | None, zone: str) -> str:
    """'Day (1.8.2, 15.8.2 or T22)' for a meter whose display shows those labels; 'Day' otherwise."""
    title = str(ZONE_TITLES.get(zone, zone))
    labels = labels_text(meter.labels_for(zone)) if meter else ""
    return f"{title} ({labels})" if labels else title


def _day(value) -> str:
    return date_format(value, "j E Y")


def problem_message(problem: Problem, meter: Meter | None = None, *, reveal_history: bool = True) -> str:
    """The message; without `reveal_history` (the public form) no earlier reading's value or date."""
    params = problem.params
    zone = zone_name(meter, problem.zone) if problem.zone else ""
    if problem.code == ZONE_MISSING:
        return _("%(zone)s: enter the number the display shows.") % {"zone": zone}
    if problem.code == ZONE_UNKNOWN:
        return _("%(zone)s: this meter has no such zone.") % {"zone": zone}
    if problem.code == NOT_A_NUMBER:
        return _("%(zone)s: use digits only, without a decimal part (e.g. 012345).") % {"zone": zone}
    if problem.code == TOO_MANY_DIGITS:
        return _("%(zone)s: the meter shows at most %(digits)s digits before the decimal point.") % {
            "zone": zone,
            "digits": params["digits"],
        }
    if problem.code == LOWER_THAN_PREVIOUS and not reveal_history:
        return _(
            "%(zone)s: %(value)s is lower than the last accepted reading. "
            "If your meter passed %(top)s, check the number of digits."
        ) % {"zone": zone, "value": params["value"], "top": "9" * params["digits"]}
    if problem.code == DATE_BEFORE_PREVIOUS and not reveal_history:
        return _("There is already a later reading for this meter. Please contact the service centre.")
    if problem.code == LOWER_THAN_PREVIOUS:
        return _(
            "%(zone)s: %(value)s is lower than your last reading, %(previous)s on %(date)s. "
            "If your meter passed %(top)s, check the number of digits."
        ) % {
            "zone": zone,
            "value": params["value"],
            "previous": params["previous"],
            "date": _day(params["previous_date"]),
            "top": "9" * params["digits"],
        }
    if problem.code == METER_INACTIVE:
        return _("This meter no longer takes readings. Please contact the service centre.")
    if problem.code == DATE_IN_FUTURE:
        return _("The reading date cannot be in the future.")
    if problem.code == DATE_BEFORE_INSTALLATION:
        return _("The reading date is before the meter was installed on %(date)s.") % {
            "date": _day(params["installed_on"])
        }
    if problem.code == DATE_BEFORE_PREVIOUS:
        return _(
            "There is already a reading for %(date)s. Pass today's reading, or ask the service centre to "
            "correct an earlier one."
        ) % {"date": _day(params["previous_date"])}
    if problem.code == WINDOW_CLOSED:
        return _("Readings are accepted from %(opens)s to %(closes)s. Please pass yours then.") % {
            "opens": _day(params["opens_on"]),
            "closes": _day(params["closes_on"]),
        }
    if problem.code == PREVIOUSLY_REJECTED:
        return _("These numbers were already checked by our staff and not accepted: %(reason)s") % {
            "reason": params.get("reason") or "-"
        }
    if problem.code == MONTH_CLOSED:
        return _("The bill for that month is already issued; the reading can no longer be changed.")
    if problem.code == READING_BILLED:
        return _(
            "The reading for %(date)s has already been used in a charge, so it can no longer be changed here. "
            "If it is wrong, contact the service centre: our staff will correct it."
        ) % {"date": _day(params["reading_date"])}
    return problem.code


def problems_by_zone(problems, meter: Meter, *, reveal_history: bool = True) -> tuple[dict[str, list[str]], list[str]]:
    """Messages for the form: those about a zone go beside its field, the rest above the form."""
    by_zone: dict[str, list[str]] = {}
    general: list[str] = []
    for problem in problems:
        message = problem_message(problem, meter, reveal_history=reveal_history)
        if problem.zone in meter.zones:
            by_zone.setdefault(problem.zone, []).append(message)
        else:
            general.append(message)
    return by_zone, general
