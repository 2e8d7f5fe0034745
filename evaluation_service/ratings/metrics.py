"""The evaluation service's business series: ratings submitted (counted when the transaction commits) and
each subdistrict's mean score this year (read at scrape time).

The label is the subdistrict's id (36: bounded), never a station, a social worker or a comment. The gauge
reads the whole database, so every replica reports the same figure: aggregate it with `max`, not `sum`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation_service.reports import repository
from evaluation_service.reports.periods import year_bounds
from evaluation_service.reports.scoring import SHANGHAI
from shared.database import Database
from shared.metrics import count_after_commit

RATINGS = Counter("doorstep_ratings_total", "Ratings submitted (committed).", ["subdistrict"])
RATING_MEAN = Gauge(
    "doorstep_rating_mean",
    "Mean score (1-5, attitude and ability alike) of this year's ratings (tickets closed this calendar year in "
    "Shanghai, upheld appeals left out); absent under the minimum sample, as in the reports.",
    ["subdistrict"],
)


def count_rating(session: AsyncSession, subdistrict_id: uuid.UUID) -> None:
    count_after_commit(session, RATINGS.labels(str(subdistrict_id)))


class RatingMeanGauge:
    """Sets the gauge from one grouped query at each scrape, for the year the service's clock is in."""

    def __init__(self, database: Database, clock: Callable[[], datetime], minimum_sample: Callable[[], int]) -> None:
        self.database = database
        self.clock = clock
        self.minimum_sample = minimum_sample

    async def refresh(self) -> None:
        start, end = year_bounds(self.clock().astimezone(SHANGHAI).year)
        async with self.database.transaction() as session:
            scores = await repository.subdistrict_scores(session, start, end)
        minimum = self.minimum_sample()
        # Replaced whole: a subdistrict under the minimum sample (a new year) has no mean, not an old one.
        RATING_MEAN.clear()
        for row in scores:
            if row.ratings >= minimum:
                RATING_MEAN.labels(str(row.subdistrict_id)).set(row.score_sum / (2 * row.ratings))
