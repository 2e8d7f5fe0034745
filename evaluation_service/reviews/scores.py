"""Review-meeting ratings (one score 1-5 per resident) summarised. Pure: no I/O.

The same minimum-sample rule as for the two-dimension ratings: no mean under ``minimum_sample`` scores.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from evaluation_service.reports.scoring import RATING_MAX, RATING_MIN, InvalidInput


def distribution_of(scores: Iterable[object]) -> dict[int, int]:
    distribution = dict.fromkeys(range(RATING_MIN, RATING_MAX + 1), 0)
    for index, score in enumerate(scores):
        if isinstance(score, bool) or not isinstance(score, int) or not RATING_MIN <= score <= RATING_MAX:
            raise InvalidInput(f"ratings[{index}].score", "out_of_range", repr(score))
        distribution[score] += 1
    return distribution


@dataclass(frozen=True, slots=True)
class ReviewSummary:
    meetings: int
    accepted_count: int
    count: int
    mean: float | None
    distribution: Mapping[int, int]


def merge(distributions: Iterable[Mapping[int, int]]) -> dict[int, int]:
    total = dict.fromkeys(range(RATING_MIN, RATING_MAX + 1), 0)
    for distribution in distributions:
        for score, count in distribution.items():
            total[int(score)] += count
    return total


def summarize_reviews(
    distributions: Iterable[Mapping[int, int]], accepted: Iterable[bool | None], minimum_sample: int
) -> ReviewSummary:
    items = list(distributions)
    total = merge(items)
    count = sum(total.values())
    mean = sum(score * n for score, n in total.items()) / count if count >= minimum_sample else None
    return ReviewSummary(
        meetings=len(items),
        accepted_count=sum(1 for flag in accepted if flag),
        count=count,
        mean=mean,
        distribution=total,
    )
