"""The resident's code: six digits that bind a rating link shown at the desk to the resident. Pure: no I/O.

A colleague at the desk may show a QR code, but a rating made through it counts only with the code that
went to the resident's own phone (the notification service sends it). Stored salted and hashed, valid
for a short time, tried a bounded number of times, so whoever holds the QR code cannot rate without the
resident.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from datetime import datetime
from enum import StrEnum

CODE_DIGITS = 6
_SALT_BYTES = 16


class CodeRefusal(StrEnum):
    """Why a code does not let a rating through; the value is the problem's reason code."""

    required = "resident_code_required"  # the link was shown at the desk: the form asks for the code
    wrong = "resident_code_invalid"
    expired = "resident_code_expired"
    exhausted = "resident_code_exhausted"  # too many wrong tries: ask for a new code


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def stored_form(code: str, salt: str | None = None) -> str:
    """`salt$sha256(salt:code)`: a database reader does not find the code in a table of six-digit hashes."""
    salt = salt if salt is not None else secrets.token_hex(_SALT_BYTES)
    return f"{salt}${hashlib.sha256(f'{salt}:{code}'.encode()).hexdigest()}"


def typed_code(text: str | None) -> str | None:
    """The six digits a person typed ("123 456", full-width "１２３４５６"), or None if it is not six digits."""
    if text is None:
        return None
    digits = "".join(unicodedata.normalize("NFKC", text).split()).replace("-", "")
    if len(digits) != CODE_DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def matches(stored: str, text: str | None) -> bool:
    code = typed_code(text)
    salt, separator, _ = stored.partition("$")
    if code is None or not separator:
        return False
    return hmac.compare_digest(stored_form(code, salt), stored)


def refusal_before_trying(
    text: str | None, expires_at: datetime | None, attempts: int, max_attempts: int, now: datetime
) -> CodeRefusal | None:
    """Whether a try may be spent at all: a missing code costs no try; a spent or old code is refused."""
    if text is None or not text.strip():
        return CodeRefusal.required
    if expires_at is None or expires_at <= now:
        return CodeRefusal.expired
    if attempts >= max_attempts:
        return CodeRefusal.exhausted
    return None
