"""Evaluation figures: rating summaries, monthly trend and the annual performance assessment."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaluation_service.reports.scoring import (
    Assessment,
    AssessmentFormula,
    ComponentName,
    Grade,
    GradeThresholds,
    InvalidInput,
    Rating,
    TicketFigures,
    YearMonth,
    assess,
    monthly_trend,
    needs_follow_up,
    resident_score,
    summarize,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
scores = st.integers(1, 5)
ratings_strategy = st.builds(Rating, attitude=scores, ability=scores)


def invalid(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(InvalidInput) as caught:
        call(*args, **kwargs)
    assert isinstance(caught.value, ValueError)
    return caught.value.field, caught.value.reason


# --- ratings -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "field", "reason"),
    [
        ({"attitude": 0, "ability": 3}, "attitude", "out_of_range"),
        ({"attitude": 3, "ability": 6}, "ability", "out_of_range"),
        ({"attitude": 4.5, "ability": 3}, "attitude", "not_an_integer"),
        ({"attitude": True, "ability": 3}, "attitude", "not_an_integer"),
        ({"attitude": 3, "ability": "5"}, "ability", "not_an_integer"),
        ({"attitude": 3, "ability": 3, "submitted_at": datetime(2025, 1, 1)}, "submitted_at", "naive_datetime"),
        ({"attitude": 3, "ability": 3, "submitted_at": "2025-01-01"}, "submitted_at", "not_a_datetime"),
    ],
)
def test_ratings_are_validated(arguments, field, reason):
    assert invalid(Rating, **arguments) == (field, reason)


@given(attitude=scores, ability=scores)
def test_follow_up_when_either_dimension_is_two_or_lower(attitude, ability):
    assert needs_follow_up(Rating(attitude, ability)) == (attitude <= 2 or ability <= 2)


# --- summary --------------------------------------------------------------------------------------------


def test_summary_of_a_small_sample_shows_counts_but_no_mean():
    summary = summarize([Rating(5, 4), Rating(2, 5)], closed_ticket_count=4)
    assert summary.count == 2
    assert summary.mean_attitude is None and summary.mean_ability is None
    assert not summary.sample_sufficient
    assert summary.attitude_distribution == {1: 0, 2: 1, 3: 0, 4: 0, 5: 1}
    assert summary.ability_distribution == {1: 0, 2: 0, 3: 0, 4: 1, 5: 1}
    assert summary.response_rate == 0.5
    assert summary.follow_up_count == 1
    assert resident_score(summary) is None


def test_summary_means_from_the_minimum_sample_on():
    ratings = [Rating(5, 4), Rating(4, 4), Rating(3, 5), Rating(5, 5), Rating(5, 2)]
    summary = summarize(ratings, closed_ticket_count=10)
    assert summary.sample_sufficient
    assert summary.mean_attitude == pytest.approx(4.4)
    assert summary.mean_ability == pytest.approx(4.0)
    assert summarize(ratings[:3], closed_ticket_count=3, minimum_sample=3).mean_attitude == pytest.approx(4)


def test_response_rate_is_none_when_no_ticket_closed():
    assert summarize([], closed_ticket_count=0).response_rate is None
    assert summarize([], closed_ticket_count=3).response_rate == 0


@pytest.mark.parametrize(
    ("closed", "minimum", "field", "reason"),
    [
        (1, 5, "closed_ticket_count", "fewer_than_ratings"),
        (-1, 5, "closed_ticket_count", "negative"),
        (10, 0, "minimum_sample", "too_small"),
        (10, 2.5, "minimum_sample", "not_an_integer"),
    ],
)
def test_summary_inputs_are_validated(closed, minimum, field, reason):
    assert invalid(summarize, [Rating(3, 3), Rating(4, 4)], closed, minimum) == (field, reason)


@given(ratings=st.lists(ratings_strategy, max_size=60), extra_closed=st.integers(0, 60), minimum=st.integers(1, 12))
def test_summary_properties(ratings, extra_closed, minimum):
    closed = len(ratings) + extra_closed
    summary = summarize(ratings, closed, minimum)
    assert summary.count == len(ratings)
    assert sum(summary.attitude_distribution.values()) == sum(summary.ability_distribution.values()) == len(ratings)
    assert summary.follow_up_count == sum(needs_follow_up(r) for r in ratings)
    if closed == 0:
        assert summary.response_rate is None
    else:
        assert summary.response_rate is not None
        assert 0 <= summary.response_rate <= 1
    if len(ratings) < minimum:
        assert summary.mean_attitude is None and resident_score(summary) is None
    else:
        assert summary.mean_attitude == pytest.approx(sum(r.attitude for r in ratings) / len(ratings))
        assert summary.mean_ability is not None
        assert 1 <= summary.mean_ability <= 5
        score = resident_score(summary)
        assert score is not None
        assert 0 <= score <= 100


@pytest.mark.parametrize(("score", "expected"), [(1, 0.0), (2, 25.0), (3, 50.0), (4, 75.0), (5, 100.0)])
def test_resident_score_maps_1_to_5_linearly_onto_0_to_100(score, expected):
    summary = summarize([Rating(score, score)] * 5, closed_ticket_count=5)
    assert resident_score(summary) == pytest.approx(expected)


def test_resident_score_weighs_attitude_and_ability_equally():
    summary = summarize([Rating(5, 3)] * 5, closed_ticket_count=5)
    assert resident_score(summary) == pytest.approx(75.0)


# --- monthly trend --------------------------------------------------------------------------------------


def at(year, month, day, hour=12, zone=SHANGHAI):
    return datetime(year, month, day, hour, tzinfo=zone)


def test_months_follow_shanghai_time_not_utc():
    # 31 January 17:00 UTC is 1 February 01:00 in Shanghai.
    late_january_utc = datetime(2025, 1, 31, 17, 0, tzinfo=UTC)
    assert YearMonth.of(late_january_utc) == YearMonth(2025, 2)
    assert YearMonth.of(late_january_utc, UTC) == YearMonth(2025, 1)
    trend = monthly_trend([Rating(4, 4, late_january_utc)])
    assert [str(p.month) for p in trend] == ["2025-02"]


def test_trend_fills_empty_months_and_respects_the_minimum_sample():
    ratings = [Rating(5, 4, at(2024, 11, 3))] * 5 + [Rating(1, 2, at(2025, 1, 20))]
    trend = monthly_trend(ratings)
    assert [str(p.month) for p in trend] == ["2024-11", "2024-12", "2025-01"]
    assert [p.count for p in trend] == [5, 0, 1]
    assert trend[0].mean_attitude == pytest.approx(5) and trend[0].mean_ability == pytest.approx(4)
    assert trend[1].mean_attitude is None and trend[2].mean_attitude is None
    assert [p.follow_up_count for p in trend] == [0, 0, 1]
    assert monthly_trend(ratings, minimum_sample=1)[2].mean_ability == pytest.approx(2)


def test_trend_over_a_given_year_has_twelve_points_and_ignores_other_years():
    ratings = [Rating(4, 4, at(2024, 12, 31)), Rating(3, 3, at(2025, 6, 1)), Rating(5, 5, at(2026, 1, 1))]
    trend = monthly_trend(ratings, first_month=YearMonth(2025, 1), last_month=YearMonth(2025, 12))
    assert len(trend) == 12
    assert sum(p.count for p in trend) == 1
    assert trend[5].month == YearMonth(2025, 6) and trend[5].count == 1


def test_trend_of_nothing_is_empty_and_bounds_are_checked():
    assert monthly_trend([]) == ()
    assert invalid(monthly_trend, [], first_month=YearMonth(2025, 5), last_month=YearMonth(2025, 4)) == (
        "last_month",
        "before_first_month",
    )
    assert invalid(monthly_trend, [Rating(3, 3)]) == ("ratings[0].submitted_at", "required")
    assert invalid(YearMonth, 2025, 13) == ("month", "out_of_range")


def test_year_month_order_and_text():
    assert YearMonth(2024, 12).following() == YearMonth(2025, 1)
    assert YearMonth(2025, 1).following() == YearMonth(2025, 2)
    assert YearMonth(2024, 12) < YearMonth(2025, 1)
    assert str(YearMonth(2025, 3)) == "2025-03"


instants = st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC))


@given(
    ratings=st.lists(st.builds(Rating, attitude=scores, ability=scores, submitted_at=instants), max_size=40),
    minimum=st.integers(1, 6),
)
def test_trend_properties(ratings, minimum):
    trend = monthly_trend(ratings, minimum_sample=minimum)
    assert sum(p.count for p in trend) == len(ratings)
    months = [p.month for p in trend]
    assert all(b == a.following() for a, b in zip(months, months[1:], strict=False))
    for point in trend:
        assert (point.mean_attitude is None) == (point.count < minimum)
        local = [r for r in ratings if YearMonth.of(r.submitted_at.astimezone(SHANGHAI), SHANGHAI) == point.month]
        assert len(local) == point.count


# --- assessment formula ------------------------------------------------------------------------------------


def test_default_formula_gives_residents_the_largest_share():
    formula = AssessmentFormula()
    assert formula.resident_weight == 0.6
    assert formula.resident_weight > max(
        formula.acceptance_on_time_weight, formula.resolution_on_time_weight, formula.backstop_weight
    )


@pytest.mark.parametrize(
    ("arguments", "field", "reason"),
    [
        ({"resident_weight": -0.1, "backstop_weight": 0.8}, "resident_weight", "negative"),
        ({"backstop_weight": -0.1, "resident_weight": 0.8}, "backstop_weight", "negative"),
        ({"resident_weight": 0.7}, "weights", "sum_not_one"),
        ({"resident_weight": 0.5}, "weights", "sum_not_one"),
        ({"acceptance_on_time_weight": "0.15"}, "acceptance_on_time_weight", "not_a_number"),
        ({"resolution_on_time_weight": math.nan}, "resolution_on_time_weight", "not_finite"),
        ({"backstop_target": 0}, "backstop_target", "too_small"),
        ({"backstop_target": 2.5}, "backstop_target", "not_an_integer"),
        ({"grade_thresholds": {"excellent": 90}}, "grade_thresholds", "invalid"),
    ],
)
def test_formula_is_validated_and_names_the_field(arguments, field, reason):
    assert invalid(AssessmentFormula, **arguments) == (field, reason)


def test_weights_that_sum_to_one_up_to_float_rounding_are_accepted():
    AssessmentFormula(0.1, 0.2, 0.3, 0.4)
    AssessmentFormula(resident_weight=1, acceptance_on_time_weight=0, resolution_on_time_weight=0, backstop_weight=0)


@pytest.mark.parametrize(
    ("arguments", "field", "reason"),
    [
        ({"excellent": 101}, "excellent", "out_of_range"),
        ({"adequate": 0}, "adequate", "out_of_range"),
        ({"good": 95}, "good", "not_below_excellent"),
        ({"adequate": 80}, "adequate", "not_below_good"),
    ],
)
def test_grade_thresholds_are_validated(arguments, field, reason):
    assert invalid(GradeThresholds, **arguments) == (field, reason)


@pytest.mark.parametrize(
    ("score", "grade"),
    [(100, Grade.EXCELLENT), (90, Grade.EXCELLENT), (89.99, Grade.GOOD), (75, Grade.GOOD), (60, Grade.ADEQUATE)]
    + [(59.99, Grade.POOR), (0, Grade.POOR)],
)
def test_default_grade_bands(score, grade):
    assert GradeThresholds().grade_for(score) is grade


@pytest.mark.parametrize(
    ("arguments", "field", "reason"),
    [
        ((10, 11, 5, 5, 0), "accepted_on_time_count", "exceeds_accepted_count"),
        ((10, 10, 5, 6, 0), "resolved_on_time_count", "exceeds_resolved_count"),
        ((10, 10, 5, 5, -1), "backstop_handled_count", "negative"),
        ((10.0, 10, 5, 5, 1), "accepted_count", "not_an_integer"),
    ],
)
def test_ticket_figures_are_validated(arguments, field, reason):
    assert invalid(TicketFigures, *arguments) == (field, reason)


def good_year_summary(score=5, count=20):
    return summarize([Rating(score, score)] * count, closed_ticket_count=count)


def component(assessment: Assessment, name: ComponentName):
    return next(c for c in assessment.components if c.name is name)


def test_assessment_of_a_full_year_shows_every_component():
    summary = summarize([Rating(5, 4)] * 10 + [Rating(4, 4)] * 10, closed_ticket_count=25)  # mean 4.25
    figures = TicketFigures(
        accepted_count=50,
        accepted_on_time_count=45,
        resolved_count=40,
        resolved_on_time_count=30,
        backstop_handled_count=6,
    )
    result = assess(summary, figures, AssessmentFormula())
    resident = component(result, ComponentName.RESIDENT)
    assert resident.score == pytest.approx(81.25) and resident.applied_weight == pytest.approx(0.6)
    assert resident.inputs["count"] == 20 and resident.inputs["mean_attitude"] == pytest.approx(4.5)
    assert component(result, ComponentName.ACCEPTANCE_ON_TIME).score == pytest.approx(90)
    assert component(result, ComponentName.RESOLUTION_ON_TIME).inputs == {"on_time": 30, "total": 40}
    assert component(result, ComponentName.BACKSTOP).score == pytest.approx(50)
    expected = 0.6 * 81.25 + 0.15 * 90 + 0.15 * 75 + 0.1 * 50
    assert result.score == pytest.approx(round(expected, 2))
    assert result.grade is Grade.GOOD
    assert not result.renormalised
    assert all(c.omitted_reason is None for c in result.components)


def test_without_enough_ratings_the_other_weights_are_renormalised():
    figures = TicketFigures(10, 10, 10, 5, 12)
    result = assess(summarize([Rating(1, 1)] * 4, 10), figures)
    resident = component(result, ComponentName.RESIDENT)
    assert resident.score is None and resident.applied_weight == 0 and resident.points == 0
    assert resident.omitted_reason == "below_minimum_sample"
    assert result.renormalised
    # 0.15 : 0.15 : 0.1 over 0.4 -> 0.375, 0.375, 0.25
    assert component(result, ComponentName.ACCEPTANCE_ON_TIME).applied_weight == pytest.approx(0.375)
    assert result.score == pytest.approx(0.375 * 100 + 0.375 * 50 + 0.25 * 100)


def test_no_tickets_means_no_on_time_components_but_backstop_still_counts():
    result = assess(summarize([], 0), TicketFigures(0, 0, 0, 0, 0))
    assert component(result, ComponentName.ACCEPTANCE_ON_TIME).omitted_reason == "no_accepted_tickets"
    assert component(result, ComponentName.RESOLUTION_ON_TIME).omitted_reason == "no_resolved_tickets"
    assert component(result, ComponentName.BACKSTOP).applied_weight == pytest.approx(1)
    assert result.score == 0 and result.grade is Grade.POOR


def test_no_score_when_nothing_weighted_has_evidence():
    residents_only = AssessmentFormula(1, 0, 0, 0)
    result = assess(summarize([Rating(5, 5)], 1), TicketFigures(3, 3, 3, 3, 3), residents_only)
    assert result.score is None and result.grade is None
    assert assess(good_year_summary(), TicketFigures(0, 0, 0, 0, 0), residents_only).score == 100


def test_backstop_is_capped_at_its_target():
    result = assess(good_year_summary(), TicketFigures(1, 1, 1, 1, 40))
    assert component(result, ComponentName.BACKSTOP).score == 100
    assert result.score == 100 and result.grade is Grade.EXCELLENT


def test_grade_thresholds_are_configurable():
    strict = AssessmentFormula(grade_thresholds=GradeThresholds(excellent=99, good=95, adequate=90))
    figures = TicketFigures(10, 9, 10, 9, 12)
    assert assess(good_year_summary(), figures).grade is Grade.EXCELLENT  # 97
    assert assess(good_year_summary(), figures, strict).grade is Grade.GOOD


summaries = st.builds(
    lambda ratings, extra: summarize(ratings, len(ratings) + extra),
    st.lists(ratings_strategy, max_size=30),
    st.integers(0, 10),
)


@st.composite
def ticket_figures(draw):
    accepted = draw(st.integers(0, 300))
    resolved = draw(st.integers(0, 300))
    return TicketFigures(
        accepted_count=accepted,
        accepted_on_time_count=draw(st.integers(0, accepted)),
        resolved_count=resolved,
        resolved_on_time_count=draw(st.integers(0, resolved)),
        backstop_handled_count=draw(st.integers(0, 50)),
    )


@st.composite
def formulas(draw):
    parts = draw(st.lists(st.integers(0, 100), min_size=4, max_size=4).filter(any))
    total = sum(parts)
    weights = [p / total for p in parts]
    # Put the float rounding error on the largest weight so the four sum to 1 and none goes negative.
    largest = weights.index(max(weights))
    weights[largest] = 1 - math.fsum(w for i, w in enumerate(weights) if i != largest)
    resident, acceptance, resolution, backstop = weights
    return AssessmentFormula(resident, acceptance, resolution, backstop, backstop_target=draw(st.integers(1, 40)))


@given(summary=summaries, figures=ticket_figures(), formula=formulas())
def test_assessment_properties(summary, figures, formula):
    result = assess(summary, figures, formula)
    present = [c for c in result.components if c.score is not None]
    for c in result.components:
        assert c.score is None or 0 <= c.score <= 100
        assert (c.omitted_reason is None) == (c.score is not None)
    if result.score is None:
        assert result.grade is None
        assert all(c.configured_weight == 0 for c in present)
    else:
        assert 0 <= result.score <= 100
        assert math.fsum(c.applied_weight for c in present) == pytest.approx(1)
        assert result.score == pytest.approx(math.fsum(c.points for c in result.components), abs=0.0051)
        assert result.grade is formula.grade_thresholds.grade_for(result.score)
        weighted = [c.score for c in present if c.configured_weight > 0 and c.score is not None]
        lowest, highest = min(weighted), max(weighted)
        assert lowest - 0.01 <= result.score <= highest + 0.01


@given(count=st.integers(5, 30), low=scores, high=scores, figures=ticket_figures())
def test_better_ratings_never_lower_the_assessment(count, low, high, figures):
    low, high = sorted((low, high))
    worse = assess(summarize([Rating(low, low)] * count, count), figures)
    better = assess(summarize([Rating(high, high)] * count, count), figures)
    assert better.score is not None and worse.score is not None
    assert better.score >= worse.score


def test_a_seeded_year_of_ratings():
    start = datetime(2025, 1, 1, 9, tzinfo=SHANGHAI)
    ratings = [
        Rating(attitude=1 + (i * 7) % 5, ability=1 + (i * 3) % 5, submitted_at=start + timedelta(days=i))
        for i in range(365)
    ]
    summary = summarize(ratings, closed_ticket_count=400)
    assert summary.count == 365 and summary.response_rate == pytest.approx(365 / 400)
    trend = monthly_trend(ratings)
    assert [p.count for p in trend] == [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    result = assess(summary, TicketFigures(380, 370, 360, 340, 9))
    assert result.score is not None and result.grade is not None
