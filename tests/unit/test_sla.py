"""SLA clocks in working minutes: due times, pauses while waiting for the resident, breaches."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.business_calendar import BusinessCalendar, DateException, Period, WeeklyPeriod
from ticket_service.tickets.lifecycle import (
    InvalidInput,
    ResponsibilityLevel,
    TicketState,
    allowed_actions,
    apply,
)
from ticket_service.tickets.sla import (
    ClockStatus,
    SlaClockKind,
    SlaPolicy,
    StateSpan,
    TicketSla,
    WorkingCalendar,
    acceptance_due,
    breach_check,
    resolution_due,
    spans_from_changes,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = date(2024, 6, 3)
TUESDAY = MONDAY + timedelta(days=1)
S = TicketState
ACCEPTANCE = SlaClockKind.ACCEPTANCE
RESOLUTION = SlaClockKind.RESOLUTION


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


class DailyCalendar:
    """A deliberately simple fake: open ``opens``-``closes`` every day, no holidays."""

    def __init__(self, opens: time = time(8, 30), closes: time = time(20, 0), zone: ZoneInfo = SHANGHAI) -> None:
        self.opens, self.closes, self.zone = opens, closes, zone

    def _days_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        day = moment.astimezone(self.zone).date() - timedelta(days=1)
        while True:
            yield (
                datetime.combine(day, self.opens, tzinfo=self.zone),
                datetime.combine(day, self.closes, tzinfo=self.zone),
            )
            day += timedelta(days=1)

    def working_minutes_between(self, start: datetime, end: datetime) -> float:
        total = timedelta(0)
        for opens, closes in self._days_from(start):
            if opens >= end:
                break
            total += max(timedelta(0), min(closes, end) - max(opens, start))
        return total / timedelta(minutes=1)

    def add_working_minutes(self, start: datetime, minutes: float) -> datetime:
        remaining = timedelta(minutes=minutes)
        if not remaining:
            return start
        for opens, closes in self._days_from(start):
            opens = max(opens, start)
            if closes <= opens:
                continue
            if closes - opens >= remaining:
                return opens + remaining
            remaining -= closes - opens
        raise AssertionError("unreachable")  # pragma: no cover


FAKE = DailyCalendar()
REAL = BusinessCalendar(
    weekly_periods=[WeeklyPeriod(weekday, time(8, 30), time(20, 0)) for weekday in range(7)],
    exceptions=[],
    time_zone="Asia/Shanghai",
)
POLICY = SlaPolicy(accept_minutes=30, resolve_minutes=120)
CALENDARS = pytest.mark.parametrize("calendar", [FAKE, REAL], ids=["fake", "real"])


def sla(
    calendar: WorkingCalendar, *changes: tuple[TicketState, datetime], created: datetime | None = None
) -> TicketSla:
    created_at = created or at(MONDAY, 10)
    return TicketSla(calendar=calendar, policy=POLICY, history=spans_from_changes(created_at, changes))


def test_both_calendars_satisfy_the_protocol() -> None:
    def use(calendar: WorkingCalendar) -> float:
        return calendar.working_minutes_between(at(MONDAY, 8), at(MONDAY, 9))

    assert use(FAKE) == use(REAL) == 30


# --- plain due times --------------------------------------------------------------------------------


@CALENDARS
@pytest.mark.parametrize(
    ("created", "minutes", "due"),
    [
        (at(MONDAY, 10), 30, at(MONDAY, 10, 30)),
        (at(MONDAY, 19, 50), 30, at(TUESDAY, 8, 50)),  # the night does not count
        (at(MONDAY, 21, 0), 30, at(TUESDAY, 9, 0)),  # created after closing: counts from opening
        (at(MONDAY, 7, 0), 30, at(MONDAY, 9, 0)),
        (at(MONDAY, 19, 30), 30, at(MONDAY, 20, 0)),  # runs out exactly at closing
    ],
)
def test_acceptance_due(calendar: WorkingCalendar, created: datetime, minutes: float, due: datetime) -> None:
    assert acceptance_due(calendar, created, minutes) == due


@CALENDARS
def test_resolution_due_spans_days(calendar: WorkingCalendar) -> None:
    # 690 working minutes a day: 3 working days from Monday 10:00 is Thursday 10:00.
    assert resolution_due(calendar, at(MONDAY, 10), 3 * 690) == at(MONDAY + timedelta(days=3), 10)


def test_due_time_functions_refuse_naive_datetimes() -> None:
    for function in (acceptance_due, resolution_due):
        with pytest.raises(InvalidInput) as caught:
            function(FAKE, datetime(2024, 6, 3, 10), 30)
        assert (caught.value.field, caught.value.reason) == ("created_at", "naive_datetime")


def test_real_calendar_holidays_are_skipped() -> None:
    calendar = BusinessCalendar(
        weekly_periods=[WeeklyPeriod(weekday, time(8, 30), time(20, 0)) for weekday in range(7)],
        exceptions=[DateException(TUESDAY, ()), DateException(TUESDAY + timedelta(1), (Period(time(13), time(17)),))],
        time_zone="Asia/Shanghai",
    )
    ticket = sla(calendar, created=at(MONDAY, 19, 50))
    assert ticket.acceptance_due() == at(TUESDAY + timedelta(1), 13, 20)
    reading = ticket.reading(ACCEPTANCE, at(TUESDAY, 12))  # closed all Tuesday
    assert (reading.elapsed_minutes, reading.breached) == (10, False)


def test_real_calendar_lunch_break_is_skipped() -> None:
    calendar = BusinessCalendar(
        weekly_periods=[
            period
            for weekday in range(7)
            for period in (
                WeeklyPeriod(weekday, time(8, 30), time(11, 30)),
                WeeklyPeriod(weekday, time(13, 30), time(20)),
            )
        ],
        exceptions=[],
        time_zone="Asia/Shanghai",
    )
    ticket = sla(calendar, created=at(MONDAY, 11, 15))
    assert ticket.acceptance_due() == at(MONDAY, 13, 45)
    assert not ticket.is_breached(at(MONDAY, 13, 45))
    assert ticket.is_breached(at(MONDAY, 13, 46))


# --- the acceptance clock ---------------------------------------------------------------------------


@CALENDARS
def test_acceptance_clock_runs_while_new(calendar: WorkingCalendar) -> None:
    ticket = sla(calendar)
    reading = ticket.reading(ACCEPTANCE, at(MONDAY, 10, 20))
    assert reading.status is ClockStatus.RUNNING
    assert reading.elapsed_minutes == 20
    assert reading.remaining_minutes == 10
    assert reading.due_at == at(MONDAY, 10, 30) == ticket.acceptance_due()
    assert not reading.breached


@CALENDARS
def test_breach_is_strictly_after_the_due_time(calendar: WorkingCalendar) -> None:
    ticket = sla(calendar)
    assert not ticket.is_breached(at(MONDAY, 10, 30))
    assert ticket.is_breached(at(MONDAY, 10, 30) + timedelta(seconds=1))


@CALENDARS
def test_acceptance_clock_stops_on_acceptance(calendar: WorkingCalendar) -> None:
    ticket = sla(calendar, (S.ACCEPTED, at(MONDAY, 10, 10)))
    reading = ticket.reading(ACCEPTANCE, at(TUESDAY, 12))
    assert (reading.status, reading.elapsed_minutes, reading.due_at, reading.breached) == (
        ClockStatus.STOPPED,
        10,
        None,
        False,
    )


@CALENDARS
def test_late_acceptance_stays_breached(calendar: WorkingCalendar) -> None:
    ticket = sla(calendar, (S.ACCEPTED, at(MONDAY, 10, 40)))
    reading = ticket.reading(ACCEPTANCE, at(TUESDAY, 12))
    assert (reading.status, reading.elapsed_minutes, reading.due_at, reading.breached) == (
        ClockStatus.STOPPED,
        40,
        at(MONDAY, 10, 30),
        True,
    )


@CALENDARS
def test_request_after_closing_is_not_late_before_opening(calendar: WorkingCalendar) -> None:
    ticket = sla(calendar, created=at(MONDAY, 21))
    assert ticket.reading(ACCEPTANCE, at(TUESDAY, 8, 30)).elapsed_minutes == 0
    assert not ticket.is_breached(at(TUESDAY, 9))
    assert ticket.is_breached(at(TUESDAY, 9, 1))


# --- the resolution clock and its pause ---------------------------------------------------------------


@CALENDARS
def test_waiting_for_resident_pauses_resolution(calendar: WorkingCalendar) -> None:
    ticket = sla(
        calendar,
        (S.ACCEPTED, at(MONDAY, 10, 5)),
        (S.IN_PROGRESS, at(MONDAY, 10, 10)),
        (S.WAITING_FOR_RESIDENT, at(MONDAY, 11)),
        created=at(MONDAY, 10),
    )
    for now in (at(MONDAY, 11), at(MONDAY, 15), at(TUESDAY, 19)):
        reading = ticket.reading(RESOLUTION, now)
        assert (reading.status, reading.elapsed_minutes, reading.due_at) == (ClockStatus.PAUSED, 60, None)
    assert ticket.resolution_due(at(MONDAY, 15)) is None


@CALENDARS
def test_resumed_clock_continues_where_it_paused(calendar: WorkingCalendar) -> None:
    ticket = sla(
        calendar,
        (S.ACCEPTED, at(MONDAY, 10, 5)),
        (S.IN_PROGRESS, at(MONDAY, 10, 10)),
        (S.WAITING_FOR_RESIDENT, at(MONDAY, 11)),
        (S.IN_PROGRESS, at(TUESDAY, 10)),
    )
    reading = ticket.reading(RESOLUTION, at(TUESDAY, 10, 30))
    assert (reading.status, reading.elapsed_minutes) == (ClockStatus.RUNNING, 90)
    assert reading.due_at == at(TUESDAY, 11) == ticket.resolution_due(at(TUESDAY, 10, 30))
    assert not ticket.is_breached(at(TUESDAY, 11))
    assert ticket.is_breached(at(TUESDAY, 11, 1))


@CALENDARS
def test_resolution_breach_found_inside_a_past_span(calendar: WorkingCalendar) -> None:
    ticket = sla(
        calendar,
        (S.ACCEPTED, at(MONDAY, 10, 5)),
        (S.WAITING_FOR_RESIDENT, at(MONDAY, 12, 30)),  # 150 working minutes used: over budget
    )
    reading = ticket.reading(RESOLUTION, at(TUESDAY, 9))
    assert (reading.status, reading.elapsed_minutes, reading.breached) == (ClockStatus.PAUSED, 150, True)
    assert reading.due_at == at(MONDAY, 12)


@CALENDARS
def test_resolution_stops_when_resolved_and_continues_after_reopen(calendar: WorkingCalendar) -> None:
    ticket = sla(
        calendar,
        (S.ACCEPTED, at(MONDAY, 10, 10)),
        (S.RESOLVED, at(MONDAY, 11)),
        (S.REOPENED, at(TUESDAY, 9)),
    )
    stopped = ticket.reading(RESOLUTION, at(MONDAY, 18))
    assert (stopped.status, stopped.elapsed_minutes, stopped.due_at) == (ClockStatus.STOPPED, 60, None)
    reopened = ticket.reading(RESOLUTION, at(TUESDAY, 9, 30))
    assert (reopened.status, reopened.elapsed_minutes, reopened.due_at) == (
        ClockStatus.RUNNING,
        90,
        at(TUESDAY, 10),
    )
    # The acceptance clock is not restarted by a reopen.
    assert ticket.reading(ACCEPTANCE, at(TUESDAY, 9, 30)).status is ClockStatus.STOPPED


@CALENDARS
def test_cancelled_stops_both_clocks(calendar: WorkingCalendar) -> None:
    ticket = sla(calendar, (S.CANCELLED, at(MONDAY, 10, 5)))
    assert [r.status for r in ticket.readings(at(TUESDAY, 12))] == [ClockStatus.STOPPED, ClockStatus.STOPPED]
    assert not ticket.is_breached(at(TUESDAY + timedelta(days=30), 12))


def test_history_after_now_is_ignored() -> None:
    ticket = sla(FAKE, (S.ACCEPTED, at(MONDAY, 10, 40)))
    reading = ticket.reading(ACCEPTANCE, at(MONDAY, 10, 20))
    assert (reading.status, reading.elapsed_minutes, reading.due_at) == (ClockStatus.RUNNING, 20, at(MONDAY, 10, 30))
    assert ticket.elapsed_minutes(RESOLUTION, at(MONDAY, 10, 20)) == 20


# --- breach check ---------------------------------------------------------------------------------


def test_acceptance_breach_escalates_one_level() -> None:
    ticket = sla(FAKE)
    check = breach_check(ticket, level=ResponsibilityLevel.FIRST_INQUIRY, now=at(MONDAY, 10, 31))
    assert check.breached == check.newly_breached == {ACCEPTANCE}
    assert check.target_level is ResponsibilityLevel.DESIGNATED
    assert check.escalation is not None and not check.escalation.already_at_top
    assert {r.kind for r in check.readings} == {ACCEPTANCE, RESOLUTION}


def test_no_breach_no_escalation() -> None:
    check = breach_check(sla(FAKE), level=ResponsibilityLevel.FIRST_INQUIRY, now=at(MONDAY, 10, 15))
    assert check.breached == frozenset() and check.escalation is None and check.target_level is None


def test_already_reported_breach_does_not_escalate_again_but_a_new_one_does() -> None:
    ticket = sla(FAKE)
    again = breach_check(
        ticket, level=ResponsibilityLevel.DESIGNATED, now=at(MONDAY, 11), already_reported={ACCEPTANCE}
    )
    assert again.breached == {ACCEPTANCE} and again.newly_breached == frozenset() and again.target_level is None
    later = breach_check(
        ticket, level=ResponsibilityLevel.DESIGNATED, now=at(MONDAY, 12, 1), already_reported={ACCEPTANCE}
    )
    assert later.newly_breached == {RESOLUTION}
    assert later.target_level is ResponsibilityLevel.BACKSTOP


def test_breach_at_backstop_stays_backstop_and_says_so() -> None:
    check = breach_check(sla(FAKE), level=ResponsibilityLevel.BACKSTOP, now=at(MONDAY, 12, 1))
    assert check.target_level is ResponsibilityLevel.BACKSTOP
    assert check.escalation is not None and check.escalation.already_at_top


# --- input checks ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("history", "field", "reason"),
    [
        ([], "history", "empty"),
        ([StateSpan(S.ACCEPTED, at(MONDAY, 10))], "history[0].state", "must_start_new"),
        ([StateSpan(S.NEW, datetime(2024, 6, 3, 10))], "history[0].started_at", "naive_datetime"),
        (
            [StateSpan(S.NEW, at(MONDAY, 10), at(MONDAY, 11))],
            "history[0].ended_at",
            "last_span_must_be_open",
        ),
        (
            [StateSpan(S.NEW, at(MONDAY, 10)), StateSpan(S.ACCEPTED, at(MONDAY, 11))],
            "history[0].ended_at",
            "required",
        ),
        (
            [StateSpan(S.NEW, at(MONDAY, 10), at(MONDAY, 9)), StateSpan(S.ACCEPTED, at(MONDAY, 9))],
            "history[0].ended_at",
            "end_before_start",
        ),
        (
            [StateSpan(S.NEW, at(MONDAY, 10), at(MONDAY, 11)), StateSpan(S.ACCEPTED, at(MONDAY, 12))],
            "history[1].started_at",
            "gap_in_history",
        ),
        (
            [StateSpan(S.NEW, at(MONDAY, 10), at(MONDAY, 11)), StateSpan(S.RESOLVED, at(MONDAY, 11))],
            "history[1].state",
            "illegal_transition",
        ),
        (
            [StateSpan(S.NEW, at(MONDAY, 10), datetime(2024, 6, 3, 11)), StateSpan(S.ACCEPTED, at(MONDAY, 11))],
            "history[0].ended_at",
            "naive_datetime",
        ),
        (
            [StateSpan(S.NEW, at(MONDAY, 10), at(MONDAY, 11)), StateSpan("done", at(MONDAY, 11))],  # type: ignore[arg-type]
            "history[1].state",
            "unknown_state",
        ),
    ],
)
def test_invalid_history(history: list[StateSpan], field: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        TicketSla(calendar=FAKE, policy=POLICY, history=history)
    assert (caught.value.field, caught.value.reason) == (field, reason)


def test_history_may_mix_time_zones() -> None:
    utc_boundary = at(MONDAY, 11).astimezone(UTC)
    ticket = TicketSla(
        calendar=FAKE,
        policy=POLICY,
        history=[StateSpan(S.NEW, at(MONDAY, 10), utc_boundary), StateSpan(S.ACCEPTED, utc_boundary)],
    )
    assert ticket.elapsed_minutes(ACCEPTANCE, at(MONDAY, 12)) == 60


@pytest.mark.parametrize(
    ("now", "reason"), [(at(MONDAY, 9), "before_created_at"), (datetime(2024, 6, 3, 11), "naive_datetime")]
)
def test_invalid_now(now: datetime, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        sla(FAKE).reading(ACCEPTANCE, now)
    assert (caught.value.field, caught.value.reason) == ("now", reason)


@pytest.mark.parametrize(
    ("accept", "resolve", "field"),
    [
        (0, 60, "accept_minutes"),
        (-5, 60, "accept_minutes"),
        (30, float("inf"), "resolve_minutes"),
        (30, float("nan"), "resolve_minutes"),
    ],
)
def test_invalid_policy(accept: float, resolve: float, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        SlaPolicy(accept_minutes=accept, resolve_minutes=resolve)
    assert (caught.value.field, caught.value.reason) == (field, "must_be_positive")


def test_spans_from_changes() -> None:
    spans = spans_from_changes(at(MONDAY, 10), [(S.ACCEPTED, at(MONDAY, 10, 5)), (S.IN_PROGRESS, at(MONDAY, 11))])
    assert spans == (
        StateSpan(S.NEW, at(MONDAY, 10), at(MONDAY, 10, 5)),
        StateSpan(S.ACCEPTED, at(MONDAY, 10, 5), at(MONDAY, 11)),
        StateSpan(S.IN_PROGRESS, at(MONDAY, 11), None),
    )
    assert spans_from_changes(at(MONDAY, 10), []) == (StateSpan(S.NEW, at(MONDAY, 10), None),)
    with pytest.raises(InvalidInput) as caught:
        spans_from_changes(at(MONDAY, 10), [(S.ACCEPTED, at(MONDAY, 9))])
    assert (caught.value.field, caught.value.reason) == ("changes[0].at", "out_of_order")


# --- properties -----------------------------------------------------------------------------------

gaps = st.integers(min_value=0, max_value=36 * 60)  # minutes between changes, up to a day and a half


@st.composite
def histories(draw: st.DrawFn) -> tuple[datetime, list[tuple[TicketState, datetime]]]:
    """A legal walk through the state machine with random working and non-working gaps."""
    created = at(MONDAY, 0) + timedelta(minutes=draw(st.integers(min_value=0, max_value=7 * 24 * 60)))
    state, moment, changes = S.NEW, created, []
    for _ in range(draw(st.integers(min_value=0, max_value=10))):
        choices = sorted(allowed_actions(state))
        if not choices:
            break
        moment += timedelta(minutes=draw(gaps))
        state = apply(state, draw(st.sampled_from(choices)), at=moment, closed_at=moment)
        changes.append((state, moment))
    return created, changes


def model_elapsed(
    calendar: WorkingCalendar, spans: tuple[StateSpan, ...], counting: set[TicketState], now: datetime
) -> float:
    total = 0.0
    for span in spans:
        end = span.ended_at if span.ended_at is not None and span.ended_at < now else now
        if span.state in counting and span.started_at < end:
            total += calendar.working_minutes_between(span.started_at, end)
    return total


policies = st.builds(
    SlaPolicy,
    accept_minutes=st.integers(min_value=1, max_value=240),
    resolve_minutes=st.integers(min_value=1, max_value=3000),
)
later = st.integers(min_value=0, max_value=10 * 24 * 60)


@settings(max_examples=300, deadline=None)
@given(histories(), policies, later, later)
def test_clock_properties(
    history: tuple[datetime, list[tuple[TicketState, datetime]]], policy: SlaPolicy, offset: int, step: int
) -> None:
    created, changes = history
    spans = spans_from_changes(created, changes)
    ticket = TicketSla(calendar=FAKE, policy=policy, history=spans)
    now = created + timedelta(minutes=offset)
    counting = {
        ACCEPTANCE: {S.NEW},
        RESOLUTION: {S.NEW, S.ACCEPTED, S.IN_PROGRESS, S.REOPENED},
    }
    for kind in SlaClockKind:
        reading = ticket.reading(kind, now)
        budget = policy.budget(kind)
        # Elapsed is the working time spent in counting states, never more than the wall-clock working time.
        assert reading.elapsed_minutes == pytest.approx(model_elapsed(FAKE, spans, counting[kind], now))
        assert reading.elapsed_minutes <= FAKE.working_minutes_between(created, now) + 1e-9
        assert reading.breached == (reading.elapsed_minutes > budget)
        # Elapsed never goes down as time passes.
        assert ticket.reading(kind, now + timedelta(minutes=step)).elapsed_minutes >= reading.elapsed_minutes
        if reading.due_at is not None:
            assert reading.due_at >= created
            if reading.due_at <= now:
                assert reading.elapsed_minutes >= budget - 1e-9
            else:
                assert not reading.breached
        if reading.status is ClockStatus.RUNNING and reading.due_at is not None and reading.due_at > now:
            # If nothing changes, the clock hits its budget exactly at the due time.
            current = spans[-1]
            if current.started_at <= now:
                assert ticket.reading(kind, reading.due_at).elapsed_minutes == pytest.approx(budget)
        if reading.status is ClockStatus.PAUSED:
            assert kind is RESOLUTION
            # While the pause lasts, the clock does not move.
            next_change = next((span.started_at for span in spans if span.started_at > now), None)
            until = now + timedelta(minutes=step)
            if next_change is None or until <= next_change:
                assert ticket.reading(kind, until).elapsed_minutes == reading.elapsed_minutes


@settings(max_examples=150, deadline=None)
@given(histories(), policies, later)
def test_fake_and_real_calendar_agree(
    history: tuple[datetime, list[tuple[TicketState, datetime]]], policy: SlaPolicy, offset: int
) -> None:
    created, changes = history
    spans = spans_from_changes(created, changes)
    now = created + timedelta(minutes=offset)
    fake = TicketSla(calendar=FAKE, policy=policy, history=spans).readings(now)
    real = TicketSla(calendar=REAL, policy=policy, history=spans).readings(now)
    assert fake == real
