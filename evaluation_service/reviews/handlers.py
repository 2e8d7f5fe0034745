"""Records the residents' ratings from a project's review meeting."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation_service.contract import optional_bool, optional_uuid, required_uuid
from evaluation_service.events import consumer
from evaluation_service.reports.scoring import InvalidInput
from evaluation_service.reviews.models import ReviewResult
from evaluation_service.reviews.scores import distribution_of
from shared.events import EventEnvelope, PermanentFailure


@consumer.on("review.completed")
async def review_completed(session: AsyncSession, event: EventEnvelope) -> None:
    data = event.data
    meeting_id = required_uuid(data, "meeting_id")
    if await session.get(ReviewResult, meeting_id) is not None:
        return  # the same meeting sent again: recorded once
    ratings = data.get("ratings")
    if not isinstance(ratings, list):
        raise PermanentFailure("review.completed without a ratings list")
    try:
        distribution = distribution_of(item.get("score") if isinstance(item, dict) else item for item in ratings)
    except InvalidInput as error:
        raise PermanentFailure(str(error)) from error
    session.add(
        ReviewResult(
            meeting_id=meeting_id,
            project_id=required_uuid(data, "project_id"),
            station_id=required_uuid(data, "station_id"),
            community_id=optional_uuid(data, "community_id"),
            subdistrict_id=optional_uuid(data, "subdistrict_id"),
            distribution={str(score): count for score, count in distribution.items()},
            rating_count=sum(distribution.values()),
            accepted=optional_bool(data, "accepted"),
            completed_at=event.time,
        )
    )
    await session.flush()
