"""The reader's language (Accept-Language) and times shown to people, with babel.

zh-CN is the default (the district's language); en is available. Times shown to people are in the
station's time zone (Asia/Shanghai), formatted for the reader's language: `12月5日 08:30`, `Dec 5, 08:30`.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime

from shared.localtime import LOCAL_TIME_ZONE_NAME

DEFAULT_LANGUAGE = "zh-CN"
LANGUAGES = ("zh-CN", "en")
# What babel negotiates among: every Chinese tag falls back to zh_CN, every English one to en.
_AVAILABLE = ("zh_CN", "zh", "en")
_BY_LOCALE = {"zh_CN": "zh-CN", "zh": "zh-CN", "en": "en"}
_MAX_TAGS = 20
DEFAULT_TIME_ZONE = LOCAL_TIME_ZONE_NAME

# The current request's language, for answers built away from the request (the body-limit refusals).
language_var: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)


@lru_cache(maxsize=512)
def negotiate(accept_language: str | None) -> str:
    """`zh-CN` or `en` for an Accept-Language header (q-values honoured; anything else: zh-CN)."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")[:_MAX_TAGS]):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        tag = tag.strip()
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, position, tag.replace("-", "_")))
    preferred = [tag for _, _, tag in sorted(ranked)]
    try:
        found = Locale.negotiate(preferred, list(_AVAILABLE), sep="_")
    except (ValueError, TypeError):
        found = None
    return _BY_LOCALE.get(str(found), DEFAULT_LANGUAGE) if found else DEFAULT_LANGUAGE


def babel_locale(language: str) -> str:
    return "en" if language == "en" else "zh_CN"


def local_time(moment: datetime, language: str, time_zone: str | None = None) -> str:
    """A moment as people read it: in the station's zone, month, day and time in the reader's language."""
    zone = ZoneInfo(time_zone or DEFAULT_TIME_ZONE)
    pattern = "MMM d, HH:mm" if language == "en" else "M月d日 HH:mm"
    return format_datetime(moment, pattern, tzinfo=zone, locale=babel_locale(language))


def language_of(headers: list[tuple[bytes, bytes]]) -> str:
    """The negotiated language of an ASGI scope's raw headers."""
    for name, value in headers:
        if name == b"accept-language":
            return negotiate(value.decode("latin-1"))
    return DEFAULT_LANGUAGE
