"""Photos as the office hands them out: pixels only, no EXIF (GPS position, device, time), via Pillow."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}


def without_metadata(path: Path) -> tuple[bytes, str] | None:
    """The image re-encoded from its pixels alone (turned upright first), with its type; None if no image."""
    try:
        with Image.open(path) as original:
            kind = original.format or ""
            if kind not in FORMATS:
                return None
            upright = ImageOps.exif_transpose(original)  # the orientation tag is applied, then dropped
            clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())  # no info, no tags
            if upright.mode == "P" and upright.getpalette():
                clean.putpalette(upright.getpalette() or [])
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        return None
    out = io.BytesIO()
    clean.save(out, format=kind, **({"quality": 90} if kind == "JPEG" else {}))
    return out.getvalue(), FORMATS[kind]
