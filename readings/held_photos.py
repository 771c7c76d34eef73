"""A photo the reading form read its numbers from, held until the customer sends the reading.

The "take a photo" step of the cabinet and the public form is a form POST of its own (it works without
JavaScript): the portal re-encodes and reads the photo, stores the re-encoded picture under
`held-photos/` with a random name and hands the form a signed token naming it and the meter. When the
customer then sends the reading, the form passes the token back and the held picture becomes the reading's
photo, so nobody uploads twice. The token is signed (a customer cannot name another file, nor use it for
another meter) and expires after READING_PHOTO_HOLD_SECONDS; a held file nobody sent is deleted by the
periodic `held_photos_purge`.
"""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from readings.photos import EncodedPhoto

FOLDER = "held-photos"
SALT = "readings.held_photo"


def photo_hold(*, meter_id: int, photo: EncodedPhoto) -> str:
    """Store the re-encoded picture; the signed token that names it for this meter."""
    name = default_storage.save(f"{FOLDER}/{uuid.uuid4().hex}.{photo.extension}", ContentFile(photo.content))
    return signing.dumps({"meter": meter_id, "name": name}, salt=SALT, compress=True)


def _held_name(token: str, meter_id: int) -> str | None:
    if not token:
        return None
    try:
        held = signing.loads(token, salt=SALT, max_age=settings.READING_PHOTO_HOLD_SECONDS)
    except signing.BadSignature:  # also SignatureExpired
        return None
    name = held.get("name") if isinstance(held, dict) else None
    if held.get("meter") != meter_id or not isinstance(name, str) or not name.startswith(f"{FOLDER}/"):
        return None
    return name if default_storage.exists(name) else None


def held_photo_meter_id(token: str) -> int | None:
    """The meter a valid, unexpired token holds a photo for (None otherwise): who may see it is the caller's check."""
    try:
        held = signing.loads(token, salt=SALT, max_age=settings.READING_PHOTO_HOLD_SECONDS)
    except signing.BadSignature:
        return None
    meter_id = held.get("meter") if isinstance(held, dict) else None
    return meter_id if isinstance(meter_id, int) and _held_name(token, meter_id) else None


def held_photo(token: str, *, meter_id: int) -> ContentFile | None:
    """The held picture as a file to store with the reading; None for a missing, foreign or expired token."""
    name = _held_name(token, meter_id)
    if name is None:
        return None
    with default_storage.open(name, "rb") as stored:
        return ContentFile(stored.read(), name=f"photo.{name.rsplit('.', 1)[-1]}")


def held_photo_release(token: str, *, meter_id: int) -> None:
    """Delete the held file once the reading keeps its own copy."""
    name = _held_name(token, meter_id)
    if name is not None:
        default_storage.delete(name)


def held_photos_purge(*, now: datetime) -> int:
    """Delete held pictures older than their tokens can be; the number deleted."""
    try:
        _folders, names = default_storage.listdir(FOLDER)
    except FileNotFoundError:
        return 0
    oldest_kept = now - timedelta(seconds=settings.READING_PHOTO_HOLD_SECONDS)
    deleted = 0
    for name in names:
        path = f"{FOLDER}/{name}"
        if default_storage.get_modified_time(path) < oldest_kept:
            default_storage.delete(path)
            deleted += 1
    return deleted
