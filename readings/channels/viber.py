"""The Viber bot on Viber's REST Bot API: the same conversation as Telegram (conversation.py), in the
user's language (`sender.language`).

Viber posts callbacks to `/channels/viber/webhook/` signed with `X-Viber-Content-Signature` (the hex
HMAC-SHA256 of the raw body with the bot's auth token, `VIBER_AUTH_TOKEN`). A `message` event runs one
step of the conversation, and the answer goes out as a `send_message` call (with a reply keyboard for the
buttons) through the portal's one HTTP client; a picture without a text is downloaded from its `media` URL
through the same client and read for the chat's meter (readings/channels/chat_photos.py);
`conversation_started` is answered in the callback's response (Viber's welcome message, allowed before the
user subscribes). Other events get an empty 200.
A message token already answered is not answered again (Viber retries callbacks).
"""

import hashlib
import hmac
import json
import logging

from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.outbound import OutboundError, post_json
from readings.channels.chat_photos import photo_inbound, viber_media
from readings.channels.conversation import (
    OTHER,
    PHOTO,
    STICKER,
    TEXT,
    BotReply,
    Inbound,
    channel_chat_step,
    language_of,
    printable,
)
from readings.models import Channel, ChannelChat, ChatTransport

logger = logging.getLogger(__name__)

KEYBOARD_COLUMNS = 6  # a Viber keyboard row is 6 columns wide
MAX_TEXT = 7000  # Viber's limit for a text message


def signature_valid(body: bytes, signature: str, token: str) -> bool:
    expected = hmac.new(token.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature.strip().lower().encode("utf-8", "surrogateescape"), expected.encode())


def inbound_of(message: dict) -> Inbound:
    """Viber message types: text (also a keyboard button's ActionBody), picture/video/file with an optional
    text, sticker, contact, location, url."""
    kind = message.get("type")
    text = message.get("text")
    if kind == "sticker":
        return Inbound(None, STICKER)
    if kind == "picture" and (not isinstance(text, str) or not text.strip()) and isinstance(message.get("media"), str):
        return Inbound(None, PHOTO)
    if isinstance(text, str) and kind in ("text", "picture", "video", "file"):
        return Inbound(text, TEXT)
    return Inbound(None, OTHER)


def keyboard(reply: BotReply) -> dict:
    return {
        "Type": "keyboard",
        "DefaultHeight": False,
        "Buttons": [
            {
                "Columns": max(1, KEYBOARD_COLUMNS // len(row)),
                "Rows": 1,
                "ActionType": "reply",
                "ActionBody": text,
                "Text": text,
                "TextSize": "regular",
            }
            for row in reply.buttons
            for text in row
        ],
    }


def viber_send(receiver: str, reply: BotReply) -> None:
    payload = {
        "receiver": receiver,
        "min_api_version": 1,
        "sender": {"name": settings.VIBER_BOT_NAME},
        "type": "text",
        "text": reply.text[:MAX_TEXT],
    }
    if reply.buttons:
        payload["keyboard"] = keyboard(reply)
    answer = post_json(
        f"{settings.VIBER_API_URL}/send_message", payload, headers={"X-Viber-Auth-Token": settings.VIBER_AUTH_TOKEN}
    )
    if answer.get("status") != 0:
        raise OutboundError(f"Viber send_message: status {answer.get('status')} {answer.get('status_message')}")


def _welcome(user: dict) -> JsonResponse:
    with translation.override(language_of(user.get("language"))):
        text = (
            _("Hello! Here you can pass your meter readings.")
            + " "
            + _("Send your personal account number: it is on your bill (digits only).")
        )
    return JsonResponse(
        {"sender": {"name": settings.VIBER_BOT_NAME}, "type": "text", "text": text, "min_api_version": 1}
    )


@csrf_exempt
@require_POST
def viber_webhook(request):
    token = settings.VIBER_AUTH_TOKEN
    if not token:
        return JsonResponse({"error": {"code": "channel_off"}}, status=404)
    if not signature_valid(request.body, request.headers.get("X-Viber-Content-Signature", ""), token):
        return JsonResponse({"error": {"code": "bad_signature"}}, status=403)
    try:
        event = json.loads(request.body)
    except (ValueError, RecursionError):
        return JsonResponse({"error": {"code": "malformed"}}, status=400)
    if not isinstance(event, dict):
        return JsonResponse({})
    if event.get("event") == "conversation_started" and isinstance(event.get("user"), dict):
        return _welcome(event["user"])
    sender, message = event.get("sender"), event.get("message")
    if event.get("event") != "message" or not isinstance(sender, dict) or not isinstance(message, dict):
        return JsonResponse({})
    user_id = sender.get("id")
    if not isinstance(user_id, str) or not user_id.strip():
        return JsonResponse({})
    message_id = str(event.get("message_token") or "")
    inbound = inbound_of(message)
    if inbound.kind == PHOTO:
        # Downloaded and read before the chat row is locked; the step checks the meter again.
        peek = ChannelChat.objects.filter(transport=ChatTransport.VIBER, user_id=printable(user_id)[:100]).first()
        if peek is not None and message_id and printable(message_id)[:100] in peek.seen_message_ids:
            return JsonResponse({"status": 0})
        media = message["media"]
        inbound = photo_inbound(peek, lambda max_bytes: viber_media(media, max_bytes), today=timezone.localdate())
    reply = channel_chat_step(
        transport=ChatTransport.VIBER,
        user_id=user_id,
        message_id=message_id,
        language=language_of(sender.get("language")),
        inbound=inbound,
        channel=Channel.VIBER,
        now=timezone.now(),
        today=timezone.localdate(),
    )
    if reply is not None:
        try:
            viber_send(user_id, reply)
        except OutboundError:
            # The step is saved; Viber must not redeliver (it would be answered as seen), so still 200.
            logger.exception("Viber reply not sent to %s", user_id[:12])
    return JsonResponse({"status": 0})
