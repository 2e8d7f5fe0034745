"""A station's business calendar: its published opening hours and holidays, from the catalogue.

Stations whose copy carries no hours yet (older catalogue events) use ``DEFAULT_OPENING_HOURS``:
every day 08:30-20:00, the example station's published hours in the report.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from shared.business_calendar import DEFAULT_TIME_ZONE, BusinessCalendar, CalendarError
from ticket_service.stations.models import StationCopy

DEFAULT_OPENING_HOURS: dict[str, Any] = {
    "time_zone": DEFAULT_TIME_ZONE,
    "weekly_periods": [{"weekday": day, "opens": "08:30", "closes": "20:00"} for day in range(7)],
    "exceptions": [],
}


@lru_cache(maxsize=4096)
def _parse(serialised: str) -> BusinessCalendar:
    return BusinessCalendar.from_dict(json.loads(serialised))


def calendar_for(station: StationCopy) -> BusinessCalendar:
    hours = station.opening_hours or DEFAULT_OPENING_HOURS
    if station.time_zone and "time_zone" not in hours:
        hours = {**hours, "time_zone": station.time_zone}
    try:
        calendar = _parse(json.dumps(hours, sort_keys=True))
    except CalendarError:
        calendar = None
    if calendar is None or not calendar.weekly_periods:
        # The catalogue validated the hours before publishing them; this is only a last line of defence
        # (a calendar with no weekly periods stops opening, and no SLA deadline could be computed).
        return _parse(json.dumps(DEFAULT_OPENING_HOURS, sort_keys=True))
    return calendar


def valid_opening_hours(value: Any) -> dict[str, Any] | None:
    """The hours as stored, or None when missing or unusable (the default then applies)."""
    if not isinstance(value, dict):
        return None
    try:
        return BusinessCalendar.from_dict(value).to_dict()
    except CalendarError:
        return None
