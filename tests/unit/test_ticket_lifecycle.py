"""The ticket state machine and responsibility levels (pure rules, no I/O)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ticket_service.tickets.lifecycle import (
    LEVEL_ORDER,
    OPEN_STATES,
    REOPEN_WINDOW,
    SLA_PAUSED_STATES,
    TERMINAL_STATES,
    TRANSITIONS,
    IllegalTransition,
    InvalidInput,
    ResponsibilityLevel,
    TicketAction,
    TicketState,
    allowed_actions,
    apply,
    escalate,
    is_terminal,
    next_level,
    parse_action,
    parse_level,
    parse_state,
    require_aware,
)

S = TicketState
A = TicketAction
SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOSED_AT = datetime(2024, 5, 6, 10, 0, tzinfo=SHANGHAI)

states = st.sampled_from(list(TicketState))
actions = st.sampled_from(list(TicketAction))
action_paths = st.lists(actions, max_size=30)


# --- the table ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "action", "expected"),
    [
        (S.NEW, A.ACCEPT, S.ACCEPTED),
        (S.NEW, A.CANCEL, S.CANCELLED),
        (S.ACCEPTED, A.START, S.IN_PROGRESS),
        (S.ACCEPTED, A.WAIT_FOR_RESIDENT, S.WAITING_FOR_RESIDENT),
        (S.ACCEPTED, A.RESOLVE, S.RESOLVED),
        (S.ACCEPTED, A.CANCEL, S.CANCELLED),
        (S.IN_PROGRESS, A.WAIT_FOR_RESIDENT, S.WAITING_FOR_RESIDENT),
        (S.IN_PROGRESS, A.RESOLVE, S.RESOLVED),
        (S.IN_PROGRESS, A.CANCEL, S.CANCELLED),
        (S.WAITING_FOR_RESIDENT, A.RESUME, S.IN_PROGRESS),
        (S.WAITING_FOR_RESIDENT, A.CANCEL, S.CANCELLED),
        (S.RESOLVED, A.CLOSE, S.CLOSED),
        (S.RESOLVED, A.REOPEN, S.REOPENED),
        (S.REOPENED, A.ACCEPT, S.ACCEPTED),
        (S.REOPENED, A.START, S.IN_PROGRESS),
        (S.REOPENED, A.CANCEL, S.CANCELLED),
    ],
)
def test_legal_transitions(state: TicketState, action: TicketAction, expected: TicketState) -> None:
    assert apply(state, action) is expected


def test_the_table_lists_exactly_the_legal_moves() -> None:
    # 16 moves above plus closed -> reopened (window-checked, tested separately).
    assert len(TRANSITIONS) == 17
    assert TRANSITIONS[(S.CLOSED, A.REOPEN)] is S.REOPENED


def test_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        TRANSITIONS[(S.NEW, A.CLOSE)] = S.CLOSED  # type: ignore[index]


@pytest.mark.parametrize(
    ("state", "action", "reason"),
    [
        (S.NEW, A.START, "ticket_not_accepted"),
        (S.NEW, A.WAIT_FOR_RESIDENT, "ticket_not_accepted"),
        (S.NEW, A.RESOLVE, "ticket_not_accepted"),
        (S.NEW, A.RESUME, "ticket_not_waiting_for_resident"),
        (S.NEW, A.CLOSE, "ticket_not_resolved"),
        (S.NEW, A.REOPEN, "ticket_not_resolved"),
        (S.ACCEPTED, A.ACCEPT, "ticket_already_accepted"),
        (S.ACCEPTED, A.RESUME, "ticket_not_waiting_for_resident"),
        (S.IN_PROGRESS, A.START, "ticket_already_in_progress"),
        (S.IN_PROGRESS, A.ACCEPT, "ticket_already_accepted"),
        (S.IN_PROGRESS, A.CLOSE, "ticket_not_resolved"),
        (S.WAITING_FOR_RESIDENT, A.WAIT_FOR_RESIDENT, "ticket_already_waiting_for_resident"),
        (S.WAITING_FOR_RESIDENT, A.RESOLVE, "ticket_waiting_for_resident"),
        (S.WAITING_FOR_RESIDENT, A.START, "ticket_waiting_for_resident"),
        (S.RESOLVED, A.RESOLVE, "ticket_already_resolved"),
        (S.RESOLVED, A.CANCEL, "ticket_already_resolved"),
        (S.RESOLVED, A.START, "ticket_already_resolved"),
        (S.CLOSED, A.CLOSE, "ticket_already_closed"),
        (S.CLOSED, A.CANCEL, "ticket_already_closed"),
        (S.CLOSED, A.ACCEPT, "ticket_already_closed"),
        (S.CANCELLED, A.REOPEN, "ticket_cancelled"),
        (S.CANCELLED, A.ACCEPT, "ticket_cancelled"),
        (S.CANCELLED, A.CANCEL, "ticket_cancelled"),
        (S.REOPENED, A.REOPEN, "ticket_already_reopened"),
        (S.REOPENED, A.RESOLVE, "ticket_not_accepted"),
        (S.REOPENED, A.CLOSE, "ticket_not_resolved"),
    ],
)
def test_illegal_transitions_name_a_reason(state: TicketState, action: TicketAction, reason: str) -> None:
    with pytest.raises(IllegalTransition) as caught:
        apply(state, action)
    assert caught.value.reason == reason
    assert caught.value.state is state
    assert caught.value.action is action
    assert isinstance(caught.value, ValueError)  # the HTTP layer may catch ValueError broadly


def test_apply_accepts_plain_strings() -> None:
    assert apply("new", "accept") is S.ACCEPTED  # type: ignore[arg-type]


# --- reopening ------------------------------------------------------------------------------------


def test_reopen_closed_within_window() -> None:
    at = CLOSED_AT + REOPEN_WINDOW
    assert apply(S.CLOSED, A.REOPEN, at=at, closed_at=CLOSED_AT) is S.REOPENED


def test_reopen_closed_after_window_is_refused() -> None:
    at = CLOSED_AT + REOPEN_WINDOW + timedelta(seconds=1)
    with pytest.raises(IllegalTransition) as caught:
        apply(S.CLOSED, A.REOPEN, at=at, closed_at=CLOSED_AT)
    assert caught.value.reason == "reopen_window_expired"


def test_reopen_window_is_a_parameter() -> None:
    at = CLOSED_AT + timedelta(days=2)
    with pytest.raises(IllegalTransition):
        apply(S.CLOSED, A.REOPEN, at=at, closed_at=CLOSED_AT, reopen_window=timedelta(days=1))


def test_reopen_window_compares_instants_across_time_zones() -> None:
    at_utc = (CLOSED_AT + timedelta(days=6)).astimezone(ZoneInfo("UTC"))
    assert apply(S.CLOSED, A.REOPEN, at=at_utc, closed_at=CLOSED_AT) is S.REOPENED


def test_reopen_resolved_needs_no_times() -> None:
    assert apply(S.RESOLVED, A.REOPEN) is S.REOPENED


@pytest.mark.parametrize(
    ("kwargs", "field", "reason"),
    [
        ({"closed_at": CLOSED_AT}, "at", "required_to_reopen_closed_ticket"),
        ({"at": CLOSED_AT}, "closed_at", "required_to_reopen_closed_ticket"),
        ({"at": datetime(2024, 5, 7), "closed_at": CLOSED_AT}, "at", "naive_datetime"),
        ({"at": CLOSED_AT, "closed_at": datetime(2024, 5, 6)}, "closed_at", "naive_datetime"),
        ({"at": CLOSED_AT - timedelta(hours=1), "closed_at": CLOSED_AT}, "at", "before_closed_at"),
    ],
)
def test_reopen_closed_input_errors(kwargs: dict[str, datetime], field: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        apply(S.CLOSED, A.REOPEN, **kwargs)  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.reason) == (field, reason)


# --- state sets -----------------------------------------------------------------------------------


def test_state_sets() -> None:
    assert TERMINAL_STATES == {S.CLOSED, S.CANCELLED}
    assert SLA_PAUSED_STATES == {S.WAITING_FOR_RESIDENT}
    assert S.RESOLVED not in OPEN_STATES and S.REOPENED in OPEN_STATES
    assert OPEN_STATES.isdisjoint(TERMINAL_STATES)
    assert is_terminal(S.CANCELLED) and not is_terminal(S.RESOLVED)


def test_cancelled_has_no_way_out_and_closed_only_reopens() -> None:
    assert allowed_actions(S.CANCELLED) == frozenset()
    assert allowed_actions(S.CLOSED) == {A.REOPEN}
    assert allowed_actions(S.NEW) == {A.ACCEPT, A.CANCEL}


# --- properties -----------------------------------------------------------------------------------


@given(states, actions)
def test_apply_agrees_with_the_table(state: TicketState, action: TicketAction) -> None:
    if (state, action) in TRANSITIONS:
        assert apply(state, action, at=CLOSED_AT, closed_at=CLOSED_AT) is TRANSITIONS[(state, action)]
        assert action in allowed_actions(state)
    else:
        with pytest.raises(IllegalTransition) as caught:
            apply(state, action, at=CLOSED_AT, closed_at=CLOSED_AT)
        assert caught.value.reason.startswith("ticket_")
        assert caught.value.reason != "transition_not_allowed"
        assert action not in allowed_actions(state)


@given(action_paths)
def test_any_sequence_of_actions_stays_inside_the_state_machine(path: list[TicketAction]) -> None:
    state = S.NEW
    for action in path:
        try:
            state = apply(state, action, at=CLOSED_AT, closed_at=CLOSED_AT)
        except IllegalTransition:
            continue
        # Nothing ever leaves cancelled; nothing returns to new.
        assert state is not S.NEW
    assert state in set(TicketState)


@given(action_paths)
def test_cancelled_is_absorbing(path: list[TicketAction]) -> None:
    state = S.CANCELLED
    for action in path:
        with pytest.raises(IllegalTransition):
            apply(state, action)


def test_every_state_is_reachable_from_new() -> None:
    reached = {S.NEW}
    frontier = [S.NEW]
    while frontier:
        state = frontier.pop()
        for (from_state, _), target in TRANSITIONS.items():
            if from_state is state and target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(TicketState)


def test_every_non_terminal_state_can_reach_closed_or_cancelled() -> None:
    for start in set(TicketState) - TERMINAL_STATES:
        seen = {start}
        frontier = [start]
        while frontier:
            state = frontier.pop()
            for (from_state, _), target in TRANSITIONS.items():
                if from_state is state and target not in seen:
                    seen.add(target)
                    frontier.append(target)
        assert seen & TERMINAL_STATES, start


# --- responsibility levels ------------------------------------------------------------------------


def test_levels_escalate_in_order() -> None:
    assert LEVEL_ORDER == (
        ResponsibilityLevel.FIRST_INQUIRY,
        ResponsibilityLevel.DESIGNATED,
        ResponsibilityLevel.BACKSTOP,
    )
    assert next_level(ResponsibilityLevel.FIRST_INQUIRY) is ResponsibilityLevel.DESIGNATED
    assert next_level(ResponsibilityLevel.DESIGNATED) is ResponsibilityLevel.BACKSTOP


def test_backstop_is_the_top_and_escalation_notes_it() -> None:
    assert next_level(ResponsibilityLevel.BACKSTOP) is ResponsibilityLevel.BACKSTOP
    escalation = escalate(ResponsibilityLevel.BACKSTOP)
    assert escalation.to_level is ResponsibilityLevel.BACKSTOP
    assert escalation.already_at_top is True
    lower = escalate(ResponsibilityLevel.FIRST_INQUIRY)
    assert (lower.from_level, lower.to_level, lower.already_at_top) == (
        ResponsibilityLevel.FIRST_INQUIRY,
        ResponsibilityLevel.DESIGNATED,
        False,
    )


@given(st.sampled_from(list(ResponsibilityLevel)), st.integers(min_value=0, max_value=10))
def test_escalation_never_goes_down_and_ends_at_backstop(level: ResponsibilityLevel, times: int) -> None:
    for _ in range(times):
        higher = next_level(level)
        assert LEVEL_ORDER.index(higher) >= LEVEL_ORDER.index(level)
        level = higher
    if times >= 2:
        assert level is ResponsibilityLevel.BACKSTOP


# --- parsing and input checks ---------------------------------------------------------------------


def test_parsers_name_the_field() -> None:
    assert parse_state("waiting_for_resident") is S.WAITING_FOR_RESIDENT
    assert parse_action("wait_for_resident") is A.WAIT_FOR_RESIDENT
    assert parse_level("backstop") is ResponsibilityLevel.BACKSTOP
    for parser, reason in ((parse_state, "unknown_state"), (parse_action, "unknown_action")):
        with pytest.raises(InvalidInput) as caught:
            parser("done", field="status")
        assert (caught.value.field, caught.value.reason) == ("status", reason)
    with pytest.raises(InvalidInput) as caught_level:
        parse_level("boss")
    assert (caught_level.value.field, caught_level.value.reason) == ("level", "unknown_level")


def test_require_aware() -> None:
    assert require_aware(CLOSED_AT, "at") is CLOSED_AT
    with pytest.raises(InvalidInput) as caught:
        require_aware(datetime(2024, 1, 1), "created_at")
    assert (caught.value.field, caught.value.reason) == ("created_at", "naive_datetime")
    assert isinstance(caught.value, ValueError)
