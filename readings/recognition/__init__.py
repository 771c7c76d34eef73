"""Reading a meter's display from a photo, on this machine (no cloud service, no model download).

Pure: no Django import anywhere in this package. `recognize(image_bytes, zone_set, labels)` returns a
`Recognition`: the whole part read (tenths and red drums dropped) under the zone it belongs to, the
register code shown on an LCD, and a confidence. The engine is engine.py (OpenCV + numpy, glyphs
drawn by glyphs.py); why this one and not ssocr, Tesseract or an ONNX OCR: docs/decisions.md and
bench/RESULTS.md. synthetic.py draws test photos and is imported only by the tests and the benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import zones

# At or above this, the values are offered as read; below it the customer is asked to type them.
# Chosen on generated photos other than the benchmark's (seeds 500-850, 700 photos): none was wrong at
# or above it, about half are this sure; bench/recognition.py reports the rate on its own 1,000.
CONFIDENT = 0.9


@dataclass(frozen=True)
class Recognition:
    values: dict[str, int]  # zone key -> whole number; {} when nothing read (or the zone can't be told)
    code: str | None  # register code shown on an LCD; None for a drum counter / none read
    confidence: float  # 0.0 .. 1.0
    # The whole number read, whatever its zone (None when nothing was read): lets a channel say "we
    # read 14420 but cannot tell the zone" on a multi-zone drum counter.
    number: int | None = field(default=None, compare=False)

    @property
    def sure(self) -> bool:
        return bool(self.values) and self.confidence >= CONFIDENT


NOTHING = Recognition({}, None, 0.0)


def zone_of_code(code: str | None, zone_set: str, labels: dict[str, list[str]] | None = None) -> str | None:
    """The zone whose display labels include `code` (case and spaces ignored); on a one-zone meter
    always 'total'; None when the code (or its absence) does not tell the zone."""
    zone_keys = zones.zones_of(zone_set)
    if len(zone_keys) == 1:
        return zone_keys[0]
    if not code:
        return None
    labels = labels if labels is not None else zones.DEFAULT_REGISTER_LABELS[zone_set]
    wanted = code.replace(" ", "").upper()
    for zone in zone_keys:
        if any(label.replace(" ", "").upper() == wanted for label in labels.get(zone, [])):
            return zone
    return None


def recognize(image: bytes, zone_set: str = "total", labels: dict[str, list[str]] | None = None) -> Recognition:
    """Reads the whole part of the display in the photo (JPEG/PNG/WebP bytes). zone_set is 'total' |
    'day+night' | 'peak+half_peak+night'; labels are the meter's register labels
    (zones.DEFAULT_REGISTER_LABELS[zone_set] when None). The code maps to the zone through the
    labels; with no code on a one-zone meter, the value is 'total'; with no code (drum counter) on a
    multi-zone meter, values is {} unless one zone can be told. Never raises on a bad image: returns
    Recognition({}, None, 0.0)."""
    zones.zones_of(zone_set)  # an unknown zone set is the caller's bug: ValueError, as everywhere
    from . import engine  # OpenCV is imported on first use, not when a view module imports this

    try:
        rgb = engine.decode(image) if isinstance(image, (bytes, bytearray, memoryview)) else None
        raw = engine.read(rgb) if rgb is not None else engine.NOTHING
    except Exception:  # noqa: BLE001 - a photo that breaks the reader is an unread photo, not a 500
        return NOTHING
    if not raw.digits:
        return NOTHING
    number = int(raw.digits)
    zone = zone_of_code(raw.code, zone_set, labels)
    values = {zone: number} if zone else {}
    confidence = raw.confidence
    if len(zones.zones_of(zone_set)) > 1 and raw.code:  # the zone rests on the code: as sure as both
        confidence = min(confidence, raw.code_confidence)
    return Recognition(values, raw.code, confidence, number)
