"""A day's exception for many stations at once. Pure: no I/O."""

from __future__ import annotations

from datetime import date
from typing import Any

from catalog_service.stations import hours
from shared.business_calendar import BusinessCalendar, CalendarError
from shared.errors import Unprocessable


def day_periods(day: date, closed: bool, periods: list[dict[str, str]]) -> list[dict[str, str]]:
    """The periods the exception stores: none when closed, the given hours (at least one) when open.

    Checked alone first, so errors name the body's own fields (periods[1].closes).
    """
    if closed and periods:
        raise Unprocessable(
            "A closed day has no hours: send closed false to open it.", field="periods", code="closed_with_periods"
        )
    if not closed and not periods:
        raise Unprocessable("An open day needs its hours.", field="periods", code="periods_required")
    try:
        BusinessCalendar.from_dict({"weekly_periods": [], "exceptions": [{"day": day.isoformat(), "periods": periods}]})
    except CalendarError as error:
        field = error.field.replace("exceptions[0].", "", 1)
        raise Unprocessable(f"Invalid periods: {error}", field=field, code=error.reason) from error
    return periods


def with_day(
    opening_hours: dict[str, Any], day: date, periods: list[dict[str, str]], note: str | None
) -> dict[str, Any]:
    """The station's stored hours with the day's exception set (replacing the station's own for that day)."""
    return hours.normalise(hours.with_exception(opening_hours, day, periods, note))[1]


def without_day(opening_hours: dict[str, Any], day: date) -> dict[str, Any] | None:
    """The stored hours without the day's exception; None when the station had none that day."""
    if not any(item["day"] == day.isoformat() for item in opening_hours.get("exceptions", [])):
        return None
    return hours.normalise(hours.without_exception(opening_hours, day))[1]
