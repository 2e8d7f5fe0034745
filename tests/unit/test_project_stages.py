"""Project stages through the three meetings: the table, every gate and the progress/milestone rules."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deliberation_service.projects.stages import (
    MAIN_PATH,
    TERMINAL_STAGES,
    TRANSITIONS,
    IllegalTransition,
    InvalidInput,
    Milestone,
    ProjectAction,
    ProjectStage,
    StageContext,
    advance,
    allowed_actions,
    check_milestones,
    check_plan_dates,
    check_progress,
    check_progress_update,
    is_terminal,
    parse_action,
    parse_stage,
)

S = ProjectStage
A = ProjectAction

# A context in which every gate that can open is open for the action it guards.
PASSING = {
    A.APPROVE: StageContext(hearing_passed=True),
    A.REJECT: StageContext(hearing_passed=False),
    A.SUBMIT_FOR_REVIEW: StageContext(progress_percent=100),
    A.ACCEPT: StageContext(review_accepted=True),
    A.REQUEST_REWORK: StageContext(review_accepted=False),
}


def passing(action: ProjectAction) -> StageContext:
    return PASSING.get(action, StageContext())


def refusal(stage, action, context=None) -> str:
    with pytest.raises(IllegalTransition) as caught:
        advance(stage, action, context=context or passing(action))
    return caught.value.reason


# --- the happy paths ----------------------------------------------------------------------------------


def test_a_project_goes_through_all_three_meetings_to_closed():
    stage = S.PROPOSED
    for action in (
        A.SCHEDULE_HEARING,
        A.APPROVE,
        A.START_IMPLEMENTATION,
        A.SUBMIT_FOR_REVIEW,
        A.ACCEPT,
        A.CLOSE,
    ):
        stage = advance(stage, action, context=passing(action))
    assert stage is S.CLOSED


def test_hearing_can_reject_a_project_and_rejected_is_terminal():
    stage = advance(S.PROPOSED, A.SCHEDULE_HEARING)
    assert advance(stage, A.REJECT, context=StageContext(hearing_passed=False)) is S.REJECTED
    assert is_terminal(S.REJECTED)
    assert allowed_actions(S.REJECTED) == frozenset()


def test_rejected_review_sends_the_project_back_for_rework_and_it_can_be_reviewed_again():
    stage = advance(S.REVIEW, A.REQUEST_REWORK, context=StageContext(review_accepted=False))
    assert stage is S.IMPLEMENTATION
    stage = advance(stage, A.SUBMIT_FOR_REVIEW, context=StageContext(progress_percent=100))
    assert stage is S.REVIEW
    assert advance(stage, A.ACCEPT, context=StageContext(review_accepted=True)) is S.ACCEPTED


def test_strings_are_accepted_as_stage_and_action():
    assert advance("proposed", "schedule_hearing") is S.HEARING  # type: ignore[arg-type]  # raw strings on purpose


# --- the gates the issue names ------------------------------------------------------------------------


@pytest.mark.parametrize("stage", [S.PROPOSED, S.HEARING])
def test_implementation_cannot_start_before_the_hearing_approved(stage):
    assert refusal(stage, A.START_IMPLEMENTATION) == "hearing_not_approved"


@pytest.mark.parametrize("hearing_passed", [False, None])
def test_approve_needs_the_hearing_motion_to_have_passed(hearing_passed):
    reason = refusal(S.HEARING, A.APPROVE, StageContext(hearing_passed=hearing_passed))
    assert reason == ("hearing_not_approved" if hearing_passed is False else "hearing_not_decided")


@pytest.mark.parametrize("hearing_passed", [True, None])
def test_reject_needs_the_hearing_motion_to_have_failed(hearing_passed):
    reason = refusal(S.HEARING, A.REJECT, StageContext(hearing_passed=hearing_passed))
    assert reason == ("hearing_not_rejected" if hearing_passed else "hearing_not_decided")


@pytest.mark.parametrize("stage", [S.PROPOSED, S.HEARING, S.APPROVED, S.IMPLEMENTATION, S.REVIEW])
def test_a_project_cannot_close_before_a_review_accepted_it(stage):
    assert refusal(stage, A.CLOSE) == "review_not_accepted"


@pytest.mark.parametrize("review_accepted", [False, None])
def test_accept_needs_the_review_motion_to_have_passed(review_accepted):
    reason = refusal(S.REVIEW, A.ACCEPT, StageContext(review_accepted=review_accepted))
    assert reason == ("review_not_accepted" if review_accepted is False else "review_not_decided")


@pytest.mark.parametrize("review_accepted", [True, None])
def test_rework_needs_the_review_motion_to_have_failed(review_accepted):
    reason = refusal(S.REVIEW, A.REQUEST_REWORK, StageContext(review_accepted=review_accepted))
    assert reason == ("review_not_rejected" if review_accepted else "review_not_decided")


@pytest.mark.parametrize("progress", [None, 0, 99])
def test_review_needs_finished_work(progress):
    reason = refusal(S.IMPLEMENTATION, A.SUBMIT_FOR_REVIEW, StageContext(progress_percent=progress))
    assert reason == "implementation_incomplete"


@pytest.mark.parametrize(
    ("stage", "action"),
    [
        (S.PROPOSED, A.APPROVE),  # skips the hearing
        (S.PROPOSED, A.REJECT),
        (S.APPROVED, A.SUBMIT_FOR_REVIEW),  # skips implementation
        (S.IMPLEMENTATION, A.ACCEPT),  # skips the review meeting
        (S.HEARING, A.SUBMIT_FOR_REVIEW),
        (S.IMPLEMENTATION, A.REQUEST_REWORK),
    ],
)
def test_skipping_a_stage_is_refused(stage, action):
    assert refusal(stage, action) == "stage_skipped"


@pytest.mark.parametrize(
    ("stage", "action"),
    [
        (S.HEARING, A.SCHEDULE_HEARING),
        (S.APPROVED, A.APPROVE),
        (S.IMPLEMENTATION, A.START_IMPLEMENTATION),
        (S.REVIEW, A.SUBMIT_FOR_REVIEW),
        (S.ACCEPTED, A.ACCEPT),
        (S.ACCEPTED, A.REQUEST_REWORK),
    ],
)
def test_going_back_or_repeating_a_step_is_refused(stage, action):
    assert refusal(stage, action) == "stage_already_passed"


@pytest.mark.parametrize("action", list(A))
def test_nothing_happens_to_a_closed_project(action):
    assert refusal(S.CLOSED, action) == "project_closed"


@pytest.mark.parametrize("action", list(A))
def test_nothing_happens_to_a_rejected_project(action):
    assert refusal(S.REJECTED, action) == "project_rejected"


def test_unknown_stage_or_action_is_invalid_input_naming_the_field():
    with pytest.raises(InvalidInput) as caught:
        advance("finished", A.CLOSE)  # type: ignore[arg-type]  # bad input on purpose
    assert (caught.value.field, caught.value.reason) == ("stage", "unknown_stage")
    with pytest.raises(InvalidInput) as caught:
        advance(S.PROPOSED, "skip_to_the_end")  # type: ignore[arg-type]  # bad input on purpose
    assert (caught.value.field, caught.value.reason) == ("action", "unknown_action")
    assert parse_stage("review") is S.REVIEW
    assert parse_action("close") is A.CLOSE


def test_errors_are_value_errors_carrying_a_reason():
    with pytest.raises(ValueError):
        advance(S.PROPOSED, A.CLOSE)
    error = IllegalTransition("stage_skipped", "detail")
    assert error.reason == "stage_skipped" and "detail" in str(error)


# --- properties of the table --------------------------------------------------------------------------


def test_every_action_starts_from_exactly_one_stage():
    sources = [action for (_, action) in TRANSITIONS]
    assert sorted(sources) == sorted(set(sources)) == sorted(A)


def test_allowed_actions_match_the_table():
    for stage in S:
        assert allowed_actions(stage) == {a for (s, a) in TRANSITIONS if s is stage}
    assert allowed_actions(S.REVIEW) == {A.ACCEPT, A.REQUEST_REWORK}


def test_terminal_stages_allow_nothing_and_others_allow_something():
    for stage in S:
        assert (allowed_actions(stage) == frozenset()) == (stage in TERMINAL_STAGES)


contexts = st.builds(
    StageContext,
    hearing_passed=st.none() | st.booleans(),
    review_accepted=st.none() | st.booleans(),
    progress_percent=st.none() | st.integers(0, 100),
)


@given(stage=st.sampled_from(S), action=st.sampled_from(A), context=contexts)
def test_advance_either_follows_the_table_or_refuses_with_a_reason(stage, action, context):
    try:
        target = advance(stage, action, context=context)
    except IllegalTransition as refused:
        assert refused.reason and refused.reason == refused.reason.lower()
        assert " " not in refused.reason
    else:
        assert TRANSITIONS[(stage, action)].target is target


@given(steps=st.lists(st.tuples(st.sampled_from(A), contexts), max_size=40))
def test_random_walks_never_break_the_gates(steps):
    """Whatever is tried in whatever order: implementation only after approval, closed only after
    acceptance, and nothing after closed or rejected."""
    stage = S.PROPOSED
    history = [stage]
    for action, context in steps:
        try:
            stage = advance(stage, action, context=context)
        except IllegalTransition:
            continue
        history.append(stage)
    if S.IMPLEMENTATION in history:
        assert S.APPROVED in history[: history.index(S.IMPLEMENTATION)]
    if S.CLOSED in history:
        assert history.index(S.ACCEPTED) < history.index(S.CLOSED)
        assert history[-1] is S.CLOSED
    if S.REJECTED in history:
        assert history[-1] is S.REJECTED
        assert S.APPROVED not in history
    # Apart from rework, the walk only moves forward along the main path.
    for before, after in zip(history, history[1:], strict=False):
        if after is S.REJECTED or (before, after) == (S.REVIEW, S.IMPLEMENTATION):
            continue
        assert MAIN_PATH.index(after) == MAIN_PATH.index(before) + 1


# --- progress --------------------------------------------------------------------------------------------


@given(value=st.integers(0, 100))
def test_any_percentage_0_to_100_is_accepted(value):
    assert check_progress(value) == value


@given(value=st.integers().filter(lambda v: not 0 <= v <= 100))
def test_percentages_outside_0_to_100_are_refused(value):
    with pytest.raises(InvalidInput) as caught:
        check_progress(value)
    assert (caught.value.field, caught.value.reason) == ("progress_percent", "out_of_range")


@pytest.mark.parametrize("value", [True, 50.0, "50", None])
def test_progress_must_be_a_whole_number(value):
    with pytest.raises(InvalidInput) as caught:
        check_progress(value)
    assert caught.value.reason == "not_an_integer"


@given(previous=st.integers(0, 100), new=st.integers(0, 100))
def test_progress_is_monotone_unless_rework(previous, new):
    if new >= previous:
        assert check_progress_update(S.IMPLEMENTATION, previous, new) == new
    else:
        with pytest.raises(InvalidInput) as caught:
            check_progress_update(S.IMPLEMENTATION, previous, new)
        assert (caught.value.field, caught.value.reason) == ("progress_percent", "progress_decreased")
    assert check_progress_update(S.IMPLEMENTATION, previous, new, rework=True) == new


def test_first_progress_report_has_no_previous_value():
    assert check_progress_update(S.IMPLEMENTATION, None, 30) == 30


def test_previous_progress_is_validated_too():
    with pytest.raises(InvalidInput) as caught:
        check_progress_update(S.IMPLEMENTATION, 140, 50)
    assert caught.value.field == "previous_progress_percent"


@pytest.mark.parametrize("stage", [s for s in S if s is not S.IMPLEMENTATION])
def test_progress_is_reported_only_during_implementation(stage):
    with pytest.raises(IllegalTransition) as caught:
        check_progress_update(stage, 10, 20)
    assert caught.value.reason == "not_in_implementation"


# --- plan and milestone dates ---------------------------------------------------------------------------

START = date(2025, 3, 1)
END = date(2025, 9, 30)
TODAY = date(2025, 6, 15)


def check(milestones, **overrides):
    arguments = {"planned_start_date": START, "planned_end_date": END, "today": TODAY} | overrides
    return check_milestones(milestones, **arguments)


def invalid(milestones, **overrides) -> tuple[str, str]:
    with pytest.raises(InvalidInput) as caught:
        check(milestones, **overrides)
    return caught.value.field, caught.value.reason


def test_valid_milestones_come_back_sorted_by_due_date():
    pavilion = Milestone("Pavilion roof", date(2025, 7, 1))
    shed = Milestone("Shed removed", date(2025, 4, 1), completed_date=date(2025, 4, 3))
    assert check([pavilion, shed]) == (shed, pavilion)
    assert check([]) == ()


def test_plan_must_end_on_or_after_its_start():
    check_plan_dates(START, START)
    with pytest.raises(InvalidInput) as caught:
        check_plan_dates(END, START)
    assert (caught.value.field, caught.value.reason) == ("planned_end_date", "end_before_start")
    assert invalid([], planned_start_date=END, planned_end_date=START) == (
        "planned_end_date",
        "end_before_start",
    )


def test_milestone_due_dates_lie_inside_the_plan():
    assert invalid([Milestone("Early", START - timedelta(days=1))]) == (
        "milestones[0].due_date",
        "before_planned_start",
    )
    assert invalid([Milestone("Ok", START), Milestone("Late", END + timedelta(days=1))]) == (
        "milestones[1].due_date",
        "after_planned_end",
    )
    assert len(check([Milestone("First day", START), Milestone("Last day", END)])) == 2


def test_a_milestone_cannot_be_completed_in_the_future():
    assert invalid([Milestone("Wall", date(2025, 5, 1), completed_date=TODAY + timedelta(days=1))]) == (
        "milestones[0].completed_date",
        "in_the_future",
    )
    assert check([Milestone("Wall", date(2025, 5, 1), completed_date=TODAY)])


def test_milestone_titles_are_required_and_unique():
    assert invalid([Milestone("   ", START)]) == ("milestones[0].title", "required")
    assert invalid([Milestone("x" * 201, START)]) == ("milestones[0].title", "too_long")
    assert invalid([Milestone("Painted wall", START), Milestone(" painted WALL ", END)]) == (
        "milestones[1].title",
        "duplicate_title",
    )


def test_datetimes_are_not_dates():
    assert invalid([Milestone("Wall", datetime(2025, 5, 1, 9, 0))]) == (
        "milestones[0].due_date",
        "not_a_date",
    )
    assert invalid([], today=datetime(2025, 6, 15, 12, 0)) == ("today", "not_a_date")
    with pytest.raises(InvalidInput) as caught:
        check_plan_dates("2025-03-01", END)  # type: ignore[arg-type]  # bad input on purpose
    assert caught.value.field == "planned_start_date"


days = st.integers(-400, 400).map(lambda n: START + timedelta(days=n))


@given(dues=st.lists(days, max_size=8))
def test_milestones_pass_exactly_when_every_due_date_is_inside_the_plan(dues):
    milestones = [Milestone(f"Step {i}", due) for i, due in enumerate(dues)]
    inside = all(START <= due <= END for due in dues)
    if inside:
        result = check(milestones)
        assert [m.due_date for m in result] == sorted(dues)
    else:
        with pytest.raises(InvalidInput) as caught:
            check(milestones)
        assert caught.value.reason in {"before_planned_start", "after_planned_end"}
