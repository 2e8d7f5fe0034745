"""What an attachment may be, and how its download links are signed. Pure rules: no I/O.

A file's type is read from its first bytes, never from its name or the declared content type: JPEG, PNG,
HEIC (an ISO-BMFF `ftyp` box with a HEIC brand) and PDF, at most `MAX_FILE_BYTES` each. A download link
carries its expiry and an HMAC-SHA256 of (attachment, variant, expiry) under the service's key: a changed
id, variant or expiry breaks the signature (403), a good signature past its expiry is gone (410).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# 10 MiB a file; the whole form may carry a little more (the other field, the part headers).
MAX_FILE_BYTES = 10 * 1024 * 1024
FORM_OVERHEAD_BYTES = 64 * 1024
MAX_FORM_BYTES = MAX_FILE_BYTES + FORM_OVERHEAD_BYTES
# A photo of a broken stair light needs no more; a decompression bomb is refused before it is decoded.
MAX_IMAGE_PIXELS = 50_000_000
# How many bytes `sniff` needs to tell the type.
SNIFF_BYTES = 32

# HEIF brands of HEVC-coded images (ISO/IEC 23008-12); `mif1`/`msf1` are generic HEIF and need a HEVC
# brand among the compatible ones (AVIF also says `mif1`, and is not accepted).
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"})
_GENERIC_HEIF = frozenset({b"mif1", b"msf1"})


class FileKind(StrEnum):
    JPEG = "image/jpeg"
    PNG = "image/png"
    HEIC = "image/heic"
    PDF = "application/pdf"

    @property
    def is_image(self) -> bool:
        return self is not FileKind.PDF


def _heic(head: bytes) -> bool:
    if len(head) < 16 or head[4:8] != b"ftyp":
        return False
    box_size = int.from_bytes(head[:4], "big")
    major = head[8:12]
    if major in _HEIC_BRANDS:
        return True
    if major not in _GENERIC_HEIF:
        return False
    # Compatible brands follow the major brand and the minor version, up to the box's end.
    end = min(box_size, len(head)) if box_size >= 16 else len(head)
    compatible = {head[offset : offset + 4] for offset in range(16, end - 3, 4)}
    return bool(compatible & _HEIC_BRANDS)


def sniff(head: bytes) -> FileKind | None:
    """The file's kind from its first bytes (at least `SNIFF_BYTES` where the file has them), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return FileKind.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileKind.PNG
    if head.startswith(b"%PDF-"):
        return FileKind.PDF
    if _heic(head):
        return FileKind.HEIC
    return None


def stored_type(kind: FileKind) -> str:
    """The content type kept and served: HEIC is converted to JPEG (every browser and app shows JPEG)."""
    return FileKind.JPEG.value if kind is FileKind.HEIC else kind.value


def fits(width: int, height: int) -> bool:
    return 0 < width and 0 < height and width * height <= MAX_IMAGE_PIXELS


# --- signed download links --------------------------------------------------------------------------


class Variant(StrEnum):
    """Which copy a link serves: the handlers' copy (orientation kept, no other EXIF)."""

    PRIVATE = "private"


class LinkState(StrEnum):
    VALID = "valid"
    TAMPERED = "tampered"  # 403: the signature does not match what the link says
    EXPIRED = "expired"  # 410: a link this service made, past its time


@dataclass(frozen=True)
class SignedLink:
    expires: int  # seconds since the epoch
    signature: str


def _message(attachment_id: str, variant: str, expires: int) -> bytes:
    return f"{attachment_id}\n{variant}\n{expires}".encode()


def sign(key: bytes, attachment_id: str, variant: str, expires: int) -> SignedLink:
    digest = hmac.new(key, _message(attachment_id, variant, expires), hashlib.sha256).digest()
    return SignedLink(expires, base64.urlsafe_b64encode(digest).decode().rstrip("="))


def link_state(key: bytes, attachment_id: str, variant: str, expires: int, signature: str, now: float) -> LinkState:
    """Tampering is told before expiry: a forged link learns nothing of whether it would have expired."""
    expected = sign(key, attachment_id, variant, expires).signature
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return LinkState.TAMPERED
    return LinkState.EXPIRED if now >= expires else LinkState.VALID


def expiry(now: float, ttl_seconds: int) -> int:
    """A link's expiry, whole seconds after `now`."""
    return int(now) + ttl_seconds


def derive_key(secret: str, purpose: str = "ticket-attachment-links") -> bytes:
    """The link-signing key: its own key for this purpose, never the raw token secret."""
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


# --- Open311 -----------------------------------------------------------------------------------------


def public_media_url(public_urls: list[str], intake_urls: list[str], *, integration: bool) -> str | None:
    """Open311 `media_url`: the public-safe copy of a photo the resident allowed to be shown; an integration
    with a key also gets the URL given at intake (as before) when there is no such copy. Never a PDF, never
    a photo the resident did not allow (those have no public copy at all)."""
    if public_urls:
        return public_urls[0]
    if integration and intake_urls:
        return intake_urls[0]
    return None


def media_at(copies: list[tuple[datetime, str]], at: datetime) -> str:
    """An Open311 update's `media_url`: the latest public-safe copy uploaded at or before the update (the
    photo as it stood then), else empty. `copies` oldest first."""
    shown = [url for uploaded_at, url in copies if uploaded_at <= at]
    return shown[-1] if shown else ""
