"""Evaluation figures: residents' ratings summarised, monthly trends, annual performance assessment.

Pure rules: no I/O, no clock. Bad input raises ``InvalidInput`` (HTTP 422) naming the ``field`` and a
snake_case ``reason``.

Choices made here, and why:

* **Minimum sample.** No mean is shown under ``minimum_sample`` ratings (default 5, issue 6): a mean
  of one or two ratings says little and would reveal what an individual resident said. Counts and
  distributions are still shown.
* **Response rate** is ratings over closed tickets of the same scope. The caller counts the ratings
  *of* those closed tickets, so more ratings than closed tickets is refused as inconsistent input.
* **Follow-up:** a score of 2 or lower on either dimension (issue 6).
* **Residents' score** (0-100): the two dimension means are averaged with equal weight (attitude and
  ability are the two things the app asks about, neither named as more important), then mapped
  linearly, 1 -> 0 and 5 -> 100.
* **Assessment formula:** a weighted sum of component scores, each 0-100:
  residents' score; acceptance on time (share of accepted tickets accepted within the SLA);
  resolution on time (share of resolved tickets resolved within the SLA); backstop cases handled,
  against a yearly target (capped at 100). Weights are non-negative and sum to 1.
* **Missing evidence is left out, not counted as zero.** A component with no evidence (residents'
  score under the minimum sample; no accepted or no resolved tickets) is omitted and the remaining
  weights are scaled up to sum to 1 again, so the score still means "out of 100". Backstop is always
  evidence (zero cases handled scores zero). If nothing with a positive weight is left, there is no
  score and no grade.
* **Grades:** excellent >= 90, good >= 75, adequate >= 60, poor below; thresholds configurable. The
  grade is taken from the score as rounded for the report (2 decimals), so what is printed and the
  grade always agree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Final

from shared.localtime import LOCAL_TIME_ZONE
from shared.rules import InvalidInput

__all__ = [
    "DEFAULT_MINIMUM_SAMPLE",
    "FOLLOW_UP_AT_OR_BELOW",
    "RATING_MAX",
    "RATING_MIN",
    "SHANGHAI",
    "Assessment",
    "AssessmentComponent",
    "AssessmentFormula",
    "ComponentName",
    "Grade",
    "GradeThresholds",
    "InvalidInput",
    "MonthlyPoint",
    "Rating",
    "RatingSummary",
    "TicketFigures",
    "YearMonth",
    "assess",
    "monthly_trend",
    "needs_follow_up",
    "resident_score",
    "summarize",
]

RATING_MIN: Final = 1
RATING_MAX: Final = 5
FOLLOW_UP_AT_OR_BELOW: Final = 2
DEFAULT_MINIMUM_SAMPLE: Final = 5
SHANGHAI: Final = LOCAL_TIME_ZONE  # the district's zone (shared/localtime.py), under this module's name
_WEIGHT_SUM_TOLERANCE: Final = 1e-9


def _require_int(value: object, field_name: str, *, minimum: int = 0) -> int:
    # bool is an int subclass; True as a count or a score is a bug upstream, so it is refused.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(field_name, "not_an_integer", repr(value))
    if value < minimum:
        raise InvalidInput(field_name, "negative" if minimum == 0 else "too_small", f"{value} < {minimum}")
    return value


def _require_score(value: object, field_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(field_name, "not_an_integer", repr(value))
    if not RATING_MIN <= value <= RATING_MAX:
        raise InvalidInput(field_name, "out_of_range", f"{value} not in {RATING_MIN}..{RATING_MAX}")
    return value


def _require_aware(value: object, field_name: str) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidInput(field_name, "not_a_datetime", repr(value))
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(field_name, "naive_datetime")
    return value


# --- ratings and their summary ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rating:
    """One resident's rating of a closed ticket: service attitude and service ability, 1-5 each."""

    attitude: int
    ability: int
    submitted_at: datetime | None = None  # time-zone aware; needed only for the monthly trend

    def __post_init__(self) -> None:
        _require_score(self.attitude, "attitude")
        _require_score(self.ability, "ability")
        if self.submitted_at is not None:
            _require_aware(self.submitted_at, "submitted_at")


def needs_follow_up(rating: Rating) -> bool:
    """2 or lower on either dimension: the department must look into it and record what it did."""
    return rating.attitude <= FOLLOW_UP_AT_OR_BELOW or rating.ability <= FOLLOW_UP_AT_OR_BELOW


@dataclass(frozen=True, slots=True)
class RatingSummary:
    count: int
    mean_attitude: float | None  # None under the minimum sample
    mean_ability: float | None
    attitude_distribution: Mapping[int, int]  # score -> count, every score 1..5 present
    ability_distribution: Mapping[int, int]
    response_rate: float | None  # ratings / closed tickets, 0..1; None when no ticket was closed
    follow_up_count: int
    minimum_sample: int

    @property
    def sample_sufficient(self) -> bool:
        return self.count >= self.minimum_sample


def _check_minimum_sample(minimum_sample: int) -> int:
    return _require_int(minimum_sample, "minimum_sample", minimum=1)


def _empty_distribution() -> dict[int, int]:
    return dict.fromkeys(range(RATING_MIN, RATING_MAX + 1), 0)


def _mean(distribution: Mapping[int, int], count: int, minimum_sample: int) -> float | None:
    if count < minimum_sample:
        return None
    return sum(score * n for score, n in distribution.items()) / count


def summarize(
    ratings: Iterable[Rating], closed_ticket_count: int, minimum_sample: int = DEFAULT_MINIMUM_SAMPLE
) -> RatingSummary:
    """Count, means, distributions, response rate and follow-ups for one scope (worker, station, ...)."""
    _require_int(closed_ticket_count, "closed_ticket_count")
    _check_minimum_sample(minimum_sample)
    attitude = _empty_distribution()
    ability = _empty_distribution()
    count = follow_ups = 0
    for rating in ratings:
        attitude[rating.attitude] += 1
        ability[rating.ability] += 1
        count += 1
        follow_ups += needs_follow_up(rating)
    if count > closed_ticket_count:
        raise InvalidInput("closed_ticket_count", "fewer_than_ratings", f"{closed_ticket_count} < {count}")
    return RatingSummary(
        count=count,
        mean_attitude=_mean(attitude, count, minimum_sample),
        mean_ability=_mean(ability, count, minimum_sample),
        attitude_distribution=attitude,
        ability_distribution=ability,
        response_rate=count / closed_ticket_count if closed_ticket_count else None,
        follow_up_count=follow_ups,
        minimum_sample=minimum_sample,
    )


def resident_score(summary: RatingSummary) -> float | None:
    """The residents' judgement on 0-100: mean of the two dimension means, 1 -> 0 and 5 -> 100."""
    if summary.mean_attitude is None or summary.mean_ability is None:
        return None
    mean = (summary.mean_attitude + summary.mean_ability) / 2
    return _clamp((mean - RATING_MIN) / (RATING_MAX - RATING_MIN) * 100)


# --- monthly trend -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class YearMonth:
    year: int
    month: int

    def __post_init__(self) -> None:
        _require_int(self.year, "year", minimum=1)
        _require_int(self.month, "month", minimum=1)
        if self.month > 12:
            raise InvalidInput("month", "out_of_range")

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def following(self) -> YearMonth:
        return YearMonth(self.year + self.month // 12, self.month % 12 + 1)

    @classmethod
    def of(cls, moment: datetime, zone: tzinfo = SHANGHAI) -> YearMonth:
        """The calendar month of ``moment`` as lived in ``zone`` (a rating at 23:30 UTC on 31 January
        is a February rating in Shanghai)."""
        local = _require_aware(moment, "submitted_at").astimezone(zone)
        return cls(local.year, local.month)


@dataclass(frozen=True, slots=True)
class MonthlyPoint:
    month: YearMonth
    count: int
    mean_attitude: float | None  # None under the minimum sample, as in ``summarize``
    mean_ability: float | None
    follow_up_count: int


def monthly_trend(
    ratings: Iterable[Rating],
    *,
    zone: tzinfo = SHANGHAI,
    minimum_sample: int = DEFAULT_MINIMUM_SAMPLE,
    first_month: YearMonth | None = None,
    last_month: YearMonth | None = None,
) -> tuple[MonthlyPoint, ...]:
    """One point per calendar month in ``zone``, months without ratings included (count 0) so a chart
    has no gaps. Without bounds, runs from the first to the last month with a rating; with bounds,
    ratings outside them are left out."""
    _check_minimum_sample(minimum_sample)
    if first_month is not None and last_month is not None and last_month < first_month:
        raise InvalidInput("last_month", "before_first_month")
    by_month: dict[YearMonth, list[Rating]] = {}
    for index, rating in enumerate(ratings):
        if rating.submitted_at is None:
            raise InvalidInput(f"ratings[{index}].submitted_at", "required")
        month = YearMonth.of(rating.submitted_at, zone)
        if (first_month is not None and month < first_month) or (last_month is not None and month > last_month):
            continue
        by_month.setdefault(month, []).append(rating)
    start = first_month if first_month is not None else min(by_month, default=None)
    end = last_month if last_month is not None else max(by_month, default=None)
    if start is None or end is None:
        return ()
    points: list[MonthlyPoint] = []
    month = start
    while month <= end:
        month_ratings = by_month.get(month, [])
        attitude = _empty_distribution()
        ability = _empty_distribution()
        for rating in month_ratings:
            attitude[rating.attitude] += 1
            ability[rating.ability] += 1
        count = len(month_ratings)
        points.append(
            MonthlyPoint(
                month=month,
                count=count,
                mean_attitude=_mean(attitude, count, minimum_sample),
                mean_ability=_mean(ability, count, minimum_sample),
                follow_up_count=sum(needs_follow_up(r) for r in month_ratings),
            )
        )
        month = month.following()
    return tuple(points)


# --- annual performance assessment -------------------------------------------------------------------


class Grade(StrEnum):
    EXCELLENT = "excellent"
    GOOD = "good"
    ADEQUATE = "adequate"
    POOR = "poor"


def _require_number(value: object, field_name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(field_name, "not_a_number", repr(value))
    if not math.isfinite(value):
        raise InvalidInput(field_name, "not_finite")
    return float(value)


@dataclass(frozen=True, slots=True)
class GradeThresholds:
    """Lowest score of each grade; below ``adequate`` is poor."""

    excellent: float = 90.0
    good: float = 75.0
    adequate: float = 60.0

    def __post_init__(self) -> None:
        for name in ("excellent", "good", "adequate"):
            value = _require_number(getattr(self, name), name)
            if not 0 < value <= 100:
                raise InvalidInput(name, "out_of_range", f"{value} not in (0, 100]")
        if not self.good < self.excellent:
            raise InvalidInput("good", "not_below_excellent")
        if not self.adequate < self.good:
            raise InvalidInput("adequate", "not_below_good")

    def grade_for(self, score: float) -> Grade:
        if score >= self.excellent:
            return Grade.EXCELLENT
        if score >= self.good:
            return Grade.GOOD
        if score >= self.adequate:
            return Grade.ADEQUATE
        return Grade.POOR


_WEIGHT_FIELDS: Final = (
    "resident_weight",
    "acceptance_on_time_weight",
    "resolution_on_time_weight",
    "backstop_weight",
)


@dataclass(frozen=True, slots=True)
class AssessmentFormula:
    """The configurable annual assessment formula. Residents' judgement carries the largest share by
    default (DOMAIN.md: "residents' judgement carries a larger share of assessments")."""

    resident_weight: float = 0.6
    acceptance_on_time_weight: float = 0.15
    resolution_on_time_weight: float = 0.15
    backstop_weight: float = 0.1
    # Backstop cases handled in a year for full marks on that component (about one a month).
    backstop_target: int = 12
    grade_thresholds: GradeThresholds = field(default_factory=GradeThresholds)

    def __post_init__(self) -> None:
        for name in _WEIGHT_FIELDS:
            if _require_number(getattr(self, name), name) < 0:
                raise InvalidInput(name, "negative")
        total = math.fsum(getattr(self, name) for name in _WEIGHT_FIELDS)
        if not math.isclose(total, 1.0, rel_tol=0.0, abs_tol=_WEIGHT_SUM_TOLERANCE):
            raise InvalidInput("weights", "sum_not_one", f"{', '.join(_WEIGHT_FIELDS)} sum to {total}")
        _require_int(self.backstop_target, "backstop_target", minimum=1)
        if not isinstance(self.grade_thresholds, GradeThresholds):
            raise InvalidInput("grade_thresholds", "invalid", repr(self.grade_thresholds))


@dataclass(frozen=True, slots=True)
class TicketFigures:
    """A social worker's year from the ticket service."""

    accepted_count: int
    accepted_on_time_count: int
    resolved_count: int
    resolved_on_time_count: int
    backstop_handled_count: int

    def __post_init__(self) -> None:
        for f in fields(self):
            _require_int(getattr(self, f.name), f.name)
        if self.accepted_on_time_count > self.accepted_count:
            raise InvalidInput("accepted_on_time_count", "exceeds_accepted_count")
        if self.resolved_on_time_count > self.resolved_count:
            raise InvalidInput("resolved_on_time_count", "exceeds_resolved_count")


class ComponentName(StrEnum):
    RESIDENT = "resident"
    ACCEPTANCE_ON_TIME = "acceptance_on_time"
    RESOLUTION_ON_TIME = "resolution_on_time"
    BACKSTOP = "backstop"


@dataclass(frozen=True, slots=True)
class AssessmentComponent:
    """One line of the assessment's explanation."""

    name: ComponentName
    score: float | None  # 0-100; None when there is no evidence and the component is left out
    configured_weight: float
    applied_weight: float  # after re-normalisation over the components with evidence; 0 if left out
    points: float  # score x applied_weight: this component's part of the final score
    inputs: Mapping[str, float | int | None]  # the figures the score came from, for the report
    omitted_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Assessment:
    score: float | None  # 0-100, rounded to 2 decimals; None when no weighted component has evidence
    grade: Grade | None
    components: tuple[AssessmentComponent, ...]
    renormalised: bool  # True when a weighted component was left out and the others scaled up


def _clamp(value: float) -> float:
    # Float arithmetic can land a hair outside 0..100; the report promises 0..100.
    return min(100.0, max(0.0, value))


def _ratio_score(numerator: int, denominator: int) -> float | None:
    return _clamp(numerator / denominator * 100) if denominator else None


def assess(
    resident_summary: RatingSummary,
    ticket_figures: TicketFigures,
    formula: AssessmentFormula | None = None,
) -> Assessment:
    """A social worker's annual performance assessment, with each component shown."""
    formula = formula if formula is not None else AssessmentFormula()
    raw: list[tuple[ComponentName, float | None, float, dict[str, float | int | None], str]] = [
        (
            ComponentName.RESIDENT,
            resident_score(resident_summary),
            formula.resident_weight,
            {
                "count": resident_summary.count,
                "minimum_sample": resident_summary.minimum_sample,
                "mean_attitude": resident_summary.mean_attitude,
                "mean_ability": resident_summary.mean_ability,
            },
            "below_minimum_sample",
        ),
        (
            ComponentName.ACCEPTANCE_ON_TIME,
            _ratio_score(ticket_figures.accepted_on_time_count, ticket_figures.accepted_count),
            formula.acceptance_on_time_weight,
            {"on_time": ticket_figures.accepted_on_time_count, "total": ticket_figures.accepted_count},
            "no_accepted_tickets",
        ),
        (
            ComponentName.RESOLUTION_ON_TIME,
            _ratio_score(ticket_figures.resolved_on_time_count, ticket_figures.resolved_count),
            formula.resolution_on_time_weight,
            {"on_time": ticket_figures.resolved_on_time_count, "total": ticket_figures.resolved_count},
            "no_resolved_tickets",
        ),
        (
            ComponentName.BACKSTOP,
            _clamp(ticket_figures.backstop_handled_count / formula.backstop_target * 100),
            formula.backstop_weight,
            {"handled": ticket_figures.backstop_handled_count, "target": formula.backstop_target},
            "",  # never omitted: zero cases handled is evidence
        ),
    ]
    available_weight = math.fsum(weight for _, score, weight, _, _ in raw if score is not None)
    renormalised = any(score is None and weight > 0 for _, score, weight, _, _ in raw)
    components: list[AssessmentComponent] = []
    for name, score, weight, inputs, omitted_reason in raw:
        applied = weight / available_weight if score is not None and available_weight > 0 else 0.0
        components.append(
            AssessmentComponent(
                name=name,
                score=score,
                configured_weight=weight,
                applied_weight=applied,
                points=score * applied if score is not None else 0.0,
                inputs=inputs,
                omitted_reason=None if score is not None else omitted_reason,
            )
        )
    if available_weight <= 0:
        return Assessment(score=None, grade=None, components=tuple(components), renormalised=renormalised)
    total = round(_clamp(math.fsum(c.points for c in components)), 2)
    return Assessment(
        score=total,
        grade=formula.grade_thresholds.grade_for(total),
        components=tuple(components),
        renormalised=renormalised,
    )
