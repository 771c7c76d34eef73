"""The Telegram bot: a webhook that runs the conversation and answers with the Bot API method itself.

Telegram posts each Update to `/channels/telegram/webhook/` with `X-Telegram-Bot-Api-Secret-Token` (set
with setWebhook's `secret_token` = `TELEGRAM_WEBHOOK_SECRET`). The response body is the `sendMessage` call
Telegram performs for us, so text needs no outbound connection. The conversation itself is
`readings/channels/conversation.py` (the same for Viber and Messenger); this module reads the Update:
every kind of message in a private chat is answered (a photo's or a file's caption is read as text; a
photo without a caption, or a picture sent as a file, is fetched with getFile through the one HTTP client
and read for the chat's meter (readings/channels/chat_photos.py), only when the chat waits for a reading; a
sticker, a contact or a voice note gets the current prompt again; an edited message says it is not read),
and updates that need no answer (groups, channels, callbacks, malformed shapes) get an empty 200. An
update id already answered is not answered again; one lower than the last is still new (Telegram delivers
over parallel connections out of order), so the chat keeps the set of ids it has seen.
"""

import hmac
import json

from django.conf import settings
from django.db import transaction
from django.http import JsonResponse
from django.utils import timezone, translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from readings.channels.chat_photos import photo_inbound, telegram_file
from readings.channels.conversation import (
    EDITED,
    OTHER,
    PHOTO,
    STICKER,
    TEXT,
    BotReply,
    Inbound,
    conversation_step,
    language_of,
)
from readings.models import SEEN_UPDATES_KEPT, Channel, TelegramChat

MESSAGE_KEYS = ("message", "edited_message")


chat_language = language_of


def _reply_markup(reply: BotReply) -> dict:
    if not reply.buttons:
        return {"remove_keyboard": True}
    return {
        "keyboard": [[{"text": text} for text in row] for row in reply.buttons],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }


def inbound_of(message: dict, *, edited: bool) -> Inbound:
    """What a Message says to the conversation: its text, else its caption, else its kind."""
    if edited:
        return Inbound(None, EDITED)
    for key in ("text", "caption"):
        if isinstance(message.get(key), str):
            return Inbound(message[key], TEXT)
    if "sticker" in message:
        return Inbound(None, STICKER)
    if photo_file_id(message):
        return Inbound(None, PHOTO)
    return Inbound(None, OTHER)


def photo_file_id(message: dict) -> str | None:
    """The file to read: the largest size of a photo (PhotoSize list, smallest first), or a picture sent as a
    document (uncompressed); None for anything else."""
    sizes = message.get("photo")
    if isinstance(sizes, list):
        usable = [size for size in sizes if isinstance(size, dict) and isinstance(size.get("file_id"), str)]
        if usable:
            return max(usable, key=lambda size: _number(size.get("width")) * _number(size.get("height")))["file_id"]
    document = message.get("document")
    if isinstance(document, dict) and str(document.get("mime_type", "")).startswith("image/"):
        file_id = document.get("file_id")
        return file_id if isinstance(file_id, str) else None
    return None


def _number(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _private_message(update) -> tuple[dict, int, bool] | None:
    """(message, chat id, edited) for a message in a private chat; None for anything else."""
    if not isinstance(update, dict):
        return None
    key = next((key for key in MESSAGE_KEYS if isinstance(update.get(key), dict)), None)
    if key is None:
        return None
    message = update[key]
    chat = message.get("chat")
    if not isinstance(chat, dict) or chat.get("type", "private") != "private":
        return None
    chat_id = chat.get("id")
    if not isinstance(chat_id, int) or isinstance(chat_id, bool) or not -(2**62) < chat_id < 2**62:
        return None
    return message, chat_id, key == "edited_message"


def _update_id(update: dict) -> int | None:
    value = update.get("update_id")
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**62 else None


def telegram_update(update, *, now, today) -> dict | None:
    """Handle one Update; the Bot API call to answer with, or None for updates that need no answer."""
    found = _private_message(update)
    if found is None:
        return None
    message, chat_id, edited = found
    update_id = _update_id(update)
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    language = chat_language(sender.get("language_code"))
    inbound = inbound_of(message, edited=edited)
    if inbound.kind == PHOTO:
        # Fetched and read before the chat row is locked (an HTTP download); the step checks the meter again.
        peek = TelegramChat.objects.filter(chat_id=chat_id).first()
        if peek is not None and update_id is not None and update_id in peek.seen_update_ids:
            return None
        file_id = photo_file_id(message)
        inbound = photo_inbound(peek, lambda max_bytes: telegram_file(file_id, max_bytes), today=today)
    with transaction.atomic():
        chat, _created = TelegramChat.objects.select_for_update().get_or_create(chat_id=chat_id)
        seen = [value for value in chat.seen_update_ids if isinstance(value, int)]
        if update_id is not None and update_id in seen:
            return None  # Telegram delivered this update again: it was answered already
        if update_id is not None:
            chat.seen_update_ids = sorted([*seen, update_id])[-SEEN_UPDATES_KEPT:]
            chat.last_update_id = max(update_id, chat.last_update_id)
        chat.language = language
        with translation.override(language):
            reply = conversation_step(
                chat,
                inbound,
                channel=Channel.CHATBOT,
                limit_key=f"telegram:{chat_id}",
                now=now,
                today=today,
            )
        chat.save()
    return {"method": "sendMessage", "chat_id": chat_id, "text": reply.text, "reply_markup": _reply_markup(reply)}


@csrf_exempt
@require_POST
def telegram_webhook(request):
    secret = settings.TELEGRAM_WEBHOOK_SECRET
    if not secret:
        return JsonResponse({"error": {"code": "channel_off"}}, status=404)
    token = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    # Bytes, not str: compare_digest refuses non-ASCII text, and a header is whatever the sender put there.
    if not hmac.compare_digest(token.encode("utf-8", "surrogateescape"), secret.encode()):
        return JsonResponse({"error": {"code": "bad_secret_token"}}, status=403)
    try:
        update = json.loads(request.body)
    except (ValueError, RecursionError):
        return JsonResponse({"error": {"code": "malformed"}}, status=400)
    answer = telegram_update(update, now=timezone.now(), today=timezone.localdate())
    return JsonResponse(answer or {})
