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

An **external deadline** (``external_due_at``, the referring system's, e.g. the 12345 hotline) bounds the
resolution clock: its due time is the tighter of that moment and our working-minute due time
(``sla_policies/rules.py``), and the reading says which won (``due_at_source``). The external moment is
absolute: it counts wall-clock time, ignores opening hours and does not pause while waiting for the
resident (the referring system does not stop its clock for us). The ticket breaches it when it is still
unresolved (open or waiting) at any moment after it. Warnings then count the share of the wall-clock window
from creation to the external deadline.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final, Protocol

from ticket_service.sla_policies.rules import DueAtSource, tighter_deadline
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
from ticket_service.tickets.sla_warnings import threshold_minutes

__all__ = [
    "ACCEPTANCE_COUNTING_STATES",
    "RESOLUTION_COUNTING_STATES",
    "BreachCheck",
    "ClockReading",
    "ClockStatus",
    "EXTERNAL_LIVE_STATES",
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
# Unresolved for the referring system: an external deadline passes in these states, paused or not.
EXTERNAL_LIVE_STATES: Final = RESOLUTION_COUNTING_STATES | SLA_PAUSED_STATES


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
    # Which deadline ``due_at`` is; with an external one, the wall-clock window from creation to it and
    # the minutes of it used (the warnings' measure).
    due_at_source: DueAtSource = DueAtSource.service_level
    window_minutes: float | None = None
    window_elapsed_minutes: float | None = None

    @property
    def remaining_minutes(self) -> float:
        return max(0.0, self.budget_minutes - self.elapsed_minutes)

    @property
    def external(self) -> bool:
        return self.due_at_source is DueAtSource.external

    @property
    def watched(self) -> bool:
        """Whether the clock can still breach: running, or paused while an external deadline keeps going."""
        return self.status is ClockStatus.RUNNING or (self.status is ClockStatus.PAUSED and self.external)

    @property
    def warning_measure(self) -> tuple[float, float]:
        """(elapsed, budget) the 50% and 80% warnings are counted in: the governing deadline's."""
        if self.external and self.window_minutes is not None and self.window_elapsed_minutes is not None:
            return self.window_elapsed_minutes, self.window_minutes
        return self.elapsed_minutes, self.budget_minutes


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
    # The referring system's deadline for resolving (None: only our budget).
    external_due_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "history", tuple(self.history))
        _validate_history(self.history)
        if self.external_due_at is not None:
            require_aware(self.external_due_at, "external_due_at")

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
        reading = ClockReading(
            kind=kind,
            budget_minutes=budget,
            elapsed_minutes=elapsed,
            status=status,
            due_at=due_at,
            breached=elapsed > budget,
        )
        if kind is SlaClockKind.RESOLUTION and self.external_due_at is not None:
            return self._bounded_by_external(reading, self.external_due_at, now)
        return reading

    def _bounded_by_external(self, reading: ClockReading, external: datetime, now: datetime) -> ClockReading:
        """The resolution reading with the external deadline applied: the tighter due time wins."""
        late = self._unresolved_after(external, now)
        if reading.status is ClockStatus.STOPPED:
            # Resolved (or cancelled): the external deadline matters only if it passed before that.
            candidates = (reading.due_at if reading.breached else None, external if late else None)
            due_at, source = tighter_deadline(*candidates)
        else:
            due_at, source = tighter_deadline(reading.due_at, external)
        window = (external - self.created_at).total_seconds() / 60
        return ClockReading(
            kind=reading.kind,
            budget_minutes=reading.budget_minutes,
            elapsed_minutes=reading.elapsed_minutes,
            status=reading.status,
            due_at=due_at if due_at is not None else reading.due_at,
            breached=reading.breached or late,
            due_at_source=source,
            window_minutes=window,
            window_elapsed_minutes=(now - self.created_at).total_seconds() / 60,
        )

    def _unresolved_after(self, moment: datetime, now: datetime) -> bool:
        """Whether the ticket was unresolved at some instant after ``moment`` and up to ``now``."""
        if now <= moment:
            return False
        for span in self.history:
            if span.started_at >= now:
                break
            end = now if span.ended_at is None or span.ended_at > now else span.ended_at
            if span.state in EXTERNAL_LIVE_STATES and end > moment and end > span.started_at:
                return True
        return False

    def threshold_at(self, kind: SlaClockKind, percent: int, now: datetime) -> datetime:
        """When the clock reaches ``percent`` of its governing budget (``now`` if it already has)."""
        reading = self.reading(kind, now)
        elapsed, budget = reading.warning_measure
        if reading.external:
            moment = self.created_at + timedelta(minutes=threshold_minutes(budget, percent))
            return max(moment, now)
        minutes = threshold_minutes(budget, percent) - elapsed
        return self.calendar.add_working_minutes(now, minutes) if minutes > 0 else now


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
