"""Availability windows, lead times and capacity of resources. Pure rules: no I/O, no clock.

A window is a date range (both ends included) and the weekdays within it on which the resource can be
booked (bit 0 = Monday ... bit 6 = Sunday, as ``date.weekday()``). Capacity counts units per date.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

ALL_WEEKDAYS = 0b1111111
WEEKDAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_WINDOW_DAYS = 5 * 366


class AvailabilityError(ValueError):
    def __init__(self, field: str, reason: str, detail: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(detail)


@dataclass(frozen=True, slots=True)
class Window:
    starts_on: date
    ends_on: date
    weekdays: int = ALL_WEEKDAYS

    def contains(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on and bool(self.weekdays & (1 << day.weekday()))


def weekday_mask(weekdays: Iterable[int] | None, field: str = "weekdays") -> int:
    if weekdays is None:
        return ALL_WEEKDAYS
    mask = 0
    for position, weekday in enumerate(weekdays):
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise AvailabilityError(f"{field}[{position}]", "weekday_out_of_range", "weekdays are 0 (Monday) to 6")
        mask |= 1 << weekday
    if mask == 0:
        raise AvailabilityError(field, "no_weekday", "a window needs at least one weekday")
    return mask


def weekdays_of(mask: int) -> list[int]:
    return [weekday for weekday in range(7) if mask & (1 << weekday)]


def check_windows(windows: Sequence[Window], field: str = "availability") -> None:
    """At least one window; each ends on or after it starts, spans at most five years, and opens some day."""
    if not windows:
        raise AvailabilityError(field, "required", "a resource needs at least one availability window")
    for position, window in enumerate(windows):
        if window.ends_on < window.starts_on:
            raise AvailabilityError(f"{field}[{position}].ends_on", "ends_before_start", "ends_on precedes starts_on")
        if (window.ends_on - window.starts_on).days > MAX_WINDOW_DAYS:
            raise AvailabilityError(f"{field}[{position}].ends_on", "window_too_long", "at most five years")
        if not window.weekdays & ALL_WEEKDAYS:
            raise AvailabilityError(f"{field}[{position}].weekdays", "no_weekday", "at least one weekday")


def available_on(windows: Iterable[Window], day: date) -> bool:
    return any(window.contains(day) for window in windows)


def earliest_bookable(today: date, lead_time_days: int) -> date:
    """The first date a request made `today` may ask for: the provider needs `lead_time_days` to prepare."""
    return today + timedelta(days=lead_time_days)


def remaining(capacity: int, reserved: int) -> int:
    return max(0, capacity - reserved)


def fits(capacity: int, reserved: int, quantity: int) -> bool:
    """A new booking of `quantity` fits beside `reserved` units: the capacity is never exceeded."""
    return quantity >= 1 and reserved + quantity <= capacity
