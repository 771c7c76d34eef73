"""A photo a messenger user sent, fetched through the one HTTP client and read for the chat's meter.

Fetching and reading take time (an HTTP download, then the engine), so the transports call this before they
lock the chat row, after a look at the chat without a lock: only a chat that waits for a zone's reading
gets its photo fetched. The locked conversation step then checks again that the photo was read for the
meter the chat is on (readings/channels/conversation.py). Nothing here is stored.
"""

import io
import logging
from collections.abc import Callable
from datetime import date

from django.conf import settings

from accounts.outbound import OutboundError, get_bytes, get_json
from readings.channels.conversation import PHOTO, Inbound
from readings.models import Conversation, Meter
from readings.photo_reading import photo_read
from readings.photos import PhotoError

logger = logging.getLogger(__name__)


def photo_inbound(chat: Conversation | None, fetch: Callable[[int], bytes], *, today: date) -> Inbound:
    """The photo as the conversation sees it; `fetch(max_bytes)` downloads it (OutboundError on failure)."""
    if chat is None or chat.state != "zone" or chat.meter_id is None:
        return Inbound(None, PHOTO)  # not asked for a reading now: the conversation says when to send it
    meter = Meter.objects.filter(pk=chat.meter_id).first()
    if meter is None:
        return Inbound(None, PHOTO)
    try:
        content = fetch(settings.READING_PHOTO_MAX_BYTES)
        reading = photo_read(meter=meter, upload=io.BytesIO(content), size=len(content), today=today)
    except OutboundError as error:
        logger.warning("Chat photo not fetched: %s", error)
        return Inbound(None, PHOTO, photo_meter_id=meter.pk, photo_failed=True)
    except PhotoError:
        return Inbound(None, PHOTO, photo_meter_id=meter.pk, photo_failed=True)
    return Inbound(None, PHOTO, photo=reading, photo_meter_id=meter.pk)


def telegram_file(file_id: str, max_bytes: int) -> bytes:
    """A file a Telegram user sent: Bot API `getFile`, then the download from `/file/bot<token>/<file_path>`."""
    token, base = settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_API_URL.rstrip("/")
    if not token:
        raise OutboundError("Telegram: TELEGRAM_BOT_TOKEN is not set, photos cannot be fetched")
    answer = get_json(f"{base}/bot{token}/getFile", params={"file_id": file_id})
    found = answer.get("result") if answer.get("ok") is True else None
    file_path = found.get("file_path") if isinstance(found, dict) else None
    if not isinstance(file_path, str) or not file_path or ".." in file_path:
        raise OutboundError("Telegram getFile: no file_path in the answer")
    return get_bytes(f"{base}/file/bot{token}/{file_path}", max_bytes=max_bytes)


def viber_media(url: str, max_bytes: int) -> bytes:
    """A picture a Viber user sent: its `media` URL (Viber's media server, valid for a while)."""
    if not url.startswith("https://"):
        raise OutboundError("Viber: the picture's media URL is not https")
    return get_bytes(url, max_bytes=max_bytes)
