"""The SMS channel: a gateway posts each inbound text here and sends back the reply text we return.

`POST /channels/sms/inbound/` with JSON `{"from": "+380...", "text": "...", "id": "...", "language": "uk"}`
(`id` and `language` optional), signed: `X-Signature` is the hex HMAC-SHA256 of the raw body with
`SMS_WEBHOOK_SECRET`. The answer is JSON `{"to", "reply", "status", "code"}`; the reply is in the sender's
language (the gateway's `language`, else the SMS contract's, else Ukrainian).
"""

import hashlib
import hmac
import json
from dataclasses import dataclass

from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.ratelimit import Limit, attempt_count, limit_reached
from readings import services as reading_services
from readings.channel_messages import outcome_words
from readings.channels import sms_format
from readings.models import Channel, Meter, SmsContract
from readings.selectors import meter_by_numbers

LANGUAGES = ("uk", "ru", "en")
LOOKUP_LIMIT = Limit(10, 3600)  # failed account lookups per sender phone per hour


@dataclass(frozen=True)
class SmsReply:
    status: str  # accepted, pending_review, duplicate, rejected, error
    code: str
    text: str


def _formats() -> str:
    return _(
        "Formats: 1 # 001952 (from a registered phone) or: account number, meter number, reading, "
        "e.g. 1234567890 0100234 001952."
    )


def _error(code: str, text: str) -> SmsReply:
    return SmsReply("error", code, f"{text} {_formats()}")


def _parse_problem(error: sms_format.ParseError) -> str:
    if error.code == sms_format.NOT_DIGITS:
        return _("“%(word)s” is not a number: send digits only.") % {"word": error.detail}
    if error.code == sms_format.TOO_MANY_VALUES:
        return _("Too many numbers: a meter has at most 3 zones.")
    if error.code == sms_format.VALUE_TOO_LONG:
        return _("“%(word)s” is too long for a meter reading.") % {"word": error.detail}
    return _("We could not read this message.")


def _meter_for(sender: str, parsed) -> tuple[Meter | None, SmsReply | None]:
    if isinstance(parsed, sms_format.ContractReading):
        contract = SmsContract.objects.filter(phone=sender, is_active=True).select_related("meter", "account").first()
        if contract is None:
            return None, _error("phone_not_registered", _("This phone is not registered for short SMS readings."))
        if contract.meter_id:
            return contract.meter, None
        meters = list(contract.account.meters.filter(removed_on__isnull=True)[:2])
        if len(meters) != 1:
            return None, _error("choose_meter", _("This account has several meters: use the full format."))
        return meters[0], None
    if limit_reached("sms_lookup", sender, LOOKUP_LIMIT):
        return None, SmsReply("error", "rate_limited", _("Too many attempts from this phone. Try again in an hour."))
    meter = meter_by_numbers(parsed.account_number, parsed.meter_serial)
    if meter is None:
        attempt_count("sms_lookup", sender, LOOKUP_LIMIT)
        return None, _error(
            "account_not_found", _("No account with this number and meter number. Check both against your bill.")
        )
    return meter, None


def sms_handle(*, sender: str, text: str, language: str | None, now, today) -> SmsReply:
    contract_language = SmsContract.objects.filter(phone=sender).values_list("language", flat=True).first()
    language = language if language in LANGUAGES else contract_language or "uk"
    with translation.override(language):
        parsed = sms_format.parse_sms(text)
        if isinstance(parsed, sms_format.ParseError):
            return _error(parsed.code, _parse_problem(parsed))
        meter, refusal = _meter_for(sender, parsed)
        if refusal:
            return refusal
        if len(parsed.values) != len(meter.zones):
            zones = ", ".join(meter.labels_for(zone)[0] if meter.labels_for(zone) else zone for zone in meter.zones)
            return _error(
                "wrong_value_count",
                _("Meter %(serial)s has %(count)s zones (%(zones)s): send one number for each, in this order.")
                % {"serial": meter.serial_number, "count": len(meter.zones), "zones": zones},
            )
        outcome = reading_services.reading_submit(
            meter=meter,
            values=dict(zip(meter.zones, parsed.values, strict=True)),
            reading_date=today,
            channel=Channel.SMS,
            submitted_by=None,
            now=now,
            today=today,
            swap_confirmed=False,  # an SMS cannot answer a question: the values count as sent
        )
        message, _speech = outcome_words(outcome, meter)
        if outcome.status in (reading_services.REJECTED, reading_services.NEEDS_PHOTO):
            code = outcome.problems[0].code if outcome.problems else outcome.status
            return SmsReply("rejected", code, message)
        return SmsReply(outcome.status, outcome.status, message)


def signature_valid(body: bytes, signature: str) -> bool:
    secret = settings.SMS_WEBHOOK_SECRET
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return bool(secret) and hmac.compare_digest(signature.strip().lower().removeprefix("sha256="), expected)


@csrf_exempt
@require_POST
def sms_inbound(request):
    if not settings.SMS_WEBHOOK_SECRET:
        return JsonResponse(
            {"error": {"code": "channel_off", "message": "The SMS channel is not configured."}}, status=404
        )
    if not signature_valid(request.body, request.headers.get("X-Signature", "")):
        return JsonResponse(
            {"error": {"code": "bad_signature", "message": "X-Signature does not match the body."}}, status=403
        )
    try:
        payload = json.loads(request.body)
        sender, text = payload["from"], payload["text"]
        if not isinstance(sender, str) or not isinstance(text, str) or not sender.strip():
            raise ValueError
    except (ValueError, KeyError, TypeError):
        return JsonResponse(
            {"error": {"code": "malformed", "message": 'Send JSON: {"from": "+380...", "text": "..."}.'}}, status=400
        )
    sender = sender.strip()[:16]
    language = payload.get("language") if isinstance(payload.get("language"), str) else None
    reply = sms_handle(sender=sender, text=text, language=language, now=timezone.now(), today=timezone.localdate())
    return JsonResponse({"to": sender, "reply": reply.text, "status": reply.status, "code": reply.code})
