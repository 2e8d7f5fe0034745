"""Pure rules of push: what a device registration must hold, how a device's address is shown and keyed,
what a push carries, and when to try again. No I/O."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import random
from datetime import timedelta
from typing import Any

from shared.rules import InvalidInput

# What a push carries: its text is cut so the encrypted record stays within Web Push's 4 KB.
MAX_TITLE = 120
MAX_BODY = 400


def _base64url(value: str) -> bytes:
    text = value.strip()
    if not text or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=" for c in text):
        raise ValueError(value)
    return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))


def check_web_push_keys(p256dh: str, auth: str) -> None:
    """The browser's keys as the Push API gives them: base64url, an uncompressed P-256 point (65 bytes
    starting 0x04) and a 16-byte auth secret. Anything else could never be encrypted to."""
    try:
        point = _base64url(p256dh)
    except (ValueError, binascii.Error):
        point = b""
    if len(point) != 65 or point[0] != 4:
        raise InvalidInput(
            "subscription.keys.p256dh", "invalid_push_key", "An uncompressed P-256 public key, base64url (65 bytes)."
        )
    try:
        secret = _base64url(auth)
    except (ValueError, binascii.Error):
        secret = b""
    if len(secret) != 16:
        raise InvalidInput("subscription.keys.auth", "invalid_push_key", "A 16-byte auth secret, base64url.")


def address_hash(platform: str, address: str) -> str:
    """The unique key of a device: one endpoint or token is one device, whoever registered it."""
    return hashlib.sha256(f"{platform}\n{address}".encode()).hexdigest()


def mask_address(address: str) -> str:
    """A device's endpoint or token as lists show it: enough to tell two apart, not enough to push.

    A Web Push endpoint shows its origin and the last 4 characters of its secret path
    (`https://push.example…/…f3a9`); a token only its last 4 (`…f3a9`)."""
    tail = address[-4:] if len(address) >= 12 else ""
    if address.startswith(("https://", "http://")):
        scheme, _, rest = address.partition("://")
        host = rest.split("/", 1)[0]
        return f"{scheme}://{host}/…{tail}"
    return f"…{tail}"


def payload(*, feed_item_id: str, title: str, body: str, url: str | None, urgent: bool, sent_at: str) -> dict[str, Any]:
    """What a device receives (JSON): enough for the notification, the rest is in the feed."""
    return {
        "feed_item_id": feed_item_id,
        "title": title[:MAX_TITLE],
        "body": body[:MAX_BODY],
        "url": url,
        "urgent": urgent,
        "sent_at": sent_at,
    }


def payload_bytes(value: dict[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def retry_delay(
    attempts: int, *, base_seconds: float, max_seconds: float, rng: random.Random | None = None
) -> timedelta:
    """Delay before the next attempt after `attempts` failed ones: jitter under a cap that doubles."""
    cap = min(max_seconds, base_seconds * (2 ** min(max(attempts - 1, 0), 30)))
    spread = (rng or random).uniform(0.5, 1.0)  # at least half the cap, so a retry never comes at once
    return timedelta(seconds=cap * spread)


def gives_up(attempts: int, max_attempts: int) -> bool:
    return attempts >= max_attempts
