"""The Facebook Messenger bot on Meta's Send API: the same conversation as Telegram (conversation.py).

`GET /channels/messenger/webhook/` answers Meta's verification (`hub.mode=subscribe`, `hub.verify_token` =
`MESSENGER_VERIFY_TOKEN`, echo `hub.challenge`). Meta posts `{"object": "page", "entry": [{"messaging":
[...]}]}` signed with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`.
Each message event runs one step of the conversation; the answer goes out through the portal's one HTTP
client as `POST /me/messages` with quick replies for the buttons (a quick reply's `payload` carries the
whole button text, its title is cut to Meta's 20 characters). Echoes of our own messages, deliveries and
reads need no answer. Messenger's webhook carries no locale: chats speak Ukrainian (the portal default).
"""

import hashlib
import hmac
import json
import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.outbound import OutboundError, post_json
from readings.channels.conversation import OTHER, STICKER, TEXT, BotReply, Inbound, channel_chat_step
from readings.models import Channel, ChatTransport

logger = logging.getLogger(__name__)

QUICK_REPLY_TITLE = 20
MAX_QUICK_REPLIES = 13
MAX_TEXT = 2000
MAX_EVENTS = 100  # one POST batches at most this many events for us


def signature_valid(body: bytes, header: str, secret: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.strip().lower().encode("utf-8", "surrogateescape"), expected.encode())


def inbound_of(message: dict) -> Inbound:
    quick_reply = message.get("quick_reply")
    if isinstance(quick_reply, dict) and isinstance(quick_reply.get("payload"), str):
        return Inbound(quick_reply["payload"], TEXT)
    if isinstance(message.get("text"), str):
        return Inbound(message["text"], TEXT)
    if message.get("sticker_id") is not None:
        return Inbound(None, STICKER)
    return Inbound(None, OTHER)


def messenger_send(psid: str, reply: BotReply) -> None:
    message: dict = {"text": reply.text[:MAX_TEXT]}
    buttons = [text for row in reply.buttons for text in row][:MAX_QUICK_REPLIES]
    if buttons:
        message["quick_replies"] = [
            {"content_type": "text", "title": text[:QUICK_REPLY_TITLE], "payload": text} for text in buttons
        ]
    post_json(
        f"{settings.MESSENGER_API_URL}/me/messages",
        {"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": message},
        params={"access_token": settings.MESSENGER_PAGE_TOKEN},
    )


def _events(payload) -> list[dict]:
    if not isinstance(payload, dict) or payload.get("object") != "page" or not isinstance(payload.get("entry"), list):
        return []
    events = []
    for entry in payload["entry"]:
        messaging = entry.get("messaging") if isinstance(entry, dict) else None
        if isinstance(messaging, list):
            events.extend(event for event in messaging if isinstance(event, dict))
    return events[:MAX_EVENTS]


def _inbound_event(event: dict) -> tuple[str, str, Inbound] | None:
    """(sender PSID, message id, inbound) for a message or postback from a person; None otherwise."""
    sender = event.get("sender")
    psid = sender.get("id") if isinstance(sender, dict) else None
    if not isinstance(psid, str | int) or isinstance(psid, bool):
        return None
    message, postback = event.get("message"), event.get("postback")
    if isinstance(message, dict) and not message.get("is_echo"):
        return str(psid), str(message.get("mid") or ""), inbound_of(message)
    if isinstance(postback, dict) and isinstance(postback.get("payload"), str):
        return str(psid), str(postback.get("mid") or ""), Inbound(postback["payload"], TEXT)
    return None


def _verify(request):
    token = settings.MESSENGER_VERIFY_TOKEN
    given = request.GET.get("hub.verify_token", "")
    if (
        request.GET.get("hub.mode") == "subscribe"
        and token
        and hmac.compare_digest(given.encode("utf-8", "surrogateescape"), token.encode())
    ):
        return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
    return HttpResponse("", status=403, content_type="text/plain")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def messenger_webhook(request):
    secret = settings.MESSENGER_APP_SECRET
    if not secret or not settings.MESSENGER_PAGE_TOKEN:
        return JsonResponse({"error": {"code": "channel_off"}}, status=404)
    if request.method == "GET":
        return _verify(request)
    if not signature_valid(request.body, request.headers.get("X-Hub-Signature-256", ""), secret):
        return JsonResponse({"error": {"code": "bad_signature"}}, status=403)
    try:
        payload = json.loads(request.body)
    except (ValueError, RecursionError):
        return JsonResponse({"error": {"code": "malformed"}}, status=400)
    for event in _events(payload):
        found = _inbound_event(event)
        if found is None:
            continue
        psid, message_id, inbound = found
        reply = channel_chat_step(
            transport=ChatTransport.MESSENGER,
            user_id=psid,
            message_id=message_id,
            language=None,
            inbound=inbound,
            channel=Channel.MESSENGER,
            now=timezone.now(),
            today=timezone.localdate(),
        )
        if reply is None:
            continue
        try:
            messenger_send(psid, reply)
        except OutboundError:
            # The step is saved; Meta must not redeliver it (it would be answered as seen), so still 200.
            logger.exception("Messenger reply not sent to %s", psid[:12])
    return HttpResponse("EVENT_RECEIVED", content_type="text/plain")
