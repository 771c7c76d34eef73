"""The integrations' API (chatbots, voice menus, SMS gateways, smart-meter head-ends): Bearer key + scopes.

Their flow: verify an account by its number and a meter's serial (what a caller can read off a bill and
the meter), then submit. A voice menu gets a sentence to speak with every answer.
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import WindowPolicy
from portal.api import serializers as s
from portal.api.auth import calling_client, scope_permission
from portal.api.customer import (
    IDEMPOTENCY_HEADER,
    RECOGNIZE_DESCRIPTION,
    RecognizeView,
    recognize_photo,
    recorded_answer,
    submit_response,
)
from portal.api.errors import ApiError
from portal.api.idempotency import idempotent
from portal.api.presenters import (
    meters_data,
    reading_data,
    verify_speech,
    window_data,
)
from portal.api.voice import closed_window_speech
from portal.models import Scope
from readings.masking import mask_address
from readings.models import Reading
from readings.selectors import meter_by_numbers
from readings.services import reading_submit_by_numbers

ERRORS = {code: OpenApiResponse(s.ErrorSerializer) for code in (400, 401, 403, 404, 429)}


def _account_not_found() -> ApiError:
    # Neutral on purpose: never say which of the two numbers was wrong.
    return ApiError(
        "account_not_found",
        _("No account with this number and meter serial number. Check both against the bill and the meter."),
        status_code=404,
    )


def _meter_or_404(account_number: str, meter_serial: str):
    meter = meter_by_numbers(account_number, meter_serial)
    if meter is None:
        raise _account_not_found()
    return meter


def _submit_by_numbers(data: dict, channel: str, recorder) -> Response:
    """The month-end hot path: the meter is found by its two numbers in the facts statement itself
    (readings.services.reading_submit_by_numbers), and a stored reading's INSERT writes the idempotency
    record too (customer.recorded_answer)."""
    today = timezone.localdate()
    answer, row_after = recorded_answer(recorder)
    outcome = reading_submit_by_numbers(
        account_number=data["account_number"],
        meter_serial=data["meter_serial"],
        values=data["values"],
        reading_date=data.get("reading_date") or today,
        channel=channel,
        submitted_by=None,
        now=timezone.now(),
        today=today,
        swap_confirmed=data.get("swap_confirmed"),
        row_after=row_after,
    )
    if outcome is None:
        raise _account_not_found()
    return submit_response(outcome, answer)


class Verify(APIView):
    permission_classes = [scope_permission(Scope.ACCOUNTS_VERIFY)]
    throttle_scope = "verify"

    @extend_schema(
        operation_id="integration_verify",
        request=s.VerifyInSerializer,
        responses={200: s.VerifiedAccountSerializer, **ERRORS},
        description="Nothing is written: no Idempotency-Key needed. Answers 404 when the pair does not match.",
    )
    def post(self, request):
        data = s.VerifyInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        meter = _meter_or_404(data.validated_data["account_number"], data.validated_data["meter_serial"])
        account = meter.account
        meters = list(account.meters.filter(removed_on__isnull=True).order_by("serial_number"))
        today = timezone.localdate()
        status = account.district.window.status(today)
        closed = not status.is_open and account.district.window_policy == WindowPolicy.STRICT
        verified = {
            "account_ending": account.number[-4:],
            "address_masked": mask_address(account.address),
            "meters": meters_data(meters),
            "window": window_data(account.district, today),
            # A strict window that is closed is spoken as such, not "say the reading" (seed 002).
            "speech": closed_window_speech(status) if closed else verify_speech(account.number, meters),
        }
        return Response(s.VerifiedAccountSerializer(verified).data)


class Readings(APIView):
    def get_permissions(self):
        scope = Scope.READINGS_WRITE if self.request.method == "POST" else Scope.READINGS_READ
        return [scope_permission(scope)()]

    @extend_schema(
        operation_id="integration_readings_list",
        parameters=[
            OpenApiParameter("account_number", str, required=True),
            OpenApiParameter("meter_serial", str, required=True),
        ],
        responses={200: s.ReadingSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        data = s.VerifyInSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        meter = _meter_or_404(data.validated_data["account_number"], data.validated_data["meter_serial"])
        readings = (
            Reading.objects.filter(meter=meter).select_related("meter").order_by("-reading_date", "-submitted_at")
        )
        return Response(s.ReadingSerializer([reading_data(reading) for reading in readings[:24]], many=True).data)

    @extend_schema(
        operation_id="integration_readings_create",
        request=s.IntegrationReadingInSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            200: s.SubmitOutSerializer, 201: s.SubmitOutSerializer, 422: s.SubmitOutSerializer,
            409: s.ErrorSerializer, **ERRORS,
        },
    )  # fmt: skip
    def post(self, request):
        data = s.integration_reading_in(request.data)
        channel = calling_client(request).channel
        return idempotent(
            request,
            lambda recorder: _submit_by_numbers(data, channel, recorder),
            records_with_the_write=True,
        )


class ReadingsRecognize(RecognizeView):
    permission_classes = [scope_permission(Scope.READINGS_WRITE)]

    @extend_schema(
        operation_id="integration_readings_recognize",
        request={"multipart/form-data": s.IntegrationRecognizeInSerializer},
        responses={200: s.RecognizeOutSerializer, 413: s.ErrorSerializer, **ERRORS},
        description=RECOGNIZE_DESCRIPTION + " Answers 404 when the account and meter pair does not match.",
    )
    def post(self, request):
        data = s.IntegrationRecognizeInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        meter = _meter_or_404(data.validated_data["account_number"], data.validated_data["meter_serial"])
        return recognize_photo(meter, data.validated_data["photo"])
