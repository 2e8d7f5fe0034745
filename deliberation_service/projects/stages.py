"""A project's stages through the "three meetings" (hearing, coordination, review).

Pure rules: no I/O, no clock. Every legal move of a project is in ``TRANSITIONS`` and nowhere else;
the HTTP layer turns ``IllegalTransition`` into 409 and ``InvalidInput`` into 422, each with its
``reason`` code.

The path, from DOMAIN.md ("three meetings") and issue 5::

    proposed -> hearing -> approved -> implementation -> review -> accepted -> closed
                       \\-> rejected          ^               |
                                              \\--- rework ----/

Choices made here, and why:

* **The residents decide, the software only records.** ``approve`` / ``reject`` need the frozen result
  of the hearing's deciding motion in the context, and ``accept`` / ``request_rework`` the frozen result
  of the review meeting's motion: staff cannot approve a project the hearing turned down.
* **rejected is terminal.** A project the residents turned down is not closed (closing means "accepted
  by a review meeting"); a changed proposal is a new project with a new hearing.
* **Review needs finished work.** ``submit_for_review`` needs progress at 100 %, so the review meeting
  judges the finished work, as the report describes.
* **Progress only goes up, except after rework.** A rejected review means the work was not what the
  residents expected, so the first report after rework may honestly be lower.
* **Milestones lie inside the planned dates** and cannot be completed in the future (``today`` is
  passed in); if the plan slips, the plan is revised first, which leaves a trace in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from shared.rules import IllegalTransition, InvalidInput

__all__ = [
    "MAIN_PATH",
    "MILESTONE_TITLE_MAX_LENGTH",
    "PROGRESS_MAX",
    "PROGRESS_MIN",
    "TERMINAL_STAGES",
    "TRANSITIONS",
    "IllegalTransition",
    "InvalidInput",
    "Milestone",
    "ProjectAction",
    "ProjectStage",
    "StageContext",
    "Transition",
    "advance",
    "allowed_actions",
    "check_milestones",
    "check_plan_dates",
    "check_progress",
    "check_progress_update",
    "is_terminal",
    "parse_action",
    "parse_stage",
]


class ProjectStage(StrEnum):
    PROPOSED = "proposed"
    HEARING = "hearing"
    APPROVED = "approved"
    REJECTED = "rejected"
    IMPLEMENTATION = "implementation"
    REVIEW = "review"
    ACCEPTED = "accepted"
    CLOSED = "closed"


class ProjectAction(StrEnum):
    SCHEDULE_HEARING = "schedule_hearing"
    APPROVE = "approve"
    REJECT = "reject"
    START_IMPLEMENTATION = "start_implementation"
    SUBMIT_FOR_REVIEW = "submit_for_review"
    ACCEPT = "accept"
    REQUEST_REWORK = "request_rework"
    CLOSE = "close"


PROGRESS_MIN: Final = 0
PROGRESS_MAX: Final = 100
MILESTONE_TITLE_MAX_LENGTH: Final = 200


@dataclass(frozen=True, slots=True)
class StageContext:
    """Facts the gates need, read by the service from its records before calling ``advance``."""

    # Frozen result of the hearing's deciding motion; None while it has not been decided.
    hearing_passed: bool | None = None
    # Frozen result of the review meeting's acceptance motion; None while it has not been decided.
    review_accepted: bool | None = None
    # The project's current implementation progress (0-100); None if never reported.
    progress_percent: int | None = None


# A gate returns None when the move may go ahead, otherwise the reason code for refusing it.
Gate = Callable[[StageContext], str | None]


def _hearing_approved(context: StageContext) -> str | None:
    if context.hearing_passed is None:
        return "hearing_not_decided"
    return None if context.hearing_passed else "hearing_not_approved"


def _hearing_rejected(context: StageContext) -> str | None:
    if context.hearing_passed is None:
        return "hearing_not_decided"
    return "hearing_not_rejected" if context.hearing_passed else None


def _work_complete(context: StageContext) -> str | None:
    return None if context.progress_percent == PROGRESS_MAX else "implementation_incomplete"


def _review_accepted(context: StageContext) -> str | None:
    if context.review_accepted is None:
        return "review_not_decided"
    return None if context.review_accepted else "review_not_accepted"


def _review_rejected(context: StageContext) -> str | None:
    if context.review_accepted is None:
        return "review_not_decided"
    return "review_not_rejected" if context.review_accepted else None


@dataclass(frozen=True, slots=True)
class Transition:
    target: ProjectStage
    gate: Gate | None = None


_S = ProjectStage
_A = ProjectAction

# The one table of legal moves: (stage, action) -> target and gate. Anything not listed is illegal.
TRANSITIONS: Final[Mapping[tuple[ProjectStage, ProjectAction], Transition]] = MappingProxyType(
    {
        # Every project goes to a hearing first: "residents decide whether and what".
        (_S.PROPOSED, _A.SCHEDULE_HEARING): Transition(_S.HEARING),
        (_S.HEARING, _A.APPROVE): Transition(_S.APPROVED, _hearing_approved),
        (_S.HEARING, _A.REJECT): Transition(_S.REJECTED, _hearing_rejected),
        # Coordination meetings happen during implementation; they do not change the stage.
        (_S.APPROVED, _A.START_IMPLEMENTATION): Transition(_S.IMPLEMENTATION),
        (_S.IMPLEMENTATION, _A.SUBMIT_FOR_REVIEW): Transition(_S.REVIEW, _work_complete),
        (_S.REVIEW, _A.ACCEPT): Transition(_S.ACCEPTED, _review_accepted),
        # A rejected review sends the work back; the next review judges it again.
        (_S.REVIEW, _A.REQUEST_REWORK): Transition(_S.IMPLEMENTATION, _review_rejected),
        (_S.ACCEPTED, _A.CLOSE): Transition(_S.CLOSED),
    }
)

# The stages in the order a successful project passes them (rejected is a side exit after hearing).
MAIN_PATH: Final[tuple[ProjectStage, ...]] = (
    _S.PROPOSED,
    _S.HEARING,
    _S.APPROVED,
    _S.IMPLEMENTATION,
    _S.REVIEW,
    _S.ACCEPTED,
    _S.CLOSED,
)

TERMINAL_STAGES: Final = frozenset({_S.REJECTED, _S.CLOSED})

# Derived from the table: where each action starts (each action has exactly one source stage).
_SOURCE_OF_ACTION: Final[Mapping[ProjectAction, ProjectStage]] = MappingProxyType(
    {action: stage for (stage, action) in TRANSITIONS}
)
_RANK: Final[Mapping[ProjectStage, int]] = MappingProxyType({s: i for i, s in enumerate(MAIN_PATH)})


def parse_stage(value: str, field: str = "stage") -> ProjectStage:
    try:
        return ProjectStage(value)
    except ValueError:
        raise InvalidInput(field, "unknown_stage", repr(value)) from None


def parse_action(value: str, field: str = "action") -> ProjectAction:
    try:
        return ProjectAction(value)
    except ValueError:
        raise InvalidInput(field, "unknown_action", repr(value)) from None


def allowed_actions(stage: ProjectStage) -> frozenset[ProjectAction]:
    """The actions the table allows from ``stage``, before gates (for the app's buttons)."""
    stage = parse_stage(stage)
    return frozenset(action for (source, action) in TRANSITIONS if source is stage)


def is_terminal(stage: ProjectStage) -> bool:
    return parse_stage(stage) in TERMINAL_STAGES


def advance(stage: ProjectStage, action: ProjectAction, *, context: StageContext = StageContext()) -> ProjectStage:
    """The stage after ``action``; raises ``IllegalTransition`` when the table or a gate refuses it."""
    stage = parse_stage(stage)
    action = parse_action(action)
    transition = TRANSITIONS.get((stage, action))
    if transition is None:
        raise IllegalTransition(_refusal_reason(stage, action), f"{action.value} from {stage.value}")
    if transition.gate is not None:
        reason = transition.gate(context)
        if reason is not None:
            raise IllegalTransition(reason, f"{action.value} from {stage.value}")
    return transition.target


def _refusal_reason(stage: ProjectStage, action: ProjectAction) -> str:
    """A specific reason code for a pair the table does not list, most telling fact first."""
    if stage is ProjectStage.CLOSED:
        return "project_closed"
    if stage is ProjectStage.REJECTED:
        return "project_rejected"
    # The two gates the issue names, reported by name wherever they are the missing step.
    if action is ProjectAction.START_IMPLEMENTATION and _RANK[stage] < _RANK[ProjectStage.APPROVED]:
        return "hearing_not_approved"
    if action is ProjectAction.CLOSE and _RANK[stage] < _RANK[ProjectStage.ACCEPTED]:
        return "review_not_accepted"
    if _RANK[_SOURCE_OF_ACTION[action]] > _RANK[stage]:
        return "stage_skipped"
    return "stage_already_passed"


def check_progress(value: int, field: str = "progress_percent") -> int:
    """A whole percentage 0-100 (bools are refused even though Python counts them as ints)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(field, "not_an_integer", repr(value))
    if not PROGRESS_MIN <= value <= PROGRESS_MAX:
        raise InvalidInput(field, "out_of_range", f"{value} not in {PROGRESS_MIN}..{PROGRESS_MAX}")
    return value


def check_progress_update(stage: ProjectStage, previous: int | None, new: int, *, rework: bool = False) -> int:
    """Validate a progress report; returns ``new``.

    Progress is reported only during implementation (409 ``not_in_implementation`` otherwise). It may
    not go down (``progress_decreased``) unless ``rework`` is True: pass that for the reports after a
    review sent the project back, when the honest figure may be lower than the 100 % submitted.
    """
    stage = parse_stage(stage)
    if stage is not ProjectStage.IMPLEMENTATION:
        raise IllegalTransition("not_in_implementation", f"progress reported while {stage.value}")
    check_progress(new)
    if previous is not None:
        check_progress(previous, "previous_progress_percent")
        if new < previous and not rework:
            raise InvalidInput("progress_percent", "progress_decreased", f"{new} < {previous}")
    return new


@dataclass(frozen=True, slots=True)
class Milestone:
    title: str
    due_date: date
    completed_date: date | None = None


def _require_date(value: object, field: str) -> date:
    # datetime is a subclass of date, and comparing the two raises TypeError: refuse it up front.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidInput(field, "not_a_date", repr(value))
    return value


def check_plan_dates(planned_start_date: date, planned_end_date: date) -> None:
    """A project's plan runs forward: the end is on or after the start."""
    _require_date(planned_start_date, "planned_start_date")
    _require_date(planned_end_date, "planned_end_date")
    if planned_end_date < planned_start_date:
        raise InvalidInput("planned_end_date", "end_before_start")


def check_milestones(
    milestones: Sequence[Milestone],
    *,
    planned_start_date: date,
    planned_end_date: date,
    today: date,
) -> tuple[Milestone, ...]:
    """Validate a project's dated milestones against its plan; returns them sorted by due date.

    Field names point into the list (``milestones[2].due_date``) so the app can mark the right row.
    """
    check_plan_dates(planned_start_date, planned_end_date)
    _require_date(today, "today")
    seen_titles: set[str] = set()
    for index, milestone in enumerate(milestones):
        prefix = f"milestones[{index}]"
        title = milestone.title.strip() if isinstance(milestone.title, str) else ""
        if not title:
            raise InvalidInput(f"{prefix}.title", "required")
        if len(title) > MILESTONE_TITLE_MAX_LENGTH:
            raise InvalidInput(f"{prefix}.title", "too_long")
        # Titles name milestones in minutes and notices, so two with the same name would be ambiguous.
        if title.casefold() in seen_titles:
            raise InvalidInput(f"{prefix}.title", "duplicate_title", repr(title))
        seen_titles.add(title.casefold())
        due = _require_date(milestone.due_date, f"{prefix}.due_date")
        if due < planned_start_date:
            raise InvalidInput(f"{prefix}.due_date", "before_planned_start")
        if due > planned_end_date:
            raise InvalidInput(f"{prefix}.due_date", "after_planned_end")
        if milestone.completed_date is not None:
            completed = _require_date(milestone.completed_date, f"{prefix}.completed_date")
            if completed > today:
                raise InvalidInput(f"{prefix}.completed_date", "in_the_future")
    return tuple(sorted(milestones, key=lambda m: m.due_date))
