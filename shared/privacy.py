"""Masking personal information for display: pure functions, no I/O, no domain.

A phone number keeps its first three and last four digits (138****5678), a name its first character
(张**), an e-mail address its first character and its domain (w***@example.org). Free text gets every
phone-number-like run (mobile, landline, long digit runs such as ID numbers) and e-mail address masked
the same way. Masking keeps the length and every separator, so a masked value still reads as what it is.
Odd input (empty, one character, no digits) never raises: it comes back masked as far as it can be.
"""

from __future__ import annotations

import re

MASK = "*"

# Kept around a masked phone number: the head of the national number and its tail.
_HEAD = 3
_TAIL = 4

_EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
_PHONE_IN_TEXT = (
    r"(?:\+|00)\d{1,3}[ -]?1[3-9]\d(?:[ -]?\d{4}){2}"  # +86 138 1234 5678
    r"|1[3-9]\d(?:[ -]?\d{4}){2}"  # 138 1234 5678, 138-1234-5678
    r"|\(0\d{2,3}\) ?\d{7,8}"  # (021) 58880001
    r"|0\d{2,3}[ -]\d{7,8}"  # 021-58880001
    r"|\d{7,}[Xx]?"  # any long digit run: a landline, an ID card number, a bank card
)
_IN_TEXT = re.compile(rf"(?<![\d@.])(?:(?P<email>{_EMAIL})|(?P<phone>{_PHONE_IN_TEXT}))(?!\d)")


def _country_code_length(value: str, digits: str) -> int:
    """How many leading digits are a country code (kept visible: they identify nobody)."""
    stripped = value.lstrip()
    if stripped.startswith("+") and len(digits) > 11:
        return min(len(digits) - 11, 3)
    if stripped.startswith("00") and len(digits) > 13:
        return min(len(digits) - 11, 5)
    if len(digits) == 13 and digits.startswith("861"):
        return 2
    return 0


def mask_phone(value: str) -> str:
    """138****5678; +86 138 **** 5678; 021-****0001. Under eight digits every digit is masked."""
    digits = "".join(character for character in value if character.isdigit())
    country = _country_code_length(value, digits)
    national = len(digits) - country
    if national >= 11:
        visible = set(range(country + _HEAD)) | set(range(len(digits) - _TAIL, len(digits)))
    elif national >= 8:
        visible = set(range(country)) | set(range(len(digits) - _TAIL, len(digits)))
    else:
        visible = set(range(country))
    masked: list[str] = []
    position = 0
    for character in value:
        if character.isdigit():
            masked.append(character if position in visible else MASK)
            position += 1
        elif character.isalpha():
            masked.append(MASK)  # a phone number has no letters: whatever they are, they are not shown
        else:
            masked.append(character)
    return "".join(masked)


def mask_name(value: str) -> str:
    """张小明 -> 张**, 王 阿姨 -> 王 **; a one-character name is masked whole. Whitespace is kept."""
    visible_characters = sum(1 for character in value if not character.isspace())
    if visible_characters <= 1:
        return "".join(character if character.isspace() else MASK for character in value)
    masked: list[str] = []
    first_kept = False
    for character in value:
        if character.isspace():
            masked.append(character)
        elif not first_kept:
            masked.append(character)
            first_kept = True
        else:
            masked.append(MASK)
    return "".join(masked)


def mask_email(value: str) -> str:
    """wang@example.org -> w***@example.org; without an @ it is masked like a name."""
    local, at, domain = value.rpartition("@")
    if not at or not local:
        return mask_name(value)
    return local[0] + MASK * (len(local) - 1) + at + domain


def mask_text(text: str) -> str:
    """Free text with every phone-number-like run and e-mail address masked; the rest unchanged."""

    def replace(match: re.Match[str]) -> str:
        if match.group("email") is not None:
            return mask_email(match.group("email"))
        return mask_phone(match.group("phone"))

    return _IN_TEXT.sub(replace, text)
