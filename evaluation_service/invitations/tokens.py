"""Invitation tokens: 256 random bits, shown once, stored only as a SHA-256 hash.

A slow password hash is not needed: the token has 256 bits of entropy, so the hash cannot be reversed
by guessing, and a plain SHA-256 lets the database look the token up by an index.
"""

from __future__ import annotations

import hashlib
import re
import secrets

TOKEN_BYTES = 32
# token_urlsafe(32) is 43 characters of the URL-safe base64 alphabet.
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def well_formed(token: str) -> bool:
    """Anything else is refused without touching the database."""
    return bool(_TOKEN_SHAPE.match(token))
