"""Photos uploaded by staff (campaign covers, report photos): checked, cleaned, stored.

A file is taken only if Pillow decodes it as JPEG, PNG or WebP, whatever its name or the
Content-Type the browser sent, and within the size and pixel limits. It is then decoded
and encoded again: the stored file holds pixels only (EXIF, GPS, XMP and comments are
dropped; the colour profile stays), under a random name in UPLOAD_FOLDER.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask_babel import gettext as _
from PIL import Image, ImageOps

MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2400  # the long side after resizing: more than any page shows
# Pillow format -> the extension the stored file gets (and /uploads/<name> serves).
# MPO is how Pillow names the multi-picture JPEGs many phones take.
FORMATS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp"}
# What survives re-encoding: how to show the pixels, nothing about who or where.
KEPT_INFO = {"icc_profile", "transparency"}


class UploadRefused(ValueError):
    """A file that is not a photo we take; ``str()`` is the message to show."""


@dataclass(frozen=True)
class CleanImage:
    """A re-encoded photo, ready to be written: its bytes and file extension."""

    data: bytes
    extension: str


def _too_large() -> UploadRefused:
    return UploadRefused(
        _("This photo is too large (at most %(n)d megapixels).", n=MAX_PIXELS // 10**6)
    )


def _decode(data: bytes) -> tuple[Image.Image, str]:
    """The image in ``data``, fully loaded, and its format; or UploadRefused.

    The header is checked before any pixel is decoded, so a small file claiming a huge
    canvas (a decompression bomb) costs nothing.
    """
    not_a_photo = UploadRefused(_("Please upload a JPEG, PNG or WebP photo."))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind, (width, height) = probe.format, probe.size
            probe.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_large() from None
    except Exception:  # a crafted file can make a decoder raise nearly anything
        raise not_a_photo from None
    if kind not in FORMATS:
        raise not_a_photo
    if width * height > MAX_PIXELS:
        raise _too_large()
    try:
        image = Image.open(io.BytesIO(data))  # verify() leaves the probe unusable
        image.load()
    except Exception:
        raise not_a_photo from None
    return image, kind


def clean_image(stream: IO[bytes]) -> CleanImage:
    """Read an uploaded file and return it re-encoded, or raise UploadRefused."""
    data = stream.read(MAX_BYTES + 1)
    if not data:
        raise UploadRefused(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise UploadRefused(
            _("This file is too big (at most %(n)d MB).", n=MAX_BYTES // (1024 * 1024))
        )
    image, kind = _decode(data)
    # Phones store "rotate me" in EXIF; apply it before EXIF goes, or photos end up sideways.
    image = ImageOps.exif_transpose(image)
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    image.info = {k: v for k, v in image.info.items() if k in KEPT_INFO}
    out = io.BytesIO()
    if FORMATS[kind] == "jpg":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=85, optimize=True)
    elif kind == "PNG":
        image.save(out, "PNG", optimize=True)
    else:
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if image.has_transparency_data else "RGB")
        image.save(out, "WEBP", quality=85)
    return CleanImage(out.getvalue(), FORMATS[kind])


def save_image(image: CleanImage, folder: str | Path) -> str:
    """Write ``image`` under a new random name in ``folder``; returns the name."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{image.extension}"
    with (folder / name).open("xb") as file:  # "x": never overwrite, even on a collision
        file.write(image.data)
    return name


def discard_images(names: list[str], folder: str | Path) -> None:
    """Delete stored photos that are no longer used (a replaced cover, a removed photo),
    so a photo taken down is no longer reachable by its address either."""
    for name in names:
        (Path(folder) / Path(name).name).unlink(missing_ok=True)
