"""Domain objects as the API's plain data, and every outcome as words (a message, a sentence to speak)."""

from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import serializers

from accounts.models import District
from accounts.windows import WindowStatus
from readings import services as reading_services
from readings.channel_messages import outcome_words
from readings.messages import problem_message
from readings.models import ZONE_TITLES, Meter, Reading
from readings.selectors import MeterSummary, meters_with_last_reading
from readings.services import SubmitOutcome


def month_text(month: date | None) -> str | None:
    return f"{month:%Y-%m}" if month else None


def window_data(district: District, today: date) -> dict:
    return window_status_data(district, district.window.status(today))


def window_status_data(district: District, status: WindowStatus) -> dict:
    return {
        "policy": district.window_policy,
        "is_open": status.is_open,
        "opens_on": status.opens_on,
        "closes_on": status.closes_on,
    }


def meter_data(summary: MeterSummary) -> dict:
    meter, last = summary.meter, summary.last_reading
    return {
        "serial": meter.serial_number,
        "zone_set": meter.zone_set,
        "register_digits": meter.register_digits,
        "zones": [
            {"zone": zone, "title": str(ZONE_TITLES[zone]), "labels": meter.labels_for(zone)} for zone in meter.zones
        ],
        "last_reading": {"reading_date": last.reading_date, "values": last.values} if last else None,
    }


def meters_data(meters) -> list[dict]:
    return [meter_data(summary) for summary in meters_with_last_reading(meters)]


def reading_data(reading: Reading) -> dict:
    return {
        "id": reading.pk,
        "meter_serial": reading.meter.serial_number,
        "reading_date": reading.reading_date,
        "values": reading.values,
        "channel": reading.channel,
        "status": reading.status,
        "reason": reading.reason,
        "billing_month": month_text(reading.billing_month),
        "submitted_at": reading.submitted_at,
    }


def _zone_count_text(meter: Meter) -> str:
    count = len(meter.zones)
    return {1: _("one-zone meter"), 2: _("two-zone meter"), 3: _("three-zone meter")}.get(count, "")


def verify_speech(account_number: str, meters: list[Meter]) -> str:
    """'Account ending 7890, two-zone meter. Say the day reading.' (one meter: the usual case by far)."""
    ending = account_number[-4:]
    if len(meters) != 1:
        return ngettext(
            "Account ending %(ending)s, %(count)s meter. Choose the meter.",
            "Account ending %(ending)s, %(count)s meters. Choose the meter.",
            len(meters),
        ) % {"ending": ending, "count": len(meters)}
    meter = meters[0]
    first = meter.zones[0]
    ask = (
        _("Say the reading.")
        if first == "total"
        else _("Say the %(zone)s reading.") % {"zone": str(ZONE_TITLES[first]).lower()}
    )
    return _("Account ending %(ending)s, %(meter)s.") % {"ending": ending, "meter": _zone_count_text(meter)} + " " + ask


def submit_data(outcome: SubmitOutcome, meter: Meter) -> dict:
    message, speech = outcome_words(outcome, meter)
    return {
        "status": outcome.status,
        "reading": reading_data(outcome.reading) if outcome.reading else None,
        "consumption_kwh": outcome.consumption_kwh,
        "billing_month": month_text(outcome.billing_month),
        "problems": [
            {"code": problem.code, "zone": problem.zone, "message": problem_message(problem, meter)}
            for problem in outcome.problems
        ],
        "swap_values": outcome.swap_values,
        "message": message,
        "speech": speech,
    }


# Formatted as the serializers format them; built once (unbound fields need no parent).
_DATE_FIELD = serializers.DateField()
_DATETIME_FIELD = serializers.DateTimeField()


def submit_json(outcome: SubmitOutcome, meter: Meter) -> dict:
    """`SubmitOutSerializer(submit_data(...)).data` as plain JSON values, without instantiating the serializer
    tree on every submission (it cost more than the rules; the output only formats values we built):
    tests/portal/test_api.py checks both give the same answer."""
    data = submit_data(outcome, meter)
    reading = data["reading"]
    if reading is not None:
        reading["reading_date"] = _DATE_FIELD.to_representation(reading["reading_date"])
        reading["submitted_at"] = _DATETIME_FIELD.to_representation(reading["submitted_at"])
    for problem in data["problems"]:
        problem["message"] = str(problem["message"])
    data["message"], data["speech"] = str(data["message"]), str(data["speech"])
    return data


SUBMIT_STATUS_CODES = {
    reading_services.ACCEPTED: 201,
    reading_services.PENDING_REVIEW: 201,
    reading_services.DUPLICATE: 200,
}


def submit_status_code(outcome: SubmitOutcome) -> int:
    return SUBMIT_STATUS_CODES.get(outcome.status, 422)
