"""The Telegram bot: a webhook that runs the conversation and answers with the Bot API method itself.

Telegram posts each Update to `/channels/telegram/webhook/` with `X-Telegram-Bot-Api-Secret-Token` (set
with setWebhook's `secret_token` = `TELEGRAM_WEBHOOK_SECRET`). The response body is the `sendMessage` call
Telegram performs for us, so the portal needs no outbound connection. The conversation lives in
`TelegramChat`: verify the account number and a meter serial once per chat, choose the meter, enter each
zone by its display labels, confirm. The language follows Telegram's `language_code`.
"""

import hmac
import json

from django.conf import settings
from django.db import transaction
from django.http import JsonResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.ratelimit import Limit, attempt_count, limit_reached
from readings import services as reading_services
from readings.channel_messages import outcome_words
from readings.messages import zone_name
from readings.models import Channel, Meter, TelegramChat
from readings.selectors import meter_by_numbers

VERIFY_LIMIT = Limit(5, 3600)  # failed account + serial pairs per chat per hour
MAX_VALUE_DIGITS = 9


def chat_language(code) -> str:
    code = (code or "").lower()
    return next((language for language in ("uk", "ru", "en") if code.startswith(language)), "uk")


def _keyboard(*rows: list[str]) -> dict:
    return {
        "keyboard": [[{"text": text} for text in row] for row in rows],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }


def _answer(chat: TelegramChat, text: str, keyboard: dict | None = None) -> dict:
    return {
        "method": "sendMessage",
        "chat_id": chat.chat_id,
        "text": text,
        "reply_markup": keyboard or {"remove_keyboard": True},
    }


def _yes() -> str:
    return _("Yes, send")


def _no() -> str:
    return _("No, enter again")


def _another() -> str:
    return _("Pass another reading")


def _forget() -> str:
    return _("Another account")


def _ask_account(chat: TelegramChat, prefix: str = "") -> dict:
    chat.state, chat.account, chat.meter, chat.values = "account", None, None, {}
    text = _("Send your personal account number: it is on your bill (digits only).")
    return _answer(chat, f"{prefix} {text}".strip())


def _ask_zone(chat: TelegramChat, prefix: str = "") -> dict:
    meter = chat.meter
    zone = next(zone for zone in meter.zones if zone not in chat.values)
    chat.state = "zone"
    text = _(
        "Meter %(serial)s. Send the reading of %(zone)s as the display shows it, digits before the decimal point."
    ) % {
        "serial": meter.serial_number,
        "zone": zone_name(meter, zone),
    }
    return _answer(chat, f"{prefix} {text}".strip())


def _start_meter(chat: TelegramChat, prefix: str = "") -> dict:
    meters = list(chat.account.meters.filter(removed_on__isnull=True).order_by("serial_number"))
    if len(meters) == 1:
        chat.meter, chat.values = meters[0], {}
        return _ask_zone(chat, prefix)
    chat.state, chat.meter, chat.values = "meter", None, {}
    text = _("Which meter? Choose its number.")
    return _answer(chat, f"{prefix} {text}".strip(), _keyboard([meter.serial_number for meter in meters]))


def _summary(chat: TelegramChat) -> str:
    lines = "\n".join(f"{zone_name(chat.meter, zone)}: {chat.values[zone]}" for zone in chat.meter.zones)
    return _("Meter %(serial)s:\n%(lines)s\nSend this reading?") % {"serial": chat.meter.serial_number, "lines": lines}


def _submit(chat: TelegramChat, *, swap_confirmed, now, today) -> dict:
    meter = Meter.objects.select_related("account__district").get(pk=chat.meter_id)
    outcome = reading_services.reading_submit(
        meter=meter,
        values=chat.values,
        reading_date=today,
        channel=Channel.CHATBOT,
        submitted_by=None,
        now=now,
        today=today,
        swap_confirmed=swap_confirmed,
    )
    if outcome.status == reading_services.SWAP_QUESTION:
        chat.state = "swap"
        text = _("Did you swap %(day)s and %(night)s? With them swapped the reading fits your history.") % {
            "day": zone_name(meter, "day"),
            "night": zone_name(meter, "night"),
        }
        return _answer(chat, text, _keyboard([_("Yes, swap them"), _("No, keep as entered")]))
    message, _speech = outcome_words(outcome, meter)
    if outcome.status in (reading_services.REJECTED, reading_services.NEEDS_PHOTO):
        chat.values = {}
        return _ask_zone(chat, message)
    chat.state, chat.values = "done", {}
    return _answer(chat, message, _keyboard([_another()], [_forget()]))


def _step(chat: TelegramChat, text: str, *, now, today) -> dict:
    command = text.split()[0].lower() if text else ""
    if command in ("/start", "/cancel") or text in (_another(),):
        if chat.meter_id:
            return _start_meter(chat)
        return _ask_account(chat, _("Hello! Here you can pass your meter readings.") if command == "/start" else "")
    if command == "/forget" or text == _forget():
        return _ask_account(chat)
    if chat.state in ("start", "account") or chat.account_id is None and chat.state != "serial":
        digits = text.replace(" ", "")
        if not digits.isdigit() or not 4 <= len(digits) <= 20:
            return _ask_account(chat, _("The personal account number is 4 to 20 digits."))
        chat.entered_account, chat.state = digits, "serial"
        return _answer(chat, _("Now the meter's serial number, as on its nameplate."))
    if chat.state == "serial":
        key = str(chat.chat_id)
        if limit_reached("telegram_verify", key, VERIFY_LIMIT):
            return _answer(chat, _("Too many attempts. For your security, please try again in an hour."))
        meter = meter_by_numbers(chat.entered_account, text)
        if meter is None:
            attempt_count("telegram_verify", key, VERIFY_LIMIT)
            return _ask_account(chat, _("We could not find this account number with this meter. Let us start again."))
        chat.account = meter.account
        return _start_meter(chat, _("Account found: %(address)s.") % {"address": _masked(meter)})
    if chat.state == "meter":
        meter = chat.account.meters.filter(removed_on__isnull=True, serial_number__iexact=text.strip()).first()
        if meter is None:
            return _start_meter(chat, _("There is no such meter on this account."))
        chat.meter, chat.values = meter, {}
        return _ask_zone(chat)
    if chat.state == "zone":
        value = text.strip().lstrip("0") or "0"
        if not text.strip().isdigit() or len(value) > MAX_VALUE_DIGITS:
            return _ask_zone(chat, _("Use digits only, without a decimal part (e.g. 012345)."))
        zone = next(zone for zone in chat.meter.zones if zone not in chat.values)
        chat.values = {**chat.values, zone: int(value)}
        if len(chat.values) < len(chat.meter.zones):
            return _ask_zone(chat)
        chat.state = "confirm"
        return _answer(chat, _summary(chat), _keyboard([_yes(), _no()]))
    if chat.state == "confirm":
        if text == _yes():
            return _submit(chat, swap_confirmed=None, now=now, today=today)
        chat.values = {}
        return _ask_zone(chat)
    if chat.state == "swap":
        return _submit(chat, swap_confirmed=text == _("Yes, swap them"), now=now, today=today)
    return _start_meter(chat) if chat.meter_id else _ask_account(chat)


def _masked(meter: Meter) -> str:
    from readings.masking import mask_address

    return mask_address(meter.account.address)


def telegram_update(update: dict, *, now, today) -> dict | None:
    """Handle one Update; the Bot API call to answer with, or None for updates that need no answer."""
    message = update.get("message") if isinstance(update, dict) else None
    if not isinstance(message, dict) or not isinstance(message.get("text"), str):
        return None
    chat_info = message.get("chat") or {}
    if not isinstance(chat_info.get("id"), int) or chat_info.get("type", "private") != "private":
        return None
    update_id = update.get("update_id") if isinstance(update.get("update_id"), int) else 0
    language = chat_language((message.get("from") or {}).get("language_code"))
    with transaction.atomic():
        chat, _created = TelegramChat.objects.select_for_update().get_or_create(chat_id=chat_info["id"])
        if update_id and update_id <= chat.last_update_id:
            return None  # Telegram delivered this update again: it was answered already
        chat.language, chat.last_update_id = language, max(update_id, chat.last_update_id)
        with translation.override(language):
            answer = _step(chat, message["text"].strip()[:200], now=now, today=today)
        chat.save()
    return answer


@csrf_exempt
@require_POST
def telegram_webhook(request):
    secret = settings.TELEGRAM_WEBHOOK_SECRET
    if not secret:
        return JsonResponse({"error": {"code": "channel_off"}}, status=404)
    if not hmac.compare_digest(request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""), secret):
        return JsonResponse({"error": {"code": "bad_secret_token"}}, status=403)
    try:
        update = json.loads(request.body)
    except ValueError:
        return JsonResponse({"error": {"code": "malformed"}}, status=400)
    answer = telegram_update(update, now=timezone.now(), today=timezone.localdate())
    return JsonResponse(answer or {})
