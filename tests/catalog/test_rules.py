"""Pure rules: CSV cell formats, availability and capacity, request and demand lifecycles."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog_service.csv_io import formats
from catalog_service.resource_requests import lifecycle
from catalog_service.resource_requests.lifecycle import IllegalMove
from catalog_service.resources import availability
from catalog_service.stations.hours import weekly_summary
from shared.business_calendar import BusinessCalendar


@st.composite
def weekly_periods(draw):
    periods = []
    for weekday in sorted(draw(st.sets(st.integers(0, 6), max_size=7))):
        minutes = sorted(draw(st.sets(st.integers(0, 47), min_size=2, max_size=6)))
        for opens, closes in zip(minutes[::2], minutes[1::2], strict=False):
            periods.append(
                {
                    "weekday": weekday,
                    "opens": f"{opens // 2:02d}:{opens % 2 * 30:02d}",
                    "closes": f"{closes // 2:02d}:{closes % 2 * 30:02d}",
                }
            )
    return periods


@given(weekly_periods())
def test_hours_text_round_trips(periods):
    assert formats.parse_hours(formats.format_hours(periods)) == periods


def test_hours_text_reads_ranges_and_lists():
    assert formats.parse_hours("tue/thu 07:00-08:00") == [
        {"weekday": 1, "opens": "07:00", "closes": "08:00"},
        {"weekday": 3, "opens": "07:00", "closes": "08:00"},
    ]
    assert len(formats.parse_hours("mon-fri 08:30-11:30,13:00-20:00")) == 10
    for bad in ("funday 08:00-09:00", "fri-mon 08:00-09:00", "mon 8-9", "mon"):
        with pytest.raises(formats.CellError):
            formats.parse_hours(bad)


@given(
    st.lists(
        st.tuples(
            st.dates(date(2020, 1, 1), date(2030, 1, 1)), st.integers(0, 400), st.sets(st.integers(0, 6), min_size=1)
        ),
        min_size=1,
        max_size=4,
    )
)
def test_window_text_round_trips(windows):
    spans = [(start, start + timedelta(days=length), sorted(days)) for start, length, days in windows]
    parsed = formats.parse_windows(formats.format_windows(spans))
    assert [(w["starts_on"], w["ends_on"], w.get("weekdays", list(range(7)))) for w in parsed] == spans


def test_exception_text_round_trips():
    exceptions: list[dict[str, Any]] = [
        {"day": "2026-10-01", "periods": [], "note": "国庆节"},
        {"day": "2026-12-06", "periods": [{"opens": "09:00", "closes": "12:00"}], "note": "冬季 便民日"},
    ]
    assert formats.parse_exceptions(formats.format_exceptions(exceptions)) == exceptions


@given(st.integers(1, 50), st.lists(st.integers(1, 10), max_size=30))
def test_bookings_that_fit_never_exceed_capacity(capacity, quantities):
    reserved = 0
    for quantity in quantities:
        if availability.fits(capacity, reserved, quantity):
            reserved += quantity
        assert reserved <= capacity
        assert availability.remaining(capacity, reserved) == capacity - reserved


def test_windows_weekdays_and_lead_time():
    window = availability.Window(date(2026, 12, 1), date(2026, 12, 31), availability.weekday_mask([4, 5, 6]))
    assert availability.available_on([window], date(2026, 12, 4))  # a Friday
    assert not availability.available_on([window], date(2026, 12, 9))  # a Wednesday
    assert not availability.available_on([window], date(2027, 1, 1))
    assert availability.earliest_bookable(date(2026, 11, 25), 7) == date(2026, 12, 2)
    with pytest.raises(availability.AvailabilityError) as error:
        availability.check_windows([availability.Window(date(2026, 12, 2), date(2026, 12, 1))])
    assert error.value.field == "availability[0].ends_on"
    with pytest.raises(availability.AvailabilityError):
        availability.weekday_mask([])


def test_request_lifecycle_moves_and_refusals():
    status = "requested"
    for action, expected in (
        ("accept", "accepted"),
        ("schedule", "scheduled"),
        ("schedule", "scheduled"),
        ("deliver", "delivered"),
    ):
        status = lifecycle.next_request_status(status, action)
        assert status == expected
    for current, action in (
        ("requested", "deliver"),
        ("delivered", "cancel"),
        ("declined", "accept"),
        ("scheduled", "decline"),
        ("cancelled", "schedule"),
    ):
        with pytest.raises(IllegalMove):
            lifecycle.next_request_status(current, action)
    assert lifecycle.releases_capacity("declined") and not lifecycle.releases_capacity("delivered")


@given(st.lists(st.sampled_from(["accept", "decline", "schedule", "deliver", "cancel"]), max_size=8))
def test_no_sequence_leaves_a_final_state(actions):
    status = "requested"
    for action in actions:
        try:
            status = lifecycle.next_request_status(status, action)
        except IllegalMove:
            continue
        assert status in lifecycle.RequestStatus.__members__
    if status in ("delivered", "declined", "cancelled"):
        assert lifecycle.allowed_actions(status) == []


def test_demand_lifecycle():
    assert lifecycle.demand_after_request_made("open") == "matched"
    assert lifecycle.demand_after_delivery("matched") == "fulfilled"
    assert lifecycle.demand_after_release("matched", other_requests_holding=False) == "open"
    assert lifecycle.demand_after_release("matched", other_requests_holding=True) == "matched"
    assert lifecycle.demand_after_close("open") == "closed"
    for status in ("fulfilled", "closed"):
        with pytest.raises(IllegalMove):
            lifecycle.demand_after_request_made(status)
        with pytest.raises(IllegalMove):
            lifecycle.demand_after_close(status)


def test_weekly_summary_groups_days_for_the_wall():
    calendar = BusinessCalendar.from_dict(
        {"weekly_periods": formats.parse_hours("mon-fri 08:30-11:30,13:00-20:00; sat 08:30-11:30")}
    )
    assert weekly_summary(calendar) == [
        ("周一至周五", "08:30-11:30, 13:00-20:00"),
        ("周六", "08:30-11:30"),
        ("周日", "休息"),
    ]
