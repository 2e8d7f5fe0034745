"""Photos re-encoded without what they say about the resident. Pure (bytes in, bytes out), no I/O.

The handlers' copy keeps the pixels and the EXIF orientation, and nothing else of the EXIF: no GPS
location, no camera serial, no time. It is re-encoded (not edited in place), so XMP packets, PNG text
chunks and JPEG comments, which may carry a location too, are not written either; the colour profile
is kept. HEIC is decoded by pillow-heif and stored as JPEG.

The public-safe copy (only where the resident allowed it) has the orientation applied to its pixels
and no EXIF, no profile, no metadata of any kind, at most `PUBLIC_MAX_SIDE` pixels a side.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from ticket_service.attachments.rules import FileKind, fits

try:  # HEIC: pillow-heif registers its decoder with Pillow
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIC_SUPPORTED = True
except ImportError:  # pragma: no cover - declared in pyproject; without it HEIC is refused, not stored raw
    HEIC_SUPPORTED = False

ORIENTATION_TAG = 0x0112
JPEG_QUALITY = 90
PUBLIC_MAX_SIDE = 1600
_PILLOW_FORMATS = {FileKind.JPEG: "JPEG", FileKind.PNG: "PNG", FileKind.HEIC: "HEIF"}


class UnreadableImage(ValueError):
    """The bytes claim an image type but do not decode as one."""


class TooManyPixels(ValueError):
    """The image is larger than MAX_IMAGE_PIXELS (a decompression bomb, or no phone photo)."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str


def _open(data: bytes, kind: FileKind) -> Image.Image:
    if kind is FileKind.HEIC and not HEIC_SUPPORTED:
        raise UnreadableImage("HEIC cannot be decoded here")
    try:
        image = Image.open(io.BytesIO(data), formats=[_PILLOW_FORMATS[kind]])
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise UnreadableImage(str(error)) from error
    if not fits(image.width, image.height):
        raise TooManyPixels(f"{image.width}x{image.height}")
    try:
        image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise UnreadableImage(str(error)) from error
    return image


def _encode(image: Image.Image, kind: FileKind, *, exif: Image.Exif | None, icc: bytes | None) -> CleanImage:
    out = io.BytesIO()
    options: dict[str, object] = {}
    if exif is not None:
        options["exif"] = exif
    if icc:
        options["icc_profile"] = icc
    if kind is FileKind.PNG:
        image.save(out, format="PNG", optimize=False, **options)
        return CleanImage(out.getvalue(), FileKind.PNG.value)
    if image.mode not in ("RGB", "L", "CMYK"):
        image = image.convert("RGB")
    image.save(out, format="JPEG", quality=JPEG_QUALITY, **options)
    return CleanImage(out.getvalue(), FileKind.JPEG.value)


def private_copy(data: bytes, kind: FileKind) -> CleanImage:
    """The handlers' copy: the same pixels, the EXIF orientation alone kept (HEIC as JPEG, already upright)."""
    image = _open(data, kind)
    icc = image.info.get("icc_profile")
    exif = None
    orientation = image.getexif().get(ORIENTATION_TAG)
    if kind is FileKind.HEIC:
        image = ImageOps.exif_transpose(image)  # libheif applied its transforms; any EXIF turn is baked in
    elif isinstance(orientation, int) and 1 < orientation <= 8:
        exif = Image.Exif()
        exif[ORIENTATION_TAG] = orientation
    return _encode(image, kind, exif=exif, icc=icc)


def public_copy(data: bytes, kind: FileKind) -> CleanImage:
    """The public-safe copy: upright pixels, smaller, and no metadata at all; always JPEG."""
    image = ImageOps.exif_transpose(_open(data, kind))
    image.thumbnail((PUBLIC_MAX_SIDE, PUBLIC_MAX_SIDE))
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    return _encode(image, FileKind.JPEG, exif=None, icc=None)
