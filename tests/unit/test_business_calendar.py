"""Tests for the generic weekly business-hours calendar."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from shared.business_calendar import (
    SEARCH_HORIZON_DAYS,
    BusinessCalendar,
    CalendarError,
    DateException,
    Period,
    WeeklyPeriod,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
TINY = timedelta(microseconds=1)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, zone: ZoneInfo = SHANGHAI) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def split_week(*, saturday: bool = True) -> list[WeeklyPeriod]:
    """Monday-Friday 08:30-11:30 and 13:30-20:00, Saturday 09:00-12:00, Sunday closed."""
    periods = [WeeklyPeriod(day, time(8, 30), time(11, 30)) for day in range(5)]
    periods += [WeeklyPeriod(day, time(13, 30), time(20)) for day in range(5)]
    if saturday:
        periods.append(WeeklyPeriod(5, time(9), time(12)))
    return periods


@pytest.fixture
def calendar() -> BusinessCalendar:
    return BusinessCalendar(
        split_week(),
        [
            DateException(date(2025, 10, 1)),  # National Day: closed (a Wednesday)
            DateException(date(2025, 10, 12), (Period(time(10), time(16)),)),  # a Sunday special opening
        ],
    )


# -- construction and validation ---------------------------------------------------------------------


def test_defaults_to_shanghai_and_normalises_order() -> None:
    calendar = BusinessCalendar(list(reversed(split_week())))
    assert calendar.time_zone == "Asia/Shanghai"
    assert calendar.weekly_periods == tuple(sorted(split_week(), key=lambda p: (p.weekday, p.opens)))
    assert calendar == BusinessCalendar(split_week())
    assert hash(calendar) == hash(BusinessCalendar(split_week()))
    assert calendar != BusinessCalendar(split_week(), time_zone="Europe/Berlin")
    assert "Asia/Shanghai" in repr(calendar)


@pytest.mark.parametrize(
    ("weekly", "field", "reason"),
    [
        (
            [WeeklyPeriod(0, time(9), time(12)), WeeklyPeriod(3, time(12), time(9))],
            "weekly_periods[1].closes",
            "closes_not_after_opens",
        ),
        ([WeeklyPeriod(3, time(9), time(9))], "weekly_periods[0].closes", "closes_not_after_opens"),
        ([WeeklyPeriod(7, time(9), time(12))], "weekly_periods[0].weekday", "weekday_out_of_range"),
        ([WeeklyPeriod(-1, time(9), time(12))], "weekly_periods[0].weekday", "weekday_out_of_range"),
        ([WeeklyPeriod(True, time(9), time(12))], "weekly_periods[0].weekday", "not_an_integer"),
        ([WeeklyPeriod(0, "09:00", time(12))], "weekly_periods[0].opens", "not_a_time"),  # type: ignore[arg-type]
        ([WeeklyPeriod(0, time(9, 0, 30), time(12))], "weekly_periods[0].opens", "sub_minute_precision"),
        ([WeeklyPeriod(0, time(9, tzinfo=UTC), time(12))], "weekly_periods[0].opens", "time_zone_aware_time"),
        (
            [WeeklyPeriod(2, time(8, 30), time(11, 30)), WeeklyPeriod(2, time(11), time(14))],
            "weekly_periods[1].opens",
            "overlapping_period",
        ),
        (
            [
                WeeklyPeriod(2, time(11), time(14)),
                WeeklyPeriod(1, time(1), time(2)),
                WeeklyPeriod(2, time(8), time(12)),
            ],
            "weekly_periods[0].opens",  # sorted by opening time, the 11:00 period is the one that overlaps
            "overlapping_period",
        ),
        (
            [WeeklyPeriod(4, time(20), time(0)), WeeklyPeriod(4, time(22), time(23))],
            "weekly_periods[1].opens",
            "overlapping_period",
        ),
        (["monday"], "weekly_periods[0]", "not_a_weekly_period"),
        ("Mon 9-12", "weekly_periods", "not_a_list"),
    ],
)
def test_rejects_invalid_weekly_periods(weekly: object, field: str, reason: str) -> None:
    with pytest.raises(CalendarError) as caught:
        BusinessCalendar(weekly)  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.reason) == (field, reason)
    assert isinstance(caught.value, ValueError)
    assert field in str(caught.value)


def test_touching_periods_are_allowed_and_joined() -> None:
    calendar = BusinessCalendar([WeeklyPeriod(0, time(8), time(12)), WeeklyPeriod(0, time(12), time(14))])
    assert list(calendar.open_intervals(at(2025, 9, 29), at(2025, 9, 30))) == [
        (at(2025, 9, 29, 8), at(2025, 9, 29, 14))
    ]
    assert calendar.current_period_end(at(2025, 9, 29, 11)) == at(2025, 9, 29, 14)


@pytest.mark.parametrize(
    ("exceptions", "field", "reason"),
    [
        ([DateException(date(2025, 10, 1)), DateException(date(2025, 10, 1))], "exceptions[1].day", "duplicate_date"),
        ([DateException(datetime(2025, 10, 1))], "exceptions[0].day", "not_a_date"),
        ([DateException("2025-10-01")], "exceptions[0].day", "not_a_date"),  # type: ignore[arg-type]
        (
            [DateException(date(2025, 10, 1), (Period(time(12), time(10)),))],
            "exceptions[0].periods[0].closes",
            "closes_not_after_opens",
        ),
        (
            [
                DateException(date(2025, 10, 2)),
                DateException(date(2025, 10, 1), (Period(time(9), time(12)), Period(time(10), time(13)))),
            ],
            "exceptions[1].periods[1].opens",
            "overlapping_period",
        ),
        ([DateException(date(2025, 10, 1), ("09:00-12:00",))], "exceptions[0].periods[0]", "not_a_period"),  # type: ignore[arg-type]
        ([date(2025, 10, 1)], "exceptions[0]", "not_a_date_exception"),
        ([DateException(date(1, 1, 1))], "exceptions[0].day", "out_of_range"),
    ],
)
def test_rejects_invalid_exceptions(exceptions: object, field: str, reason: str) -> None:
    with pytest.raises(CalendarError) as caught:
        BusinessCalendar(split_week(), exceptions)  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.reason) == (field, reason)


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "../etc/passwd", "", 8])
def test_rejects_unknown_time_zone(zone: object) -> None:
    with pytest.raises(CalendarError) as caught:
        BusinessCalendar(split_week(), time_zone=zone)  # type: ignore[arg-type]
    assert caught.value.field == "time_zone"


def test_exception_accepts_a_list_of_periods_and_stays_hashable() -> None:
    exception = DateException(date(2025, 10, 1), [Period(time(9), time(10))])  # type: ignore[arg-type]
    assert exception.periods == (Period(time(9), time(10)),)
    assert not exception.is_closed and DateException(date(2025, 10, 1)).is_closed
    hash(exception)


def test_error_survives_pickling() -> None:
    error = pickle.loads(pickle.dumps(CalendarError("weekly_periods[3].closes", "closes_not_after_opens", "x")))
    assert (error.field, error.reason, error.detail) == ("weekly_periods[3].closes", "closes_not_after_opens", "x")


# -- naive and malformed instants ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.is_open(datetime(2025, 10, 9, 10)), "at"),
        (lambda c: c.next_opening(datetime(2025, 10, 9, 10)), "after"),
        (lambda c: c.current_period_end(datetime(2025, 10, 9, 10)), "at"),
        (lambda c: c.open_intervals(datetime(2025, 10, 9), at(2025, 10, 10)), "start"),
        (lambda c: c.open_intervals(at(2025, 10, 9), datetime(2025, 10, 10)), "end"),
        (lambda c: c.working_minutes_between(at(2025, 10, 9), datetime(2025, 10, 10)), "end"),
        (lambda c: c.add_working_minutes(datetime(2025, 10, 9), 5), "start"),
    ],
)
def test_naive_datetimes_are_rejected(calendar: BusinessCalendar, call: object, field: str) -> None:
    with pytest.raises(CalendarError) as caught:
        call(calendar)  # type: ignore[operator]
    assert (caught.value.field, caught.value.reason) == (field, "naive_datetime")


def test_non_datetimes_and_extreme_instants_are_rejected(calendar: BusinessCalendar) -> None:
    with pytest.raises(CalendarError, match="not_a_datetime"):
        calendar.is_open(date(2025, 10, 9))  # type: ignore[arg-type]
    with pytest.raises(CalendarError, match="out_of_range"):
        calendar.is_open(datetime.max.replace(tzinfo=UTC))
    with pytest.raises(CalendarError, match="out_of_range"):
        calendar.is_open(datetime.min.replace(tzinfo=SHANGHAI))


def test_inverted_window_is_rejected(calendar: BusinessCalendar) -> None:
    with pytest.raises(CalendarError) as caught:
        calendar.working_minutes_between(at(2025, 10, 10), at(2025, 10, 9))
    assert (caught.value.field, caught.value.reason) == ("end", "end_before_start")
    with pytest.raises(CalendarError):
        calendar.open_intervals(at(2025, 10, 10), at(2025, 10, 9))  # checked eagerly, before iteration


# -- is_open, next_opening, current_period_end ---------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(2025, 10, 9, 8, 29), False),
        (at(2025, 10, 9, 8, 30), True),  # opening instant is inside
        (at(2025, 10, 9, 11, 29), True),
        (at(2025, 10, 9, 11, 30), False),  # closing instant is outside
        (at(2025, 10, 9, 12, 30), False),  # lunch break
        (at(2025, 10, 9, 19, 59), True),
        (at(2025, 10, 9, 20, 0), False),
        (at(2025, 10, 11, 10), True),  # Saturday morning
        (at(2025, 10, 11, 14), False),  # Saturday afternoon
        (at(2025, 10, 5, 10), False),  # Sunday
        (at(2025, 10, 1, 10), False),  # closed all day
        (at(2025, 10, 12, 15), True),  # special Sunday opening
        (at(2025, 10, 12, 16), False),
        (datetime(2025, 10, 9, 2, 0, tzinfo=UTC), True),  # 10:00 in Shanghai
    ],
)
def test_is_open(calendar: BusinessCalendar, moment: datetime, expected: bool) -> None:
    assert calendar.is_open(moment) is expected


def test_next_opening(calendar: BusinessCalendar) -> None:
    assert calendar.next_opening(at(2025, 10, 9, 7)) == at(2025, 10, 9, 8, 30)
    assert calendar.next_opening(at(2025, 10, 9, 8, 30)) == at(2025, 10, 9, 8, 30)  # exactly at opening
    assert calendar.next_opening(at(2025, 10, 9, 9)) == at(2025, 10, 9, 13, 30)  # open: the following stretch
    assert calendar.next_opening(at(2025, 10, 9, 20)) == at(2025, 10, 10, 8, 30)
    assert calendar.next_opening(at(2025, 10, 4, 12)) == at(2025, 10, 6, 8, 30)  # Saturday noon -> Monday
    assert calendar.next_opening(at(2025, 9, 30, 20)) == at(2025, 10, 2, 8, 30)  # skips the holiday
    assert calendar.next_opening(at(2025, 10, 11, 12)) == at(2025, 10, 12, 10)  # special opening
    assert calendar.next_opening(datetime(2025, 10, 9, 0, 0, tzinfo=UTC)) == at(2025, 10, 9, 8, 30)
    assert calendar.next_opening(at(2025, 10, 9, 7)).tzinfo == SHANGHAI  # type: ignore[union-attr]


def test_next_opening_none_when_never_or_too_far() -> None:
    assert BusinessCalendar().next_opening(at(2025, 1, 1)) is None
    far = date(2025, 1, 1) + timedelta(days=SEARCH_HORIZON_DAYS + 2)
    only_far = BusinessCalendar([], [DateException(far, (Period(time(9), time(10)),))])
    assert only_far.next_opening(at(2025, 1, 1)) is None
    assert only_far.next_opening(at(2025, 6, 1)) == at(far.year, far.month, far.day, 9)
    always = BusinessCalendar([WeeklyPeriod(day, time(0), time(0)) for day in range(7)])
    assert always.next_opening(at(2025, 1, 1)) is None  # never goes from closed to open


def test_current_period_end(calendar: BusinessCalendar) -> None:
    assert calendar.current_period_end(at(2025, 10, 9, 9)) == at(2025, 10, 9, 11, 30)
    assert calendar.current_period_end(at(2025, 10, 9, 8, 30)) == at(2025, 10, 9, 11, 30)
    assert calendar.current_period_end(at(2025, 10, 9, 18)) == at(2025, 10, 9, 20)
    assert calendar.current_period_end(at(2025, 10, 9, 20)) is None
    assert calendar.current_period_end(at(2025, 10, 9, 12)) is None
    assert calendar.current_period_end(at(2025, 10, 1, 10)) is None


# -- midnight ---------------------------------------------------------------------------------------------


@pytest.fixture
def night() -> BusinessCalendar:
    """Friday 18:00-24:00 and Saturday 00:00-02:00: one stretch across midnight."""
    return BusinessCalendar([WeeklyPeriod(4, time(18), time(0)), WeeklyPeriod(5, time(0), time(2))])


def test_midnight_closing_joins_across_days(night: BusinessCalendar) -> None:
    friday = at(2025, 10, 10, 23)
    assert night.is_open(friday) and night.is_open(at(2025, 10, 11, 0)) and night.is_open(at(2025, 10, 11, 1, 59))
    assert not night.is_open(at(2025, 10, 11, 2))
    assert night.current_period_end(friday) == at(2025, 10, 11, 2)
    assert list(night.open_intervals(at(2025, 10, 10), at(2025, 10, 12))) == [
        (at(2025, 10, 10, 18), at(2025, 10, 11, 2))
    ]
    assert night.next_opening(at(2025, 10, 10, 23)) == at(2025, 10, 17, 18)  # midnight is not an opening
    assert night.working_minutes_between(at(2025, 10, 10, 12), at(2025, 10, 11, 12)) == 8 * 60
    assert night.add_working_minutes(at(2025, 10, 10, 23), 90) == at(2025, 10, 11, 0, 30)
    assert night.to_dict()["weekly_periods"][0] == {"weekday": 4, "opens": "18:00", "closes": "24:00"}


def test_open_around_the_clock() -> None:
    always = BusinessCalendar([WeeklyPeriod(day, time(0), time(0)) for day in range(7)])
    start = at(2025, 3, 1, 12)
    assert always.is_open(start)
    assert always.working_minutes_between(start, start + timedelta(days=365)) == 365 * 24 * 60
    assert always.add_working_minutes(start, 60 * 24 * 400) == start + timedelta(days=400)
    end = always.current_period_end(start)
    assert end == start + timedelta(days=SEARCH_HORIZON_DAYS)  # cut at the search horizon


# -- intervals and working time ---------------------------------------------------------------------------


def test_open_intervals_are_clipped(calendar: BusinessCalendar) -> None:
    intervals = list(calendar.open_intervals(at(2025, 10, 9, 10), at(2025, 10, 10, 9)))
    assert intervals == [
        (at(2025, 10, 9, 10), at(2025, 10, 9, 11, 30)),
        (at(2025, 10, 9, 13, 30), at(2025, 10, 9, 20)),
        (at(2025, 10, 10, 8, 30), at(2025, 10, 10, 9)),
    ]
    assert all(start.tzinfo == SHANGHAI and end.tzinfo == SHANGHAI for start, end in intervals)
    assert list(calendar.open_intervals(at(2025, 10, 9, 10), at(2025, 10, 9, 10))) == []
    assert list(calendar.open_intervals(at(2025, 10, 5), at(2025, 10, 5, 23))) == []


def test_working_minutes_over_a_week_with_exceptions(calendar: BusinessCalendar) -> None:
    weekday_minutes = 3 * 60 + 6 * 60 + 30
    normal_week = calendar.working_minutes_between(at(2025, 10, 13), at(2025, 10, 20))
    assert normal_week == 5 * weekday_minutes + 3 * 60
    holiday_week = calendar.working_minutes_between(at(2025, 9, 29), at(2025, 10, 6))
    assert holiday_week == 4 * weekday_minutes + 3 * 60
    assert calendar.working_minutes_between(at(2025, 10, 12), at(2025, 10, 13)) == 6 * 60  # special Sunday
    assert calendar.working_minutes_between(at(2025, 10, 9, 10) + timedelta(seconds=30), at(2025, 10, 9, 10, 1)) == 0.5
    assert calendar.working_time_between(at(2025, 10, 9, 11), at(2025, 10, 9, 14)) == timedelta(hours=1)


def test_working_minutes_over_a_year_match_a_day_count(calendar: BusinessCalendar) -> None:
    expected = 0
    day = date(2025, 1, 1)
    while day.year == 2025:
        if day == date(2025, 10, 1):
            pass
        elif day == date(2025, 10, 12):
            expected += 6 * 60
        elif day.weekday() < 5:
            expected += 3 * 60 + 6 * 60 + 30
        elif day.weekday() == 5:
            expected += 3 * 60
        day += timedelta(days=1)
    assert calendar.working_minutes_between(at(2025, 1, 1), at(2026, 1, 1)) == expected


# -- add_working_minutes --------------------------------------------------------------------------------


def test_add_working_minutes(calendar: BusinessCalendar) -> None:
    friday_evening = at(2025, 10, 10, 19)
    assert calendar.add_working_minutes(friday_evening, 60) == at(2025, 10, 10, 20)  # lands on closing
    assert calendar.add_working_minutes(friday_evening, 120) == at(2025, 10, 11, 10)  # Saturday morning
    assert calendar.add_working_minutes(friday_evening, 60 + 180 + 30) == at(2025, 10, 12, 10, 30)  # special
    assert calendar.add_working_minutes(at(2025, 10, 9, 12), 0) == at(2025, 10, 9, 12)
    assert calendar.add_working_minutes(at(2025, 10, 9, 11), 45) == at(2025, 10, 9, 13, 45)  # over lunch
    assert calendar.add_working_minutes(at(2025, 9, 30, 19), 61) == at(2025, 10, 2, 8, 31)  # over holiday
    assert calendar.add_working_minutes(at(2025, 10, 9, 9), 0.5) == at(2025, 10, 9, 9) + timedelta(seconds=30)
    assert calendar.add_working_time(at(2025, 10, 9, 9), timedelta(hours=2)) == at(2025, 10, 9, 11)


@pytest.mark.parametrize(
    ("minutes", "reason"),
    [
        (-1, "negative"),
        (float("nan"), "not_finite"),
        (float("inf"), "not_finite"),
        (True, "not_a_number"),
        ("5", "not_a_number"),
        (1e20, "out_of_range"),
    ],
)
def test_add_working_minutes_rejects_bad_minutes(calendar: BusinessCalendar, minutes: object, reason: str) -> None:
    with pytest.raises(CalendarError) as caught:
        calendar.add_working_minutes(at(2025, 10, 9), minutes)  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.reason) == ("minutes", reason)


def test_add_working_time_rejects_bad_durations(calendar: BusinessCalendar) -> None:
    with pytest.raises(CalendarError, match="negative"):
        calendar.add_working_time(at(2025, 10, 9), timedelta(minutes=-1))
    with pytest.raises(CalendarError, match="not_a_timedelta"):
        calendar.add_working_time(at(2025, 10, 9), 5)  # type: ignore[arg-type]


def test_add_working_minutes_raises_when_calendar_never_opens() -> None:
    with pytest.raises(CalendarError) as caught:
        BusinessCalendar().add_working_minutes(at(2025, 10, 9), 10)
    assert (caught.value.field, caught.value.reason) == ("weekly_periods", "never_opens")
    only_one_day = BusinessCalendar([], [DateException(date(2025, 10, 12), (Period(time(10), time(11)),))])
    assert only_one_day.add_working_minutes(at(2025, 10, 9), 30) == at(2025, 10, 12, 10, 30)
    with pytest.raises(CalendarError) as caught:
        only_one_day.add_working_minutes(at(2025, 10, 9), 90)
    assert caught.value.reason == "insufficient_opening_time"
    with pytest.raises(CalendarError) as caught:
        only_one_day.add_working_minutes(at(2025, 10, 13), 1)
    assert caught.value.reason == "never_opens"


def test_add_working_minutes_has_a_horizon() -> None:
    sparse = BusinessCalendar([WeeklyPeriod(0, time(9), time(9, 1))])
    with pytest.raises(CalendarError) as caught:
        sparse.add_working_minutes(at(2025, 1, 1), 10**7)
    assert (caught.value.field, caught.value.reason) == ("minutes", "out_of_range")


# -- daylight saving time (Europe/Berlin: 2025-03-30 02:00 -> 03:00, 2025-10-26 03:00 -> 02:00) -------------


def berlin(*periods: WeeklyPeriod) -> BusinessCalendar:
    return BusinessCalendar(periods, time_zone="Europe/Berlin")


def test_dst_changes_the_length_of_a_night_period() -> None:
    sunday_night = berlin(WeeklyPeriod(6, time(1), time(4)))
    assert sunday_night.working_minutes_between(at(2025, 3, 30, zone=BERLIN), at(2025, 3, 31, zone=BERLIN)) == 120
    assert sunday_night.working_minutes_between(at(2025, 10, 26, zone=BERLIN), at(2025, 10, 27, zone=BERLIN)) == 240
    assert sunday_night.working_minutes_between(at(2025, 4, 6, zone=BERLIN), at(2025, 4, 7, zone=BERLIN)) == 180
    # 90 minutes after 01:00 on the spring-forward day is 03:30 wall time.
    assert sunday_night.add_working_minutes(at(2025, 3, 30, 1, zone=BERLIN), 90) == at(2025, 3, 30, 3, 30, zone=BERLIN)


def test_skipped_wall_times_map_to_the_jump() -> None:
    inside_gap = berlin(WeeklyPeriod(6, time(2, 15), time(2, 45)))
    spring = (at(2025, 3, 30, zone=BERLIN), at(2025, 3, 31, zone=BERLIN))
    assert list(inside_gap.open_intervals(*spring)) == []  # the wall clock never shows 02:15-02:45
    assert inside_gap.working_minutes_between(at(2025, 4, 6, zone=BERLIN), at(2025, 4, 7, zone=BERLIN)) == 30
    assert inside_gap.next_opening(spring[0]) == at(2025, 4, 6, 2, 15, zone=BERLIN)
    straddling = berlin(WeeklyPeriod(6, time(2, 30), time(4)))
    assert list(straddling.open_intervals(*spring)) == [
        (at(2025, 3, 30, 3, zone=BERLIN), at(2025, 3, 30, 4, zone=BERLIN))
    ]
    assert straddling.next_opening(spring[0]) == datetime(2025, 3, 30, 1, 0, tzinfo=UTC)


def test_repeated_wall_times_use_the_first_occurrence() -> None:
    calendar = berlin(WeeklyPeriod(6, time(2, 30), time(5)))
    intervals = list(calendar.open_intervals(at(2025, 10, 26, zone=BERLIN), at(2025, 10, 27, zone=BERLIN)))
    # Compare in UTC: PEP 495 makes inter-zone == False for a wall time inside a repeated hour.
    assert [(opens.astimezone(UTC), closes.astimezone(UTC)) for opens, closes in intervals] == [
        (datetime(2025, 10, 26, 0, 30, tzinfo=UTC), datetime(2025, 10, 26, 4, 0, tzinfo=UTC))
    ]


def test_daily_hours_stay_on_the_wall_clock_across_dst() -> None:
    calendar = berlin(*(WeeklyPeriod(day, time(8), time(20)) for day in range(7)))
    intervals = list(calendar.open_intervals(at(2025, 3, 28, zone=BERLIN), at(2025, 4, 2, zone=BERLIN)))
    assert [(start.hour, end.hour) for start, end in intervals] == [(8, 20)] * 5
    assert [start.astimezone(UTC).hour for start, _ in intervals] == [7, 7, 6, 6, 6]
    assert calendar.working_minutes_between(at(2025, 3, 28, zone=BERLIN), at(2025, 4, 2, zone=BERLIN)) == 5 * 720
    assert calendar.is_open(datetime(2025, 3, 31, 6, 30, tzinfo=UTC))  # 08:30 CEST
    assert not calendar.is_open(datetime(2025, 3, 28, 6, 30, tzinfo=UTC))  # 07:30 CET


# -- dict form ------------------------------------------------------------------------------------------------


def test_dict_round_trip(calendar: BusinessCalendar, night: BusinessCalendar) -> None:
    for original in (calendar, night, BusinessCalendar(time_zone="Europe/Berlin")):
        data = json.loads(json.dumps(original.to_dict()))
        assert BusinessCalendar.from_dict(data) == original
    assert calendar.to_dict()["exceptions"] == [
        {"day": "2025-10-01", "periods": []},
        {"day": "2025-10-12", "periods": [{"opens": "10:00", "closes": "16:00"}]},
    ]


def test_from_dict_defaults_and_ignores_unknown_keys() -> None:
    calendar = BusinessCalendar.from_dict(
        {"weekly_periods": [{"weekday": 0, "opens": "09:00", "closes": "10:00", "note": "x"}], "v": 2}
    )
    assert calendar == BusinessCalendar([WeeklyPeriod(0, time(9), time(10))])


@pytest.mark.parametrize(
    ("data", "field", "reason"),
    [
        ([], "calendar", "not_an_object"),
        ({}, "weekly_periods", "missing"),
        ({"weekly_periods": {}}, "weekly_periods", "not_a_list"),
        ({"weekly_periods": [7]}, "weekly_periods[0]", "not_an_object"),
        ({"weekly_periods": [{"opens": "09:00", "closes": "10:00"}]}, "weekly_periods[0].weekday", "missing"),
        (
            {"weekly_periods": [{"weekday": "1", "opens": "09:00", "closes": "10:00"}]},
            "weekly_periods[0].weekday",
            "not_an_integer",
        ),
        (
            {"weekly_periods": [{"weekday": 9, "opens": "09:00", "closes": "10:00"}]},
            "weekly_periods[0].weekday",
            "weekday_out_of_range",
        ),
        (
            {"weekly_periods": [{"weekday": 1, "opens": "9:00", "closes": "10:00"}]},
            "weekly_periods[0].opens",
            "not_hh_mm",
        ),
        (
            {"weekly_periods": [{"weekday": 1, "opens": "24:00", "closes": "10:00"}]},
            "weekly_periods[0].opens",
            "not_hh_mm",
        ),
        (
            {"weekly_periods": [{"weekday": 1, "opens": "09:00", "closes": "10:60"}]},
            "weekly_periods[0].closes",
            "not_hh_mm",
        ),
        (
            {"weekly_periods": [{"weekday": 1, "opens": "09:00", "closes": 10}]},
            "weekly_periods[0].closes",
            "not_a_string",
        ),
        ({"weekly_periods": [{"weekday": 1, "opens": "09:00"}]}, "weekly_periods[0].closes", "missing"),
        (
            {"weekly_periods": [{"weekday": 1, "opens": "11:00", "closes": "10:00"}]},
            "weekly_periods[0].closes",
            "closes_not_after_opens",
        ),
        ({"weekly_periods": [], "time_zone": 8}, "time_zone", "not_a_string"),
        ({"weekly_periods": [], "time_zone": "Nowhere/Land"}, "time_zone", "unknown_time_zone"),
        ({"weekly_periods": [], "exceptions": [{"periods": []}]}, "exceptions[0].day", "missing"),
        ({"weekly_periods": [], "exceptions": [{"day": "2025-13-01"}]}, "exceptions[0].day", "not_an_iso_date"),
        ({"weekly_periods": [], "exceptions": [{"day": "20251001"}]}, "exceptions[0].day", "not_an_iso_date"),
        ({"weekly_periods": [], "exceptions": [{"day": 20251001}]}, "exceptions[0].day", "not_a_string"),
        (
            {
                "weekly_periods": [],
                "exceptions": [{"day": "2025-10-01", "periods": [{"opens": "09:00", "closes": "x"}]}],
            },
            "exceptions[0].periods[0].closes",
            "not_hh_mm",
        ),
        (
            {"weekly_periods": [], "exceptions": [{"day": "2025-10-01"}, {"day": "2025-10-01"}]},
            "exceptions[1].day",
            "duplicate_date",
        ),
    ],
)
def test_from_dict_errors_name_the_path(data: object, field: str, reason: str) -> None:
    with pytest.raises(CalendarError) as caught:
        BusinessCalendar.from_dict(data)  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.reason) == (field, reason)


# -- properties -------------------------------------------------------------------------------------------------

ZONES = ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "UTC"]
FIRST_DAY = date(2024, 1, 1)


def minute_to_time(minute: int) -> time:
    return time(0) if minute == 1440 else time(minute // 60, minute % 60)


@st.composite
def day_periods(draw: st.DrawFn) -> list[tuple[time, time]]:
    """Zero to three disjoint periods on a 5-minute grid, sometimes touching, sometimes until 24:00."""
    boundaries = sorted(draw(st.sets(st.integers(0, 288), max_size=6)))
    if len(boundaries) % 2:
        boundaries = boundaries[:-1]
    spans = [(boundaries[i] * 5, boundaries[i + 1] * 5) for i in range(0, len(boundaries), 2)]
    if len(spans) >= 2 and draw(st.booleans()):
        spans[1] = (spans[0][1], spans[1][1])  # make the first two touch
    return [(minute_to_time(opens), minute_to_time(closes)) for opens, closes in spans]


@st.composite
def calendars(draw: st.DrawFn, *, must_open: bool = False) -> BusinessCalendar:
    weekly = [WeeklyPeriod(weekday, opens, closes) for weekday in range(7) for opens, closes in draw(day_periods())]
    if must_open and not weekly:
        weekly = [WeeklyPeriod(draw(st.integers(0, 6)), time(9), time(17))]
    exception_days = draw(st.sets(st.integers(0, 4 * 365), max_size=8))
    exceptions = [
        DateException(FIRST_DAY + timedelta(days=offset), tuple(Period(*pair) for pair in draw(day_periods())))
        for offset in exception_days
    ]
    return BusinessCalendar(weekly, exceptions, time_zone=draw(st.sampled_from(ZONES)))


instants = st.builds(
    lambda moment, zone: moment.astimezone(ZoneInfo(zone)),
    st.datetimes(datetime(2024, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC)),
    st.sampled_from(ZONES),
)


@settings(max_examples=150, deadline=None)
@given(calendars(must_open=True), instants, st.integers(0, 2000))
def test_adding_then_measuring_gives_back_the_minutes(
    calendar: BusinessCalendar, start: datetime, minutes: int
) -> None:
    due = calendar.add_working_minutes(start, minutes)
    assert due >= start
    assert calendar.working_minutes_between(start, due) == minutes
    if minutes:
        assert calendar.is_open(due - TINY)  # the last microsecond counted was open time


@settings(max_examples=100, deadline=None)
@given(calendars(must_open=True), instants, st.floats(0, 2000, allow_nan=False))
def test_adding_fractional_minutes(calendar: BusinessCalendar, start: datetime, minutes: float) -> None:
    due = calendar.add_working_minutes(start, minutes)
    assert calendar.working_minutes_between(start, due) == pytest.approx(minutes, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(calendars(must_open=True), instants, st.integers(0, 1500), st.integers(0, 1500))
def test_adding_is_monotonic(calendar: BusinessCalendar, start: datetime, first: int, second: int) -> None:
    low, high = sorted((first, second))
    assert calendar.add_working_minutes(start, low) <= calendar.add_working_minutes(start, high)


@settings(max_examples=150, deadline=None)
@given(
    calendars(),
    instants,
    st.timedeltas(timedelta(0), timedelta(days=20)),
    st.timedeltas(timedelta(0), timedelta(days=20)),
)
def test_working_time_is_additive_and_bounded(
    calendar: BusinessCalendar, start: datetime, first: timedelta, second: timedelta
) -> None:
    middle, end = start + first, start + first + second
    whole = calendar.working_time_between(start, end)
    assert whole == calendar.working_time_between(start, middle) + calendar.working_time_between(middle, end)
    assert timedelta(0) <= whole <= end - start
    assert calendar.working_minutes_between(start, end) >= 0


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, st.timedeltas(timedelta(0), timedelta(days=10)))
def test_intervals_are_ordered_disjoint_and_sum_to_working_time(
    calendar: BusinessCalendar, start: datetime, span: timedelta
) -> None:
    intervals = list(calendar.open_intervals(start, start + span))
    for opens, closes in intervals:
        assert start <= opens < closes <= start + span
    for (_, previous_end), (next_start, _) in zip(intervals, intervals[1:], strict=False):
        assert previous_end < next_start  # touching periods are joined
    # Subtract in UTC: with the same tzinfo, Python subtracts wall-clock times and ignores DST.
    assert sum(
        (closes.astimezone(UTC) - opens.astimezone(UTC) for opens, closes in intervals), timedelta(0)
    ) == calendar.working_time_between(start, start + span)


@settings(max_examples=200, deadline=None)
@given(calendars(), instants)
def test_is_open_iff_inside_an_interval(calendar: BusinessCalendar, moment: datetime) -> None:
    around = calendar.open_intervals(moment - timedelta(days=2), moment + timedelta(days=2))
    inside = any(opens <= moment < closes for opens, closes in around)
    assert calendar.is_open(moment) is inside
    assert calendar.is_open(moment) is bool(calendar.working_time_between(moment, moment + TINY))


@settings(max_examples=150, deadline=None)
@given(calendars(), instants)
def test_next_opening_is_a_closed_to_open_edge(calendar: BusinessCalendar, moment: datetime) -> None:
    opening = calendar.next_opening(moment)
    if opening is None:
        if not calendar.is_open(moment):
            week = calendar.working_time_between(moment, moment + timedelta(days=SEARCH_HORIZON_DAYS - 1))
            assert week == timedelta(0)
        return
    assert opening >= moment
    assert calendar.is_open(opening) and not calendar.is_open(opening - TINY)
    if not calendar.is_open(moment):
        assert calendar.working_time_between(moment, opening) == timedelta(0)


@settings(max_examples=150, deadline=None)
@given(calendars(), instants)
def test_current_period_end_closes_an_open_stretch(calendar: BusinessCalendar, moment: datetime) -> None:
    end = calendar.current_period_end(moment)
    assert (end is None) is (not calendar.is_open(moment))
    if end is not None:
        assert end > moment
        assert calendar.working_time_between(moment, end) == end - moment
        assume(end < moment + timedelta(days=SEARCH_HORIZON_DAYS))
        assert not calendar.is_open(end)


@settings(max_examples=100, deadline=None)
@given(calendars())
def test_dict_round_trip_property(calendar: BusinessCalendar) -> None:
    again = BusinessCalendar.from_dict(json.loads(json.dumps(calendar.to_dict())))
    assert again == calendar and hash(again) == hash(calendar)
