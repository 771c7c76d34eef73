"""The customer's API (the mobile app): token or session auth, only the user's linked accounts."""

from django.contrib.auth import authenticate
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.devices import api_token_issue, email_verified
from accounts.selectors import account_for_user
from billing.invoices.selectors import account_invoice, account_invoices
from billing.models import Charge
from billing.payments.selectors import payment_source_label, with_counting_invoice
from portal.api import serializers as s
from portal.api.auth import IsCustomer
from portal.api.errors import ApiError
from portal.api.idempotency import idempotent
from portal.api.presenters import (
    meter_data,
    month_text,
    reading_data,
    submit_json,
    submit_status_code,
    window_status_data,
)
from portal.selectors import account_cards
from readings.forms import photo_error_text
from readings.models import Channel, Reading
from readings.photo_reading import TOO_MANY_READS, photo_read, photo_reading_advice
from readings.photos import TOO_LARGE, PhotoError
from readings.services import reading_submit

ERRORS = {code: OpenApiResponse(s.ErrorSerializer) for code in (400, 401, 403, 404, 429)}
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
    description="a unique key per write (e.g. a UUID); a retry with the same key and body replays the first answer",
)  # fmt: skip


class CustomerView(APIView):
    permission_classes = [IsCustomer]


def _account_data(card) -> dict:
    account = card.account
    return {
        "number": account.number,
        "address": account.address,
        "holder_name": account.holder_name,
        "district": account.district.name,
        "invoice_mode": account.invoice_mode,
        "paper_copy": account.paper_copy,
        "balance": card.balance,
        "meters": [meter_data(summary) for summary in card.meters],
        "window": window_status_data(account.district, card.window),
    }


def _accounts_data(accounts) -> list[dict]:
    """Through the cabinet's own selector (`account_cards`): a fixed number of queries however many accounts
    and meters (tests/portal/test_api_queries.py counts them for 1, 5 and 20 accounts)."""
    return [_account_data(card) for card in account_cards(accounts, today=timezone.localdate())]


class AccountList(CustomerView):
    @extend_schema(operation_id="accounts_list", responses={200: s.AccountSerializer(many=True), **ERRORS})
    def get(self, request):
        links = request.user.account_links.select_related("account__district").order_by("account__number")
        return Response(s.AccountSerializer(_accounts_data(link.account for link in links), many=True).data)


class AccountDetail(CustomerView):
    @extend_schema(operation_id="accounts_retrieve", responses={200: s.AccountSerializer, **ERRORS})
    def get(self, request, number):
        return Response(s.AccountSerializer(_accounts_data([account_for_user(request.user, number)])[0]).data)


class MeterReadings(CustomerView):
    def _meter(self, request, number, serial):
        account = account_for_user(request.user, number)
        return get_object_or_404(account.meters.select_related("account__district"), serial_number=serial)

    @extend_schema(operation_id="meter_readings_list", responses={200: s.ReadingSerializer(many=True), **ERRORS})
    def get(self, request, number, serial):
        meter = self._meter(request, number, serial)
        readings = (
            Reading.objects.filter(meter=meter).select_related("meter").order_by("-reading_date", "-submitted_at")
        )
        return Response(s.ReadingSerializer([reading_data(reading) for reading in readings[:100]], many=True).data)

    @extend_schema(
        operation_id="meter_readings_create",
        request=s.ReadingInSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            200: s.SubmitOutSerializer, 201: s.SubmitOutSerializer, 422: s.SubmitOutSerializer,
            409: s.ErrorSerializer, **ERRORS,
        },
    )  # fmt: skip
    def post(self, request, number, serial):
        meter = self._meter(request, number, serial)
        data = s.ReadingInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return idempotent(
            request,
            lambda recorder: submit(meter, data.validated_data, Channel.API, request.user, recorder),
            records_with_the_write=True,
        )


def submit(meter, data: dict, channel: str, user, recorder=None) -> Response:
    """One reading through the same service as every channel; the outcome in the caller's language. With the
    idempotency `recorder`, a stored reading's INSERT writes the record too (`recorded_answer`)."""
    today = timezone.localdate()
    answer, row_after = recorded_answer(recorder)
    outcome = reading_submit(
        meter=meter,
        values=data["values"],
        reading_date=data.get("reading_date") or today,
        channel=channel,
        submitted_by=user if user and user.is_authenticated else None,
        now=timezone.now(),
        today=today,
        swap_confirmed=data.get("swap_confirmed"),
        row_after=row_after,
    )
    return submit_response(outcome, answer)


def recorded_answer(recorder) -> tuple[dict, object]:
    """The submission service's `row_after` for an idempotent request: the answer is built once, from the
    outcome about to be stored, and written as the idempotency record by the reading's own INSERT (which
    fills in the new reading's id). Without a recorder, nothing: the record is written after (idempotent)."""
    answer = {}
    if recorder is None:
        return answer, None

    def row_after(outcome):
        answer["data"] = submit_json(outcome, outcome.meter)
        return recorder.row(submit_status_code(outcome), answer["data"])

    return answer, row_after


def submit_response(outcome, answer: dict) -> Response:
    """The submission's answer; `idempotency_recorded` tells `idempotent` whether the record went in with it."""
    if outcome.row_after_inserted is None:
        body = submit_json(outcome, outcome.meter)
    else:
        body = answer["data"]
        body["reading"]["id"] = outcome.reading.pk
    response = Response(body, status=submit_status_code(outcome))
    response.idempotency_recorded = outcome.row_after_inserted
    return response


RECOGNIZE_DESCRIPTION = (
    "Reads the meter's display on a photo (multipart/form-data, field `photo`) and says what it shows for this "
    "meter. Nothing is stored: show the values to the customer to check (or, when `sure` is false, ask them to "
    "type the numbers), then submit the reading they confirm to the readings endpoint."
)


class RecognizeView(APIView):
    """Photo in, values out; shared by the customer's and the integrations' endpoint."""

    parser_classes = [MultiPartParser, FormParser]
    throttle_scope = "recognize"
    multipart_only = True  # portal/api/errors.py: a JSON body is told to send multipart


def recognize_photo(meter, photo) -> Response:
    """Read the photo for `meter` through the one service every channel uses; nothing is stored."""
    try:
        reading = photo_read(meter=meter, upload=photo, size=photo.size, today=timezone.localdate())
    except PhotoError as error:
        message = photo_error_text(error.code)
        status = {TOO_LARGE: 413, TOO_MANY_READS: 429}.get(error.code, 400)
        raise ApiError(error.code, message, status_code=status, fields={"photo": [message]}) from error
    body = {
        "values": {zone: reading.values[zone] for zone in meter.zones if zone in reading.values},
        "code": reading.code,
        "confidence": round(reading.confidence, 3),
        "sure": reading.sure,
        "message": photo_reading_advice(reading),
    }
    return Response(s.RecognizeOutSerializer(body).data)


class MeterRecognize(CustomerView, RecognizeView):
    @extend_schema(
        operation_id="meter_readings_recognize",
        request={"multipart/form-data": s.RecognizeInSerializer},
        responses={200: s.RecognizeOutSerializer, 413: s.ErrorSerializer, **ERRORS},
        description=RECOGNIZE_DESCRIPTION,
    )
    def post(self, request, number, serial):
        account = account_for_user(request.user, number)  # 404 for an account the customer has not linked
        meter = get_object_or_404(account.meters, serial_number=serial, removed_on__isnull=True)
        data = s.RecognizeInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return recognize_photo(meter, data.validated_data["photo"])


class AccountCharges(CustomerView):
    @extend_schema(operation_id="account_charges_list", responses={200: s.ChargeSerializer(many=True), **ERRORS})
    def get(self, request, number):
        account = account_for_user(request.user, number)
        rows = (
            Charge.objects.filter(account=account)
            .order_by("-billing_month", "meter__serial_number", "span_start", "zone")
            .values_list("meter__serial_number", "zone", "basis", "volume_kwh", "price", "amount", "billing_month")[
                :500
            ]
        )
        charges = [
            {
                "meter_serial": serial,
                "zone": zone,
                "basis": basis,
                "volume_kwh": volume,
                "price": price,
                "amount": amount,
                "month": month_text(month),
            }
            for serial, zone, basis, volume, price, amount, month in rows
        ]
        # Through the serializer: money as the schema's decimal strings ("4.32000", "3857.76"), never floats.
        return Response(s.ChargeSerializer(charges, many=True).data)


class AccountInvoices(CustomerView):
    @extend_schema(operation_id="account_invoices_list", responses={200: s.InvoiceSerializer(many=True), **ERRORS})
    def get(self, request, number):
        account = account_for_user(request.user, number)
        invoices = [
            {
                "number": invoice.number,
                "kind": invoice.kind,
                "status": invoice.status,
                "billing_month": month_text(invoice.billing_month),
                "issued_on": invoice.issued_on,
                "due_on": invoice.due_on,
                "opening_balance": invoice.opening_balance,
                "charges": invoice.charges_total,
                "payments": invoice.payments_total,
                "amount_due": invoice.amount_due,
                "pdf_url": reverse("api_invoice_pdf", args=[account.number, invoice.number]),
            }
            for invoice in account_invoices(account)
        ]
        return Response(s.InvoiceSerializer(invoices, many=True).data)


class InvoicePdf(CustomerView):
    @extend_schema(
        operation_id="account_invoice_pdf",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS},
    )
    def get(self, request, number, invoice_number):
        from billing.documents.services import invoice_render

        account = account_for_user(request.user, number)
        invoice = account_invoice(account, invoice_number)
        if not invoice.pdf:
            invoice_render(invoice_id=invoice.pk, now=timezone.now())
            invoice.refresh_from_db()
        response = FileResponse(
            invoice.pdf.open("rb"), content_type="application/pdf", filename=f"{invoice.number}.pdf"
        )
        response["Cache-Control"] = "private, no-store"
        return response


class AccountPayments(CustomerView):
    @extend_schema(operation_id="account_payments_list", responses={200: s.PaymentSerializer(many=True), **ERRORS})
    def get(self, request, number):
        account = account_for_user(request.user, number)
        rows = list(
            with_counting_invoice(account.payments.order_by("-paid_on", "-pk")).values(
                "paid_on", "amount", "reference", "source", "invoice_number"
            )[:500]
        )
        for row in rows:
            row["source_label"] = payment_source_label(row["source"])
        return Response(s.PaymentSerializer(rows, many=True).data)


class TokenCreate(APIView):
    """Exchange the customer's email and password for an API token (the mobile app's sign-in)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_scope = "token"

    @extend_schema(
        operation_id="auth_token_create",
        request=s.TokenInSerializer,
        responses={200: s.TokenOutSerializer, 400: s.ErrorSerializer, 403: s.ErrorSerializer, 429: s.ErrorSerializer},
    )
    def post(self, request):
        data = s.TokenInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request, email=data.validated_data["email"], password=data.validated_data["password"])
        if user is None or not user.is_active:
            raise ApiError("invalid_credentials", _("Wrong email or password."))
        if not email_verified(user):
            raise ApiError(
                "email_not_verified",
                _("Confirm your email address first: open the link in the email we sent you, then sign in again."),
                status_code=403,
            )
        return Response({"token": api_token_issue(user=user).key})


class Ping(APIView):
    """A trivial JSON answer: for load balancers and as the base of the API benchmark."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(operation_id="ping", responses={200: s.PingSerializer})
    def get(self, request):
        return Response({"status": "ok"})
