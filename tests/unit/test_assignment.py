"""The three responsibility rules: first inquiry, designated, backstop."""

from __future__ import annotations

import random
from collections.abc import Sequence, Set
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticket_service.rota.duty import (
    RECEPTION,
    DutyAnswer,
    DutyRota,
    DutyShift,
    Leave,
    Weekday,
    WeeklyPattern,
    duty_answer,
)
from ticket_service.tickets.assignment import (
    Assignment,
    AssignmentBasis,
    NoOwnerAvailable,
    Owner,
    OwnerKind,
    SocialWorker,
    assign_backstop,
    assign_first_inquiry,
    designate,
    rank_social_workers,
)
from ticket_service.tickets.lifecycle import InvalidInput, ResponsibilityLevel

SHANGHAI = ZoneInfo("Asia/Shanghai")
STATION = "station-shixin"
OTHER_STATION = "station-weifang-1"
MONDAY = date(2024, 6, 3)
STAFF = frozenset({"alice", "bob", "wang", "li"})


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def rota(**changes: object) -> DutyRota:
    patterns = [
        WeeklyPattern(STATION, "alice", RECEPTION, day, time(8, 30), time(14, 0), date(2024, 1, 1)) for day in Weekday
    ] + [WeeklyPattern(STATION, "bob", RECEPTION, day, time(14, 0), time(20, 0), date(2024, 1, 1)) for day in Weekday]
    return DutyRota(station_id=STATION, patterns=patterns, **changes)  # type: ignore[arg-type]


def answer(on_duty: Sequence[str], next_people: Sequence[str] = (), next_start: datetime | None = None) -> DutyAnswer:
    """A hand-made duty answer, for cases a real rota would not produce (stale staff lists)."""
    moment = at(MONDAY, 10)
    following: tuple[DutyShift, ...] = ()
    if next_start is not None:
        following = tuple(DutyShift(p, next_start, next_start + timedelta(hours=1)) for p in next_people)
    return DutyAnswer(
        role=RECEPTION,
        at=moment,
        on_duty=tuple(DutyShift(p, moment, moment + timedelta(hours=1)) for p in on_duty),
        next_start_at=next_start,
        next_on_duty=following,
    )


# --- 1. first inquiry -------------------------------------------------------------------------------


def test_receiver_who_works_at_the_station_owns_it() -> None:
    result = assign_first_inquiry(
        receiver_id="wang", station_staff=STAFF, duty=duty_answer(rota(), RECEPTION, at(MONDAY, 10))
    )
    assert result == Assignment(
        owner=Owner(OwnerKind.PERSON, "wang"),
        level=ResponsibilityLevel.FIRST_INQUIRY,
        basis=AssignmentBasis.RECEIVER,
    )
    assert result.owner_id == "wang" and result.waits_until is None


def test_receiver_from_elsewhere_hands_over_to_reception_duty() -> None:
    duty = duty_answer(rota(), RECEPTION, at(MONDAY, 15))
    result = assign_first_inquiry(receiver_id="visitor-from-centre", station_staff=STAFF, duty=duty)
    assert (result.owner_id, result.basis) == ("bob", AssignmentBasis.ON_DUTY)


def test_no_receiver_means_reception_duty() -> None:
    duty = duty_answer(rota(), RECEPTION, at(MONDAY, 9))
    result = assign_first_inquiry(receiver_id=None, station_staff=STAFF, duty=duty)
    assert (result.owner_id, result.basis, result.level) == (
        "alice",
        AssignmentBasis.ON_DUTY,
        ResponsibilityLevel.FIRST_INQUIRY,
    )


def test_outside_opening_hours_the_ticket_waits_for_the_next_shift() -> None:
    duty = duty_answer(rota(), RECEPTION, at(MONDAY, 21, 30))  # an app request after closing
    result = assign_first_inquiry(receiver_id=None, station_staff=STAFF, duty=duty)
    assert result.owner_id == "alice"
    assert result.basis is AssignmentBasis.NEXT_SHIFT
    assert result.waits_until == at(MONDAY + timedelta(days=1), 8, 30)


def test_duty_person_on_leave_is_skipped_by_the_rota() -> None:
    duty = duty_answer(rota(leaves=[Leave("alice", at(MONDAY, 0), at(MONDAY, 23))]), RECEPTION, at(MONDAY, 9))
    result = assign_first_inquiry(receiver_id=None, station_staff=STAFF, duty=duty)
    assert (result.owner_id, result.basis, result.waits_until) == ("bob", AssignmentBasis.NEXT_SHIFT, at(MONDAY, 14))


def test_duty_people_not_on_the_staff_list_are_skipped() -> None:
    duty = answer(["former-worker", "bob"])
    assert assign_first_inquiry(receiver_id=None, station_staff=STAFF, duty=duty).owner_id == "bob"
    later = answer(["former-worker"], ["ghost", "li"], at(MONDAY, 14))
    result = assign_first_inquiry(receiver_id=None, station_staff=STAFF, duty=later)
    assert (result.owner_id, result.waits_until) == ("li", at(MONDAY, 14))


def test_nobody_on_duty_at_all_raises() -> None:
    with pytest.raises(NoOwnerAvailable) as caught:
        assign_first_inquiry(receiver_id=None, station_staff=STAFF, duty=answer([]))
    assert (caught.value.field, caught.value.reason) == ("duty_rota", "nobody_on_duty")
    assert isinstance(caught.value, ValueError)


def test_blank_receiver_is_invalid() -> None:
    with pytest.raises(InvalidInput) as caught:
        assign_first_inquiry(receiver_id=" ", station_staff=STAFF, duty=answer(["alice"]))
    assert (caught.value.field, caught.value.reason) == ("receiver_id", "required")


people = st.sampled_from(["alice", "bob", "wang", "li", "x", "y"])


@given(st.none() | people, st.lists(people, unique=True), st.lists(people, unique=True))
def test_first_inquiry_owner_is_always_station_staff(
    receiver: str | None, current: list[str], following: list[str]
) -> None:
    duty = answer(current, following, at(MONDAY, 14))
    try:
        result = assign_first_inquiry(receiver_id=receiver, station_staff=STAFF, duty=duty)
    except NoOwnerAvailable:
        assert receiver not in STAFF
        assert not (set(current) | set(following)) & STAFF
        return
    assert result.owner_id in STAFF
    assert result.level is ResponsibilityLevel.FIRST_INQUIRY
    if receiver in STAFF:
        assert result.owner_id == receiver
    assert (result.waits_until is not None) == (result.basis is AssignmentBasis.NEXT_SHIFT)


# --- 2. designated ----------------------------------------------------------------------------------


def worker(
    person_id: str,
    *,
    skills: Set[str] = frozenset({"legal"}),
    open_tickets: int = 0,
    last: datetime | None = None,
    on_leave: bool = False,
    stations: Set[str] = frozenset({STATION}),
) -> SocialWorker:
    return SocialWorker(
        person_id=person_id,
        station_ids=frozenset(stations),
        skills=frozenset(skills),
        open_ticket_count=open_tickets,
        last_assigned_at=last,
        on_leave=on_leave,
    )


def test_designate_by_name() -> None:
    workers = [worker("wang"), worker("li", skills={"health"})]
    result = designate(service_category="legal", station_id=STATION, social_workers=workers, designee_id="li")
    assert (result.owner_id, result.level, result.basis) == (
        "li",
        ResponsibilityLevel.DESIGNATED,
        AssignmentBasis.NAMED_DESIGNEE,
    )  # a named designee need not have the skill


@pytest.mark.parametrize(
    ("designee", "reason"),
    [("zhao", "designee_not_at_station"), ("sun", "designee_not_at_station"), ("li", "designee_on_leave")],
)
def test_designate_by_name_errors(designee: str, reason: str) -> None:
    workers = [worker("wang"), worker("li", on_leave=True), worker("sun", stations={OTHER_STATION})]
    with pytest.raises(InvalidInput) as caught:
        designate(service_category="legal", station_id=STATION, social_workers=workers, designee_id=designee)
    assert (caught.value.field, caught.value.reason) == ("designee_id", reason)


def test_automatic_needs_the_skill_first() -> None:
    workers = [worker("a", skills={"health"}), worker("b", open_tickets=9)]
    result = designate(service_category="legal", station_id=STATION, social_workers=workers)
    assert (result.owner_id, result.basis) == ("b", AssignmentBasis.SKILL_AND_WORKLOAD)


def test_automatic_prefers_fewest_open_tickets() -> None:
    workers = [worker("a", open_tickets=3), worker("b", open_tickets=1), worker("c", open_tickets=2)]
    assert designate(service_category="legal", station_id=STATION, social_workers=workers).owner_id == "b"


def test_automatic_then_longest_since_last_assigned_never_first() -> None:
    workers = [
        worker("a", last=at(MONDAY, 9)),
        worker("b", last=at(MONDAY, 8)),
        worker("c", last=None),
    ]
    ranked = rank_social_workers(service_category="legal", station_id=STATION, social_workers=workers)
    assert [w.person_id for w in ranked] == ["c", "b", "a"]


def test_automatic_then_person_id() -> None:
    workers = [worker("zz"), worker("aa"), worker("mm")]
    assert designate(service_category="legal", station_id=STATION, social_workers=workers).owner_id == "aa"


def test_last_assigned_compares_instants_across_zones() -> None:
    # 09:00 Shanghai = 01:00 UTC, which is earlier than 02:00 UTC.
    workers = [worker("a", last=datetime(2024, 6, 3, 2, 0, tzinfo=UTC)), worker("b", last=at(MONDAY, 9))]
    assert designate(service_category="legal", station_id=STATION, social_workers=workers).owner_id == "b"


def test_automatic_skips_leave_and_other_stations() -> None:
    workers = [
        worker("a", on_leave=True),
        worker("b", stations={OTHER_STATION}),
        worker("c", open_tickets=5, stations={STATION, OTHER_STATION}),
    ]
    assert designate(service_category="legal", station_id=STATION, social_workers=workers).owner_id == "c"


@pytest.mark.parametrize(
    ("workers", "reason"),
    [
        ([worker("a", skills={"health"})], "no_social_worker_with_skill"),
        ([worker("a", on_leave=True)], "skilled_social_workers_on_leave"),
        ([], "no_social_worker_with_skill"),
    ],
)
def test_automatic_with_nobody_eligible(workers: list[SocialWorker], reason: str) -> None:
    with pytest.raises(NoOwnerAvailable) as caught:
        designate(service_category="legal", station_id=STATION, social_workers=workers)
    assert (caught.value.field, caught.value.reason) == ("service_category", reason)


@pytest.mark.parametrize(
    ("workers", "kwargs", "field", "reason"),
    [
        ([worker("a"), worker("a")], {}, "social_workers[1].person_id", "duplicate_person"),
        ([worker("a", open_tickets=-1)], {}, "social_workers[0].open_ticket_count", "negative"),
        ([worker("a", last=datetime(2024, 1, 1))], {}, "social_workers[0].last_assigned_at", "naive_datetime"),
        ([worker("")], {}, "social_workers[0].person_id", "required"),
        ([worker("a")], {"service_category": ""}, "service_category", "required"),
        ([worker("a")], {"designee_id": ""}, "designee_id", "required"),
        ([worker("a")], {"station_id": ""}, "station_id", "required"),
    ],
)
def test_designation_input_errors(workers: list[SocialWorker], kwargs: dict[str, str], field: str, reason: str) -> None:
    arguments: dict[str, object] = {"service_category": "legal", "station_id": STATION, "social_workers": workers}
    arguments.update(kwargs)
    with pytest.raises(InvalidInput) as caught:
        designate(**arguments)  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.reason) == (field, reason)


@st.composite
def workers_strategy(draw: st.DrawFn) -> list[SocialWorker]:
    ids = draw(st.lists(st.sampled_from([f"sw{n}" for n in range(8)]), unique=True, max_size=8))
    return [
        worker(
            person_id,
            skills=draw(st.sets(st.sampled_from(["legal", "health", "daily_life"]))),
            open_tickets=draw(st.integers(min_value=0, max_value=3)),
            last=draw(st.none() | st.integers(min_value=0, max_value=5).map(lambda h: at(MONDAY, 8 + h))),
            on_leave=draw(st.booleans()),
            stations=draw(st.sampled_from([{STATION}, {OTHER_STATION}, {STATION, OTHER_STATION}])),
        )
        for person_id in ids
    ]


@settings(max_examples=200, deadline=None)
@given(workers_strategy(), st.sampled_from(["legal", "health", "daily_life"]), st.randoms(use_true_random=False))
def test_automatic_choice_is_the_best_eligible_and_order_independent(
    workers: list[SocialWorker], category: str, shuffler: random.Random
) -> None:
    eligible = [w for w in workers if STATION in w.station_ids and category in w.skills and not w.on_leave]
    try:
        result = designate(service_category=category, station_id=STATION, social_workers=workers)
    except NoOwnerAvailable:
        assert not eligible
        return
    chosen = next(w for w in eligible if w.person_id == result.owner_id)
    for other in eligible:
        # Nobody eligible beats the chosen one on (fewest open, never/longest ago, id).
        assert chosen.open_ticket_count <= other.open_ticket_count
        if chosen.open_ticket_count == other.open_ticket_count and other is not chosen:
            if chosen.last_assigned_at is not None:
                assert other.last_assigned_at is not None
                assert chosen.last_assigned_at <= other.last_assigned_at
                if chosen.last_assigned_at == other.last_assigned_at:
                    assert chosen.person_id < other.person_id
            elif other.last_assigned_at is None:
                assert chosen.person_id < other.person_id
    reordered = list(workers)
    shuffler.shuffle(reordered)
    again = designate(service_category=category, station_id=STATION, social_workers=reordered)
    assert again == result


# --- 3. backstop ------------------------------------------------------------------------------------

COMMUNITY = frozenset({"alice", "bob", "wang"})
DEPARTMENTS = frozenset({"dept-civil-affairs", "dept-justice"})


def backstop(**kwargs: object) -> Assignment:
    arguments: dict[str, object] = {
        "secretary_id": "secretary-zhang",
        "community_staff": COMMUNITY,
        "subdistrict_department_ids": DEPARTMENTS,
    }
    arguments.update(kwargs)
    return assign_backstop(**arguments)  # type: ignore[arg-type]


def test_secretary_names_a_person() -> None:
    result = backstop(person_id="wang")
    assert result == Assignment(
        Owner(OwnerKind.PERSON, "wang"), ResponsibilityLevel.BACKSTOP, AssignmentBasis.NAMED_PERSON
    )


def test_secretary_names_a_department() -> None:
    result = backstop(department_id="dept-justice")
    assert result.owner == Owner(OwnerKind.DEPARTMENT, "dept-justice")
    assert (result.level, result.basis) == (ResponsibilityLevel.BACKSTOP, AssignmentBasis.NAMED_DEPARTMENT)


def test_secretary_claims_it_personally() -> None:
    result = backstop()
    assert (result.owner, result.basis) == (
        Owner(OwnerKind.PERSON, "secretary-zhang"),
        AssignmentBasis.SECRETARY_CLAIMED,
    )


def test_secretary_may_name_themself() -> None:
    assert backstop(person_id="secretary-zhang").owner_id == "secretary-zhang"


def test_escalation_lands_with_the_secretary() -> None:
    result = backstop(escalated=True)
    assert (result.owner_id, result.basis) == ("secretary-zhang", AssignmentBasis.SECRETARY_BY_ESCALATION)


@pytest.mark.parametrize(
    ("kwargs", "field", "reason", "error_type"),
    [
        (
            {"person_id": "wang", "department_id": "dept-justice"},
            "department_id",
            "person_and_department_both_named",
            InvalidInput,
        ),
        ({"person_id": "stranger"}, "person_id", "person_not_in_community", InvalidInput),
        ({"person_id": "wang", "people_on_leave": {"wang"}}, "person_id", "person_on_leave", InvalidInput),
        ({"person_id": ""}, "person_id", "required", InvalidInput),
        ({"department_id": "dept-tax"}, "department_id", "department_not_in_subdistrict", InvalidInput),
        ({"department_id": " "}, "department_id", "required", InvalidInput),
        ({"secretary_id": None}, "secretary_id", "no_secretary", NoOwnerAvailable),
        ({"secretary_id": ""}, "secretary_id", "no_secretary", NoOwnerAvailable),
    ],
)
def test_backstop_errors(kwargs: dict[str, object], field: str, reason: str, error_type: type[Exception]) -> None:
    with pytest.raises(error_type) as caught:
        backstop(**kwargs)
    assert (caught.value.field, caught.value.reason) == (field, reason)  # type: ignore[attr-defined]


def test_vacant_secretary_can_still_name_a_department() -> None:
    assert backstop(secretary_id=None, department_id="dept-civil-affairs").owner.kind is OwnerKind.DEPARTMENT


@given(
    st.none() | st.sampled_from(["secretary-zhang", "secretary-li"]),
    st.none() | st.sampled_from(["alice", "wang", "stranger"]),
    st.none() | st.sampled_from(["dept-justice", "dept-tax"]),
    st.sets(st.sampled_from(["alice", "wang"])),
)
def test_backstop_always_has_an_owner_or_says_why_not(
    secretary: str | None, person: str | None, department: str | None, on_leave: set[str]
) -> None:
    try:
        result = backstop(secretary_id=secretary, person_id=person, department_id=department, people_on_leave=on_leave)
    except InvalidInput as error:
        assert error.field in {"person_id", "department_id", "secretary_id"} and error.reason
        return
    assert result.owner.id
    assert result.level is ResponsibilityLevel.BACKSTOP
    if person is None and department is None:
        assert result.owner_id == secretary
