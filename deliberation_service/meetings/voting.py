"""Meetings of the "three meetings" and the on-site office, their motions and votes.

Pure rules: no I/O, no clock (``now`` is passed in). State changes refused by the rules raise
``IllegalTransition`` (HTTP 409) and bad input ``InvalidInput`` (HTTP 422), both with a ``reason``.
The one-vote-per-resident rule is also a unique constraint in the database; ``check_vote`` gives the
same answer (``already_voted``) before the insert is tried.

Choices made here, and why:

* **Who may vote:** a resident of the meeting's community who has been checked in at this meeting.
  Others may attend (officials, staff, neighbours) but do not vote: the residents of the community
  decide about their own station. A non-resident is told ``not_eligible`` even when not checked in,
  because checking in would not help.
* **Attendee count:** the minutes' head count of everyone present (residents, staff, invited officials),
  so it can be larger than, but never smaller than, the number of residents checked in: everyone
  checked in was there.
* **Quorum** is about participation among the residents present: at least ``minimum_checked_in``
  eligible residents checked in, and at least ``minimum_turnout_percent`` of them cast a ballot.
  Abstentions count towards the quorum (the resident took part) but not towards the majority.
* **Passing:** quorum met and more yes than no votes. A tie fails: nothing changes without a majority.
* **Meetings open on time:** not more than ``EARLY_OPENING`` before the published start, so nobody
  votes before the time residents were told (the "predictable" principle).
* **Default quorum per kind** (not from the report; operators override them per deployment): a hearing
  decides whether a project happens, so it needs the most residents; a review judges finished work; a
  coordination meeting settles details among the neighbours concerned; at an on-site office the
  residents present confirm the departments' commitments.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from deliberation_service.projects.stages import IllegalTransition, InvalidInput

__all__ = [
    "DEFAULT_QUORUM_RULES",
    "EARLY_OPENING",
    "MEETING_TRANSITIONS",
    "MINUTES_MAX_LENGTH",
    "REVIEW_RATING_MAX",
    "REVIEW_RATING_MIN",
    "REVIEW_RATING_MINIMUM_SAMPLE",
    "IllegalTransition",
    "InvalidInput",
    "MeetingAction",
    "MeetingClosure",
    "MeetingKind",
    "MeetingState",
    "MotionOutcome",
    "MotionResult",
    "MotionState",
    "QuorumRule",
    "ReviewRatingSummary",
    "Vote",
    "VoteChoice",
    "VoterStanding",
    "check_check_in",
    "check_review_rating",
    "check_schedule",
    "check_vote",
    "close_meeting",
    "close_motion",
    "open_meeting",
    "parse_choice",
    "parse_kind",
    "quorum_rule_for",
    "require_aware",
    "summarize_review_ratings",
    "tally",
]


class MeetingKind(StrEnum):
    HEARING = "hearing"
    COORDINATION = "coordination"
    REVIEW = "review"
    ONSITE_OFFICE = "onsite_office"


class MeetingState(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


class MeetingAction(StrEnum):
    OPEN = "open"
    CLOSE = "close"


class MotionState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class VoteChoice(StrEnum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"


class MotionOutcome(StrEnum):
    """Why a motion passed or failed (``MotionResult.reason``)."""

    PASSED = "passed"
    QUORUM_NOT_MET = "quorum_not_met"
    NO_MAJORITY = "no_majority"  # as many yes as no votes
    MAJORITY_AGAINST = "majority_against"


# The one table of a meeting's legal moves. Anything not listed is illegal.
MEETING_TRANSITIONS: Final[Mapping[tuple[MeetingState, MeetingAction], MeetingState]] = MappingProxyType(
    {
        (MeetingState.SCHEDULED, MeetingAction.OPEN): MeetingState.OPEN,
        (MeetingState.OPEN, MeetingAction.CLOSE): MeetingState.CLOSED,
    }
)

EARLY_OPENING: Final = timedelta(minutes=30)
MINUTES_MAX_LENGTH: Final = 100_000
REVIEW_RATING_MIN: Final = 1
REVIEW_RATING_MAX: Final = 5
# Like the evaluation service's reports: no mean under 5 ratings, so one resident's rating is not exposed.
REVIEW_RATING_MINIMUM_SAMPLE: Final = 5


def _require_count(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(field, "not_an_integer", repr(value))
    if value < 0:
        raise InvalidInput(field, "negative")
    return value


def require_aware(value: datetime, field: str) -> datetime:
    """Naive datetimes are refused: meeting times only make sense in a known time zone."""
    if not isinstance(value, datetime):
        raise InvalidInput(field, "not_a_datetime", repr(value))
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(field, "naive_datetime")
    return value


def parse_kind(value: str, field: str = "kind") -> MeetingKind:
    try:
        return MeetingKind(value)
    except ValueError:
        raise InvalidInput(field, "unknown_kind", repr(value)) from None


def parse_choice(value: str, field: str = "choice") -> VoteChoice:
    try:
        return VoteChoice(value)
    except ValueError:
        raise InvalidInput(field, "unknown_choice", repr(value)) from None


# --- meetings ---------------------------------------------------------------------------------------


def check_schedule(starts_at: datetime, ends_at: datetime) -> None:
    """A meeting's published times: time-zone aware, ending after it starts."""
    require_aware(starts_at, "starts_at")
    require_aware(ends_at, "ends_at")
    if ends_at <= starts_at:
        raise InvalidInput("ends_at", "not_after_start")


def _meeting_move(state: MeetingState, action: MeetingAction) -> MeetingState:
    state = MeetingState(state)
    target = MEETING_TRANSITIONS.get((state, action))
    if target is not None:
        return target
    if state is MeetingState.CLOSED:
        reason = "meeting_closed"
    elif action is MeetingAction.OPEN:
        reason = "meeting_already_open"
    else:
        reason = "meeting_not_open"
    raise IllegalTransition(reason, f"{action.value} a meeting that is {state.value}")


def open_meeting(
    state: MeetingState, *, now: datetime, starts_at: datetime, early_opening: timedelta = EARLY_OPENING
) -> MeetingState:
    """Open a scheduled meeting (check-in may already run); not earlier than ``early_opening``."""
    target = _meeting_move(state, MeetingAction.OPEN)
    require_aware(now, "now")
    require_aware(starts_at, "starts_at")
    if now < starts_at - early_opening:
        raise IllegalTransition("too_early_to_open", f"starts at {starts_at.isoformat()}")
    return target


@dataclass(frozen=True, slots=True)
class MeetingClosure:
    """What closing a meeting records: the minutes, the head count and when it closed."""

    state: MeetingState
    minutes: str
    attendee_count: int
    closed_at: datetime


def close_meeting(
    state: MeetingState,
    *,
    minutes: str,
    attendee_count: int,
    checked_in_count: int,
    closed_at: datetime,
) -> MeetingClosure:
    """Close an open meeting. Minutes are required (published for transparency), and the attendee
    count covers everyone present, so it is at least the number of residents checked in."""
    target = _meeting_move(state, MeetingAction.CLOSE)
    text = minutes.strip() if isinstance(minutes, str) else ""
    if not text:
        raise InvalidInput("minutes", "required")
    if len(text) > MINUTES_MAX_LENGTH:
        raise InvalidInput("minutes", "too_long")
    _require_count(attendee_count, "attendee_count")
    _require_count(checked_in_count, "checked_in_count")
    if attendee_count < checked_in_count:
        raise InvalidInput("attendee_count", "below_checked_in_count", f"{attendee_count} < {checked_in_count}")
    require_aware(closed_at, "closed_at")
    return MeetingClosure(state=target, minutes=text, attendee_count=attendee_count, closed_at=closed_at)


def check_check_in(state: MeetingState, *, already_checked_in: bool) -> None:
    """Check-in runs while a meeting is scheduled or open; each resident at most once per meeting."""
    if MeetingState(state) is MeetingState.CLOSED:
        raise IllegalTransition("meeting_closed", "check-in after the meeting closed")
    if already_checked_in:
        raise IllegalTransition("already_checked_in")


# --- quorum, votes and tally -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuorumRule:
    """Quorum: enough eligible residents checked in, and enough of them casting a ballot.

    ``minimum_turnout_percent`` is a whole percentage so the comparison is exact integer arithmetic.
    """

    minimum_checked_in: int
    minimum_turnout_percent: int

    def __post_init__(self) -> None:
        _require_count(self.minimum_checked_in, "minimum_checked_in")
        _require_count(self.minimum_turnout_percent, "minimum_turnout_percent")
        if self.minimum_turnout_percent > 100:
            raise InvalidInput("minimum_turnout_percent", "out_of_range")

    def is_met(self, votes_cast: int, checked_in_count: int) -> bool:
        return (
            checked_in_count >= self.minimum_checked_in
            and votes_cast * 100 >= self.minimum_turnout_percent * checked_in_count
        )


DEFAULT_QUORUM_RULES: Final[Mapping[MeetingKind, QuorumRule]] = MappingProxyType(
    {
        MeetingKind.HEARING: QuorumRule(minimum_checked_in=10, minimum_turnout_percent=50),
        MeetingKind.REVIEW: QuorumRule(minimum_checked_in=5, minimum_turnout_percent=50),
        MeetingKind.COORDINATION: QuorumRule(minimum_checked_in=3, minimum_turnout_percent=50),
        MeetingKind.ONSITE_OFFICE: QuorumRule(minimum_checked_in=1, minimum_turnout_percent=50),
    }
)


def quorum_rule_for(kind: MeetingKind, overrides: Mapping[MeetingKind, QuorumRule] | None = None) -> QuorumRule:
    """The quorum rule for a meeting kind: the deployment's override, else the default."""
    kind = parse_kind(kind)
    if overrides and kind in overrides:
        return overrides[kind]
    return DEFAULT_QUORUM_RULES[kind]


@dataclass(frozen=True, slots=True)
class VoterStanding:
    """What the service knows about a resident who wants to vote on a motion."""

    community_id: Hashable | None  # the community the resident lives in; None if unknown
    checked_in: bool  # checked in at this meeting
    has_voted: bool  # already voted on this motion


def check_vote(
    choice: VoteChoice | str,
    *,
    meeting_state: MeetingState,
    motion_state: MotionState,
    meeting_community_id: Hashable,
    voter: VoterStanding,
) -> VoteChoice:
    """Validate one vote; returns the parsed choice. Input is checked before state, most telling first."""
    parsed = parse_choice(choice)
    meeting_state = MeetingState(meeting_state)
    if meeting_state is MeetingState.CLOSED or MotionState(motion_state) is MotionState.CLOSED:
        raise IllegalTransition("voting_closed")
    if meeting_state is MeetingState.SCHEDULED:
        raise IllegalTransition("meeting_not_open", "voting starts when the meeting opens")
    if voter.community_id is None or voter.community_id != meeting_community_id:
        raise IllegalTransition("not_eligible", "only residents of the meeting's community vote")
    if not voter.checked_in:
        raise IllegalTransition("not_checked_in")
    if voter.has_voted:
        raise IllegalTransition("already_voted")
    return parsed


@dataclass(frozen=True, slots=True)
class Vote:
    voter_id: Hashable
    choice: VoteChoice


@dataclass(frozen=True, slots=True)
class MotionResult:
    """The frozen result of a motion, computed when voting closes."""

    passed: bool
    yes: int
    no: int
    abstain: int
    quorum_met: bool
    reason: MotionOutcome
    checked_in_count: int

    @property
    def votes_cast(self) -> int:
        return self.yes + self.no + self.abstain


def tally(votes: Iterable[Vote], checked_in_count: int, quorum_rule: QuorumRule) -> MotionResult:
    """Count a motion's votes against the quorum rule.

    ``checked_in_count`` is the number of eligible residents (of the meeting's community) checked in.
    Abstentions count towards the quorum only; the motion passes with quorum and yes > no.
    """
    _require_count(checked_in_count, "checked_in_count")
    counts = dict.fromkeys(VoteChoice, 0)
    voters: set[Hashable] = set()
    for vote in votes:
        if vote.voter_id in voters:
            raise InvalidInput("votes", "duplicate_voter", repr(vote.voter_id))
        voters.add(vote.voter_id)
        counts[parse_choice(vote.choice)] += 1
    if len(voters) > checked_in_count:
        # Only checked-in residents vote, so more votes than check-ins means the caller's counts disagree.
        raise InvalidInput("checked_in_count", "fewer_than_votes", f"{checked_in_count} < {len(voters)}")
    yes, no, abstain = counts[VoteChoice.YES], counts[VoteChoice.NO], counts[VoteChoice.ABSTAIN]
    quorum_met = quorum_rule.is_met(len(voters), checked_in_count)
    if not quorum_met:
        reason = MotionOutcome.QUORUM_NOT_MET
    elif yes > no:
        reason = MotionOutcome.PASSED
    elif yes == no:
        reason = MotionOutcome.NO_MAJORITY
    else:
        reason = MotionOutcome.MAJORITY_AGAINST
    return MotionResult(
        passed=reason is MotionOutcome.PASSED,
        yes=yes,
        no=no,
        abstain=abstain,
        quorum_met=quorum_met,
        reason=reason,
        checked_in_count=checked_in_count,
    )


def close_motion(
    motion_state: MotionState, votes: Iterable[Vote], *, checked_in_count: int, quorum_rule: QuorumRule
) -> MotionResult:
    """Close voting on an open motion and freeze its result; a closed motion stays as it was."""
    if MotionState(motion_state) is MotionState.CLOSED:
        raise IllegalTransition("voting_closed", "the motion's result is already frozen")
    return tally(votes, checked_in_count, quorum_rule)


# --- review-meeting quality ratings ----------------------------------------------------------------


def check_review_rating(value: int, field: str = "rating") -> int:
    """A resident's quality rating of finished work at a review meeting: a whole number 1-5."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(field, "not_an_integer", repr(value))
    if not REVIEW_RATING_MIN <= value <= REVIEW_RATING_MAX:
        raise InvalidInput(field, "out_of_range", f"{value} not in {REVIEW_RATING_MIN}..{REVIEW_RATING_MAX}")
    return value


@dataclass(frozen=True, slots=True)
class ReviewRatingSummary:
    count: int
    # None under the minimum sample, so a handful of ratings does not reveal individual residents.
    mean: float | None
    distribution: Mapping[int, int]  # rating -> count, every value 1..5 present


def summarize_review_ratings(
    ratings: Iterable[int], *, minimum_sample: int = REVIEW_RATING_MINIMUM_SAMPLE
) -> ReviewRatingSummary:
    _require_count(minimum_sample, "minimum_sample")
    if minimum_sample < 1:
        raise InvalidInput("minimum_sample", "not_positive")
    distribution = dict.fromkeys(range(REVIEW_RATING_MIN, REVIEW_RATING_MAX + 1), 0)
    for index, rating in enumerate(ratings):
        distribution[check_review_rating(rating, f"ratings[{index}]")] += 1
    count = sum(distribution.values())
    total = sum(value * n for value, n in distribution.items())
    mean = total / count if count >= minimum_sample else None
    return ReviewRatingSummary(count=count, mean=mean, distribution=distribution)
