"""The duty rota: patterns, overrides, swaps, leave, and the "who is on duty" answer."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ticket_service.rota.duty import (
    RECEPTION,
    SEARCH_HORIZON,
    SHANGHAI,
    DutyRota,
    DutyRotaError,
    Leave,
    OneOffShift,
    Swap,
    Weekday,
    WeeklyPattern,
    duty_answer,
    duty_shifts,
    on_duty,
    on_leave,
)

STATION = "station-binjiang"
MONDAY = date(2024, 6, 3)  # a Monday
TUESDAY = MONDAY + timedelta(days=1)


def at(day: date, hour: int, minute: int = 0, zone: ZoneInfo = SHANGHAI) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def pattern(
    person_id: str,
    weekday: Weekday,
    start: tuple[int, int],
    end: tuple[int, int],
    *,
    role: str = RECEPTION,
    valid_from: date = date(2024, 1, 1),
    valid_until: date | None = None,
    station_id: str = STATION,
) -> WeeklyPattern:
    return WeeklyPattern(
        station_id=station_id,
        person_id=person_id,
        role=role,
        weekday=weekday,
        start_time=time(*start),
        end_time=time(*end),
        valid_from=valid_from,
        valid_until=valid_until,
    )


def weekday_rota(**changes: object) -> DutyRota:
    """Every day: alice 08:30-14:00 and bob 14:00-20:00 at reception; a social worker on Mondays."""
    patterns = [pattern("alice", day, (8, 30), (14, 0)) for day in Weekday]
    patterns += [pattern("bob", day, (14, 0), (20, 0)) for day in Weekday]
    patterns.append(pattern("wang", Weekday.MONDAY, (9, 0), (17, 0), role="social_work"))
    values: dict[str, object] = {"station_id": STATION, "patterns": patterns}
    values.update(changes)
    return DutyRota(**values)  # type: ignore[arg-type]


# --- patterns -------------------------------------------------------------------------------------


def test_pattern_shifts_are_half_open() -> None:
    rota = weekday_rota()
    assert on_duty(rota, RECEPTION, at(MONDAY, 8, 29)) == []
    assert on_duty(rota, RECEPTION, at(MONDAY, 8, 30)) == ["alice"]
    assert on_duty(rota, RECEPTION, at(MONDAY, 13, 59)) == ["alice"]
    assert on_duty(rota, RECEPTION, at(MONDAY, 14, 0)) == ["bob"]
    assert on_duty(rota, RECEPTION, at(MONDAY, 20, 0)) == []


def test_roles_are_separate() -> None:
    rota = weekday_rota()
    assert on_duty(rota, "social_work", at(MONDAY, 10)) == ["wang"]
    assert on_duty(rota, "social_work", at(TUESDAY, 10)) == []


def test_validity_dates_are_inclusive() -> None:
    rota = DutyRota(
        station_id=STATION,
        patterns=[
            pattern("alice", Weekday.MONDAY, (9, 0), (17, 0), valid_from=MONDAY, valid_until=MONDAY + timedelta(7))
        ],
    )
    assert on_duty(rota, RECEPTION, at(MONDAY - timedelta(7), 10)) == []
    assert on_duty(rota, RECEPTION, at(MONDAY, 10)) == ["alice"]
    assert on_duty(rota, RECEPTION, at(MONDAY + timedelta(7), 10)) == ["alice"]
    assert on_duty(rota, RECEPTION, at(MONDAY + timedelta(14), 10)) == []


def test_moment_in_another_zone_means_the_same_instant() -> None:
    rota = weekday_rota()
    # 01:00 UTC is 09:00 in Shanghai.
    assert on_duty(rota, RECEPTION, datetime(2024, 6, 3, 1, 0, tzinfo=UTC)) == ["alice"]


def test_pattern_time_zone_is_a_parameter() -> None:
    london = ZoneInfo("Europe/London")
    rota = DutyRota(
        station_id=STATION,
        patterns=[pattern("alice", Weekday.MONDAY, (9, 0), (17, 0))],
        time_zone=london,
    )
    assert on_duty(rota, RECEPTION, at(MONDAY, 9, 0, london)) == ["alice"]
    assert on_duty(rota, RECEPTION, at(MONDAY, 9, 0)) == []  # 09:00 Shanghai is 02:00 London


def test_several_on_duty_are_ordered_by_start_then_id() -> None:
    rota = DutyRota(
        station_id=STATION,
        patterns=[
            pattern("zhou", Weekday.MONDAY, (8, 30), (20, 0)),
            pattern("chen", Weekday.MONDAY, (12, 0), (16, 0)),
            pattern("an", Weekday.MONDAY, (12, 0), (16, 0)),
        ],
    )
    assert on_duty(rota, RECEPTION, at(MONDAY, 13)) == ["zhou", "an", "chen"]


# --- overrides, swaps, leave ------------------------------------------------------------------------


def test_one_off_shift_beats_the_pattern_only_where_it_overlaps() -> None:
    rota = weekday_rota(shifts=[OneOffShift("carol", RECEPTION, at(MONDAY, 10), at(MONDAY, 12))])
    assert on_duty(rota, RECEPTION, at(MONDAY, 9)) == ["alice"]
    assert on_duty(rota, RECEPTION, at(MONDAY, 11)) == ["carol"]
    assert on_duty(rota, RECEPTION, at(MONDAY, 12)) == ["alice"]


def test_one_off_shift_outside_patterns_adds_duty() -> None:
    rota = weekday_rota(shifts=[OneOffShift("carol", RECEPTION, at(MONDAY, 20), at(MONDAY, 22))])
    assert on_duty(rota, RECEPTION, at(MONDAY, 21)) == ["carol"]


def test_override_of_another_role_does_not_touch_reception() -> None:
    rota = weekday_rota(shifts=[OneOffShift("carol", "social_work", at(MONDAY, 10), at(MONDAY, 12))])
    assert on_duty(rota, RECEPTION, at(MONDAY, 11)) == ["alice"]
    assert on_duty(rota, "social_work", at(MONDAY, 11)) == ["carol"]


def test_two_overrides_at_once_are_both_on_duty() -> None:
    rota = weekday_rota(
        shifts=[
            OneOffShift("dave", RECEPTION, at(MONDAY, 10), at(MONDAY, 12)),
            OneOffShift("carol", RECEPTION, at(MONDAY, 10), at(MONDAY, 12)),
        ]
    )
    assert on_duty(rota, RECEPTION, at(MONDAY, 11)) == ["carol", "dave"]


def test_swap_hands_one_days_shift_to_another_person() -> None:
    rota = weekday_rota(swaps=[Swap(MONDAY, RECEPTION, "alice", "dave")])
    assert on_duty(rota, RECEPTION, at(MONDAY, 9)) == ["dave"]
    assert on_duty(rota, RECEPTION, at(MONDAY, 15)) == ["bob"]
    assert on_duty(rota, RECEPTION, at(TUESDAY, 9)) == ["alice"]


def test_swap_is_per_role() -> None:
    rota = weekday_rota(swaps=[Swap(MONDAY, "social_work", "wang", "li")])
    assert on_duty(rota, "social_work", at(MONDAY, 10)) == ["li"]
    assert on_duty(rota, RECEPTION, at(MONDAY, 10)) == ["alice"]


def test_swap_also_applies_to_a_one_off_shift() -> None:
    rota = weekday_rota(
        shifts=[OneOffShift("carol", RECEPTION, at(MONDAY, 10), at(MONDAY, 12))],
        swaps=[Swap(MONDAY, RECEPTION, "carol", "erin")],
    )
    assert on_duty(rota, RECEPTION, at(MONDAY, 11)) == ["erin"]


def test_mutual_swap_is_two_swaps_and_does_not_chain() -> None:
    rota = weekday_rota(swaps=[Swap(MONDAY, RECEPTION, "alice", "bob"), Swap(MONDAY, RECEPTION, "bob", "alice")])
    assert on_duty(rota, RECEPTION, at(MONDAY, 9)) == ["bob"]
    assert on_duty(rota, RECEPTION, at(MONDAY, 15)) == ["alice"]


def test_leave_removes_the_person() -> None:
    rota = weekday_rota(leaves=[Leave("alice", at(MONDAY, 9), at(MONDAY, 10))])
    assert on_duty(rota, RECEPTION, at(MONDAY, 8, 45)) == ["alice"]
    assert on_duty(rota, RECEPTION, at(MONDAY, 9, 30)) == []
    assert on_duty(rota, RECEPTION, at(MONDAY, 10)) == ["alice"]
    assert on_leave(rota, "alice", at(MONDAY, 9, 30))
    assert not on_leave(rota, "alice", at(MONDAY, 10))
    assert not on_leave(rota, "bob", at(MONDAY, 9, 30))


def test_leave_removes_the_person_who_took_a_swap() -> None:
    rota = weekday_rota(
        swaps=[Swap(MONDAY, RECEPTION, "alice", "dave")],
        leaves=[Leave("dave", at(MONDAY, 0), at(TUESDAY, 0))],
    )
    assert on_duty(rota, RECEPTION, at(MONDAY, 9)) == []


def test_leave_of_an_override_person_does_not_bring_the_pattern_back() -> None:
    # Documented choice: the override replaced the pattern on purpose.
    rota = weekday_rota(
        shifts=[OneOffShift("carol", RECEPTION, at(MONDAY, 10), at(MONDAY, 12))],
        leaves=[Leave("carol", at(MONDAY, 0), at(TUESDAY, 0))],
    )
    assert on_duty(rota, RECEPTION, at(MONDAY, 11)) == []


# --- the answer -----------------------------------------------------------------------------------


def test_answer_gives_shift_end_and_who_is_next() -> None:
    answer = duty_answer(weekday_rota(), RECEPTION, at(MONDAY, 10))
    assert answer.person_ids == ["alice"]
    assert answer.on_duty[0].start_at == at(MONDAY, 8, 30)
    assert answer.on_duty[0].end_at == at(MONDAY, 14)
    assert answer.next_start_at == at(MONDAY, 14)
    assert answer.next_person_ids == ["bob"]
    assert answer.next_on_duty[0].end_at == at(MONDAY, 20)
    assert answer.on_duty[0].end_at.tzinfo == SHANGHAI


def test_answer_outside_opening_hours_points_to_the_next_morning() -> None:
    answer = duty_answer(weekday_rota(), RECEPTION, at(MONDAY, 21))
    assert answer.on_duty == ()
    assert answer.next_start_at == at(TUESDAY, 8, 30)
    assert answer.next_person_ids == ["alice"]


def test_back_to_back_shifts_of_one_person_end_at_the_last() -> None:
    rota = DutyRota(
        station_id=STATION,
        patterns=[
            pattern("alice", Weekday.MONDAY, (8, 30), (12, 0)),
            pattern("alice", Weekday.MONDAY, (12, 0), (20, 0)),
        ],
    )
    answer = duty_answer(rota, RECEPTION, at(MONDAY, 9))
    assert answer.on_duty[0].end_at == at(MONDAY, 20)
    assert answer.next_start_at == at(MONDAY + timedelta(7), 8, 30)


def test_leave_in_the_middle_ends_the_shift_and_it_resumes_after() -> None:
    rota = weekday_rota(leaves=[Leave("alice", at(MONDAY, 10), at(MONDAY, 11))])
    answer = duty_answer(rota, RECEPTION, at(MONDAY, 9))
    assert answer.on_duty[0].end_at == at(MONDAY, 10)
    assert answer.next_start_at == at(MONDAY, 11)
    assert answer.next_person_ids == ["alice"]


def test_nobody_within_the_horizon() -> None:
    rota = DutyRota(
        station_id=STATION,
        patterns=[pattern("alice", Weekday.MONDAY, (9, 0), (17, 0), valid_from=date(2024, 7, 1))],
    )
    answer = duty_answer(rota, RECEPTION, at(MONDAY, 9))
    assert answer.on_duty == () and answer.next_start_at is None and answer.next_on_duty == ()
    # Within 14 days of 2024-06-20 the first Monday on or after 1 July is in reach.
    later = duty_answer(rota, RECEPTION, at(date(2024, 6, 20), 9))
    assert later.next_start_at == at(date(2024, 7, 1), 9)


def test_horizon_bounds() -> None:
    rota = weekday_rota()
    assert duty_answer(rota, RECEPTION, at(MONDAY, 21), horizon=timedelta(hours=1)).next_start_at is None
    for horizon in (timedelta(0), timedelta(days=100)):
        with pytest.raises(DutyRotaError) as caught:
            duty_answer(rota, RECEPTION, at(MONDAY, 21), horizon=horizon)
        assert (caught.value.field, caught.value.reason) == ("horizon", "out_of_range")


def test_rota_listing() -> None:
    rota = weekday_rota(shifts=[OneOffShift("carol", RECEPTION, at(MONDAY, 10), at(MONDAY, 12))])
    shifts = duty_shifts(rota, RECEPTION, at(MONDAY, 0), at(TUESDAY, 0))
    assert [(s.person_id, s.start_at.time(), s.end_at.time()) for s in shifts] == [
        ("alice", time(8, 30), time(10, 0)),
        ("carol", time(10, 0), time(12, 0)),
        ("alice", time(12, 0), time(14, 0)),
        ("bob", time(14, 0), time(20, 0)),
    ]


@pytest.mark.parametrize(
    ("start", "end", "field", "reason"),
    [
        (at(MONDAY, 10), at(MONDAY, 9), "end_at", "end_before_start"),
        (at(MONDAY, 10), at(MONDAY, 10) + timedelta(days=63), "end_at", "window_too_long"),
        (datetime(2024, 6, 3), at(MONDAY, 10), "start_at", "naive_datetime"),
    ],
)
def test_rota_listing_errors(start: datetime, end: datetime, field: str, reason: str) -> None:
    with pytest.raises(DutyRotaError) as caught:
        duty_shifts(weekday_rota(), RECEPTION, start, end)
    assert (caught.value.field, caught.value.reason) == (field, reason)


# --- validation -----------------------------------------------------------------------------------


def _error(**changes: object) -> DutyRotaError:
    with pytest.raises(DutyRotaError) as caught:
        DutyRota(**{"station_id": STATION, **changes})  # type: ignore[arg-type]
    assert isinstance(caught.value, ValueError)
    return caught.value


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"patterns": [pattern("a", Weekday.MONDAY, (14, 0), (9, 0))]}, "patterns[0].end_time", "end_before_start"),
        ({"patterns": [pattern("a", Weekday.MONDAY, (9, 0), (9, 0))]}, "patterns[0].end_time", "end_before_start"),
        (
            {"patterns": [pattern("a", Weekday.MONDAY, (9, 0), (10, 0), valid_until=date(2023, 1, 1))]},
            "patterns[0].valid_until",
            "end_before_start",
        ),
        (
            {"patterns": [pattern("a", Weekday.MONDAY, (9, 0), (10, 0), station_id="elsewhere")]},
            "patterns[0].station_id",
            "station_mismatch",
        ),
        ({"patterns": [pattern("", Weekday.MONDAY, (9, 0), (10, 0))]}, "patterns[0].person_id", "required"),
        (
            {"patterns": [pattern("a", Weekday.MONDAY, (9, 0), (10, 0), role="Reception desk")]},
            "patterns[0].role",
            "invalid_role",
        ),
        (
            {"patterns": [pattern("a", 7, (9, 0), (10, 0))]},  # type: ignore[arg-type]
            "patterns[0].weekday",
            "invalid_weekday",
        ),
        (
            {
                "patterns": [
                    WeeklyPattern(STATION, "a", RECEPTION, Weekday.MONDAY, time(9, tzinfo=UTC), time(10), MONDAY)
                ]
            },
            "patterns[0].start_time",
            "time_zone_not_allowed",
        ),
        (
            {
                "patterns": [
                    pattern("a", Weekday.MONDAY, (9, 0), (12, 0)),
                    pattern("b", Weekday.MONDAY, (9, 0), (12, 0)),
                    pattern("a", Weekday.MONDAY, (11, 0), (13, 0), role="social_work"),
                ]
            },
            "patterns[2]",
            "overlapping_patterns",
        ),
        (
            {"shifts": [OneOffShift("a", RECEPTION, at(MONDAY, 10), at(MONDAY, 9))]},
            "shifts[0].end_at",
            "end_before_start",
        ),
        (
            {"shifts": [OneOffShift("a", RECEPTION, datetime(2024, 6, 3, 9), at(MONDAY, 10))]},
            "shifts[0].start_at",
            "naive_datetime",
        ),
        (
            {
                "shifts": [
                    OneOffShift("a", RECEPTION, at(MONDAY, 9), at(MONDAY, 11)),
                    OneOffShift("a", "social_work", at(MONDAY, 10), at(MONDAY, 12)),
                ]
            },
            "shifts[1]",
            "overlapping_shifts",
        ),
        ({"swaps": [Swap(MONDAY, RECEPTION, "a", "a")]}, "swaps[0].to_person_id", "same_person"),
        (
            {"swaps": [Swap(MONDAY, RECEPTION, "a", "b"), Swap(MONDAY, RECEPTION, "a", "c")]},
            "swaps[1]",
            "duplicate_swap",
        ),
        ({"swaps": [Swap(MONDAY, RECEPTION, "a", " ")]}, "swaps[0].to_person_id", "required"),
        (
            {"leaves": [Leave("a", at(MONDAY, 10), at(MONDAY, 10))]},
            "leaves[0].end_at",
            "end_before_start",
        ),
        ({"station_id": ""}, "station_id", "required"),
        ({"time_zone": "Asia/Shanghai"}, "time_zone", "invalid_time_zone"),
    ],
)
def test_invalid_rota(changes: dict[str, object], field: str, reason: str) -> None:
    error = _error(**changes)
    assert (error.field, error.reason) == (field, reason)


def test_overlap_error_names_the_other_pattern() -> None:
    error = _error(
        patterns=[
            pattern("a", Weekday.MONDAY, (9, 0), (12, 0)),
            pattern("a", Weekday.MONDAY, (11, 0), (13, 0)),
        ]
    )
    assert error.detail == "patterns[0]"


def test_same_person_same_time_on_different_days_or_validity_is_fine() -> None:
    DutyRota(
        station_id=STATION,
        patterns=[
            pattern("a", Weekday.MONDAY, (9, 0), (12, 0)),
            pattern("a", Weekday.TUESDAY, (9, 0), (12, 0)),
            pattern("a", Weekday.MONDAY, (12, 0), (14, 0)),  # touching is not overlapping
            pattern("b", Weekday.MONDAY, (8, 0), (10, 0), valid_until=date(2024, 5, 31)),
            pattern("b", Weekday.MONDAY, (9, 0), (11, 0), valid_from=date(2024, 6, 1)),
        ],
    )


def test_validity_overlap_is_caught() -> None:
    error = _error(
        patterns=[
            pattern("b", Weekday.MONDAY, (8, 0), (10, 0), valid_until=date(2024, 6, 3)),
            pattern("b", Weekday.MONDAY, (9, 0), (11, 0), valid_from=date(2024, 6, 3)),
        ]
    )
    assert error.reason == "overlapping_patterns"


@pytest.mark.parametrize("query", [on_duty, duty_answer])
def test_naive_moment_is_refused(query: object) -> None:
    with pytest.raises(DutyRotaError) as caught:
        query(weekday_rota(), RECEPTION, datetime(2024, 6, 3, 9))  # type: ignore[operator]
    assert (caught.value.field, caught.value.reason) == ("at", "naive_datetime")


def test_invalid_role_in_query() -> None:
    with pytest.raises(DutyRotaError) as caught:
        on_duty(weekday_rota(), "", at(MONDAY, 9))
    assert (caught.value.field, caught.value.reason) == ("role", "invalid_role")


def test_rota_is_immutable_and_stores_tuples() -> None:
    rota = weekday_rota(leaves=[Leave("alice", at(MONDAY, 9), at(MONDAY, 10))])
    assert isinstance(rota.patterns, tuple) and isinstance(rota.leaves, tuple)
    with pytest.raises(AttributeError):
        rota.station_id = "other"  # type: ignore[misc]


# --- properties against a brute-force model ---------------------------------------------------------

PEOPLE = ["p1", "p2", "p3", "p4"]
ROLES = [RECEPTION, "social_work"]
# Two weeks of half-hour slots starting on MONDAY (local time).
SLOTS = 14 * 48


def _slot_time(slot: int) -> datetime:
    return datetime.combine(MONDAY, time(0), tzinfo=SHANGHAI) + timedelta(minutes=30 * slot)


def _hm(half_hours: int) -> time:
    return time(half_hours // 2, 30 * (half_hours % 2))


@st.composite
def patterns_strategy(draw: st.DrawFn) -> WeeklyPattern:
    start = draw(st.integers(min_value=0, max_value=46))
    end = draw(st.integers(min_value=start + 1, max_value=47))
    valid_from = MONDAY + timedelta(days=draw(st.integers(min_value=-7, max_value=10)))
    until_days = draw(st.none() | st.integers(min_value=0, max_value=10))
    return WeeklyPattern(
        station_id=STATION,
        person_id=draw(st.sampled_from(PEOPLE)),
        role=draw(st.sampled_from(ROLES)),
        weekday=draw(st.sampled_from(list(Weekday))),
        start_time=_hm(start),
        end_time=_hm(end),
        valid_from=valid_from,
        valid_until=None if until_days is None else valid_from + timedelta(days=until_days),
    )


@st.composite
def interval_strategy(draw: st.DrawFn) -> tuple[datetime, datetime]:
    start = draw(st.integers(min_value=0, max_value=SLOTS - 2))
    length = draw(st.integers(min_value=1, max_value=24))
    return _slot_time(start), _slot_time(start + length)


@st.composite
def rota_strategy(draw: st.DrawFn) -> DutyRota:
    patterns = draw(st.lists(patterns_strategy(), min_size=1, max_size=10))
    shifts = [
        OneOffShift(draw(st.sampled_from(PEOPLE)), draw(st.sampled_from(ROLES)), *draw(interval_strategy()))
        for _ in range(draw(st.integers(min_value=0, max_value=3)))
    ]
    swaps = [
        Swap(
            MONDAY + timedelta(days=draw(st.integers(min_value=0, max_value=13))),
            draw(st.sampled_from(ROLES)),
            *draw(st.lists(st.sampled_from(PEOPLE), min_size=2, max_size=2, unique=True)),
        )
        for _ in range(draw(st.integers(min_value=0, max_value=3)))
    ]
    leaves = [
        Leave(draw(st.sampled_from(PEOPLE)), *draw(interval_strategy()))
        for _ in range(draw(st.integers(min_value=0, max_value=3)))
    ]
    try:
        return DutyRota(station_id=STATION, patterns=patterns, shifts=shifts, swaps=swaps, leaves=leaves)
    except DutyRotaError:
        assume(False)
        raise


def model_on_duty(rota: DutyRota, role: str, moment: datetime) -> set[str]:
    """The rules read literally, one moment at a time."""
    swaps = {(s.on_date, s.role, s.from_person_id): s.to_person_id for s in rota.swaps}

    def holder(person_id: str, start: datetime) -> str:
        return swaps.get((start.astimezone(SHANGHAI).date(), role, person_id), person_id)

    overrides = [s for s in rota.shifts if s.role == role and s.start_at <= moment < s.end_at]
    if overrides:
        people = {holder(s.person_id, s.start_at) for s in overrides}
    else:
        day = moment.astimezone(SHANGHAI).date()
        people = set()
        for p in rota.patterns:
            if p.role != role or p.weekday != day.weekday():
                continue
            if p.valid_from > day or (p.valid_until is not None and day > p.valid_until):
                continue
            start = datetime.combine(day, p.start_time, tzinfo=SHANGHAI)
            end = datetime.combine(day, p.end_time, tzinfo=SHANGHAI)
            if start <= moment < end:
                people.add(holder(p.person_id, start))
    return {
        person
        for person in people
        if not any(leave.person_id == person and leave.start_at <= moment < leave.end_at for leave in rota.leaves)
    }


slots = st.integers(min_value=0, max_value=SLOTS - 1)


def _interesting_moments(rota: DutyRota, role: str) -> list[datetime]:
    """Edges of the role's pattern occurrences and shifts and of leave, and just around them."""
    edges: list[datetime] = []
    for offset in range(14):
        day = MONDAY + timedelta(days=offset)
        for p in rota.patterns:
            valid = p.valid_from <= day and (p.valid_until is None or day <= p.valid_until)
            if p.role == role and p.weekday == day.weekday() and valid:
                edges += [datetime.combine(day, p.start_time, tzinfo=SHANGHAI)]
                edges += [datetime.combine(day, p.end_time, tzinfo=SHANGHAI)]
    edges += [edge for shift in rota.shifts if shift.role == role for edge in (shift.start_at, shift.end_at)]
    edges += [edge for leave in rota.leaves for edge in (leave.start_at, leave.end_at)]
    return [edge + timedelta(minutes=delta) for edge in edges for delta in (-1, 0, 1, 29)]


@st.composite
def rota_and_moment(draw: st.DrawFn) -> tuple[DutyRota, str, datetime]:
    rota = draw(rota_strategy())
    role = draw(st.sampled_from(ROLES))
    interesting = _interesting_moments(rota, role)
    if interesting and draw(st.integers(min_value=0, max_value=3)) != 0:
        return rota, role, draw(st.sampled_from(interesting))
    return rota, role, _slot_time(draw(slots)) + timedelta(minutes=draw(st.sampled_from([0, 1, 29])))


@settings(max_examples=300, deadline=None)
@given(rota_and_moment())
def test_on_duty_matches_the_model(case: tuple[DutyRota, str, datetime]) -> None:
    rota, role, moment = case
    result = on_duty(rota, role, moment)
    assert len(result) == len(set(result))
    assert set(result) == model_on_duty(rota, role, moment)
    assert duty_answer(rota, role, moment).person_ids == result


@settings(max_examples=200, deadline=None)
@given(rota_and_moment())
def test_answer_is_consistent_with_on_duty(case: tuple[DutyRota, str, datetime]) -> None:
    rota, role, moment = case
    answer = duty_answer(rota, role, moment)
    current = set(answer.person_ids)
    for shift in answer.on_duty:
        assert shift.start_at <= moment < shift.end_at
        # The end is the real end of continuous duty: on just before, off at the end.
        assert shift.person_id in on_duty(rota, role, shift.end_at - timedelta(minutes=1))
        assert shift.person_id not in on_duty(rota, role, shift.end_at)
    if answer.next_start_at is None:
        assert answer.next_on_duty == ()
        return
    assert moment < answer.next_start_at < moment + SEARCH_HORIZON
    assert set(answer.next_person_ids) <= set(on_duty(rota, role, answer.next_start_at))
    # Nobody new appears between now and the announced next start (all edges are on the minute).
    probe = moment + timedelta(minutes=1)
    while probe < answer.next_start_at:
        assert set(on_duty(rota, role, probe)) <= current
        probe += timedelta(minutes=30)


@settings(max_examples=100, deadline=None)
@given(rota_and_moment(), st.randoms(use_true_random=False))
def test_answer_does_not_depend_on_input_order(case: tuple[DutyRota, str, datetime], shuffler: random.Random) -> None:
    rota, role, moment = case

    def shuffled(items: tuple[object, ...]) -> list[object]:
        copy = list(items)
        shuffler.shuffle(copy)
        return copy

    other = DutyRota(
        station_id=STATION,
        patterns=shuffled(rota.patterns),  # type: ignore[arg-type]
        shifts=shuffled(rota.shifts),  # type: ignore[arg-type]
        swaps=shuffled(rota.swaps),  # type: ignore[arg-type]
        leaves=shuffled(rota.leaves),  # type: ignore[arg-type]
    )
    assert duty_answer(other, role, moment) == duty_answer(rota, role, moment)
