"""SLA clocks of a ticket, counted in the station's working minutes.

Pure rules: the station's calendar and the moment ``now`` are passed in. The calendar is anything
that satisfies ``WorkingCalendar`` — in production ``shared.business_calendar.BusinessCalendar``
(opening hours and holidays from the catalogue); in tests a simple fake.

Two clocks, both started when the ticket is created:

* **acceptance** — runs while the ticket is ``new``; stops for good once it leaves ``new``.
  Breaching it escalates the ticket (first inquiry -> designated -> backstop).
* **resolution** — runs in ``new``, ``accepted``, ``in_progress`` and ``reopened``; is paused while
  ``waiting_for_resident`` (the ball is in the resident's court); stops at ``resolved``, ``closed``
  or ``cancelled``. After a reopen it continues from where it stopped: the matter was not resolved,
  so the time already used still counts.

A clock is breached once its elapsed working minutes exceed its budget (at exactly the due time it is
not yet breached).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final, Protocol

from ticket_service.tickets.lifecycle import (
    SLA_PAUSED_STATES,
    TRANSITIONS,
    Escalation,
    InvalidInput,
    ResponsibilityLevel,
    TicketState,
    escalate,
    require_aware,
)

__all__ = [
    "ACCEPTANCE_COUNTING_STATES",
    "RESOLUTION_COUNTING_STATES",
    "BreachCheck",
    "ClockReading",
    "ClockStatus",
    "SlaClockKind",
    "SlaPolicy",
    "StateSpan",
    "TicketSla",
    "WorkingCalendar",
    "acceptance_due",
    "breach_check",
    "resolution_due",
    "spans_from_changes",
]


class WorkingCalendar(Protocol):
    """The part of a business calendar the SLA rules need."""

    def working_minutes_between(self, start: datetime, end: datetime) -> float: ...

    def add_working_minutes(self, start: datetime, minutes: float) -> datetime: ...


class SlaClockKind(StrEnum):
    ACCEPTANCE = "acceptance"
    RESOLUTION = "resolution"


class ClockStatus(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"  # waiting for the resident; resumes later
    STOPPED = "stopped"  # will not run again (unless the ticket is reopened, for resolution)


ACCEPTANCE_COUNTING_STATES: Final = frozenset({TicketState.NEW})
RESOLUTION_COUNTING_STATES: Final = frozenset(
    {TicketState.NEW, TicketState.ACCEPTED, TicketState.IN_PROGRESS, TicketState.REOPENED}
)


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """Budgets in working minutes (set per station or category by the caller)."""

    accept_minutes: float
    resolve_minutes: float

    def __post_init__(self) -> None:
        for name in ("accept_minutes", "resolve_minutes"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                raise InvalidInput(name, "must_be_positive")

    def budget(self, kind: SlaClockKind) -> float:
        return self.accept_minutes if kind is SlaClockKind.ACCEPTANCE else self.resolve_minutes


@dataclass(frozen=True, slots=True)
class StateSpan:
    """The ticket was in ``state`` from ``started_at`` until ``ended_at`` (None: still is)."""

    state: TicketState
    started_at: datetime
    ended_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ClockReading:
    kind: SlaClockKind
    budget_minutes: float
    elapsed_minutes: float  # stored for the reports
    status: ClockStatus
    # When the budget is (or was) used up. None while paused or after stopping within budget.
    due_at: datetime | None
    breached: bool

    @property
    def remaining_minutes(self) -> float:
        return max(0.0, self.budget_minutes - self.elapsed_minutes)


@dataclass(frozen=True, slots=True)
class BreachCheck:
    readings: tuple[ClockReading, ...]
    breached: frozenset[SlaClockKind]
    newly_breached: frozenset[SlaClockKind]  # breached and not in ``already_reported``
    # Set only when something newly breached: the level the ticket must move to.
    escalation: Escalation | None

    @property
    def target_level(self) -> ResponsibilityLevel | None:
        return self.escalation.to_level if self.escalation is not None else None


def acceptance_due(calendar: WorkingCalendar, created_at: datetime, accept_minutes: float) -> datetime:
    """When the owner must have accepted: ``accept_minutes`` working minutes after creation."""
    require_aware(created_at, "created_at")
    return calendar.add_working_minutes(created_at, accept_minutes)


def resolution_due(calendar: WorkingCalendar, created_at: datetime, resolve_minutes: float) -> datetime:
    """The resolution due time if the ticket is never paused (``TicketSla`` accounts for pauses)."""
    require_aware(created_at, "created_at")
    return calendar.add_working_minutes(created_at, resolve_minutes)


def spans_from_changes(created_at: datetime, changes: Sequence[tuple[TicketState, datetime]]) -> tuple[StateSpan, ...]:
    """Spans from the append-only history: the ticket starts ``new``; each change is (to_state, at)."""
    require_aware(created_at, "created_at")
    spans: list[StateSpan] = []
    state, started_at = TicketState.NEW, created_at
    for index, (to_state, at) in enumerate(changes):
        require_aware(at, f"changes[{index}].at")
        if at < started_at:
            raise InvalidInput(f"changes[{index}].at", "out_of_order")
        spans.append(StateSpan(state, started_at, at))
        state, started_at = TicketState(to_state), at
    spans.append(StateSpan(state, started_at, None))
    return tuple(spans)


@dataclass(frozen=True)
class TicketSla:
    """One ticket's SLA: calendar, budgets and state history; validated on construction."""

    calendar: WorkingCalendar
    policy: SlaPolicy
    history: Sequence[StateSpan]

    def __post_init__(self) -> None:
        object.__setattr__(self, "history", tuple(self.history))
        _validate_history(self.history)

    @property
    def created_at(self) -> datetime:
        return self.history[0].started_at

    def acceptance_due(self) -> datetime:
        # Acceptance is only possible from ``new``, the first span, so it is never paused.
        return acceptance_due(self.calendar, self.created_at, self.policy.accept_minutes)

    def resolution_due(self, now: datetime) -> datetime | None:
        """Due time with pauses taken into account; None while paused (the clock is not running)."""
        return self.reading(SlaClockKind.RESOLUTION, now).due_at

    def elapsed_minutes(self, kind: SlaClockKind, now: datetime) -> float:
        return self.reading(kind, now).elapsed_minutes

    def is_breached(self, now: datetime) -> bool:
        return any(reading.breached for reading in self.readings(now))

    def readings(self, now: datetime) -> tuple[ClockReading, ...]:
        return tuple(self.reading(kind, now) for kind in SlaClockKind)

    def reading(self, kind: SlaClockKind, now: datetime) -> ClockReading:
        require_aware(now, "now")
        if now < self.created_at:
            raise InvalidInput("now", "before_created_at")
        counting = ACCEPTANCE_COUNTING_STATES if kind is SlaClockKind.ACCEPTANCE else RESOLUTION_COUNTING_STATES
        budget = self.policy.budget(kind)
        elapsed = 0.0
        due_at: datetime | None = None
        current_state = self.history[0].state
        for span in self.history:
            if span.started_at > now:
                break  # history recorded beyond ``now`` is ignored (e.g. replaying the past)
            current_state = span.state
            if span.state not in counting:
                continue
            end = now if span.ended_at is None or span.ended_at > now else span.ended_at
            minutes = self.calendar.working_minutes_between(span.started_at, end)
            if due_at is None and elapsed + minutes >= budget:
                # The budget ran out inside this span: find the exact moment.
                due_at = self.calendar.add_working_minutes(span.started_at, budget - elapsed)
            elapsed += minutes
        if current_state in counting:
            status = ClockStatus.RUNNING
            if due_at is None:
                due_at = self.calendar.add_working_minutes(now, budget - elapsed)
        elif kind is SlaClockKind.RESOLUTION and current_state in SLA_PAUSED_STATES:
            status = ClockStatus.PAUSED
        else:
            status = ClockStatus.STOPPED
        return ClockReading(
            kind=kind,
            budget_minutes=budget,
            elapsed_minutes=elapsed,
            status=status,
            due_at=due_at,
            breached=elapsed > budget,
        )


def breach_check(
    sla: TicketSla,
    *,
    level: ResponsibilityLevel,
    now: datetime,
    already_reported: Collection[SlaClockKind] = frozenset(),
) -> BreachCheck:
    """Which clocks are breached at ``now`` and, if any newly, the level to escalate to.

    ``already_reported`` are the clocks whose breach was already published and escalated, so a
    periodic checker escalates once per clock, not on every run.
    """
    readings = sla.readings(now)
    breached = frozenset(reading.kind for reading in readings if reading.breached)
    newly_breached = breached - frozenset(already_reported)
    escalation = escalate(level) if newly_breached else None
    return BreachCheck(readings=readings, breached=breached, newly_breached=newly_breached, escalation=escalation)


def _validate_history(history: Sequence[StateSpan]) -> None:
    if not history:
        raise InvalidInput("history", "empty")
    if history[0].state is not TicketState.NEW:
        raise InvalidInput("history[0].state", "must_start_new")
    previous: StateSpan | None = None
    for index, span in enumerate(history):
        prefix = f"history[{index}]"
        if not isinstance(span.state, TicketState):
            raise InvalidInput(f"{prefix}.state", "unknown_state")
        require_aware(span.started_at, f"{prefix}.started_at")
        last = index == len(history) - 1
        if span.ended_at is None:
            if not last:
                raise InvalidInput(f"{prefix}.ended_at", "required")
        else:
            require_aware(span.ended_at, f"{prefix}.ended_at")
            if last:
                # The current state never ends in a history; a closed ticket is still "closed".
                raise InvalidInput(f"{prefix}.ended_at", "last_span_must_be_open")
            if span.ended_at < span.started_at:
                raise InvalidInput(f"{prefix}.ended_at", "end_before_start")
        if previous is not None:
            if previous.ended_at != span.started_at:
                raise InvalidInput(f"{prefix}.started_at", "gap_in_history")
            # Keep SLA history consistent with the one transition table.
            if span.state not in {
                target for (from_state, _), target in TRANSITIONS.items() if from_state is previous.state
            }:
                raise InvalidInput(f"{prefix}.state", "illegal_transition")
        previous = span
