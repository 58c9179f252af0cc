"""Photos as a reporter's phone wrote them carry more than the picture: EXIF (where it
was taken, to the metre: often the reporter's home), maker notes, thumbnails, and anything
appended after the image's end (a JPEG that is also an HTML page). Every photo is decoded
and written again with the pixels only, so what Homeward keeps and shows is a plain image;
the original's SHA-256 stays on the case for the chain of custody.

Pillow (manylinux wheels) is the only import beyond the standard library, and is made only
when a form with a photo is filed: the domain stays free of AWS either way.
"""

from __future__ import annotations

import io

# Pillow's format name for each image type Homeward re-encodes.
_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
# Larger than any phone's photo, small enough that a decompression bomb is refused.
MAX_PIXELS = 60_000_000


class NotAnImage(ValueError):
    """The file does not decode as the image type it claims to be."""


def reencodes(content_type: str) -> bool:
    return content_type in _FORMATS


def clean_image(data: bytes, content_type: str) -> bytes:
    """The picture alone, encoded again as the same type: no metadata, nothing appended.
    The orientation EXIF asked for is applied to the pixels before EXIF goes."""
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    fmt = _FORMATS[content_type]
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
            mode = "RGB" if fmt == "JPEG" else ("RGBA" if "A" in upright.getbands() else "RGB")
            pixels = Image.frombytes(mode, upright.size, upright.convert(mode).tobytes())
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise NotAnImage(str(exc)) from None
    out = io.BytesIO()
    # Quality 90: a face and a scar stay recognisable; no EXIF, ICC or comment is passed on.
    options = {"quality": 90} if fmt == "JPEG" else {"optimize": True}
    pixels.save(out, format=fmt, **options)
    return out.getvalue()


# A thumbnail's longest side, in pixels: enough to tell two children's faces apart side by
# side, small enough to travel inside the page (a few kilobytes).
THUMBNAIL_SIDE = 240


def thumbnail(data: bytes, content_type: str, side: int = THUMBNAIL_SIDE) -> bytes:
    """A small JPEG of a kept photo (already clean: see clean_image), for a page to show."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data), formats=[_FORMATS[content_type]]) as image:
            image.thumbnail((side, side))
            small = image.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise NotAnImage(str(exc)) from None
    out = io.BytesIO()
    small.save(out, format="JPEG", quality=80)
    return out.getvalue()
