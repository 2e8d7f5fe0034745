"""QR codes for rating links, as inline SVG (segno: pure Python, no image library)."""

from __future__ import annotations

import segno


def qr_svg(url: str) -> str:
    """An SVG element the social worker's app can show as it is; error correction M survives a dirty screen."""
    return segno.make(url, error="m", micro=False).svg_inline(scale=6, border=2, dark="#000", light="#fff")


def qr_svg_data_uri(url: str) -> str:
    return segno.make(url, error="m", micro=False).svg_data_uri(scale=6, border=2)
