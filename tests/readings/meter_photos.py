"""Photos of meter displays for the entry-point tests (cabinet, public form, bots, API).

Drawn by the recognition package's generator (readings/recognition/synthetic.py) with known values. These
tests are about what each channel does with a photo, not about the engine's accuracy (bench/recognition.py
measures that), so they use only photos the engine reads exactly and surely: the first seed whose photo,
re-encoded the way every upload is, reads as the drawn value. A test then asserts what the customer sees.
"""

from functools import lru_cache

from django.conf import settings

from readings.photos import photo_reencode
from readings.recognition import recognize, synthetic

SEEDS = range(60)


def _as_uploaded(image: bytes) -> bytes:
    import io

    return photo_reencode(
        io.BytesIO(image),
        size=len(image),
        max_bytes=settings.READING_PHOTO_MAX_BYTES,
        max_pixels=settings.READING_PHOTO_MAX_PIXELS,
    ).content


@lru_cache
def drum_photo(value: int) -> bytes:
    """A drum counter showing `value` (one-zone meter) that the engine reads exactly and surely."""
    for seed in SEEDS:
        image = synthetic.drum_counter(value, seed=seed)
        found = recognize(_as_uploaded(image), "total")
        if found.sure and found.values == {"total": value}:
            return image
    raise AssertionError(f"no generated drum photo of {value} is read surely: is the engine broken?")


@lru_cache
def lcd_photo(value: int, code: str, zone_set: str, zone: str) -> bytes:
    """An LCD display showing register `code` = `value` that the engine reads exactly and surely as `zone` (the
    code it reports may be another label of the same zone: 1.8.1 and T21 are both night on a Kyiv meter)."""
    for seed in SEEDS:
        image = synthetic.lcd_display(value, code=code, seed=seed)
        found = recognize(_as_uploaded(image), zone_set)
        if found.sure and found.values == {zone: value}:
            return image
    raise AssertionError(f"no generated LCD photo of {code} {value} is read surely: is the engine broken?")


@lru_cache
def unreadable_photo() -> bytes:
    """A picture (it decodes) with no display on it: the engine is never sure of it."""
    for seed in SEEDS:
        image = synthetic.noise_image(seed=seed)
        if not recognize(_as_uploaded(image), "total").sure:
            return image
    raise AssertionError("every noise picture was read surely: is the engine broken?")
