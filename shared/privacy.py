"""Masking personal information for display: pure functions, no I/O, no domain.

A phone number keeps its first three and last four digits (138****5678), a name its first character
(张**), an e-mail address its first character and its domain (w***@example.org). Free text gets every
phone-number-like run (mobile, landline, long digit runs such as ID numbers), every e-mail address and
every name it is given masked the same way. Masking keeps the length and every separator, so a masked
value still reads as what it is. Odd input (empty, one character, no digits) never raises: it comes back
masked as far as it can be.

Mainland mobile numbers (11 digits, 1[3-9]...) are found however they are written: glued to any text
(`Tel.13800002222`, `x@138...`), split by any run of up to four separators (spaces of any width, `-`,
`.`, `/`, `·`, their full-width forms) or by invisible characters (zero-width spaces and joiners, BOM,
soft hyphens, bidi marks, combining marks: any number of them), in full-width or other decimal digits,
after `+86`, `0086` or `86`. Dates with a 19xx/20xx year (1985-06-12, 1999.1.2) are never read as part
of a phone number, and neither comma-grouped amounts (1,200元) nor times (13:45) chain into one, so
ordinary text survives.

A home is personal too: every flat, room, building, unit, floor or house number in free text is masked
(`住东昌路123弄4号502室` -> `住东昌路***弄*号***室`), so the road stays readable and the door does not;
a day of the month (`12月4号`) and numbers with other units (3天, 500元) stay as they are.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

MASK = "*"

# Kept around a masked phone number: the head of the national number and its tail.
_HEAD = 3
_TAIL = 4
# A name this short (after whitespace) is not looked for in free text: one character is everywhere.
MIN_NAME_LENGTH = 2

# Invisible characters that a reader does not see and a copy-paste keeps: format characters (zero-width
# space/joiners, word joiner, BOM, soft hyphen, bidi marks) and combining marks. They are looked through
# when looking for a number or a name, and kept (or masked) in place in the output.
_IGNORABLE_CATEGORIES = frozenset({"Cf", "Mn", "Me"})
_IGNORABLE_CLASS = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\ufe00-\ufe0f\ufeff\u0300-\u036f"
)
# Punctuation folded to its ASCII form before looking (full-width and typographic variants).
_FOLD = str.maketrans(
    {
        "\uff0d": "-",  # －
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\ufe63": "-",
        "\u30fc": "-",  # ー
        "\uff0e": ".",  # ．
        "\u3002": ".",  # 。 (a resident typing 138。0000。2222 on a Chinese keyboard)
        "\u00b7": ".",  # ·
        "\u30fb": ".",  # ・
        "\u2027": ".",
        "\uff0f": "/",  # ／
        "\uff08": "(",
        "\uff09": ")",
        "\uff0b": "+",
    }
)

_SEPARATOR = r"[\s\-./_]"
_SEPARATORS = _SEPARATOR + "{0,4}"
# +86 / 0086 / 86 before the number: kept visible by mask_phone, but part of the match so that 0086 is
# not taken for a landline's area code.
_COUNTRY = r"(?:(?:\+|00)?" + _SEPARATORS + r"86" + _SEPARATORS + r"|\(\+?86\)" + _SEPARATORS + r")?"
_MOBILE = _COUNTRY + r"1" + _SEPARATORS + r"[3-9]" + (r"(?:" + _SEPARATORS + r"[0-9])") + "{9}"
_MOBILE_ALONE = re.compile(_MOBILE)
_LANDLINE = (
    r"\(0[0-9]{2,3}\)" + _SEPARATORS + r"[0-9]{3,4}" + _SEPARATOR + r"?[0-9]{4}"  # (021) 5888 0001
    r"|0[0-9]{2,3}" + _SEPARATOR + r"{1,3}[0-9]{3,4}" + _SEPARATOR + r"?[0-9]{4}"  # 021-58880001, 021 5888 0001
)
_PHONE_IN_TEXT = re.compile(
    r"(?<![0-9])(?:"
    # Mobiles, several when they are glued to each other (13800002222 13900003333 or no gap at all).
    rf"(?P<mobiles>{_MOBILE}(?:{_SEPARATORS}{_MOBILE})*)"
    rf"|{_LANDLINE}"
    r"|[0-9]{7,}[Xx]?"  # an ID card, a bank card, a landline without its area code
    r")(?![0-9])"
)
# A date is not a phone number, even next to another number (出生1956.03.12 101室). A date written
# without its zeros (1961-5-2) is one only when no digits join it across separators: 130-1961-5-2-10 is
# a number split at random.
_DATE = re.compile(
    r"(?<![0-9])(?:19|20)[0-9]{2}(?P<separator>[-./])(?P<month>0?[1-9]|1[0-2])(?P=separator)"
    r"(?P<day>0?[1-9]|[12][0-9]|3[01])(?![0-9])"
)
_JOINED_BEFORE = re.compile(r"[0-9]" + _SEPARATOR + r"{1,4}\Z")
_JOINED_AFTER = re.compile(_SEPARATOR + r"{1,4}[0-9]")
_DATE_STAND_IN = "#"
# Any decimal digit, of any script (`str.isdecimal`'s set), looked for at the regex engine's speed: most
# free text has none, and then holds no phone number.
_ANY_DIGIT = re.compile(r"\d")
_EMAIL = re.compile(
    # `*` belongs to both parts: phone numbers inside an address were masked before addresses are.
    r"(?<![A-Za-z0-9._%+*-])[A-Za-z0-9._%+*-]+@[A-Za-z0-9*-]+(?:\.[A-Za-z0-9*-]+)*\.[A-Za-z]{2,}"
)


def _digit_value(character: str) -> str:
    return str(unicodedata.digit(character))


def _country_code_length(value: str, digits: str) -> int:
    """How many leading digits are a country code (kept visible: they identify nobody)."""
    stripped = value.lstrip().translate(_FOLD)
    if stripped.startswith("+") and len(digits) > 11:
        return min(len(digits) - 11, 3)
    if stripped.startswith("00") and len(digits) > 13:
        return min(len(digits) - 11, 5)
    if len(digits) == 13 and digits.startswith("861"):
        return 2
    return 0


def mask_phone(value: str) -> str:
    """138****5678; +86 138 **** 5678; 021-****0001. Under eight digits every digit is masked."""
    digits = "".join(_digit_value(character) for character in value if character.isdigit())
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


def _searchable(text: str) -> tuple[str, list[int] | None]:
    """The text as the phone patterns read it, and where each of its characters stands in the text.

    Invisible characters are left out, every decimal digit becomes its ASCII digit and full-width
    punctuation its ASCII form; dates become stand-ins so that no number chains through them.
    """
    if text.isascii():
        view, positions = text, None
    else:
        characters: list[str] = []
        kept: list[int] = []
        for position, character in enumerate(text):
            if unicodedata.category(character) in _IGNORABLE_CATEGORIES:
                continue
            if character.isdecimal():
                character = _digit_value(character)
            characters.append(character)
            kept.append(position)
        view, positions = "".join(characters).translate(_FOLD), kept
    if _DATE.search(view):
        view = _DATE.sub(lambda match: _DATE_STAND_IN * len(match.group()) if _is_date(match) else match.group(), view)
    return view, positions


def _is_date(match: re.Match[str]) -> bool:
    if len(match.group("month")) == 2 and len(match.group("day")) == 2:
        return True
    text, start, end = match.string, match.start(), match.end()
    joined = _JOINED_BEFORE.search(text, max(0, start - 5), start) or _JOINED_AFTER.match(text, end)
    return joined is None


def _phone_spans(text: str) -> list[tuple[int, int]]:
    """Where the phone numbers (and ID-like digit runs) stand in the text, in order."""
    if _ANY_DIGIT.search(text) is None:
        return []
    view, positions = _searchable(text)

    def original(start: int, end: int) -> tuple[int, int]:
        """Where a span of the view stands in the text (invisible characters inside it included)."""
        return (positions[start], positions[end - 1] + 1) if positions is not None else (start, end)

    spans: list[tuple[int, int]] = []
    for match in _PHONE_IN_TEXT.finditer(view):
        if match.group("mobiles") is None:
            spans.append(original(*match.span()))
        else:  # each mobile masked as one: its own head and tail kept, not the run's
            spans.extend(original(*mobile.span()) for mobile in _MOBILE_ALONE.finditer(view, *match.span()))
    return spans


def _mask_phones(text: str, spans: list[tuple[int, int]]) -> str:
    pieces: list[str] = []
    done = 0
    for start, end in spans:
        pieces.append(text[done:start])
        pieces.append(mask_phone(text[start:end]))
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


def _mask_emails(text: str) -> str:
    if "@" not in text:
        return text
    return _EMAIL.sub(lambda match: mask_email(match.group()), text)


def _name_pattern(name: str) -> str:
    """A name as it may stand in text: any whitespace or invisible characters between its characters,
    any case; a Latin name only as a whole word (Li Na is not in Carolina)."""
    characters = [character for character in name if not character.isspace()]
    between = rf"[\s{_IGNORABLE_CLASS}]*"
    pattern = between.join(re.escape(character) for character in characters)
    if characters[0].isascii() and characters[0].isalnum():
        pattern = r"(?<![A-Za-z0-9])" + pattern
    if characters[-1].isascii() and characters[-1].isalnum():
        pattern = pattern + r"(?![A-Za-z0-9])"
    return pattern


def _names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    wanted = {
        name.strip()
        for name in names
        if name and sum(1 for character in name if not character.isspace()) >= MIN_NAME_LENGTH
    }
    if not wanted:
        return None
    return _compiled_names(frozenset(wanted))


@functools.lru_cache(maxsize=1024)
def _compiled_names(wanted: frozenset[str]) -> re.Pattern[str]:
    """The pattern of a set of names, compiled once: a list masks each row's names in four or five fields."""
    # Longest first: at one position the alternation takes the first that matches (欧阳娜娜 before 欧阳).
    ordered = sorted(wanted, key=lambda name: (-len(name), name))
    return re.compile("|".join(_name_pattern(name) for name in ordered), re.IGNORECASE)


def _mask_names(text: str, names: Iterable[str]) -> str:
    pattern = _names_pattern(names)
    if pattern is None:
        return text
    return pattern.sub(lambda match: mask_name(match.group()), text)


# Chinese numerals as written in addresses (一百二十三弄, 五〇二室) and the units that follow a door's number.
CHINESE_NUMERALS = "零〇一二三四五六七八九十百千两壹贰叁肆伍陆柒捌玖拾佰仟"
ADDRESS_UNITS = "号|弄|支弄|室|栋|幢|座|单元|楼|层|户"
# A number (or a building letter) with an address unit after it ("123弄4号502室", "3栋2单元", "A座"); not a
# day of the month (12月4号, 十二月四号).
_NUMBERED_UNIT = re.compile(
    rf"(?<![月\d{CHINESE_NUMERALS}])"
    rf"(?:\d+(?:[-－]\d+)*[A-Za-z]?|(?<![A-Za-z])[A-Za-z]|[{CHINESE_NUMERALS}]+)(?=\s*(?:{ADDRESS_UNITS}))"
)


def mask_door_numbers(text: str) -> str:
    """Free text with every flat, room, building, unit or house number masked (`502室` -> `***室`)."""
    return _NUMBERED_UNIT.sub(lambda match: MASK * len(match.group(0)), text)


def mask_text(text: str, names: Iterable[str] = ()) -> str:
    """Free text with every phone-number-like run, e-mail address, door number and occurrence of the given
    names (the resident's, their household's) masked; the rest unchanged, the length kept."""
    phones = _phone_spans(text)
    masked = _mask_names(_mask_emails(_mask_phones(text, phones)), names)
    # Door numbers are looked for in the text as written (every masker keeps the length); a number that
    # is part of a phone (`13800002222号`) keeps the phone's masked form (138****2222).
    for match in _NUMBERED_UNIT.finditer(text):
        start, end = match.span()
        if not any(start < phone_end and phone_start < end for phone_start, phone_end in phones):
            masked = masked[:start] + MASK * (end - start) + masked[end:]
    return masked


def contains_personal_data(text: str, names: Iterable[str] = ()) -> bool:
    """Whether masking would hide anything in the text: a phone number, an ID, an e-mail, a name."""
    return mask_text(text, names) != text
