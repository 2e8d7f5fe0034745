"""Calendar periods as lived in Shanghai, turned into UTC bounds for queries. Pure: no I/O."""

from __future__ import annotations

from datetime import UTC, datetime

from evaluation_service.reports.scoring import SHANGHAI, YearMonth

TREND_MONTHS = 24  # a year's ratings may arrive into the next year; beyond two years they are not charted


def month_start(month: YearMonth) -> datetime:
    """The first instant of ``month`` in Shanghai, in UTC."""
    return datetime(month.year, month.month, 1, tzinfo=SHANGHAI).astimezone(UTC)


def year_bounds(year: int) -> tuple[datetime, datetime]:
    return month_start(YearMonth(year, 1)), month_start(YearMonth(year + 1, 1))


def months_from(first: YearMonth, count: int) -> list[YearMonth]:
    months = [first]
    while len(months) < count:
        months.append(months[-1].following())
    return months
