"""A generic weekly business-hours calendar with dated exceptions.

Pure rules: no I/O, no clock — every instant is passed in as a timezone-aware datetime.

Semantics (all intervals are half-open ``[opens, closes)``):

* **Weekly periods** are wall-clock times in the calendar's IANA time zone. A weekday may have several
  split periods (08:30–11:30 and 13:30–20:00). ``closes == time(0)`` (``"24:00"`` in the dict form) means
  "until midnight at the end of that day"; any other ``closes <= opens`` is rejected. No period crosses
  midnight: a night opening is one period until 24:00 plus one from 00:00 on the next day, and the
  calendar joins the two into one continuous interval.
* **Exceptions** replace the weekly periods of one local date: no periods means closed all day, a list
  of periods is a special opening.
* **Daylight saving time** follows the wall clock. A wall time skipped by a spring-forward jump maps to
  the instant of the jump (a period 02:30–04:00 on that day opens when the clocks show 03:00); a wall
  time repeated by a fall-back is taken at its first occurrence.

The arithmetic is exact to the microsecond (``timedelta``); the minute-based helpers convert at the edge.
Work is proportional to the number of days spanned (a handful of time-zone conversions per day), never
to the number of minutes.

Why this is in the kernel: it knows no domain. It is a week of opening periods and dated exceptions in a
time zone, with arithmetic over them (is it open, next opening, working minutes between two instants,
add working minutes); no word of stations, tickets or deadlines is in it. Two services use it for their
own rules: the catalogue for a station's opening hours (open now, the HSDS schedule) and the ticket
service for business-hours SLA clocks. Each keeps its data and its rules (the catalogue owns the hours
and publishes them in `station.*` events; the ticket service keeps a copy and decides what a deadline
is); only this arithmetic is shared, so both read the same hours the same way, DST and split days
included. Moving it into one service would make the other import that service or keep a second copy.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.localtime import LOCAL_TIME_ZONE_NAME

__all__ = [
    "DEFAULT_TIME_ZONE",
    "MAX_ADD_SPAN_DAYS",
    "SEARCH_HORIZON_DAYS",
    "BusinessCalendar",
    "CalendarError",
    "DateException",
    "Period",
    "WeeklyPeriod",
]

DEFAULT_TIME_ZONE: Final = LOCAL_TIME_ZONE_NAME
SEARCH_HORIZON_DAYS: Final = 366  # how far ``next_opening`` / ``current_period_end`` look ahead
MAX_ADD_SPAN_DAYS: Final = 100 * 366  # bounds the work of one ``add_working_*`` call

_MINUTES_PER_DAY: Final = 24 * 60
_ONE_DAY: Final = timedelta(days=1)
_HOUR_MINUTE: Final = re.compile(r"^(\d{2}):(\d{2})$")
# Keep a few days of slack at both ends of the datetime range so day +/- 1 arithmetic never overflows.
_EARLIEST: Final = datetime(2, 1, 1, tzinfo=UTC)
_LATEST: Final = datetime(9997, 12, 31, tzinfo=UTC)


class CalendarError(ValueError):
    """Invalid calendar data or query: names the offending ``field`` and a snake_case ``reason``."""

    def __init__(self, field: str, reason: str, detail: str | None = None) -> None:
        self.field = field
        self.reason = reason
        self.detail = detail
        super().__init__(f"{field}: {reason}" + (f" ({detail})" if detail else ""))

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors may cross process boundaries (workers, pickled test reports): keep the fields.
        return (type(self), (self.field, self.reason, self.detail))


@dataclass(frozen=True, slots=True)
class Period:
    """One opening period of a dated exception, as local wall-clock times."""

    opens: time
    closes: time  # time(0) means midnight at the end of the day


@dataclass(frozen=True, slots=True)
class WeeklyPeriod:
    """Opening period recurring every ``weekday`` (0 = Monday ... 6 = Sunday, as ``date.weekday()``)."""

    weekday: int
    opens: time
    closes: time  # time(0) means midnight at the end of the day


@dataclass(frozen=True, slots=True)
class DateException:
    """The periods of one local date, replacing the weekly ones; no periods means closed all day."""

    day: date
    periods: tuple[Period, ...] = ()

    def __post_init__(self) -> None:
        # Accept any iterable (a list from a caller) but store a tuple so the value stays hashable.
        if not isinstance(self.periods, tuple) and isinstance(self.periods, Iterable):
            object.__setattr__(self, "periods", tuple(self.periods))

    @property
    def is_closed(self) -> bool:
        return not self.periods


# A period reduced to minutes of the day: (opens, closes) with 0 <= opens < closes <= 1440.
_Span = tuple[int, int]
_Interval = tuple[datetime, datetime]  # always in UTC internally


class BusinessCalendar:
    """Weekly opening hours plus dated exceptions in one IANA time zone. Immutable and hashable."""

    __slots__ = (
        "_by_date",
        "_by_weekday",
        "_exceptions",
        "_last_opening_day",
        "_time_zone",
        "_weekly",
        "_zone",
    )

    def __init__(
        self,
        weekly_periods: Iterable[WeeklyPeriod] = (),
        exceptions: Iterable[DateException] = (),
        *,
        time_zone: str = DEFAULT_TIME_ZONE,
    ) -> None:
        self._zone = _load_zone(time_zone)
        self._time_zone = time_zone
        self._weekly, self._by_weekday = _validate_weekly(weekly_periods)
        self._exceptions, self._by_date = _validate_exceptions(exceptions)
        # Without weekly periods the calendar stops opening after its last special opening.
        special_days = [day for day, spans in self._by_date.items() if spans]
        self._last_opening_day: date | None = None
        if not any(self._by_weekday):
            self._last_opening_day = max(special_days, default=date.min)

    # -- value semantics -------------------------------------------------------------------------

    @property
    def time_zone(self) -> str:
        return self._time_zone

    @property
    def weekly_periods(self) -> tuple[WeeklyPeriod, ...]:
        """Sorted by weekday then opening time."""
        return self._weekly

    @property
    def exceptions(self) -> tuple[DateException, ...]:
        """Sorted by date, each with its periods sorted."""
        return self._exceptions

    def _key(self) -> tuple[Any, ...]:
        return (self._time_zone, self._weekly, self._exceptions)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BusinessCalendar):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"BusinessCalendar(time_zone={self._time_zone!r}, weekly_periods={len(self._weekly)}, "
            f"exceptions={len(self._exceptions)})"
        )

    # -- queries ---------------------------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        instant = _to_utc(at, "at")
        local_day = instant.astimezone(self._zone).date()
        # Around a fall-back across midnight an instant's local date can trail its interval's date.
        for day in (local_day - _ONE_DAY, local_day, local_day + _ONE_DAY):
            for opens, closes in self._day_intervals(day):
                if opens <= instant < closes:
                    return True
        return False

    def next_opening(self, after: datetime) -> datetime | None:
        """The next instant at or after ``after`` at which the calendar goes from closed to open.

        If ``after`` lies inside an open stretch, that stretch does not count (it opened earlier): the
        answer is the start of the following one. ``None`` if it does not open within
        ``SEARCH_HORIZON_DAYS`` days.
        """
        instant = _to_utc(after, "after")
        horizon = instant + timedelta(days=SEARCH_HORIZON_DAYS)
        for opens, _closes in self._merged_from(instant, horizon):
            if opens >= instant:
                return opens.astimezone(self._zone) if opens <= horizon else None
        return None

    def current_period_end(self, at: datetime) -> datetime | None:
        """When the continuous open stretch containing ``at`` ends; ``None`` if closed at ``at``.

        Periods that touch (24:00 and 00:00 of the next day, 11:30 and 11:30) form one stretch. A stretch
        still open ``SEARCH_HORIZON_DAYS`` days later is cut there.
        """
        instant = _to_utc(at, "at")
        horizon = instant + timedelta(days=SEARCH_HORIZON_DAYS)
        for opens, closes in self._merged_from(instant, horizon):
            if opens > instant:
                return None
            if instant < closes:
                return min(closes, horizon).astimezone(self._zone)
        return None

    def open_intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals within ``[start, end]``, clipped to it, ordered, touching periods joined.

        Datetimes are in the calendar's time zone. Arguments are checked now, not at first iteration.
        Measure lengths after ``astimezone(UTC)`` (or use ``working_time_between``): Python subtracts two
        datetimes sharing a tzinfo on the wall clock, which is an hour off across a DST change.
        """
        window_start, window_end = _window(start, end)
        return (
            (opens.astimezone(self._zone), closes.astimezone(self._zone))
            for opens, closes in self._clipped(window_start, window_end)
        )

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Exact opening time between two instants (``end`` must not precede ``start``)."""
        window_start, window_end = _window(start, end)
        total = timedelta(0)
        for opens, closes in self._clipped(window_start, window_end):
            total += closes - opens
        return total

    def working_minutes_between(self, start: datetime, end: datetime) -> float:
        """Minutes of opening time between two instants, to the microsecond."""
        return self.working_time_between(start, end) / timedelta(minutes=1)

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The instant at which ``duration`` of opening time has elapsed after ``start``.

        Lands exactly on a closing time when the duration runs out there (not on the next opening).
        A zero duration returns ``start``. Raises if the calendar runs out of opening time.
        """
        instant = _to_utc(start, "start")
        if not isinstance(duration, timedelta):
            raise CalendarError("duration", "not_a_timedelta")
        if duration < timedelta(0):
            raise CalendarError("duration", "negative")
        return self._add(instant, duration, "duration")

    def add_working_minutes(self, start: datetime, minutes: float) -> datetime:
        """The instant at which ``minutes`` of opening time have elapsed after ``start`` (e.g. a deadline)."""
        instant = _to_utc(start, "start")
        if isinstance(minutes, bool) or not isinstance(minutes, int | float):
            raise CalendarError("minutes", "not_a_number")
        if not math.isfinite(minutes):
            raise CalendarError("minutes", "not_finite")
        if minutes < 0:
            raise CalendarError("minutes", "negative")
        try:
            duration = timedelta(minutes=minutes)
        except OverflowError:
            raise CalendarError("minutes", "out_of_range") from None
        return self._add(instant, duration, "minutes")

    # -- JSON-friendly form ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Weekday ints, ``"HH:MM"`` times (``"24:00"`` for midnight closing), ISO dates."""
        return {
            "time_zone": self._time_zone,
            "weekly_periods": [{"weekday": item.weekday, **_period_dict(item)} for item in self._weekly],
            "exceptions": [
                {"day": item.day.isoformat(), "periods": [_period_dict(period) for period in item.periods]}
                for item in self._exceptions
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        """Inverse of ``to_dict``; errors name the path (``weekly_periods[2].closes``).

        ``time_zone`` defaults to Asia/Shanghai and ``exceptions`` to none; unknown keys are ignored so
        that older readers accept newer events.
        """
        if not isinstance(data, Mapping):
            raise CalendarError("calendar", "not_an_object")
        time_zone = data.get("time_zone", DEFAULT_TIME_ZONE)
        if not isinstance(time_zone, str):
            raise CalendarError("time_zone", "not_a_string")
        if "weekly_periods" not in data:
            raise CalendarError("weekly_periods", "missing")
        weekly: list[WeeklyPeriod] = []
        for index, item in enumerate(_list_of(data["weekly_periods"], "weekly_periods")):
            path = f"weekly_periods[{index}]"
            item = _object(item, path)
            weekday = _required(item, "weekday", path)
            if isinstance(weekday, bool) or not isinstance(weekday, int):
                raise CalendarError(f"{path}.weekday", "not_an_integer")
            opens, closes = _parse_period(item, path)
            weekly.append(WeeklyPeriod(weekday, opens, closes))
        exceptions: list[DateException] = []
        for index, item in enumerate(_list_of(data.get("exceptions", []), "exceptions")):
            path = f"exceptions[{index}]"
            item = _object(item, path)
            day = _parse_date(_required(item, "day", path), f"{path}.day")
            periods: list[Period] = []
            for number, period in enumerate(_list_of(item.get("periods", []), f"{path}.periods")):
                period_path = f"{path}.periods[{number}]"
                periods.append(Period(*_parse_period(_object(period, period_path), period_path)))
            exceptions.append(DateException(day, tuple(periods)))
        return cls(weekly, exceptions, time_zone=time_zone)

    # -- internals -------------------------------------------------------------------------------

    def _spans_for(self, day: date) -> tuple[_Span, ...]:
        special = self._by_date.get(day)
        return special if special is not None else self._by_weekday[day.weekday()]

    def _day_intervals(self, day: date) -> list[_Interval]:
        """The UTC intervals of one local date, ordered; empty ones (inside a DST gap) dropped."""
        intervals: list[_Interval] = []
        for opens, closes in self._spans_for(day):
            start = self._wall_to_utc(day, opens)
            end = self._wall_to_utc(day, closes)
            if end > start:
                intervals.append((start, end))
        return intervals

    def _wall_to_utc(self, day: date, minute: int) -> datetime:
        if minute == _MINUTES_PER_DAY:
            day, minute = day + _ONE_DAY, 0
        hour, minute = divmod(minute, 60)
        local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=self._zone)  # fold=0: first
        instant = local.astimezone(UTC)
        back = instant.astimezone(self._zone)
        if back.hour == hour and back.minute == minute and back.date() == day:
            return instant
        return self._gap_transition(local)

    def _gap_transition(self, local: datetime) -> datetime:
        """The instant the clocks jump over a wall time that does not exist.

        Mapping skipped times to the jump keeps the wall-to-instant mapping monotonic, so a period never
        turns inside out around a DST change.
        """
        candidates = (local.replace(fold=0).astimezone(UTC), local.replace(fold=1).astimezone(UTC))
        low, high = int(min(candidates).timestamp()), int(max(candidates).timestamp())
        later_offset = datetime.fromtimestamp(high, UTC).astimezone(self._zone).utcoffset()
        while high - low > 1:  # transitions fall on whole seconds
            middle = (low + high) // 2
            if datetime.fromtimestamp(middle, UTC).astimezone(self._zone).utcoffset() == later_offset:
                high = middle
            else:
                low = middle
        return datetime.fromtimestamp(high, UTC)

    def _raw_from(self, first_day: date) -> Iterator[_Interval]:
        day = first_day
        while True:
            yield from self._day_intervals(day)
            day += _ONE_DAY

    def _merged_from(self, instant: datetime, horizon: datetime) -> Iterator[_Interval]:
        """Joined intervals starting from the day before ``instant``'s local date, up to ``horizon``."""
        first_day = instant.astimezone(self._zone).date() - _ONE_DAY
        last_day = horizon.astimezone(self._zone).date() + _ONE_DAY
        current: _Interval | None = None
        day = first_day
        while day <= last_day:
            for opens, closes in self._day_intervals(day):
                if current is None:
                    current = (opens, closes)
                elif opens <= current[1]:
                    current = (current[0], max(current[1], closes))
                else:
                    yield current
                    current = (opens, closes)
            day += _ONE_DAY
        if current is not None:
            yield current

    def _clipped(self, start: datetime, end: datetime) -> Iterator[_Interval]:
        if start == end:
            return
        for opens, closes in self._merged_from(start, end):
            if closes <= start:
                continue
            if opens >= end:
                break
            yield max(opens, start), min(closes, end)

    def _add(self, instant: datetime, duration: timedelta, field: str) -> datetime:
        if not duration:
            return instant.astimezone(self._zone)
        remaining = duration
        day = instant.astimezone(self._zone).date() - _ONE_DAY
        last_day = day + timedelta(days=MAX_ADD_SPAN_DAYS)
        while day <= last_day:
            if self._last_opening_day is not None and day > self._last_opening_day:
                reason = "never_opens" if remaining == duration else "insufficient_opening_time"
                raise CalendarError("weekly_periods", reason)
            for opens, closes in self._day_intervals(day):
                if closes <= instant:
                    continue
                opens = max(opens, instant)
                available = closes - opens
                if available >= remaining:
                    return (opens + remaining).astimezone(self._zone)
                remaining -= available
            day += _ONE_DAY
            if day >= _LATEST.date():
                break
        raise CalendarError(field, "out_of_range", f"more than {MAX_ADD_SPAN_DAYS} days of calendar")


# -- validation helpers ------------------------------------------------------------------------------


def _load_zone(time_zone: object) -> ZoneInfo:
    if not isinstance(time_zone, str):
        raise CalendarError("time_zone", "not_a_string")
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):  # ValueError: malformed keys such as "../etc"
        raise CalendarError("time_zone", "unknown_time_zone", time_zone) from None


def _check_time(value: object, field: str) -> None:
    if not isinstance(value, time):
        raise CalendarError(field, "not_a_time")
    if value.tzinfo is not None:
        # Periods are wall-clock times in the calendar's zone; a zone on the time would be ambiguous.
        raise CalendarError(field, "time_zone_aware_time")
    if value.second or value.microsecond:
        # The published form is "HH:MM"; refusing seconds keeps to_dict/from_dict lossless.
        raise CalendarError(field, "sub_minute_precision")


def _span(opens: object, closes: object, path: str) -> _Span:
    _check_time(opens, f"{path}.opens")
    _check_time(closes, f"{path}.closes")
    assert isinstance(opens, time) and isinstance(closes, time)
    open_minute = opens.hour * 60 + opens.minute
    close_minute = closes.hour * 60 + closes.minute or _MINUTES_PER_DAY  # 00:00 closes at midnight
    if close_minute <= open_minute:
        raise CalendarError(f"{path}.closes", "closes_not_after_opens")
    return open_minute, close_minute


def _check_no_overlap(entries: list[tuple[_Span, str]]) -> tuple[_Span, ...]:
    """``entries`` are (span, path) of one day; returns the spans sorted. Touching is allowed."""
    entries = sorted(entries, key=lambda entry: entry[0])
    for (previous, _), (span, path) in zip(entries, entries[1:], strict=False):
        if span[0] < previous[1]:
            raise CalendarError(f"{path}.opens", "overlapping_period")
    return tuple(span for span, _ in entries)


def _validate_weekly(
    weekly_periods: Iterable[WeeklyPeriod],
) -> tuple[tuple[WeeklyPeriod, ...], tuple[tuple[_Span, ...], ...]]:
    per_day: list[list[tuple[_Span, str]]] = [[] for _ in range(7)]
    normalised: list[tuple[int, int, WeeklyPeriod]] = []
    for index, period in enumerate(_iterable(weekly_periods, "weekly_periods")):
        path = f"weekly_periods[{index}]"
        if not isinstance(period, WeeklyPeriod):
            raise CalendarError(path, "not_a_weekly_period")
        weekday = period.weekday
        if isinstance(weekday, bool) or not isinstance(weekday, int):
            raise CalendarError(f"{path}.weekday", "not_an_integer")
        if not 0 <= weekday <= 6:
            raise CalendarError(f"{path}.weekday", "weekday_out_of_range")
        span = _span(period.opens, period.closes, path)
        per_day[weekday].append((span, path))
        clean = WeeklyPeriod(int(weekday), period.opens.replace(fold=0), period.closes.replace(fold=0))
        normalised.append((weekday, span[0], clean))
    by_weekday = tuple(_check_no_overlap(entries) for entries in per_day)
    normalised.sort(key=lambda entry: entry[:2])
    return tuple(period for _, _, period in normalised), by_weekday


def _validate_exceptions(
    exceptions: Iterable[DateException],
) -> tuple[tuple[DateException, ...], dict[date, tuple[_Span, ...]]]:
    by_date: dict[date, tuple[_Span, ...]] = {}
    normalised: list[DateException] = []
    for index, exception in enumerate(_iterable(exceptions, "exceptions")):
        path = f"exceptions[{index}]"
        if not isinstance(exception, DateException):
            raise CalendarError(path, "not_a_date_exception")
        # datetime is a subclass of date; a datetime here is almost certainly a mistake.
        if not isinstance(exception.day, date) or isinstance(exception.day, datetime):
            raise CalendarError(f"{path}.day", "not_a_date")
        if not _EARLIEST.date() < exception.day < _LATEST.date():
            raise CalendarError(f"{path}.day", "out_of_range")
        if exception.day in by_date:
            raise CalendarError(f"{path}.day", "duplicate_date")
        entries: list[tuple[_Span, str]] = []
        periods: list[tuple[int, Period]] = []
        for number, period in enumerate(_iterable(exception.periods, f"{path}.periods")):
            period_path = f"{path}.periods[{number}]"
            if not isinstance(period, Period):
                raise CalendarError(period_path, "not_a_period")
            span = _span(period.opens, period.closes, period_path)
            entries.append((span, period_path))
            periods.append((span[0], Period(period.opens.replace(fold=0), period.closes.replace(fold=0))))
        by_date[exception.day] = _check_no_overlap(entries)
        periods.sort(key=lambda entry: entry[0])
        normalised.append(DateException(exception.day, tuple(period for _, period in periods)))
    normalised.sort(key=lambda exception: exception.day)
    return tuple(normalised), by_date


def _iterable(value: object, field: str) -> Iterable[Any]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise CalendarError(field, "not_a_list")
    return value


def _to_utc(value: object, field: str) -> datetime:
    if not isinstance(value, datetime):
        raise CalendarError(field, "not_a_datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise CalendarError(field, "naive_datetime")
    try:
        instant = value.astimezone(UTC)
    except OverflowError:
        raise CalendarError(field, "out_of_range") from None
    if not _EARLIEST <= instant <= _LATEST:
        raise CalendarError(field, "out_of_range")
    return instant


def _window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    window_start = _to_utc(start, "start")
    window_end = _to_utc(end, "end")
    if window_end < window_start:
        raise CalendarError("end", "end_before_start")
    return window_start, window_end


# -- dict form helpers -------------------------------------------------------------------------------


def _format_time(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


def _period_dict(period: Period | WeeklyPeriod) -> dict[str, str]:
    closes = "24:00" if period.closes == time(0) else _format_time(period.closes)
    return {"opens": _format_time(period.opens), "closes": closes}


def _list_of(value: object, field: str) -> Sequence[Any]:
    if not isinstance(value, list | tuple):
        raise CalendarError(field, "not_a_list")
    return value


def _object(value: object, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise CalendarError(field, "not_an_object")
    return value


def _required(item: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in item:
        raise CalendarError(f"{path}.{key}", "missing")
    return item[key]


def _parse_time(value: object, field: str, *, closing: bool) -> time:
    if not isinstance(value, str):
        raise CalendarError(field, "not_a_string")
    match = _HOUR_MINUTE.match(value)
    if match is None:
        raise CalendarError(field, "not_hh_mm")
    hour, minute = int(match[1]), int(match[2])
    if closing and (hour, minute) == (24, 0):
        return time(0)
    if hour > 23 or minute > 59:
        raise CalendarError(field, "not_hh_mm")
    return time(hour, minute)


def _parse_period(item: Mapping[str, Any], path: str) -> tuple[time, time]:
    opens = _parse_time(_required(item, "opens", path), f"{path}.opens", closing=False)
    closes = _parse_time(_required(item, "closes", path), f"{path}.closes", closing=True)
    return opens, closes


def _parse_date(value: object, field: str) -> date:
    if not isinstance(value, str):
        raise CalendarError(field, "not_a_string")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise CalendarError(field, "not_an_iso_date") from None
    if len(value) != 10:  # fromisoformat also accepts "20250101" and week dates; keep one spelling
        raise CalendarError(field, "not_an_iso_date")
    return parsed
