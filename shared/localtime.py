"""The deployment's local time zone: the wall clock of the district the system serves.

Times are stored and sent in UTC; a person's day, month and opening hours are read in this zone. It is
defined once here (the district is in Shanghai's zone, which has no daylight saving time); a station may
still carry its own zone in its opening hours, and then that one wins.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

LOCAL_TIME_ZONE_NAME: Final = "Asia/Shanghai"
LOCAL_TIME_ZONE: Final = ZoneInfo(LOCAL_TIME_ZONE_NAME)


def local_today(now: datetime) -> date:
    """The local date at an aware instant."""
    return now.astimezone(LOCAL_TIME_ZONE).date()


def as_local(value: datetime) -> datetime:
    """A naive datetime read as local wall-clock time; an aware one as it is."""
    return value.replace(tzinfo=LOCAL_TIME_ZONE) if value.tzinfo is None else value
