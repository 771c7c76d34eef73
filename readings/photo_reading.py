"""A photo of the meter's display, whichever channel it came by: what the portal read and what to ask.

Every entry point (the cabinet and the public form, the Telegram and Viber bots, the customer and the
integration API) calls `photo_read`, so a photo is checked, re-encoded and read one way. Nothing is stored
here: the forms hold the re-encoded picture for the reading (readings/held_photos.py), the bots and the API
keep nothing.

The engine (readings/recognition/) reads digits; this module turns that into a suggestion for one meter:
only the meter's zones, only values within its register digits, and a value lower than the meter's last
reading (that is no plausible rollover) makes the suggestion unsure, so the customer is asked to check the
numbers instead of being told they are right. The customer always sees and confirms or corrects what was
read before anything is submitted, and the submission then goes through `reading_submit` like typed
numbers: what the customer types wins, and a value that fails the rules is refused with the usual message.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import BinaryIO

from django.conf import settings
from django.utils.translation import gettext as _

from accounts.ratelimit import Limit, attempt_count
from readings.models import Meter
from readings.photos import EncodedPhoto, PhotoError, photo_reencode
from readings.recognition import CONFIDENT, recognize
from readings.validation import register_delta

# Why a suggestion is not sure (the customer is asked to type or check the numbers).
UNREADABLE = "unreadable"  # nothing read, or the engine is not confident
DOES_NOT_FIT = "does_not_fit"  # read with confidence, but a value cannot be the meter's reading

TOO_MANY_READS = "photo_too_many_reads"  # a PhotoError code: the meter's hourly limit of photo reads


@dataclass(frozen=True)
class PhotoReading:
    """What a photo suggests for one meter. `values` holds only the meter's zones."""

    values: dict[str, int]
    code: str | None  # the register code the display showed ('1.8.1', 'T21'); None for a drum counter
    confidence: float  # the engine's, 0..1
    doubt: str | None  # None when sure; else UNREADABLE or DOES_NOT_FIT
    photo: EncodedPhoto  # the picture as the portal re-encoded it (what a form keeps with the reading)
    # A number read with confidence that the photo does not place in a zone of this meter (a drum counter
    # of a two-zone meter, or a code the meter's labels do not name): said, never filled in.
    unplaced: int | None = None

    @property
    def sure(self) -> bool:
        return self.doubt is None and bool(self.values)

    def missing_zones(self, zones) -> tuple[str, ...]:
        return tuple(zone for zone in zones if zone not in self.values)


def _previous_values(meter: Meter, today: date) -> dict[str, int]:
    # Late import: services imports the models' whole submission path; this module is imported by views.
    from readings.services import meter_facts, reading_rules

    return meter_facts(meter, before=today + timedelta(days=1), rules=reading_rules()).previous.values


def _fits(meter: Meter, values: dict[str, int], today: date) -> bool:
    """Each value read could be this meter's reading now: not lower than its last one (unless a plausible
    rollover). Consumption that is merely high is for `reading_submit` to judge (it may go to review)."""
    from readings.services import reading_rules

    previous = _previous_values(meter, today)
    rules = reading_rules()
    return all(
        register_delta(previous[zone], value, meter.register_digits, rules) is not None
        for zone, value in values.items()
        if zone in previous and previous[zone] is not None
    )


def photo_read(*, meter: Meter, upload: BinaryIO, size: int, today: date) -> PhotoReading:
    """Check and re-encode an uploaded photo (readings/photos.py: PhotoError for what is too large or not a
    picture, or over the meter's hourly limit of reads), read its display and say what to suggest for `meter`.

    Reading costs CPU and the public form and the bots are open to anyone who knows two numbers, so every
    channel counts its reads per meter (READING_PHOTO_READS_PER_METER_HOUR); the API also throttles per caller.
    """
    limit = Limit(settings.READING_PHOTO_READS_PER_METER_HOUR, 3600)
    if attempt_count("photo_read", str(meter.pk), limit) > limit.attempts:
        raise PhotoError(TOO_MANY_READS)
    encoded = photo_reencode(
        upload, size=size, max_bytes=settings.READING_PHOTO_MAX_BYTES, max_pixels=settings.READING_PHOTO_MAX_PIXELS
    )
    recognition = recognize(encoded.content, zone_set=meter.zone_set, labels=meter.register_labels or None)
    values = {
        zone: int(value)
        for zone, value in recognition.values.items()
        if zone in meter.zones and 0 <= int(value) < 10**meter.register_digits
    }
    if not values or not recognition.sure or len(values) < len(recognition.values):
        doubt = UNREADABLE
    elif not _fits(meter, values, today):
        doubt = DOES_NOT_FIT
    else:
        doubt = None
    number = recognition.number
    unplaced = (
        number
        if not values
        and number is not None
        and recognition.confidence >= CONFIDENT
        and number < 10**meter.register_digits
        else None
    )
    return PhotoReading(
        values=values,
        code=recognition.code,
        confidence=float(recognition.confidence),
        doubt=doubt,
        photo=encoded,
        unplaced=unplaced,
    )


def photo_reading_advice(reading: PhotoReading) -> str:
    """What to tell the customer about a photo's values, in the active language."""
    if reading.sure:
        return _(
            "We read them from your photo. Compare them with the display and correct any that differ before you send."
        )
    if reading.unplaced is not None:
        return _(
            "We read %(number)s on the photo but cannot tell which zone it is. Type it into the right field, and "
            "the other numbers too."
        ) % {"number": reading.unplaced}
    if reading.doubt == DOES_NOT_FIT:
        return _("These numbers do not fit your meter: compare them with the display and correct them before you send.")
    return _(
        "We could not read the numbers on this photo reliably. Type them as the display shows them, digits before "
        "the decimal point."
    )
