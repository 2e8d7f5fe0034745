"""A station's duty rota: who is on duty for a role (e.g. reception) at a given moment.

Pure rules: no I/O, no clock — the moment is always passed in as an aware datetime.

How the pieces combine, for one role at one moment (all intervals are half-open ``[start, end)``):

1. **Weekly patterns** give the regular shifts, as wall-clock times in the rota's time zone
   (Asia/Shanghai unless told otherwise), between ``valid_from`` and ``valid_until`` (inclusive).
2. **Swaps** hand person A's shift(s) of that role starting on one local date to person B.
   A swap is one-directional; a mutual swap is two swaps. Swaps are not chained.
3. **One-off shifts** (overrides) beat the patterns of the same role for the time they cover: during
   an override only the override's people are on duty for that role.
4. **Leave** removes a person from every shift it overlaps — including overrides. We do not fall back
   to the pattern when an override's person goes on leave: the override replaced the pattern on
   purpose (the regular person may be away at training), so "nobody on duty" is the honest answer
   and the first-inquiry rule then waits for the next shift.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import IntEnum
from typing import Final

from shared.localtime import LOCAL_TIME_ZONE

__all__ = [
    "MAX_QUERY_WINDOW",
    "RECEPTION",
    "SEARCH_HORIZON",
    "SHANGHAI",
    "DutyAnswer",
    "DutyRota",
    "DutyRotaError",
    "DutyShift",
    "Leave",
    "OneOffShift",
    "Swap",
    "Weekday",
    "WeeklyPattern",
    "duty_answer",
    "duty_shifts",
    "on_duty",
    "on_leave",
]

SHANGHAI: Final = LOCAL_TIME_ZONE  # the district's zone (shared/localtime.py), under this module's name
RECEPTION: Final = "reception"  # the first-inquiry desk's duty role
SEARCH_HORIZON: Final = timedelta(days=14)  # how far ahead "who is next" looks
MAX_QUERY_WINDOW: Final = timedelta(days=62)  # bounds the work of one ``duty_shifts`` call

_ROLE_PATTERN: Final = re.compile(r"^[a-z][a-z0-9_]*$")


class DutyRotaError(ValueError):
    """Invalid rota data or query: names the offending ``field`` and a snake_case ``reason``."""

    def __init__(self, field: str, reason: str, detail: str | None = None) -> None:
        self.field = field
        self.reason = reason
        self.detail = detail
        super().__init__(f"{field}: {reason}" + (f" ({detail})" if detail else ""))


class Weekday(IntEnum):
    """Same numbering as ``date.weekday()``."""

    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


@dataclass(frozen=True, slots=True)
class WeeklyPattern:
    """A recurring shift: every ``weekday`` from ``start_time`` to ``end_time`` (local wall clock)."""

    station_id: str
    person_id: str
    role: str
    weekday: Weekday
    start_time: time
    end_time: time
    valid_from: date
    valid_until: date | None = None  # inclusive; None = until further notice


@dataclass(frozen=True, slots=True)
class OneOffShift:
    """A single shift that overrides the role's patterns for the time it covers."""

    person_id: str
    role: str
    start_at: datetime
    end_at: datetime


@dataclass(frozen=True, slots=True)
class Swap:
    """``to_person_id`` takes ``from_person_id``'s shifts of ``role`` starting on local ``on_date``."""

    on_date: date
    role: str
    from_person_id: str
    to_person_id: str


@dataclass(frozen=True, slots=True)
class Leave:
    person_id: str
    start_at: datetime
    end_at: datetime


@dataclass(frozen=True, slots=True)
class DutyShift:
    """One person's continuous time on duty after patterns, swaps, overrides and leave."""

    person_id: str
    start_at: datetime
    end_at: datetime


@dataclass(frozen=True, slots=True)
class DutyAnswer:
    """Who is on duty for ``role`` at ``at``, until when, and who comes next and from when."""

    role: str
    at: datetime
    on_duty: tuple[DutyShift, ...]
    next_start_at: datetime | None  # None: nobody within SEARCH_HORIZON
    next_on_duty: tuple[DutyShift, ...]

    @property
    def person_ids(self) -> list[str]:
        return [shift.person_id for shift in self.on_duty]

    @property
    def next_person_ids(self) -> list[str]:
        return [shift.person_id for shift in self.next_on_duty]


@dataclass(frozen=True)
class DutyRota:
    """Everything that decides one station's duty; validated on construction."""

    station_id: str
    patterns: Sequence[WeeklyPattern] = ()
    shifts: Sequence[OneOffShift] = ()
    swaps: Sequence[Swap] = ()
    leaves: Sequence[Leave] = ()
    time_zone: tzinfo = field(default=SHANGHAI)

    def __post_init__(self) -> None:
        # Freeze the collections so a validated rota cannot be changed behind our back.
        for name in ("patterns", "shifts", "swaps", "leaves"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        _validate_rota(self)


# --- queries ---------------------------------------------------------------------------------------


def on_duty(rota: DutyRota, role: str, at: datetime) -> list[str]:
    """Person ids on duty for ``role`` at ``at``, earliest shift start first, then by id."""
    return [shift.person_id for shift in _current(rota, role, at)]


def duty_answer(rota: DutyRota, role: str, at: datetime, horizon: timedelta = SEARCH_HORIZON) -> DutyAnswer:
    """Who is on duty now, when each one's shift ends, and the next shift start within ``horizon``."""
    _require_aware(at, "at")
    if horizon <= timedelta(0) or horizon > MAX_QUERY_WINDOW:
        raise DutyRotaError("horizon", "out_of_range")
    shifts = _effective_shifts(rota, role, at, at + horizon)
    # Compare in UTC: equal tzinfo objects would otherwise be compared on wall-clock time.
    moment = at.astimezone(UTC)
    current = tuple(shift for shift in shifts if shift.start_at <= moment < shift.end_at)
    upcoming = [shift for shift in shifts if moment < shift.start_at < moment + horizon]
    if not upcoming:
        return DutyAnswer(role=role, at=at, on_duty=current, next_start_at=None, next_on_duty=())
    next_start = min(shift.start_at for shift in upcoming)
    following = tuple(shift for shift in upcoming if shift.start_at == next_start)
    return DutyAnswer(role=role, at=at, on_duty=current, next_start_at=next_start, next_on_duty=following)


def duty_shifts(rota: DutyRota, role: str, start_at: datetime, end_at: datetime) -> list[DutyShift]:
    """Every effective shift of ``role`` overlapping ``[start_at, end_at)``, for showing the rota."""
    _require_aware(start_at, "start_at")
    _require_aware(end_at, "end_at")
    if end_at <= start_at:
        raise DutyRotaError("end_at", "end_before_start")
    if end_at - start_at > MAX_QUERY_WINDOW:
        raise DutyRotaError("end_at", "window_too_long")
    return [shift for shift in _effective_shifts(rota, role, start_at, end_at) if shift.end_at > start_at]


def on_leave(rota: DutyRota, person_id: str, at: datetime) -> bool:
    _require_aware(at, "at")
    moment = at.astimezone(UTC)
    return any(leave.person_id == person_id and leave.start_at <= moment < leave.end_at for leave in rota.leaves)


# --- the timeline ----------------------------------------------------------------------------------

_Interval = tuple[datetime, datetime]  # UTC, half-open


def _current(rota: DutyRota, role: str, at: datetime) -> list[DutyShift]:
    _require_aware(at, "at")
    # One day either side is enough to see the whole shift containing ``at`` (patterns never span
    # midnight); long one-off shifts are picked up whole because any that overlap are included.
    shifts = _effective_shifts(rota, role, at - timedelta(days=1), at + timedelta(days=1))
    moment = at.astimezone(UTC)
    return [shift for shift in shifts if shift.start_at <= moment < shift.end_at]


def _effective_shifts(rota: DutyRota, role: str, window_start: datetime, window_end: datetime) -> list[DutyShift]:
    _require_role(role, "role")
    zone = rota.time_zone
    window_start = window_start.astimezone(UTC)
    window_end = window_end.astimezone(UTC)
    swaps = {(swap.on_date, swap.role, swap.from_person_id): swap.to_person_id for swap in rota.swaps}

    def local_date(moment: datetime) -> date:
        return moment.astimezone(zone).date()

    def holder(person_id: str, start: datetime) -> str:
        return swaps.get((local_date(start), role, person_id), person_id)

    # Pattern occurrences (and the time of every override) that overlap the window.
    pattern_pieces: list[tuple[str, _Interval]] = []
    day = local_date(window_start) - timedelta(days=1)
    last_day = local_date(window_end)
    role_patterns = [pattern for pattern in rota.patterns if pattern.role == role]
    while day <= last_day:
        for pattern in role_patterns:
            if pattern.weekday != day.weekday() or not _pattern_valid_on(pattern, day):
                continue
            start = datetime.combine(day, pattern.start_time, tzinfo=zone).astimezone(UTC)
            end = datetime.combine(day, pattern.end_time, tzinfo=zone).astimezone(UTC)
            if start < window_end and end > window_start:
                pattern_pieces.append((holder(pattern.person_id, start), (start, end)))
        day += timedelta(days=1)

    role_shifts = [shift for shift in rota.shifts if shift.role == role]
    overrides = [(shift.start_at.astimezone(UTC), shift.end_at.astimezone(UTC)) for shift in role_shifts]
    pieces: list[tuple[str, _Interval]] = [
        (person_id, remaining) for person_id, interval in pattern_pieces for remaining in _subtract(interval, overrides)
    ]
    for shift, interval in zip(role_shifts, overrides, strict=True):
        if interval[0] < window_end and interval[1] > window_start:
            pieces.append((holder(shift.person_id, interval[0]), interval))

    leave_by_person: dict[str, list[_Interval]] = defaultdict(list)
    for leave in rota.leaves:
        leave_by_person[leave.person_id].append((leave.start_at.astimezone(UTC), leave.end_at.astimezone(UTC)))

    by_person: dict[str, list[_Interval]] = defaultdict(list)
    for person_id, interval in pieces:
        by_person[person_id].extend(_subtract(interval, leave_by_person.get(person_id, [])))

    result = [
        DutyShift(person_id=person_id, start_at=start.astimezone(zone), end_at=end.astimezone(zone))
        for person_id, intervals in by_person.items()
        for start, end in _merge(intervals)
    ]
    # Deterministic order: who started first, then person id.
    result.sort(key=lambda shift: (shift.start_at, shift.person_id))
    return result


def _pattern_valid_on(pattern: WeeklyPattern, day: date) -> bool:
    return pattern.valid_from <= day and (pattern.valid_until is None or day <= pattern.valid_until)


def _subtract(interval: _Interval, holes: Iterable[_Interval]) -> list[_Interval]:
    """``interval`` minus every hole, as a sorted list of non-empty pieces."""
    pieces = [interval]
    for hole_start, hole_end in holes:
        next_pieces: list[_Interval] = []
        for start, end in pieces:
            if hole_end <= start or hole_start >= end:
                next_pieces.append((start, end))
                continue
            if start < hole_start:
                next_pieces.append((start, hole_start))
            if hole_end < end:
                next_pieces.append((hole_end, end))
        pieces = next_pieces
    return sorted(pieces)


def _merge(intervals: Iterable[_Interval]) -> list[_Interval]:
    """Touching or overlapping intervals become one (12:00-14:00 + 14:00-20:00 = 12:00-20:00)."""
    merged: list[_Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


# --- validation ------------------------------------------------------------------------------------


def _validate_rota(rota: DutyRota) -> None:
    _require_id(rota.station_id, "station_id")
    if not isinstance(rota.time_zone, tzinfo):
        raise DutyRotaError("time_zone", "invalid_time_zone")
    for index, pattern in enumerate(rota.patterns):
        _validate_pattern(rota, pattern, f"patterns[{index}]")
    _check_pattern_overlaps(rota.patterns)
    for index, shift in enumerate(rota.shifts):
        prefix = f"shifts[{index}]"
        _require_id(shift.person_id, f"{prefix}.person_id")
        _require_role(shift.role, f"{prefix}.role")
        _require_interval(shift.start_at, shift.end_at, prefix)
    _check_shift_overlaps(rota.shifts)
    seen_swaps: set[tuple[date, str, str]] = set()
    for index, swap in enumerate(rota.swaps):
        prefix = f"swaps[{index}]"
        _require_role(swap.role, f"{prefix}.role")
        _require_id(swap.from_person_id, f"{prefix}.from_person_id")
        _require_id(swap.to_person_id, f"{prefix}.to_person_id")
        if swap.from_person_id == swap.to_person_id:
            raise DutyRotaError(f"{prefix}.to_person_id", "same_person")
        key = (swap.on_date, swap.role, swap.from_person_id)
        if key in seen_swaps:
            # Two different takers for the same shift would make the answer depend on list order.
            raise DutyRotaError(prefix, "duplicate_swap")
        seen_swaps.add(key)
    for index, leave in enumerate(rota.leaves):
        prefix = f"leaves[{index}]"
        _require_id(leave.person_id, f"{prefix}.person_id")
        _require_interval(leave.start_at, leave.end_at, prefix)


def _validate_pattern(rota: DutyRota, pattern: WeeklyPattern, prefix: str) -> None:
    if pattern.station_id != rota.station_id:
        raise DutyRotaError(f"{prefix}.station_id", "station_mismatch")
    _require_id(pattern.person_id, f"{prefix}.person_id")
    _require_role(pattern.role, f"{prefix}.role")
    if not isinstance(pattern.weekday, int) or not 0 <= pattern.weekday <= 6:
        raise DutyRotaError(f"{prefix}.weekday", "invalid_weekday")
    for name in ("start_time", "end_time"):
        # Pattern times are wall-clock times in the rota's zone; a zone on the time would be ambiguous.
        if getattr(pattern, name).tzinfo is not None:
            raise DutyRotaError(f"{prefix}.{name}", "time_zone_not_allowed")
    if pattern.end_time <= pattern.start_time:
        raise DutyRotaError(f"{prefix}.end_time", "end_before_start")
    if pattern.valid_until is not None and pattern.valid_until < pattern.valid_from:
        raise DutyRotaError(f"{prefix}.valid_until", "end_before_start")


def _check_pattern_overlaps(patterns: Sequence[WeeklyPattern]) -> None:
    """One person cannot hold two overlapping weekly shifts (in any role: one person, one seat)."""
    by_person: dict[tuple[str, int], list[int]] = defaultdict(list)
    for index, pattern in enumerate(patterns):
        by_person[(pattern.person_id, int(pattern.weekday))].append(index)
    for indexes in by_person.values():
        for position, later in enumerate(indexes):
            for earlier in indexes[:position]:
                a, b = patterns[earlier], patterns[later]
                times_overlap = a.start_time < b.end_time and b.start_time < a.end_time
                dates_overlap = (b.valid_until is None or a.valid_from <= b.valid_until) and (
                    a.valid_until is None or b.valid_from <= a.valid_until
                )
                if times_overlap and dates_overlap:
                    raise DutyRotaError(f"patterns[{later}]", "overlapping_patterns", f"patterns[{earlier}]")


def _check_shift_overlaps(shifts: Sequence[OneOffShift]) -> None:
    by_person: dict[str, list[int]] = defaultdict(list)
    for index, shift in enumerate(shifts):
        by_person[shift.person_id].append(index)
    for indexes in by_person.values():
        for position, later in enumerate(indexes):
            for earlier in indexes[:position]:
                a, b = shifts[earlier], shifts[later]
                if a.start_at < b.end_at and b.start_at < a.end_at:
                    raise DutyRotaError(f"shifts[{later}]", "overlapping_shifts", f"shifts[{earlier}]")


def _require_id(value: str, field_name: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise DutyRotaError(field_name, "required")


def _require_role(value: str, field_name: str) -> None:
    if not isinstance(value, str) or not _ROLE_PATTERN.match(value):
        raise DutyRotaError(field_name, "invalid_role")


def _require_aware(value: datetime, field_name: str) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise DutyRotaError(field_name, "naive_datetime")


def _require_interval(start_at: datetime, end_at: datetime, prefix: str) -> None:
    _require_aware(start_at, f"{prefix}.start_at")
    _require_aware(end_at, f"{prefix}.end_at")
    if end_at <= start_at:
        raise DutyRotaError(f"{prefix}.end_at", "end_before_start")
