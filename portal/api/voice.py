"""The voice menu of seed 002 for an IVR platform (an integration client): the caller dictates the code at
the top of the bill; the answer speaks the street and house (never the flat) and the last digits of each
meter's serial for the caller to confirm with 1; then each zone is dictated digit by digit and the
reading is spoken back. docs/api.md "Voice menu" has the call flow as a script.

The code is the proof of possession for the phone, as the account number plus a meter serial is on the
web (DESIGN.md): lookups are limited per caller (failures) and per code (every lookup), so neither a
caller nor a farm of callers can walk the code space or probe one bill's code.
"""

import re

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import WindowPolicy
from accounts.ratelimit import Limit, attempt_count, limit_reached
from accounts.selectors import account_by_voice_code
from portal.api import serializers as s
from portal.api.auth import calling_client, scope_permission
from portal.api.customer import IDEMPOTENCY_HEADER
from portal.api.errors import ApiError
from portal.api.idempotency import idempotent
from portal.api.presenters import submit_data, submit_status_code, window_data
from portal.models import Scope
from readings import services as reading_services
from readings.masking import spoken_digits, spoken_street_and_house
from readings.models import ZONE_TITLES, Channel

CALLER_LIMIT = Limit(10, 3600)  # codes not found per caller per hour
CODE_LIMIT = Limit(20, 3600)  # lookups of one code per hour, from any caller
SERIAL_ENDING = 4
ERRORS = {code: OpenApiResponse(s.ErrorSerializer) for code in (400, 401, 403, 404, 429)}


class VoiceLookupIn(serializers.Serializer):
    code = serializers.CharField(max_length=40, help_text="as dictated, any grouping: '447 951 690'")
    caller = serializers.CharField(max_length=32, required=False, allow_blank=True, help_text="the caller's number")


class VoiceReadingIn(VoiceLookupIn):
    meter = serializers.IntegerField(min_value=1, max_value=20, default=1, help_text="the choice the caller pressed")
    values = serializers.DictField(
        child=serializers.CharField(max_length=40), help_text="zone -> digits as dictated: {'day': '2 8 1 0 0'}"
    )
    swap_confirmed = serializers.BooleanField(required=False, allow_null=True, default=None)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text or "")


def _account(request, data: dict):
    """The code's account, with the limits counted; ApiError (spoken) otherwise."""
    client = calling_client(request)
    caller = f"{client.pk}:{_digits(data.get('caller', '')) or '-'}"
    code = _digits(data["code"])
    if limit_reached("voice_caller", caller, CALLER_LIMIT) or limit_reached("voice_code", code, CODE_LIMIT):
        raise ApiError("rate_limited", _("Too many attempts. Please call again in an hour."), status_code=429)
    attempt_count("voice_code", code, CODE_LIMIT)
    account = account_by_voice_code(code)
    if account is None:
        attempt_count("voice_caller", caller, CALLER_LIMIT)
        raise ApiError(
            "code_not_found",
            _("We did not find this code. It is the nine digits at the top of your bill: please dictate it again."),
            status_code=404,
        )
    return account


def closed_window_speech(status) -> str:
    return _("Readings are not being accepted now. Please pass yours from %(opens)s to %(closes)s.") % {
        "opens": date_format(status.opens_on, "j E"),
        "closes": date_format(status.closes_on, "j E"),
    }


def _meters_speech(meters) -> str:
    if len(meters) == 1:
        return _("The meter number ends in %(digits)s. If this is right, press 1.") % {
            "digits": spoken_digits(meters[0].serial_number[-SERIAL_ENDING:])
        }
    choices = " ".join(
        _("For the meter ending in %(digits)s, press %(choice)s.")
        % {"digits": spoken_digits(meter.serial_number[-SERIAL_ENDING:]), "choice": choice}
        for choice, meter in enumerate(meters, start=1)
    )
    return _("The meters at this address:") + " " + choices


class VoiceLookup(APIView):
    permission_classes = [scope_permission(Scope.ACCOUNTS_VERIFY)]
    throttle_scope = "verify"

    @extend_schema(operation_id="voice_lookup", request=VoiceLookupIn, responses={200: dict, **ERRORS})
    def post(self, request):
        data = VoiceLookupIn(data=request.data)
        data.is_valid(raise_exception=True)
        account = _account(request, data.validated_data)
        today = timezone.localdate()
        meters = list(account.meters.filter(removed_on__isnull=True).order_by("serial_number"))
        status = account.district.window.status(today)
        accepting = status.is_open or account.district.window_policy != WindowPolicy.STRICT
        street = spoken_street_and_house(account.address)
        speech = f"{street}. " + (_meters_speech(meters) if accepting else closed_window_speech(status))
        return Response(
            {
                "street_and_house": street,
                "accepting": accepting,
                "window": window_data(account.district, today),
                "meters": [
                    {
                        "choice": choice,
                        "serial_ending": meter.serial_number[-SERIAL_ENDING:],
                        "zones": [{"zone": zone, "title": str(ZONE_TITLES[zone])} for zone in meter.zones],
                    }
                    for choice, meter in enumerate(meters, start=1)
                ],
                "speech": speech,
            }
        )


def _spoken_values(meter, values: dict) -> str:
    return ", ".join(
        f"{str(ZONE_TITLES[zone]).lower()} {spoken_digits(str(values[zone]))}" for zone in meter.zones if zone in values
    )


class VoiceReadings(APIView):
    permission_classes = [scope_permission(Scope.READINGS_WRITE)]
    throttle_scope = "verify"

    @extend_schema(
        operation_id="voice_readings_create",
        request=VoiceReadingIn,
        parameters=[IDEMPOTENCY_HEADER],
        responses={200: s.SubmitOutSerializer, 201: s.SubmitOutSerializer, 422: s.SubmitOutSerializer, **ERRORS},
    )
    def post(self, request):
        data = VoiceReadingIn(data=request.data)
        data.is_valid(raise_exception=True)
        account = _account(request, data.validated_data)
        meters = list(account.meters.filter(removed_on__isnull=True).order_by("serial_number"))
        choice = data.validated_data["meter"]
        if choice > len(meters):
            raise ApiError("no_such_meter", _("There is no such meter. Please choose again."), status_code=404)
        meter = meters[choice - 1]
        values = {zone: _digits(text) for zone, text in data.validated_data["values"].items()}

        def run():
            today = timezone.localdate()
            outcome = reading_services.reading_submit(
                meter=meter,
                values=values,
                reading_date=today,
                channel=Channel.IVR,
                submitted_by=None,
                now=timezone.now(),
                today=today,
                swap_confirmed=data.validated_data.get("swap_confirmed"),
            )
            body = submit_data(outcome, meter)
            if outcome.saved:
                body["speech"] = _("Reading received: %(values)s. Thank you!") % {
                    "values": _spoken_values(meter, outcome.reading.values)
                }
            return Response(s.SubmitOutSerializer(body).data, status=submit_status_code(outcome))

        return idempotent(request, run)
