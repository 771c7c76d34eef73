"""Small input and output serializers, one per operation (they are also the OpenAPI schema)."""

import re
from datetime import date

from django.utils.translation import gettext as _
from rest_framework import serializers

from readings.zones import ALL_ZONES


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="stable machine code, e.g. lower_than_previous")
    message = serializers.CharField(help_text="in the language of Accept-Language")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='messages per field, nested fields dotted: {"values.day": ["..."]}',
    )
    field_codes = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text='stable codes per field, same keys as fields: {"values.day": ["invalid"]}',
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


class ZoneValuesField(serializers.DictField):
    """{"day": 12345, "night": 6789}: a non-negative whole number per zone of the meter."""

    child = serializers.IntegerField(min_value=0, max_value=10**9)

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        unknown = sorted(set(values) - set(ALL_ZONES))
        if unknown:
            raise serializers.ValidationError(
                _("Unknown zones: %(unknown)s. The zones are: %(zones)s.")
                % {"unknown": ", ".join(unknown), "zones": ", ".join(ALL_ZONES)},
                code="unknown_zone",
            )
        return values


class ZoneSerializer(serializers.Serializer):
    zone = serializers.ChoiceField(choices=ALL_ZONES)
    title = serializers.CharField()
    labels = serializers.ListField(child=serializers.CharField(), help_text="what the display shows")


class LastReadingSerializer(serializers.Serializer):
    reading_date = serializers.DateField()
    values = serializers.DictField(child=serializers.IntegerField())


class MeterSerializer(serializers.Serializer):
    serial = serializers.CharField()
    zone_set = serializers.CharField()
    register_digits = serializers.IntegerField()
    zones = ZoneSerializer(many=True)
    last_reading = LastReadingSerializer(allow_null=True)


class WindowSerializer(serializers.Serializer):
    policy = serializers.ChoiceField(choices=["open", "strict"])
    is_open = serializers.BooleanField()
    opens_on = serializers.DateField()
    closes_on = serializers.DateField()


class AccountSerializer(serializers.Serializer):
    number = serializers.CharField()
    address = serializers.CharField()
    holder_name = serializers.CharField()
    district = serializers.CharField()
    invoice_mode = serializers.CharField()
    paper_copy = serializers.BooleanField()
    balance = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="charges minus payments; > 0 owes")
    meters = MeterSerializer(many=True)
    window = WindowSerializer()


class VerifyInSerializer(serializers.Serializer):
    account_number = serializers.CharField(max_length=40)
    meter_serial = serializers.CharField(max_length=40)


class VerifiedAccountSerializer(serializers.Serializer):
    account_ending = serializers.CharField(help_text="the last 4 digits of the account number")
    address_masked = serializers.CharField()
    meters = MeterSerializer(many=True)
    window = WindowSerializer()
    speech = serializers.CharField(help_text="a short sentence for a voice menu, in the caller's language")


class ReadingInSerializer(serializers.Serializer):
    values = ZoneValuesField()
    reading_date = serializers.DateField(required=False, help_text="as of; default today")
    swap_confirmed = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="answer to swap_question: true stores day/night swapped",
    )


class IntegrationReadingInSerializer(ReadingInSerializer):
    account_number = serializers.CharField(max_length=40)
    meter_serial = serializers.CharField(max_length=40)


class ReadingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    meter_serial = serializers.CharField()
    reading_date = serializers.DateField()
    values = serializers.DictField(child=serializers.IntegerField())
    channel = serializers.CharField()
    status = serializers.ChoiceField(choices=["accepted", "pending_review", "rejected"])
    reason = serializers.CharField(allow_blank=True)
    billing_month = serializers.CharField(help_text="YYYY-MM")
    submitted_at = serializers.DateTimeField()


class ProblemSerializer(serializers.Serializer):
    code = serializers.CharField()
    zone = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class SubmitOutSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["accepted", "pending_review", "duplicate", "rejected", "swap_question", "needs_photo"]
    )
    reading = ReadingSerializer(allow_null=True)
    consumption_kwh = serializers.DictField(child=serializers.IntegerField())
    billing_month = serializers.CharField(allow_null=True, help_text="YYYY-MM: the bill the reading goes to")
    problems = ProblemSerializer(many=True)
    swap_values = serializers.DictField(child=serializers.IntegerField(), allow_null=True)
    message = serializers.CharField()
    speech = serializers.CharField()


class ChargeSerializer(serializers.Serializer):
    meter_serial = serializers.CharField()
    zone = serializers.CharField()
    basis = serializers.CharField()
    volume_kwh = serializers.IntegerField()
    price = serializers.DecimalField(max_digits=10, decimal_places=5)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    month = serializers.CharField(help_text="YYYY-MM")


class InvoiceSerializer(serializers.Serializer):
    number = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    billing_month = serializers.CharField(help_text="YYYY-MM")
    issued_on = serializers.DateField()
    due_on = serializers.DateField()
    opening_balance = serializers.DecimalField(max_digits=12, decimal_places=2)
    charges = serializers.DecimalField(max_digits=12, decimal_places=2)
    payments = serializers.DecimalField(max_digits=12, decimal_places=2)
    amount_due = serializers.DecimalField(max_digits=12, decimal_places=2)
    pdf_url = serializers.CharField()


class PaymentSerializer(serializers.Serializer):
    paid_on = serializers.DateField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    reference = serializers.CharField()
    source = serializers.CharField(help_text="bank (bank statement), card, staff (cash desk), or another source's name")
    source_label = serializers.CharField(help_text="the source in the request's language")
    invoice_number = serializers.CharField(
        allow_null=True, help_text="the invoice whose payments include this one; null until an invoice counts it"
    )


class TokenInSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(max_length=200)


class TokenOutSerializer(serializers.Serializer):
    token = serializers.CharField()


class PingSerializer(serializers.Serializer):
    status = serializers.CharField()


class RecognizeInSerializer(serializers.Serializer):
    photo = serializers.FileField(
        help_text="a photo of the meter's display: JPEG, PNG, HEIC or WebP, at most 10 MB (multipart/form-data)"
    )


class IntegrationRecognizeInSerializer(RecognizeInSerializer):
    account_number = serializers.CharField(max_length=40)
    meter_serial = serializers.CharField(max_length=40)


class RecognizeOutSerializer(serializers.Serializer):
    values = serializers.DictField(
        child=serializers.IntegerField(),
        help_text='whole numbers per zone of the meter read on the display, e.g. {"night": 14420}; {} when none',
    )
    code = serializers.CharField(
        allow_null=True, help_text="the register code the display showed ('1.8.1', 'T21'); null for a drum counter"
    )
    confidence = serializers.FloatField(help_text="0..1")
    sure = serializers.BooleanField(
        help_text=(
            "true: show the values for the customer to check and confirm; false: ask the customer to type the "
            "numbers (low confidence, or a value lower than the meter's last reading)"
        )
    )
    message = serializers.CharField(help_text="what to tell the customer, in the language of Accept-Language")


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ZONES = frozenset(ALL_ZONES)


def _plain_text(value, max_length: int) -> bool:
    # What CharField keeps as it is: a str with no surrounding whitespace, not blank, within max_length,
    # no NUL or surrogate (isprintable is False for both; anything else unusual goes to the serializer).
    return type(value) is str and 0 < len(value) <= max_length and value.isprintable() and value.strip() == value


def integration_reading_in(data) -> dict:
    """IntegrationReadingInSerializer's validated_data, the common well-formed body checked by hand.

    Building the serializer (a deepcopy of its fields per request) and running it was about a tenth of a
    submission's CPU. Only a body the serializer would accept unchanged takes the short way (strings without
    surrounding whitespace, whole numbers not bool, an ISO date, a JSON bool or null); anything else, and so
    every error with its code and translated message, goes through the serializer itself."""
    if type(data) is dict:
        account_number, meter_serial = data.get("account_number"), data.get("meter_serial")
        values = data.get("values")
        reading_date = data.get("reading_date", date)  # `date`: absent
        swap_confirmed = data.get("swap_confirmed")
        if (
            _plain_text(account_number, 40)
            and _plain_text(meter_serial, 40)
            and type(values) is dict
            and values
            and all(k in _ZONES and type(v) is int and 0 <= v <= 10**9 for k, v in values.items())
            and type(swap_confirmed) in (type(None), bool)
        ):
            out = {"account_number": account_number, "meter_serial": meter_serial, "values": dict(values)}
            if reading_date is not date:
                if type(reading_date) is not str or not _ISO_DATE.fullmatch(reading_date):
                    return _integration_reading_in_slow(data)
                try:
                    out["reading_date"] = date.fromisoformat(reading_date)
                except ValueError:
                    return _integration_reading_in_slow(data)
            out["swap_confirmed"] = swap_confirmed
            return out
    return _integration_reading_in_slow(data)


def _integration_reading_in_slow(data) -> dict:
    serializer = IntegrationReadingInSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
