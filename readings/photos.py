"""Meter photos: only what decodes as a photo is kept, and only as pixels the portal encoded itself.

A "photo" is whatever a browser sends; its name, its declared type and any bytes around the picture
(EXIF, comments, an HTML page appended to a JPEG) are the sender's. We decode it with Pillow, refuse
what is not a JPEG, PNG, WebP or HEIC/HEIF picture, apply the EXIF rotation, drop every piece of
metadata (GPS position, phone model) and encode the pixels again. The stored file is therefore a
plain image the portal wrote, whatever was uploaded, and it is served with that image's type.

No Django import: the limits are passed in, so this can be tested with plain bytes.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageOps

try:  # HEIC/HEIF is what iPhones send by default; pillow-heif ships a wheel with libheif inside.
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIF_FORMATS = ("HEIF",)
except ImportError:  # pragma: no cover - the requirements pin it; without it HEIC is refused, not crashed
    HEIF_FORMATS = ()

# What a phone or a scanner produces; anything else (SVG, GIF, BMP, TIFF, PDF, HTML) is refused.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", *HEIF_FORMATS)

# The only types a stored photo can have, by the extension the portal gave it.
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png"}

TOO_LARGE = "photo_too_large"
TOO_MANY_PIXELS = "photo_too_many_pixels"
NOT_A_PHOTO = "photo_not_an_image"


class PhotoError(ValueError):
    """The upload is refused; `code` says why (one of the constants above)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class EncodedPhoto:
    content: bytes
    extension: str  # "jpg" or "png"
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.extension]


def photo_reencode(stream: BinaryIO, *, size: int, max_bytes: int, max_pixels: int) -> EncodedPhoto:
    """Decode an uploaded picture and encode its pixels again without metadata.

    Pictures with transparency stay PNG (a screenshot of a display); everything else becomes a JPEG.
    Raises PhotoError for a file over `max_bytes`, a picture over `max_pixels`, or anything that does
    not decode as one of ACCEPTED_FORMATS.
    """
    if size > max_bytes:
        raise PhotoError(TOO_LARGE)
    stream.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb check warns at MAX_IMAGE_PIXELS; ours below is stricter and an error.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(stream, formats=ACCEPTED_FORMATS)
            if image.width * image.height > max_pixels:
                raise PhotoError(TOO_MANY_PIXELS)
            image.load()  # decodes every pixel: a truncated or forged body fails here
            image = ImageOps.exif_transpose(image)
    except PhotoError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, EOFError) as error:
        raise PhotoError(NOT_A_PHOTO) from error
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    output = io.BytesIO()
    if has_alpha:
        # A fresh image from the pixels alone: no text chunks, ICC profile or EXIF are carried over.
        clean = Image.new("RGBA", image.size)
        clean.paste(image.convert("RGBA"))
        clean.save(output, format="PNG", optimize=True)
        extension = "png"
    else:
        clean = Image.new("RGB", image.size)
        clean.paste(image.convert("RGB"))
        clean.save(output, format="JPEG", quality=88, optimize=True)
        extension = "jpg"
    return EncodedPhoto(content=output.getvalue(), extension=extension, width=clean.width, height=clean.height)
