"""Opening hours as the API, the database and the events carry them. Pure: no I/O.

The stored form is `BusinessCalendar.to_dict()` with an optional `note` on each dated exception
(国庆节, 社区活动日) for the wall; the calendar itself ignores the notes.
"""

from __future__ import annotations

from datetime import date, time
from typing import Any

from shared.business_calendar import BusinessCalendar, CalendarError, DateException, Period, WeeklyPeriod
from shared.errors import Unprocessable

WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

# The usual doorstep station: split opening on weekdays until 20:00, and Saturday mornings.
STANDARD_HOURS: dict[str, Any] = {
    "time_zone": "Asia/Shanghai",
    "weekly_periods": [
        *({"weekday": day, "opens": "08:30", "closes": "11:30"} for day in range(6)),
        *({"weekday": day, "opens": "13:00", "closes": "20:00"} for day in range(5)),
    ],
    "exceptions": [],
}


def parse_calendar(data: dict[str, Any], field: str = "opening_hours") -> BusinessCalendar:
    """The calendar of `data`; a CalendarError becomes a 422 naming the field (opening_hours.exceptions[0])."""
    try:
        return BusinessCalendar.from_dict(data)
    except CalendarError as error:
        raise Unprocessable(
            f"Invalid opening hours: {error}", field=f"{field}.{error.field}", code=error.reason
        ) from error


def stored_form(calendar: BusinessCalendar, notes: dict[str, str] | None = None) -> dict[str, Any]:
    """`calendar.to_dict()` with the notes put back on their exceptions (sorted, normalised)."""
    data = calendar.to_dict()
    for exception in data["exceptions"]:
        note = (notes or {}).get(exception["day"])
        if note:
            exception["note"] = note
    return data


def notes_of(data: dict[str, Any]) -> dict[str, str]:
    return {item["day"]: item["note"] for item in data.get("exceptions", []) if item.get("note")}


def normalise(data: dict[str, Any], field: str = "opening_hours") -> tuple[BusinessCalendar, dict[str, Any]]:
    calendar = parse_calendar(data, field)
    if not calendar.weekly_periods:
        # Published, predictable hours: a station opens every week, and SLA deadlines need it to.
        raise Unprocessable(
            "A station opens at least once a week.", field=f"{field}.weekly_periods", code="never_opens"
        )
    return calendar, stored_form(calendar, notes_of(data))


def with_exception(data: dict[str, Any], day: date, periods: list[dict[str, str]], note: str | None) -> dict[str, Any]:
    exceptions = [item for item in data.get("exceptions", []) if item["day"] != day.isoformat()]
    entry: dict[str, Any] = {"day": day.isoformat(), "periods": periods}
    if note:
        entry["note"] = note
    return {**data, "exceptions": [*exceptions, entry]}


def without_exception(data: dict[str, Any], day: date) -> dict[str, Any]:
    return {**data, "exceptions": [item for item in data.get("exceptions", []) if item["day"] != day.isoformat()]}


def weekly_summary(calendar: BusinessCalendar) -> list[tuple[str, str]]:
    """[("周一至周五", "08:30-11:30, 13:00-20:00"), ("周六", "08:30-11:30"), ("周日", "休息")] for the wall."""
    by_day: list[str] = []
    for weekday in range(7):
        periods = [p for p in calendar.weekly_periods if p.weekday == weekday]
        by_day.append(", ".join(f"{_hhmm(p.opens)}-{_hhmm(p.closes, closing=True)}" for p in periods) or "休息")
    groups: list[tuple[int, int, str]] = []
    for weekday, text in enumerate(by_day):
        if groups and groups[-1][2] == text and groups[-1][1] == weekday - 1:
            groups[-1] = (groups[-1][0], weekday, text)
        else:
            groups.append((weekday, weekday, text))
    summary = []
    for first, last, text in groups:
        days = WEEKDAY_NAMES[first] if first == last else f"{WEEKDAY_NAMES[first]}至{WEEKDAY_NAMES[last]}"
        summary.append((days, text))
    return summary


def _hhmm(value: time, *, closing: bool = False) -> str:
    if closing and value == time(0):
        return "24:00"
    return f"{value.hour:02d}:{value.minute:02d}"


def periods_text(periods: tuple[Period, ...] | tuple[WeeklyPeriod, ...]) -> str:
    return ", ".join(f"{_hhmm(p.opens)}-{_hhmm(p.closes, closing=True)}" for p in periods) or "闭站"


def exception_lines(calendar: BusinessCalendar, notes: dict[str, str], since: date) -> list[tuple[str, str, str]]:
    """(date, hours or 闭站, note) of the exceptions from `since` on."""
    lines = []
    for exception in calendar.exceptions:
        if exception.day < since:
            continue
        assert isinstance(exception, DateException)
        lines.append(
            (exception.day.isoformat(), periods_text(exception.periods), notes.get(exception.day.isoformat(), ""))
        )
    return lines
