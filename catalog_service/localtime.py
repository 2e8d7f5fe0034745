"""Local dates in the district's time zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai_today(now: datetime) -> date:
    return now.astimezone(SHANGHAI).date()
