"""The SMS channel: a gateway posts each inbound text here and sends back the reply text we return.

`POST /channels/sms/inbound/` with JSON `{"from": "+380...", "text": "...", "id": "...", "language": "uk"}`
(`id` and `language` optional), signed: `X-Signature` is the hex HMAC-SHA256 of the raw body with
`SMS_WEBHOOK_SECRET`. The answer is JSON `{"to", "reply", "status", "code"}`; the reply is in the sender's
language (the gateway's `language`, else the SMS contract's, else Ukrainian) and short (sms_replies.py).
The sender's number is matched in every spelling (`+79244114455`, `79244114455`, `89244114455`) through
`accounts.phones`; a two-zone reading that looks swapped is asked about ("reply 1 to swap"), and the
next `1` or `2` from that phone within an hour answers it.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone, translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.models import District
from accounts.phones import DEFAULT_REGION, phone_candidates
from accounts.ratelimit import Limit, attempt_count, limit_reached
from readings import services as reading_services
from readings.channels import sms_format
from readings.channels import sms_replies as replies
from readings.channels.conversation import printable
from readings.models import Channel, Meter, SmsContract, SmsSwapQuestion
from readings.selectors import meter_by_numbers

LANGUAGES = ("uk", "ru", "en")
LOOKUP_LIMIT = Limit(10, 3600)  # failed account lookups per sender phone per hour
SWAP_QUESTION_LIFETIME = timedelta(hours=1)


@dataclass(frozen=True)
class SmsReply:
    status: str  # accepted, pending_review, duplicate, swap_question, rejected, error
    code: str
    text: str


def _error(code: str, text: str) -> SmsReply:
    return SmsReply("error", code, text)


def _parse_problem(error: sms_format.ParseError) -> str:
    if error.code == sms_format.NOT_DIGITS:
        return replies.not_digits(error.detail)
    if error.code == sms_format.TOO_MANY_VALUES:
        return replies.too_many_values()
    if error.code == sms_format.VALUE_TOO_LONG:
        return replies.value_too_long(error.detail)
    return replies.formats()


def sender_phones(sender: str) -> list[str]:
    """The E.164 numbers the gateway's `from` can be, read in each country the portal's districts serve."""
    regions = sorted(set(District.objects.values_list("country", flat=True)) | {DEFAULT_REGION})
    return phone_candidates(sender, regions)


def _contract_for(phones: list[str]) -> SmsContract | None:
    contracts = {
        contract.phone: contract
        for contract in SmsContract.objects.filter(phone__in=phones, is_active=True).select_related("meter", "account")
    }
    return next((contracts[phone] for phone in phones if phone in contracts), None)


def _meter_for(phone: str, contract: SmsContract | None, parsed) -> tuple[Meter | None, SmsReply | None]:
    if isinstance(parsed, sms_format.ContractReading):
        if contract is None:
            return None, _error("phone_not_registered", replies.phone_not_registered())
        if contract.meter_id:
            return contract.meter, None
        meters = list(contract.account.meters.filter(removed_on__isnull=True)[:2])
        if len(meters) != 1:
            return None, _error("choose_meter", replies.choose_meter())
        return meters[0], None
    if limit_reached("sms_lookup", phone, LOOKUP_LIMIT):
        return None, SmsReply("error", "rate_limited", replies.rate_limited())
    meter = meter_by_numbers(parsed.account_number, parsed.meter_serial)
    if meter is None:
        attempt_count("sms_lookup", phone, LOOKUP_LIMIT)
        return None, _error("account_not_found", replies.account_not_found())
    return meter, None


def outcome_reply(outcome, meter: Meter, values: dict, decimals: tuple[str, ...]) -> SmsReply:
    if outcome.status in (reading_services.ACCEPTED, reading_services.DUPLICATE, reading_services.PENDING_REVIEW):
        shown = replies.values_short(meter, outcome.reading.values)
        if outcome.status == reading_services.PENDING_REVIEW:
            text = replies.pending_review(shown)
        elif outcome.status == reading_services.DUPLICATE:
            text = replies.duplicate(shown)
        else:
            used = replies.used_short(meter, outcome.consumption_kwh)
            text = replies.accepted_whole(shown, used) if decimals else replies.accepted(shown, used)
        return SmsReply(outcome.status, outcome.status, text)
    if outcome.status == reading_services.NEEDS_PHOTO:
        return SmsReply("rejected", outcome.status, replies.needs_photo())
    code = outcome.problems[0].code if outcome.problems else outcome.status
    text = " ".join(replies.problem(problem, meter) for problem in outcome.problems) or replies.formats()
    return SmsReply("rejected", code, text)


def _submit(*, meter: Meter, values: dict, swap_confirmed, now, today):
    return reading_services.reading_submit(
        meter=meter,
        values=values,
        reading_date=today,
        channel=Channel.SMS,
        submitted_by=None,
        now=now,
        today=today,
        swap_confirmed=swap_confirmed,
    )


def _answer_swap(phone: str, answer: sms_format.SwapAnswer, *, now, today) -> SmsReply:
    """`1`/`2` after "did you swap day and night?": the stored question is taken once (deleted), so a
    gateway that posts the answer twice stores nothing twice."""
    question = (
        SmsSwapQuestion.objects.filter(phone=phone, asked_at__gte=now - SWAP_QUESTION_LIFETIME)
        .select_related("meter__account__district")
        .first()
    )
    if question is None or not SmsSwapQuestion.objects.filter(pk=question.pk).delete()[0]:
        return _error("no_question", replies.no_question())
    values = {zone: int(value) for zone, value in question.values.items()}
    outcome = _submit(meter=question.meter, values=values, swap_confirmed=answer.swap, now=now, today=today)
    return outcome_reply(outcome, question.meter, values, ())


def sms_handle(*, sender: str, text: str, language: str | None, now, today) -> SmsReply:
    phones = sender_phones(sender)
    phone = phones[0] if phones else sender
    contract = _contract_for(phones)
    language = language if language in LANGUAGES else (contract.language if contract else "uk")
    with translation.override(language):
        parsed = sms_format.parse_sms(text)
        if isinstance(parsed, sms_format.ParseError):
            return _error(parsed.code, _parse_problem(parsed))
        if isinstance(parsed, sms_format.SwapAnswer):
            return _answer_swap(phone, parsed, now=now, today=today)
        meter, refusal = _meter_for(phone, contract, parsed)
        if refusal:
            return refusal
        if len(parsed.values) != len(meter.zones):
            zones = ", ".join(replies.zone_word(zone) for zone in meter.zones)
            return _error("wrong_value_count", replies.wrong_value_count(meter.serial_number, zones))
        values = dict(zip(meter.zones, parsed.values, strict=True))
        outcome = _submit(meter=meter, values=values, swap_confirmed=None, now=now, today=today)
        if outcome.status == reading_services.SWAP_QUESTION:
            SmsSwapQuestion.objects.update_or_create(
                phone=phone, defaults={"meter": meter, "values": values, "language": language, "asked_at": now}
            )
            return SmsReply("swap_question", "swap_question", replies.swap_question())
        return outcome_reply(outcome, meter, values, parsed.decimals)


def signature_valid(body: bytes, signature: str) -> bool:
    secret = settings.SMS_WEBHOOK_SECRET
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    given = signature.strip().lower().removeprefix("sha256=")
    # Bytes, not str: compare_digest raises TypeError on non-ASCII text, and a header is whatever was sent.
    return bool(secret) and hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode())


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
    sender, text = printable(sender)[:16], printable(text)
    language = payload.get("language") if isinstance(payload.get("language"), str) else None
    reply = sms_handle(sender=sender, text=text, language=language, now=timezone.now(), today=timezone.localdate())
    return JsonResponse({"to": sender, "reply": reply.text, "status": reply.status, "code": reply.code})
