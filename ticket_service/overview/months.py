"""A calendar year's months in Shanghai as UTC instants. Pure, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def month_starts(year: int) -> list[datetime]:
    """The first instant of each month of `year` in Shanghai, in UTC, and of the next January (13 edges)."""
    edges = [datetime(year, month, 1, tzinfo=SHANGHAI) for month in range(1, 13)]
    edges.append(datetime(year + 1, 1, 1, tzinfo=SHANGHAI))
    return [edge.astimezone(UTC) for edge in edges]


def year_of(now: datetime) -> int:
    return now.astimezone(SHANGHAI).year
