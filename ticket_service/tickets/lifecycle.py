"""The ticket state machine and the three responsibility levels.

Pure rules: no I/O, no clock. Every legal move of a ticket is in ``TRANSITIONS`` and nowhere
else; the HTTP layer turns ``IllegalTransition`` into 409 with its ``reason`` code.

Reopening, chosen and documented here:

* a **resolved** ticket may be reopened at any time until it is closed — the resident has not yet
  confirmed the work, so saying "it is not fixed" is always allowed;
* a **closed** ticket may be reopened only within ``REOPEN_WINDOW`` (7 calendar days) of closing.
  After that the matter is treated as new and gets a new ticket, so the closed ticket's evaluation
  and the social worker's annual performance assessment are not rewritten months later;
* a **cancelled** ticket is never reopened (the resident withdrew it; a new request is a new ticket).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from shared import rules
from shared.rules import InvalidInput

__all__ = [
    "LEVEL_ORDER",
    "OPEN_STATES",
    "REOPEN_WINDOW",
    "SLA_PAUSED_STATES",
    "TERMINAL_STATES",
    "TRANSITIONS",
    "Escalation",
    "IllegalTransition",
    "InvalidInput",
    "ResponsibilityLevel",
    "TicketAction",
    "TicketState",
    "allowed_actions",
    "apply",
    "escalate",
    "is_terminal",
    "next_level",
    "parse_action",
    "parse_level",
    "parse_state",
    "require_aware",
]


class TicketState(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    WAITING_FOR_RESIDENT = "waiting_for_resident"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    REOPENED = "reopened"


class TicketAction(StrEnum):
    ACCEPT = "accept"
    START = "start"
    WAIT_FOR_RESIDENT = "wait_for_resident"
    RESUME = "resume"
    RESOLVE = "resolve"
    CLOSE = "close"
    CANCEL = "cancel"
    REOPEN = "reopen"


_S = TicketState
_A = TicketAction

# The one table of legal moves: (state, action) -> new state. Anything not listed is illegal.
TRANSITIONS: Final[Mapping[tuple[TicketState, TicketAction], TicketState]] = MappingProxyType(
    {
        # The owner must accept before working, so acceptance can be timed (the SLA's first clock).
        (_S.NEW, _A.ACCEPT): _S.ACCEPTED,
        (_S.NEW, _A.CANCEL): _S.CANCELLED,
        (_S.ACCEPTED, _A.START): _S.IN_PROGRESS,
        # Waiting may start right after acceptance (e.g. the resident must bring a document first).
        (_S.ACCEPTED, _A.WAIT_FOR_RESIDENT): _S.WAITING_FOR_RESIDENT,
        # "Small matters never leave the community": many are answered at the desk on acceptance.
        (_S.ACCEPTED, _A.RESOLVE): _S.RESOLVED,
        (_S.ACCEPTED, _A.CANCEL): _S.CANCELLED,
        (_S.IN_PROGRESS, _A.WAIT_FOR_RESIDENT): _S.WAITING_FOR_RESIDENT,
        (_S.IN_PROGRESS, _A.RESOLVE): _S.RESOLVED,
        (_S.IN_PROGRESS, _A.CANCEL): _S.CANCELLED,
        # Resolving straight from waiting is refused: resume first, so the paused SLA time is exact.
        (_S.WAITING_FOR_RESIDENT, _A.RESUME): _S.IN_PROGRESS,
        (_S.WAITING_FOR_RESIDENT, _A.CANCEL): _S.CANCELLED,
        (_S.RESOLVED, _A.CLOSE): _S.CLOSED,
        (_S.RESOLVED, _A.REOPEN): _S.REOPENED,
        # Closed -> reopened is further limited by REOPEN_WINDOW (checked in ``apply``).
        (_S.CLOSED, _A.REOPEN): _S.REOPENED,
        # A reopened ticket goes back to its owner, who acknowledges it again or starts at once.
        (_S.REOPENED, _A.ACCEPT): _S.ACCEPTED,
        (_S.REOPENED, _A.START): _S.IN_PROGRESS,
        (_S.REOPENED, _A.CANCEL): _S.CANCELLED,
    }
)

REOPEN_WINDOW: Final = timedelta(days=7)

# No further work is expected. A closed ticket is still reopenable within REOPEN_WINDOW.
TERMINAL_STATES: Final = frozenset({TicketState.CLOSED, TicketState.CANCELLED})

# States that count as an owner's open workload (used to balance designated assignment).
OPEN_STATES: Final = frozenset(
    {
        TicketState.NEW,
        TicketState.ACCEPTED,
        TicketState.IN_PROGRESS,
        TicketState.WAITING_FOR_RESIDENT,
        TicketState.REOPENED,
    }
)

# The SLA clock does not run while the ball is in the resident's court.
SLA_PAUSED_STATES: Final = frozenset({TicketState.WAITING_FOR_RESIDENT})


class IllegalTransition(rules.IllegalTransition):
    """An action that the ticket's current state does not allow (HTTP 409, naming state and action)."""

    def __init__(self, state: TicketState, action: TicketAction, reason: str) -> None:
        self.state = state
        self.action = action
        super().__init__(
            reason, f"cannot {action.value} a ticket that is {state.value}", state=state.value, action=action.value
        )


def allowed_actions(state: TicketState) -> frozenset[TicketAction]:
    """The actions the table allows from ``state`` (for the app to show only usable buttons)."""
    return frozenset(action for (from_state, action) in TRANSITIONS if from_state is state)


def is_terminal(state: TicketState) -> bool:
    return state in TERMINAL_STATES


def apply(
    state: TicketState,
    action: TicketAction,
    *,
    at: datetime | None = None,
    closed_at: datetime | None = None,
    reopen_window: timedelta = REOPEN_WINDOW,
) -> TicketState:
    """The state after ``action``; raises ``IllegalTransition`` if the table does not allow it.

    ``at`` and ``closed_at`` are needed only to reopen a closed ticket (the window check); time is
    passed in, never read from a clock.
    """
    state = TicketState(state)
    action = TicketAction(action)
    target = TRANSITIONS.get((state, action))
    if target is None:
        raise IllegalTransition(state, action, _refusal_reason(state, action))
    if state is TicketState.CLOSED and action is TicketAction.REOPEN:
        if at is None:
            raise InvalidInput("at", "required_to_reopen_closed_ticket")
        if closed_at is None:
            raise InvalidInput("closed_at", "required_to_reopen_closed_ticket")
        require_aware(at, "at")
        require_aware(closed_at, "closed_at")
        if at < closed_at:
            raise InvalidInput("at", "before_closed_at")
        if at - closed_at > reopen_window:
            raise IllegalTransition(state, action, "reopen_window_expired")
    return target


def _refusal_reason(state: TicketState, action: TicketAction) -> str:
    """A specific reason code for an illegal (state, action) pair, most telling fact first."""
    if state is TicketState.CANCELLED:
        return "ticket_cancelled"
    if state is TicketState.CLOSED:
        return "ticket_already_closed"
    if action is TicketAction.REOPEN:
        return "ticket_already_reopened" if state is TicketState.REOPENED else "ticket_not_resolved"
    if action is TicketAction.CLOSE:
        return "ticket_not_resolved"
    if state is TicketState.RESOLVED:
        return "ticket_already_resolved"
    if action is TicketAction.ACCEPT:
        return "ticket_already_accepted"
    if action is TicketAction.RESUME:
        return "ticket_not_waiting_for_resident"
    if state is TicketState.NEW or state is TicketState.REOPENED:
        # start / wait / resolve need the owner's acknowledgement first.
        return "ticket_not_accepted"
    if action is TicketAction.START:
        if state is TicketState.IN_PROGRESS:
            return "ticket_already_in_progress"
        return "ticket_waiting_for_resident"
    if action is TicketAction.WAIT_FOR_RESIDENT:
        return "ticket_already_waiting_for_resident"
    if action is TicketAction.RESOLVE:
        return "ticket_waiting_for_resident"
    return "transition_not_allowed"  # pragma: no cover - every pair is covered above


class ResponsibilityLevel(StrEnum):
    """Who owns a request: the three responsibility rules, lowest first."""

    FIRST_INQUIRY = "first_inquiry"
    DESIGNATED = "designated"
    BACKSTOP = "backstop"


LEVEL_ORDER: Final[tuple[ResponsibilityLevel, ...]] = (
    ResponsibilityLevel.FIRST_INQUIRY,
    ResponsibilityLevel.DESIGNATED,
    ResponsibilityLevel.BACKSTOP,
)


@dataclass(frozen=True, slots=True)
class Escalation:
    from_level: ResponsibilityLevel
    to_level: ResponsibilityLevel
    # True when the ticket was already at backstop: it stays there, and the history should say so
    # (the secretary is the last owner; there is nobody above to hand it to).
    already_at_top: bool


def next_level(level: ResponsibilityLevel) -> ResponsibilityLevel:
    """One level up; backstop is the top and stays backstop."""
    index = LEVEL_ORDER.index(ResponsibilityLevel(level))
    return LEVEL_ORDER[min(index + 1, len(LEVEL_ORDER) - 1)]


def escalate(level: ResponsibilityLevel) -> Escalation:
    """Like ``next_level`` but notes whether the ticket was already at the top."""
    level = ResponsibilityLevel(level)
    target = next_level(level)
    return Escalation(from_level=level, to_level=target, already_at_top=target is level)


def parse_state(value: str, field: str = "state") -> TicketState:
    try:
        return TicketState(value)
    except ValueError:
        raise InvalidInput(field, "unknown_state", repr(value)) from None


def parse_action(value: str, field: str = "action") -> TicketAction:
    try:
        return TicketAction(value)
    except ValueError:
        raise InvalidInput(field, "unknown_action", repr(value)) from None


def parse_level(value: str, field: str = "level") -> ResponsibilityLevel:
    try:
        return ResponsibilityLevel(value)
    except ValueError:
        raise InvalidInput(field, "unknown_level", repr(value)) from None


def require_aware(value: datetime, field: str) -> datetime:
    """Naive datetimes are refused: station hours only make sense in a known time zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(field, "naive_datetime")
    return value
