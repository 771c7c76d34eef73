"""The chatbot conversation, one engine for every messenger (Telegram, Viber, Facebook Messenger): verify
the account number and a meter serial once per chat, choose the meter, enter each zone by its display
labels, confirm, and answer "did you swap day and night?" when asked.

A transport turns what its messenger posted into an `Inbound` (the text, or a photo's caption; a photo
without a caption already read for the chat's meter by `chat_photos.photo_inbound`; or the kind of message
when it has no text) and a `BotReply` (text and reply buttons) into its API call. The
transport locks and saves the chat row (a `Conversation`) and sets the language; everything said here is
in that language. Every kind of message gets an answer: what has no text gets the current prompt again.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.ratelimit import Limit, attempt_count, limit_reached
from readings import services as reading_services
from readings.channel_messages import outcome_words
from readings.channels.typed import typed_answer, typed_reading
from readings.held_photos import held_photo, held_photo_release, photo_hold
from readings.masking import mask_address
from readings.messages import zone_name
from readings.models import SEEN_UPDATES_KEPT, ChannelChat, Conversation, Meter
from readings.photo_reading import PhotoReading
from readings.selectors import meter_by_numbers

VERIFY_LIMIT = Limit(5, 3600)  # failed account + serial pairs per chat per hour
MAX_VALUE_DIGITS = 9
MAX_TEXT = 200

TEXT = "text"
STICKER = "sticker"
EDITED = "edited"
OTHER = "other"  # a contact, location, voice note, file without a caption...
PHOTO = "photo"  # a picture without a caption: the transport fetched and read it when the chat waits for a zone


@dataclass(frozen=True)
class Inbound:
    text: str | None
    kind: str = TEXT
    photo: PhotoReading | None = None  # what the photo shows, read for `photo_meter_id`
    photo_meter_id: int | None = None
    photo_failed: bool = False  # fetched or decoded nothing (too large, not a picture, the messenger failed)


@dataclass(frozen=True)
class BotReply:
    text: str
    buttons: tuple[tuple[str, ...], ...] = ()


LANGUAGES = ("uk", "ru", "en")


def language_of(code) -> str:
    """The portal language for a messenger's language code (`uk`, `ru-RU`, `en_GB`); Ukrainian otherwise."""
    code = code.lower() if isinstance(code, str) else ""
    return next((language for language in LANGUAGES if code.startswith(language)), "uk")


def printable(text: str) -> str:
    """Text without what PostgreSQL cannot hold or compare (NUL, lone surrogates); no one types them."""
    return text.encode("utf-8", "ignore").decode("utf-8").replace("\x00", "").strip()


def _yes() -> str:
    return _("Yes, send")


def _no() -> str:
    return _("No, enter again")


def _swap_yes() -> str:
    return _("Yes, swap them")


def _swap_no() -> str:
    return _("No, keep as entered")


def _another() -> str:
    return _("Pass another reading")


def _forget() -> str:
    return _("Another account")


def _join(prefix: str, text: str) -> str:
    return f"{prefix} {text}".strip()


def _ask_account(chat: Conversation, prefix: str = "") -> BotReply:
    chat.state, chat.account, chat.meter, chat.values = "account", None, None, {}
    return BotReply(_join(prefix, _("Send your personal account number: it is on your bill (digits only).")))


def _ask_serial(chat: Conversation, prefix: str = "") -> BotReply:
    chat.state = "serial"
    return BotReply(_join(prefix, _("Now the meter's serial number, as on its nameplate.")))


def _ask_zone(chat: Conversation, prefix: str = "") -> BotReply:
    meter = chat.meter
    zone = next(zone for zone in meter.zones if zone not in chat.values)
    chat.state = "zone"
    text = _(
        "Meter %(serial)s. Send the reading of %(zone)s as the display shows it, digits before the decimal point."
    ) % {"serial": meter.serial_number, "zone": zone_name(meter, zone)}
    return BotReply(_join(prefix, text))


def _start_meter(chat: Conversation, prefix: str = "") -> BotReply:
    meters = list(chat.account.meters.filter(removed_on__isnull=True).order_by("serial_number"))
    if len(meters) == 1:
        chat.meter, chat.values = meters[0], {}
        return _ask_zone(chat, prefix)
    chat.state, chat.meter, chat.values = "meter", None, {}
    return BotReply(
        _join(prefix, _("Which meter? Choose its number.")), tuple((meter.serial_number,) for meter in meters)
    )


def _ask_confirm(chat: Conversation, prefix: str = "", *, from_photo: bool = False) -> BotReply:
    chat.state = "confirm"
    lines = "\n".join(f"{zone_name(chat.meter, zone)}: {chat.values[zone]}" for zone in chat.meter.zones)
    if from_photo:
        text = _(
            "Meter %(serial)s, read from your photo:\n%(lines)s\nCheck them against the display. Send this "
            "reading? Answer yes, or type the right numbers."
        ) % {"serial": chat.meter.serial_number, "lines": lines}
    else:
        text = _("Meter %(serial)s:\n%(lines)s\nSend this reading?") % {
            "serial": chat.meter.serial_number,
            "lines": lines,
        }
    return BotReply(_join(prefix, text), ((_yes(), _no()),))


def _ask_swap(chat: Conversation, prefix: str = "") -> BotReply:
    chat.state = "swap"
    text = _("Did you swap %(day)s and %(night)s? With them swapped the reading fits your history.") % {
        "day": zone_name(chat.meter, "day"),
        "night": zone_name(chat.meter, "night"),
    }
    return BotReply(_join(prefix, text), ((_swap_yes(), _swap_no()),))


def _done(chat: Conversation, text: str) -> BotReply:
    chat.state, chat.values = "done", {}
    return BotReply(text, ((_another(),), (_forget(),)))


def current_prompt(chat: Conversation, prefix: str = "") -> BotReply:
    """The question the chat is waiting on, asked again (for a sticker, a voice note, an edit...)."""
    if chat.state == "serial" and chat.entered_account:
        return _ask_serial(chat, prefix)
    if chat.account_id is None:
        return _ask_account(chat, prefix)
    if chat.state == "zone" and chat.meter_id:
        return _ask_zone(chat, prefix)
    if chat.state == "confirm" and chat.meter_id and len(chat.values) == len(chat.meter.zones):
        return _ask_confirm(chat, prefix)
    if chat.state == "swap" and chat.meter_id:
        return _ask_swap(chat, prefix)
    if chat.state == "done":
        return _done(chat, _join(prefix, _("Pass another reading, or verify another account?")))
    return _start_meter(chat, prefix)


def _submit(chat: Conversation, *, channel: str, swap_confirmed, now, today) -> BotReply:
    meter = Meter.objects.select_related("account__district").get(pk=chat.meter_id)
    photo = held_photo(chat.held_photo, meter_id=meter.pk) if chat.held_photo else None
    outcome = reading_services.reading_submit(
        meter=meter,
        values=chat.values,
        photo=photo,
        reading_date=today,
        channel=channel,
        submitted_by=None,
        now=now,
        today=today,
        swap_confirmed=swap_confirmed,
    )
    if outcome.status == reading_services.SWAP_QUESTION:
        return _ask_swap(chat)
    message, _speech = outcome_words(outcome, meter)
    if outcome.status in (reading_services.REJECTED, reading_services.NEEDS_PHOTO):
        chat.values = {}
        return _ask_zone(chat, message)
    if photo is not None:
        held_photo_release(chat.held_photo, meter_id=meter.pk)  # the reading keeps its own copy
        chat.held_photo = ""
    return _done(chat, message)


def _verify(chat: Conversation, serial: str, *, limit_key: str) -> BotReply:
    if limit_reached("chat_verify", limit_key, VERIFY_LIMIT):
        return BotReply(_("Too many attempts. For your security, please try again in an hour."))
    meter = meter_by_numbers(chat.entered_account, serial)
    if meter is None:
        attempt_count("chat_verify", limit_key, VERIFY_LIMIT)
        return _ask_account(chat, _("We could not find this account number with this meter. Let us start again."))
    chat.account = meter.account
    return _start_meter(chat, _("Account found: %(address)s.") % {"address": mask_address(meter.account.address)})


def _zone_value(chat: Conversation, text: str) -> BotReply:
    typed = typed_reading(text, MAX_VALUE_DIGITS)
    if typed is None:
        return _ask_zone(chat, _("Use digits only, without a decimal part (e.g. 012345)."))
    value, fraction_dropped = typed
    zone = next(zone for zone in chat.meter.zones if zone not in chat.values)
    chat.values = {**chat.values, zone: value}
    note = _("We took %(value)s, without the decimals.") % {"value": value} if fraction_dropped else ""
    if len(chat.values) < len(chat.meter.zones):
        return _ask_zone(chat, note)
    return _ask_confirm(chat, note)


def _photo_values(chat: Conversation, inbound: Inbound) -> BotReply:
    """A photo while the chat waits for a zone: the values it shows are offered for confirmation, never sent."""
    reading = inbound.photo
    if inbound.photo_failed or reading is None or inbound.photo_meter_id != chat.meter_id:
        return _ask_zone(chat, _("I could not open this photo. Type the numbers, please."))
    if not reading.sure and reading.unplaced is not None:
        return _ask_zone(
            chat,
            _("I read %(number)s on the photo but cannot tell which zone it is. Type the numbers, please.")
            % {"number": reading.unplaced},
        )
    if not reading.sure:
        return _ask_zone(
            chat, _("I could not read the numbers on this photo reliably. Type them as the display shows them.")
        )
    chat.held_photo = photo_hold(meter_id=chat.meter_id, photo=reading.photo)  # kept with the reading if confirmed
    chat.values = {**chat.values, **{zone: value for zone, value in reading.values.items() if zone in chat.meter.zones}}
    if len(chat.values) < len(chat.meter.zones):
        read = "; ".join(f"{zone_name(chat.meter, zone)}: {value}" for zone, value in reading.values.items())
        return _ask_zone(
            chat,
            _("From your photo: %(values)s. Check it against the display.") % {"values": read},
        )
    return _ask_confirm(chat, from_photo=True)


def conversation_step(chat: Conversation, inbound: Inbound, *, channel: str, limit_key: str, now, today) -> BotReply:
    """Advance the chat by one message and say what comes next. `limit_key` names the chat for the limit
    on verification attempts (transport and chat id)."""
    if inbound.kind == EDITED:
        return current_prompt(chat, _("An edited message is not read again: send the new text as a message."))
    if inbound.kind == PHOTO:
        if chat.state == "zone" and chat.meter_id:
            return _photo_values(chat, inbound)
        return current_prompt(chat, _("Send a photo of the display when I ask for the reading."))
    if inbound.kind == STICKER or (inbound.kind != TEXT and not inbound.text):
        prefix = "" if inbound.kind == STICKER else _("I can read only text: type the numbers, please.")
        return current_prompt(chat, prefix)
    text = printable(inbound.text or "")[:MAX_TEXT]
    if not text:
        return current_prompt(chat)
    command = text.split()[0].lower()
    if command in ("/start", "/cancel") or text == _another():
        if chat.meter_id or chat.account_id:
            return _start_meter(chat)
        return _ask_account(chat, _("Hello! Here you can pass your meter readings.") if command == "/start" else "")
    if command == "/forget" or text == _forget():
        return _ask_account(chat)
    if chat.state == "serial" and chat.entered_account:
        return _verify(chat, text, limit_key=limit_key)
    if chat.account_id is None:
        digits = "".join(text.split())
        if not digits.isdigit() or not 4 <= len(digits) <= 20:
            return _ask_account(chat, _("The personal account number is 4 to 20 digits."))
        chat.entered_account = digits
        return _ask_serial(chat)
    if chat.state == "meter":
        meter = chat.account.meters.filter(removed_on__isnull=True, serial_number__iexact=text).first()
        if meter is None:
            return _start_meter(chat, _("There is no such meter on this account."))
        chat.meter, chat.values, chat.held_photo = meter, {}, ""
        return _ask_zone(chat)
    if chat.state == "zone" and chat.meter_id:
        return _zone_value(chat, text)
    if chat.state == "confirm" and chat.meter_id:
        answer = True if text == _yes() else False if text == _no() else typed_answer(text)
        if answer is None and typed_reading(text, MAX_VALUE_DIGITS) is not None:
            chat.values = {}  # the customer types the numbers instead: what they type wins
            return _zone_value(chat, text)
        if answer is None:
            return _ask_confirm(chat, _("Please answer yes or no."))
        if answer:
            return _submit(chat, channel=channel, swap_confirmed=None, now=now, today=today)
        chat.values = {}
        return _ask_zone(chat)
    if chat.state == "swap" and chat.meter_id:
        answer = True if text == _swap_yes() else False if text == _swap_no() else typed_answer(text)
        if answer is None:
            return _ask_swap(chat, _("Please answer yes or no."))
        return _submit(chat, channel=channel, swap_confirmed=answer, now=now, today=today)
    return current_prompt(chat)


def channel_chat_step(
    *, transport: str, user_id: str, message_id: str, language: str | None, inbound: Inbound, channel: str, now, today
) -> BotReply | None:
    """One message of a Viber or Messenger user through the engine, with the chat row locked; None when this
    message id was answered already (the messenger delivered its webhook again). The caller sends the
    reply after this returns, outside the transaction, so no row stays locked during an HTTP call."""
    user_id, message_id = printable(user_id)[:100], printable(message_id)[:100]
    with transaction.atomic():
        chat, _created = ChannelChat.objects.select_for_update().get_or_create(transport=transport, user_id=user_id)
        if message_id and message_id in chat.seen_message_ids:
            return None
        if message_id:
            chat.seen_message_ids = [*chat.seen_message_ids, message_id][-SEEN_UPDATES_KEPT:]
        if language:
            chat.language = language
        with translation.override(chat.language):
            reply = conversation_step(
                chat, inbound, channel=channel, limit_key=f"{transport}:{user_id}", now=now, today=today
            )
        chat.save()
    return reply
