"""Meetings, check-in, votes, quorum, tally and review-meeting ratings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deliberation_service.meetings.voting import (
    DEFAULT_QUORUM_RULES,
    EARLY_OPENING,
    MEETING_TRANSITIONS,
    IllegalTransition,
    InvalidInput,
    MeetingKind,
    MeetingState,
    MotionOutcome,
    MotionState,
    QuorumRule,
    Vote,
    VoteChoice,
    VoterStanding,
    check_check_in,
    check_review_rating,
    check_schedule,
    check_vote,
    close_meeting,
    close_motion,
    open_meeting,
    quorum_rule_for,
    summarize_review_ratings,
    tally,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
STARTS_AT = datetime(2025, 5, 10, 19, 0, tzinfo=SHANGHAI)
COMMUNITY = "shixin-neighbourhood"
OTHER_COMMUNITY = "binjiang-neighbourhood"
YES, NO, ABSTAIN = VoteChoice.YES, VoteChoice.NO, VoteChoice.ABSTAIN
NO_QUORUM = QuorumRule(minimum_checked_in=0, minimum_turnout_percent=0)


def reason_of(error_type, call, *args, **kwargs) -> str:
    with pytest.raises(error_type) as caught:
        call(*args, **kwargs)
    return caught.value.reason


def votes(*choices: VoteChoice) -> list[Vote]:
    return [Vote(voter_id=f"resident-{i}", choice=c) for i, c in enumerate(choices)]


# --- meeting schedule and states ----------------------------------------------------------------------


def test_schedule_must_be_aware_and_end_after_start():
    check_schedule(STARTS_AT, STARTS_AT + timedelta(hours=2))
    with pytest.raises(InvalidInput) as caught:
        check_schedule(STARTS_AT, STARTS_AT)
    assert (caught.value.field, caught.value.reason) == ("ends_at", "not_after_start")
    with pytest.raises(InvalidInput) as caught:
        check_schedule(datetime(2025, 5, 10, 19, 0), STARTS_AT)
    assert (caught.value.field, caught.value.reason) == ("starts_at", "naive_datetime")


def test_meeting_table_is_scheduled_open_closed():
    assert dict(MEETING_TRANSITIONS) == {
        (MeetingState.SCHEDULED, "open"): MeetingState.OPEN,
        (MeetingState.OPEN, "close"): MeetingState.CLOSED,
    }


def test_a_meeting_opens_from_scheduled_up_to_half_an_hour_early():
    assert open_meeting(MeetingState.SCHEDULED, now=STARTS_AT, starts_at=STARTS_AT) is MeetingState.OPEN
    early = STARTS_AT - EARLY_OPENING
    assert open_meeting("scheduled", now=early, starts_at=STARTS_AT) is MeetingState.OPEN  # type: ignore[arg-type]  # the test sends a raw string on purpose
    late = STARTS_AT + timedelta(hours=1)
    assert open_meeting("scheduled", now=late, starts_at=STARTS_AT) is MeetingState.OPEN  # type: ignore[arg-type]  # the test sends a raw string on purpose


def test_a_meeting_cannot_open_before_its_published_time():
    too_early = STARTS_AT - EARLY_OPENING - timedelta(seconds=1)
    reason = reason_of(IllegalTransition, open_meeting, MeetingState.SCHEDULED, now=too_early, starts_at=STARTS_AT)
    assert reason == "too_early_to_open"
    # Configurable per call.
    assert open_meeting(MeetingState.SCHEDULED, now=too_early, starts_at=STARTS_AT, early_opening=timedelta(hours=1))


def test_the_same_instant_in_another_zone_is_the_same_instant():
    in_utc = STARTS_AT.astimezone(UTC)
    assert open_meeting(MeetingState.SCHEDULED, now=in_utc, starts_at=STARTS_AT) is MeetingState.OPEN


@pytest.mark.parametrize(
    ("state", "reason"), [(MeetingState.OPEN, "meeting_already_open"), (MeetingState.CLOSED, "meeting_closed")]
)
def test_only_a_scheduled_meeting_opens(state, reason):
    assert reason_of(IllegalTransition, open_meeting, state, now=STARTS_AT, starts_at=STARTS_AT) == reason


def close(state=MeetingState.OPEN, **overrides):
    arguments: dict[str, Any] = {
        "minutes": "Residents chose a pavilion in place of the shed.",
        "attendee_count": 30,
        "checked_in_count": 24,
        "closed_at": STARTS_AT + timedelta(hours=2),
    } | overrides
    return close_meeting(state, **arguments)


def test_closing_records_minutes_and_attendee_count():
    closure = close(minutes="  Pavilion chosen.  ", attendee_count=24, checked_in_count=24)
    assert closure.state is MeetingState.CLOSED
    assert closure.minutes == "Pavilion chosen."
    assert closure.attendee_count == 24
    assert closure.closed_at == STARTS_AT + timedelta(hours=2)


@pytest.mark.parametrize(
    ("state", "reason"),
    [(MeetingState.SCHEDULED, "meeting_not_open"), (MeetingState.CLOSED, "meeting_closed")],
)
def test_only_an_open_meeting_closes(state, reason):
    assert reason_of(IllegalTransition, close, state) == reason


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"minutes": ""}, "minutes", "required"),
        ({"minutes": " \n\t "}, "minutes", "required"),
        ({"minutes": None}, "minutes", "required"),
        ({"minutes": "x" * 100_001}, "minutes", "too_long"),
        ({"attendee_count": -1}, "attendee_count", "negative"),
        ({"attendee_count": None}, "attendee_count", "not_an_integer"),
        ({"attendee_count": True}, "attendee_count", "not_an_integer"),
        ({"attendee_count": 23}, "attendee_count", "below_checked_in_count"),
        ({"checked_in_count": -2}, "checked_in_count", "negative"),
        ({"closed_at": datetime(2025, 5, 10, 21, 0)}, "closed_at", "naive_datetime"),
    ],
)
def test_closing_refuses_bad_minutes_and_counts(overrides, field, reason):
    with pytest.raises(InvalidInput) as caught:
        close(**overrides)
    assert (caught.value.field, caught.value.reason) == (field, reason)


@given(checked_in=st.integers(0, 500), attendees=st.integers(0, 1000))
def test_attendee_count_covers_everyone_checked_in(checked_in, attendees):
    if attendees >= checked_in:
        assert close(attendee_count=attendees, checked_in_count=checked_in).attendee_count == attendees
    else:
        with pytest.raises(InvalidInput):
            close(attendee_count=attendees, checked_in_count=checked_in)


def test_check_in_once_per_resident_and_not_after_closing():
    check_check_in(MeetingState.SCHEDULED, already_checked_in=False)
    check_check_in(MeetingState.OPEN, already_checked_in=False)
    assert reason_of(IllegalTransition, check_check_in, MeetingState.OPEN, already_checked_in=True) == (
        "already_checked_in"
    )
    assert reason_of(IllegalTransition, check_check_in, MeetingState.CLOSED, already_checked_in=False) == (
        "meeting_closed"
    )


# --- casting a vote --------------------------------------------------------------------------------------

RESIDENT = VoterStanding(community_id=COMMUNITY, checked_in=True, has_voted=False)


def vote(choice=YES, voter=RESIDENT, meeting_state=MeetingState.OPEN, motion_state=MotionState.OPEN):
    return check_vote(
        choice,
        meeting_state=meeting_state,
        motion_state=motion_state,
        meeting_community_id=COMMUNITY,
        voter=voter,
    )


@pytest.mark.parametrize("choice", ["yes", "no", "abstain"])
def test_a_checked_in_resident_of_the_community_votes(choice):
    assert vote(choice) is VoteChoice(choice)


def test_a_resident_who_is_not_checked_in_cannot_vote():
    voter = VoterStanding(community_id=COMMUNITY, checked_in=False, has_voted=False)
    assert reason_of(IllegalTransition, vote, voter=voter) == "not_checked_in"


@pytest.mark.parametrize("community", [OTHER_COMMUNITY, None])
def test_only_residents_of_the_meetings_community_vote(community):
    voter = VoterStanding(community_id=community, checked_in=True, has_voted=False)
    assert reason_of(IllegalTransition, vote, voter=voter) == "not_eligible"
    # Checking in would not help, so that is the more telling reason.
    outsider = VoterStanding(community_id=community, checked_in=False, has_voted=False)
    assert reason_of(IllegalTransition, vote, voter=outsider) == "not_eligible"


def test_a_second_vote_is_refused():
    voter = VoterStanding(community_id=COMMUNITY, checked_in=True, has_voted=True)
    assert reason_of(IllegalTransition, vote, voter=voter) == "already_voted"


@pytest.mark.parametrize(
    ("meeting_state", "motion_state", "reason"),
    [
        (MeetingState.OPEN, MotionState.CLOSED, "voting_closed"),
        (MeetingState.CLOSED, MotionState.OPEN, "voting_closed"),
        (MeetingState.CLOSED, MotionState.CLOSED, "voting_closed"),
        (MeetingState.SCHEDULED, MotionState.OPEN, "meeting_not_open"),
    ],
)
def test_votes_only_while_the_meeting_and_motion_are_open(meeting_state, motion_state, reason):
    refused = reason_of(IllegalTransition, vote, meeting_state=meeting_state, motion_state=motion_state)
    assert refused == reason


def test_a_late_vote_is_refused_as_closed_even_from_someone_who_already_voted():
    voter = VoterStanding(community_id=COMMUNITY, checked_in=True, has_voted=True)
    assert reason_of(IllegalTransition, vote, voter=voter, motion_state=MotionState.CLOSED) == "voting_closed"


def test_an_unknown_choice_is_invalid_input():
    with pytest.raises(InvalidInput) as caught:
        vote("maybe")
    assert (caught.value.field, caught.value.reason) == ("choice", "unknown_choice")


# --- quorum -------------------------------------------------------------------------------------------


def test_every_kind_has_a_default_quorum_and_hearing_is_strictest():
    assert set(DEFAULT_QUORUM_RULES) == set(MeetingKind)
    hearing = DEFAULT_QUORUM_RULES[MeetingKind.HEARING]
    assert hearing.minimum_checked_in == max(r.minimum_checked_in for r in DEFAULT_QUORUM_RULES.values())


def test_quorum_rules_are_configurable_per_kind():
    custom = QuorumRule(minimum_checked_in=20, minimum_turnout_percent=60)
    overrides = {MeetingKind.HEARING: custom}
    assert quorum_rule_for("hearing", overrides) is custom  # type: ignore[arg-type]  # the test sends a raw string on purpose
    assert quorum_rule_for(MeetingKind.REVIEW, overrides) is DEFAULT_QUORUM_RULES[MeetingKind.REVIEW]
    assert quorum_rule_for(MeetingKind.REVIEW) is DEFAULT_QUORUM_RULES[MeetingKind.REVIEW]
    with pytest.raises(InvalidInput) as caught:
        quorum_rule_for("party")  # type: ignore[arg-type]  # the test sends an unknown kind on purpose
    assert (caught.value.field, caught.value.reason) == ("kind", "unknown_kind")


@pytest.mark.parametrize(
    ("arguments", "field", "reason"),
    [
        ({"minimum_checked_in": -1, "minimum_turnout_percent": 50}, "minimum_checked_in", "negative"),
        ({"minimum_checked_in": 1, "minimum_turnout_percent": 101}, "minimum_turnout_percent", "out_of_range"),
        ({"minimum_checked_in": 1, "minimum_turnout_percent": 0.5}, "minimum_turnout_percent", "not_an_integer"),
    ],
)
def test_quorum_rule_is_validated(arguments, field, reason):
    with pytest.raises(InvalidInput) as caught:
        QuorumRule(**arguments)
    assert (caught.value.field, caught.value.reason) == (field, reason)


def test_hearing_quorum_needs_ten_residents_and_half_of_them_voting():
    rule = DEFAULT_QUORUM_RULES[MeetingKind.HEARING]
    assert not rule.is_met(votes_cast=9, checked_in_count=9)
    assert rule.is_met(votes_cast=5, checked_in_count=10)
    assert not rule.is_met(votes_cast=4, checked_in_count=10)
    assert rule.is_met(votes_cast=11, checked_in_count=21) and not rule.is_met(10, 21)


# --- tally ------------------------------------------------------------------------------------------------


def test_tally_counts_and_passes_with_more_yes_than_no():
    result = tally(votes(YES, YES, NO, ABSTAIN), checked_in_count=4, quorum_rule=NO_QUORUM)
    assert (result.yes, result.no, result.abstain, result.votes_cast) == (2, 1, 1, 4)
    assert result.passed and result.quorum_met and result.reason is MotionOutcome.PASSED
    assert result.checked_in_count == 4


def test_a_tie_fails_and_abstentions_do_not_break_it():
    result = tally(votes(YES, NO, ABSTAIN, ABSTAIN, ABSTAIN), checked_in_count=5, quorum_rule=NO_QUORUM)
    assert not result.passed and result.reason == "no_majority"


def test_majority_against_fails():
    result = tally(votes(NO, NO, YES), checked_in_count=3, quorum_rule=NO_QUORUM)
    assert not result.passed and result.reason is MotionOutcome.MAJORITY_AGAINST


def test_abstentions_count_towards_quorum_but_not_majority():
    rule = QuorumRule(minimum_checked_in=4, minimum_turnout_percent=100)
    result = tally(votes(YES, ABSTAIN, ABSTAIN, ABSTAIN), checked_in_count=4, quorum_rule=rule)
    assert result.quorum_met and result.passed


def test_unanimous_yes_without_quorum_fails():
    rule = DEFAULT_QUORUM_RULES[MeetingKind.HEARING]
    result = tally(votes(*[YES] * 9), checked_in_count=9, quorum_rule=rule)
    assert not result.passed and not result.quorum_met and result.reason == "quorum_not_met"


def test_no_votes_at_all_fails():
    result = tally([], checked_in_count=0, quorum_rule=NO_QUORUM)
    assert not result.passed and result.votes_cast == 0


def test_tally_refuses_duplicate_voters_and_impossible_counts():
    duplicate = [Vote("resident-1", YES), Vote("resident-1", NO)]
    with pytest.raises(InvalidInput) as caught:
        tally(duplicate, checked_in_count=5, quorum_rule=NO_QUORUM)
    assert (caught.value.field, caught.value.reason) == ("votes", "duplicate_voter")
    with pytest.raises(InvalidInput) as caught:
        tally(votes(YES, YES, YES), checked_in_count=2, quorum_rule=NO_QUORUM)
    assert (caught.value.field, caught.value.reason) == ("checked_in_count", "fewer_than_votes")
    with pytest.raises(InvalidInput) as caught:
        tally([Vote("resident-1", "perhaps")], checked_in_count=2, quorum_rule=NO_QUORUM)  # type: ignore[arg-type]  # bad choice on purpose
    assert caught.value.reason == "unknown_choice"


def test_closing_a_motion_freezes_its_result_once():
    result = close_motion(MotionState.OPEN, votes(YES), checked_in_count=1, quorum_rule=NO_QUORUM)
    assert result.passed
    assert reason_of(
        IllegalTransition, close_motion, MotionState.CLOSED, [], checked_in_count=0, quorum_rule=NO_QUORUM
    ) == ("voting_closed")


choices = st.lists(st.sampled_from(VoteChoice), max_size=60)
rules = st.builds(QuorumRule, minimum_checked_in=st.integers(0, 80), minimum_turnout_percent=st.integers(0, 100))


@given(cast=choices, absent=st.integers(0, 40), rule=rules)
def test_tally_counts_add_up_and_pass_exactly_with_quorum_and_majority(cast, absent, rule):
    checked_in = len(cast) + absent
    result = tally(votes(*cast), checked_in, rule)
    assert (result.yes, result.no, result.abstain) == (cast.count(YES), cast.count(NO), cast.count(ABSTAIN))
    assert result.votes_cast == len(cast)
    assert result.quorum_met == (
        checked_in >= rule.minimum_checked_in and len(cast) * 100 >= rule.minimum_turnout_percent * checked_in
    )
    assert result.passed == (result.quorum_met and result.yes > result.no)
    assert result.passed == (result.reason is MotionOutcome.PASSED)


@given(cast=choices, absent=st.integers(0, 40), rule=rules, seed=st.randoms(use_true_random=False))
def test_tally_does_not_depend_on_vote_order(cast, absent, rule, seed):
    ballots = votes(*cast)
    shuffled = list(ballots)
    seed.shuffle(shuffled)
    assert tally(ballots, len(cast) + absent, rule) == tally(shuffled, len(cast) + absent, rule)


@given(cast=choices, absent=st.integers(1, 40), rule=rules)
def test_one_more_yes_from_a_present_resident_never_defeats_a_motion(cast, absent, rule):
    checked_in = len(cast) + absent
    before = tally(votes(*cast), checked_in, rule)
    after = tally(votes(*cast, YES), checked_in, rule)
    assert before.quorum_met <= after.quorum_met
    assert before.passed <= after.passed


# --- review-meeting ratings --------------------------------------------------------------------------------


@given(value=st.integers(1, 5))
def test_ratings_1_to_5_are_valid(value):
    assert check_review_rating(value) == value


@pytest.mark.parametrize(("value", "reason"), [(0, "out_of_range"), (6, "out_of_range"), (4.5, "not_an_integer")])
def test_ratings_outside_1_to_5_are_refused(value, reason):
    with pytest.raises(InvalidInput) as caught:
        check_review_rating(value)
    assert (caught.value.field, caught.value.reason) == ("rating", reason)


def test_review_summary_hides_the_mean_below_the_minimum_sample():
    small = summarize_review_ratings([5, 4, 4])
    assert small.count == 3 and small.mean is None
    assert small.distribution == {1: 0, 2: 0, 3: 0, 4: 2, 5: 1}
    assert summarize_review_ratings([5, 4, 4], minimum_sample=3).mean == pytest.approx(13 / 3)


def test_review_summary_names_the_bad_rating_and_checks_the_sample_size():
    with pytest.raises(InvalidInput) as caught:
        summarize_review_ratings([5, 9])
    assert (caught.value.field, caught.value.reason) == ("ratings[1]", "out_of_range")
    with pytest.raises(InvalidInput) as caught:
        summarize_review_ratings([5], minimum_sample=0)
    assert caught.value.field == "minimum_sample"


@given(ratings=st.lists(st.integers(1, 5), max_size=100), minimum=st.integers(1, 10))
def test_review_summary_properties(ratings, minimum):
    summary = summarize_review_ratings(ratings, minimum_sample=minimum)
    assert summary.count == len(ratings) == sum(summary.distribution.values())
    assert set(summary.distribution) == {1, 2, 3, 4, 5}
    if len(ratings) < minimum:
        assert summary.mean is None
    else:
        assert min(ratings) <= summary.mean <= max(ratings)
        assert summary.mean == pytest.approx(sum(ratings) / len(ratings))
