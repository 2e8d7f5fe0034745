"""Pure rules of residents' SMS notices: their texts (zh-CN), when the station opens next, phone numbers
as a key (never stored), opt-out replies, and when to try again. No I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import unicodedata
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date

from shared.business_calendar import DEFAULT_TIME_ZONE, BusinessCalendar, CalendarError


class NoticeKind(StrEnum):
    ticket_accepted = "ticket_accepted"
    ticket_resolved = "ticket_resolved"
    rating_link = "rating_link"
    rating_code = "rating_code"
    duplicate_linked = "duplicate_linked"  # the ticket joined another about the same matter (handovers)
    parent_resolved = "parent_resolved"  # ... and that one is now resolved


class MessageStatus(StrEnum):
    pending = "pending"  # waiting for its (next) attempt
    sent = "sent"  # the provider took it
    skipped = "skipped"  # not sent on purpose: no phone, opted out, turned off, link no longer available
    failed = "failed"  # the provider refused it, or every attempt failed


# Params a message must not keep once it is done with: the code counts as the resident's consent.
SECRET_PARAMS = {NoticeKind.rating_code: ("code",)}
OPT_OUT_KEYWORDS = frozenset({"TD", "退订", "STOP"})
OPT_OUT_FOOTER = "回复TD退订"

# The example station's published hours in the report, for a station whose copy carries none yet.
DEFAULT_OPENING_HOURS: dict[str, Any] = {
    "time_zone": DEFAULT_TIME_ZONE,
    "weekly_periods": [{"weekday": day, "opens": "08:30", "closes": "20:00"} for day in range(7)],
    "exceptions": [],
}

# Retries: exponential backoff with jitter, a bounded number of attempts.
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_MAX_SECONDS = 3600.0
MAX_ATTEMPTS = 8


# --- the phone as a key ------------------------------------------------------------------------------


def normalised_phone(value: str) -> str | None:
    """The national number (digits only, without +86/0086/86), or None when there are no digits.

    The ticket's contact and the provider's inbound callback may write one number differently
    (`+86 138-1234-5678`, `13812345678`): both must give the same opt-out key.
    """
    digits = "".join(str(unicodedata.digit(c)) for c in unicodedata.normalize("NFKC", value) if c.isdigit())
    if not digits:
        return None
    if len(digits) == 15 and digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def phone_key(secret: str, phone: str) -> str | None:
    """HMAC-SHA256 of the normalised number under the service's key: stored instead of the number."""
    number = normalised_phone(phone)
    if number is None:
        return None
    return hmac.new(secret.encode(), number.encode(), hashlib.sha256).hexdigest()


def opt_out_keyword(text: str) -> str | None:
    """The opt-out keyword the reply is ("td", " 退订 ", "Stop" count), or None for any other reply."""
    word = unicodedata.normalize("NFKC", text).strip().strip("。.!！").upper()
    return word if word in OPT_OUT_KEYWORDS else None


# --- retries -------------------------------------------------------------------------------------------


def retry_delay(attempts: int, rand: random.Random | None = None) -> timedelta:
    """Full-jitter exponential backoff after `attempts` failed tries (1 = the first failed)."""
    ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    chooser = rand or random
    return timedelta(seconds=ceiling / 2 + chooser.uniform(0, ceiling / 2))


def gives_up(attempts: int) -> bool:
    return attempts >= MAX_ATTEMPTS


# --- when the station opens ------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _calendar(serialised: str) -> BusinessCalendar:
    return BusinessCalendar.from_dict(json.loads(serialised))


def station_calendar(opening_hours: dict[str, Any] | None, time_zone: str | None = None) -> BusinessCalendar:
    hours = opening_hours or DEFAULT_OPENING_HOURS
    if time_zone and "time_zone" not in hours:
        hours = {**hours, "time_zone": time_zone}
    try:
        calendar = _calendar(json.dumps(hours, sort_keys=True))
    except CalendarError:
        calendar = None
    if calendar is None or not calendar.weekly_periods:
        return _calendar(json.dumps(DEFAULT_OPENING_HOURS, sort_keys=True))
    return calendar


def _clock(moment: datetime) -> str:
    return f"{moment.hour}:{moment.minute:02d}"


def _day(moment: datetime, today: datetime) -> str:
    days = (moment.date() - today.date()).days
    if days == 0:
        return "今天"
    if days == 1:
        return "明天"
    if days == 2:
        return "后天"
    return format_date(moment.date(), "M月d日EEEE", locale="zh_CN")


def opening_phrase(calendar: BusinessCalendar, now: datetime) -> str:
    """When the resident can come: "现在开放，今天20:00前" while open, else "今天9:00开放" / "明天8:30开放" /
    "12月7日星期一8:30开放", in the station's time zone."""
    local_now = now.astimezone(ZoneInfo(calendar.time_zone))
    if calendar.is_open(now):
        closes = calendar.current_period_end(now)
        if closes is not None:
            closes = closes.astimezone(local_now.tzinfo)
            return f"现在开放，{_day(closes, local_now)}{_clock(closes)}前"
        return "现在开放"
    opens = calendar.next_opening(now)
    if opens is None:
        return "开放时间请致电服务站"
    opens = opens.astimezone(local_now.tzinfo)
    return f"{_day(opens, local_now)}{_clock(opens)}开放"


# --- texts -----------------------------------------------------------------------------------------------


def render(kind: str, params: dict[str, Any]) -> str:
    """The message as the resident reads it (the provider adds the signature)."""
    station = params.get("station_name") or "家门口服务站"
    if kind == NoticeKind.ticket_accepted:
        staff = params.get("staff_name") or "服务站工作人员"
        return f"您在{station}提出的事项已受理，由{staff}负责办理。服务站{params.get('opening', '')}。{OPT_OUT_FOOTER}"
    if kind == NoticeKind.ticket_resolved:
        return f"您在{station}提出的事项已办结。如有疑问请联系服务站。{OPT_OUT_FOOTER}"
    if kind == NoticeKind.duplicate_linked:
        return f"您在{station}提出的事项与另一件相同事项合并办理，办结时将通知您。{OPT_OUT_FOOTER}"
    if kind == NoticeKind.parent_resolved:
        return f"您在{station}提出的事项已随合并办理的相同事项一并办结。如有疑问请联系服务站。{OPT_OUT_FOOTER}"
    if kind == NoticeKind.rating_link:
        link, until = params.get("url", ""), params.get("valid_until", "")
        return f"请为{station}的服务评价：{link} {until}前有效。{OPT_OUT_FOOTER}"
    if kind == NoticeKind.rating_code:
        return (
            f"您的服务评价验证码为{params.get('code', '')}，{params.get('valid_minutes', 30)}分钟内有效，"
            "请仅在当面评价时告知服务站工作人员。"
        )
    raise ValueError(f"unknown notice kind {kind!r}")


def template_params(kind: str, params: dict[str, Any]) -> dict[str, str]:
    """What a template-based gateway fills in: the stored params that the template shows, as strings."""
    names = {
        NoticeKind.ticket_accepted: ("station_name", "staff_name", "opening"),
        NoticeKind.ticket_resolved: ("station_name",),
        NoticeKind.duplicate_linked: ("station_name",),
        NoticeKind.parent_resolved: ("station_name",),
        NoticeKind.rating_link: ("station_name", "url", "valid_until"),
        NoticeKind.rating_code: ("code", "valid_minutes"),
    }[NoticeKind(kind)]
    return {name: str(params.get(name) or "") for name in names}


def valid_until(moment: datetime, time_zone: str = DEFAULT_TIME_ZONE) -> str:
    return format_date(moment.astimezone(ZoneInfo(time_zone)).date(), "M月d日", locale="zh_CN")


def without_secrets(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    secret = SECRET_PARAMS.get(NoticeKind(kind), ())
    return {key: value for key, value in params.items() if key not in secret}
